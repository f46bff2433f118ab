"""Keep a set of servers alive: start them together, health-check them, restart what died or hangs.

A service is restarted when its process exits, or when its health URL fails `unhealthy_after` checks in
a row, each allowed `health_timeout` seconds (then it is killed first). Restarts back off exponentially
(0.5 s doubling to 30 s) while a service keeps failing within a minute of starting; the backoff resets once
it has stayed up that long. The state (url, pid, status, restarts per service) is written atomically to
`state_path` after each change.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.services.process import ManagedProcess, ServiceError

log = logging.getLogger("infra.supervise")

MIN_BACKOFF = 0.5
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0


@dataclass
class _Watch:
    proc: ManagedProcess
    status: str = "stopped"
    restarts: int = 0
    failures: int = 0
    backoff: float = MIN_BACKOFF
    started_at: float = 0.0
    next_start: float = 0.0
    last_error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` so that readers see the old or the new file, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, path)


class Supervisor:
    """Runs `services` (started in the given order) and restarts them; `run()` blocks until `stop()`.

    `on_ready(name)` is called (in the supervisor thread) each time a service becomes healthy after a start.
    """

    def __init__(
        self,
        services: list[ManagedProcess],
        state_path: Path | None = None,
        interval: float = 1.0,
        unhealthy_after: int = 3,
        on_ready: Callable[[str], None] | None = None,
        health_timeout: float = 5.0,
    ) -> None:
        self._watches = {proc.name: _Watch(proc) for proc in services}
        self._order = [proc.name for proc in services]
        self.state_path = state_path
        self.interval = interval
        self.unhealthy_after = unhealthy_after
        # Generous: a busy server on a loaded 2-core machine is slow, not dead; killing it loses work.
        self.health_timeout = health_timeout
        self.on_ready = on_ready
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def process(self, name: str) -> ManagedProcess:
        """The ManagedProcess called `name` (its pid changes on each restart)."""
        return self._watches[name].proc

    def restarts(self, name: str) -> int:
        """How many times `name` was restarted after its first start."""
        return self._watches[name].restarts

    def state(self) -> dict[str, Any]:
        """{name: {url, pid, status, restarts, last_error}} for every service."""
        with self._lock:
            return {
                name: {
                    "url": w.proc.url,
                    "pid": w.proc.pid,
                    "status": w.status,
                    "restarts": w.restarts,
                    "log": str(w.proc.log_path),
                    "last_error": w.last_error,
                }
                for name, w in ((n, self._watches[n]) for n in self._order)
            }

    def all_up(self) -> bool:
        """True when every service is running and answered its last health check."""
        return all(w.status == "up" for w in self._watches.values())

    def run(self) -> None:
        """Start everything (failures retried), check health until `stop()`; stops all."""
        try:
            self._start_together([self._watches[name] for name in self._order])
            while not self._stop.wait(self.interval):
                self.check_once()
        finally:
            self.stop_all()

    def start_background(self) -> None:
        """Run the supervision loop in a daemon thread (tests); `stop()` ends it and stops the services."""
        self._thread = threading.Thread(target=self.run, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end; with a background thread, wait for it (it stops every service)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def stop_all(self) -> None:
        """Stop every service, last started first."""
        for name in reversed(self._order):
            watch = self._watches[name]
            watch.proc.stop()
            with self._lock:
                watch.status = "stopped"
        self._write_state()

    def check_once(self) -> None:
        """One round of health checks and due restarts."""
        now = time.monotonic()
        for name in self._order:
            if self._stop.is_set():
                return
            watch = self._watches[name]
            if watch.status in ("down", "stopped"):
                if now >= watch.next_start:
                    self._start(watch, None, restart=True)
                continue
            if not watch.proc.alive():
                code = watch.proc.popen.returncode if watch.proc.popen is not None else None
                self._mark_down(watch, f"process exited with status {code}")
                continue
            if watch.proc.healthy(self.health_timeout):
                watch.failures = 0
                if time.monotonic() - watch.started_at > STABLE_AFTER:
                    watch.backoff = MIN_BACKOFF
                continue
            watch.failures += 1
            if watch.failures >= self.unhealthy_after:
                log.warning("%s stopped answering; killing it", name)
                watch.proc.kill()
                self._mark_down(watch, f"no answer at {watch.proc.health_url} for {watch.failures} checks")

    def _mark_down(self, watch: _Watch, reason: str) -> None:
        log.warning("%s is down: %s; restart in %.1f s", watch.proc.name, reason, watch.backoff)
        with self._lock:
            watch.status = "down"
            watch.last_error = reason
            watch.failures = 0
            watch.next_start = time.monotonic() + watch.backoff
            if time.monotonic() - watch.started_at < STABLE_AFTER:
                watch.backoff = min(watch.backoff * 2, MAX_BACKOFF)
            else:
                watch.backoff = MIN_BACKOFF
        self._write_state()

    def _start_together(self, watches: list[_Watch]) -> None:
        """Spawn every process first, then wait for each in order: start-up costs overlap."""
        spawned = []
        for watch in watches:
            with self._lock:
                watch.status = "starting"
            watch.started_at = time.monotonic()
            try:
                watch.proc.stop()
                watch.proc.start()
            except OSError as exc:
                self._mark_down(watch, str(exc))
                continue
            spawned.append(watch)
        self._write_state()
        for watch in spawned:
            if self._stop.is_set():
                return
            try:
                watch.proc.wait_ready()
            except ServiceError as exc:
                watch.proc.stop()
                self._mark_down(watch, str(exc))
                continue
            self._mark_up(watch)

    def _mark_up(self, watch: _Watch) -> None:
        name = watch.proc.name
        log.info("%s is up at %s (pid %s)", name, watch.proc.url, watch.proc.pid)
        with self._lock:
            watch.status = "up"
            watch.last_error = ""
        if self.on_ready is not None:
            try:
                self.on_ready(name)
            except Exception as exc:  # a failing hook must not take the supervisor down
                log.exception("on_ready(%s) failed", name)
                watch.last_error = f"on_ready failed: {exc}"
        self._write_state()

    def _start(self, watch: _Watch, timeout: float | None, restart: bool = False) -> None:
        with self._lock:
            watch.status = "starting"
            if restart:
                watch.restarts += 1
        self._write_state()
        watch.started_at = time.monotonic()
        try:
            watch.proc.stop()
            watch.proc.start_and_wait(timeout)
        except (ServiceError, OSError) as exc:
            self._mark_down(watch, str(exc))
            return
        self._mark_up(watch)

    def _write_state(self) -> None:
        if self.state_path is None:
            return
        write_json_atomic(self.state_path, {"services": self.state(), "updated": time.time()})
