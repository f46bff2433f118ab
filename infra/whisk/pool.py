"""The invoker's container pool: warm reuse, memory budget, a queue (starving runs first, then warm hand-offs,
then arrival order), idle reaper, prewarmed processes.

    from infra.whisk.pool import ContainerPool
    pool = ContainerPool("http://127.0.0.1:3233", Path(".data/containers"), memory_budget_mb=1024)
    result = pool.run(request)      # RunRequest -> RunResult (infra.whisk.activation); blocking, thread-safe
    pool.stats()                    # {"started": .., "live": .., "busy": .., "idle": .., "actions": {..}}
    pool.shutdown()                 # kills every container; later runs return a whisk internal error

What a caller may rely on (OpenWhisk's ContainerPool semantics, on OS processes):
- A container serves one activation at a time and only one action revision: the warm key is (invoking
  namespace, action fqn, revision), so a new revision never reuses an old container and module globals / the
  container's temp dir live exactly as long as the container.
- ``run`` prefers an idle warm container of the key; else, if the memory budget (sum of the live containers'
  memory limits) has room, it takes a prewarmed process (started, not initialized; replenished in the
  background) or starts a new one; else it evicts the least recently used idle containers of other keys if
  that frees enough; else it waits in a queue (no timeout: the controller decides how long a blocking
  caller waits).
- The queue, served whenever a container is released or removed (local policy; OpenWhisk's invoker buffers
  the same way but has no interactive lane):
  1. a waiter that has waited ``starve_after_s`` or more is served first, evicting if it must, and while it
     waits no one takes a released container ahead of it (``starve_after_s=0`` is therefore strict FIFO);
  2. every waiter whose key has an idle warm container gets it (a released container goes to a queued run of
     its own action instead of being evicted for another action: under overload, strict FIFO made nearly
     every activation a cold start);
  3. then new containers in arrival order, interactive waiters (``RunRequest.interactive``: a caller is
     waiting on the result) ahead of background ones.
  Background runs may hold at most ``memory_budget_mb - interactive_reserve_mb`` between them (one larger
  run may still run alone), so a web action or blocking invoke never waits for background work to drain.
- Idle containers are destroyed after ``idle_timeout_s`` (the reaper looks every quarter of it, at most
  every 10 s; ``reap_idle`` does one look); a container that timed out, crashed, ran out of memory or failed
  its init is destroyed at once.
- ``clock`` (infra.clock.Clock) measures idleness and queue waits and paces the reaper; a test may pass a
  clock it moves by hand and call ``reap_idle`` itself. Activation timestamps and the time limits of a run
  are real time (a container's process runs in real time).
- ``run`` never raises for anything an action does. The RunResult carries the status as OpenWhisk's invoker
  would: 0 success, 1 application error (a result dict with ``error``, or a result over 1 MB), 2 developer
  error (init failure, non-dict result, crash, timeout with ``timed_out=True``, memory exhausted), 3 whisk
  internal error (the pool is shut down, the action's memory exceeds the whole budget, a process could not be
  spawned).
- Timing fields follow OpenWhisk's activation record: ``start_ms`` is when init (cold) or run (warm) began,
  ``end_ms`` when the run ended, ``duration_ms`` = init + run, ``wait_time_ms`` = from ``run()`` being called
  to ``start_ms`` (queueing and process spawn), ``init_time_ms`` only when /init ran for this activation (a
  new or prewarmed container), ``cold`` True exactly then. ``container_id`` names the container; ``logs`` its
  lines.
- The /init sent to a new container has ``name`` (the simple name), ``main``, ``binary``, ``code`` and ``env``
  = the action's init parameters plus the first activation's ``__OW_*`` context; every /run has ``value`` plus
  ``namespace``, ``action_name``, ``action_version``, ``activation_id``, ``transaction_id``, ``deadline`` and
  ``api_key`` (only when the request carries one). Every kind (``python:*``, ``blackbox`` with code) runs on
  the local Python launcher.
- Limits honoured per activation: ``timeout_ms`` (init and run each), ``memory_mb`` (budget share and the
  process's address-space cap, see infra.whisk.container), ``logs_mb`` (log truncation); concurrency is 1.
- Containers live under ``work_dir/<container id>/`` (``action/`` = cwd, ``tmp/`` = its /tmp, through
  ``tempfile``); dirs left there by a platform that died are deleted when a pool starts. ``extra_env`` is
  the invoker's configured extra container variables: as through the runtime's proxy, only their ``__OW_*``
  names reach the action process; the platform's own environment is never passed on (see
  infra.whisk.container.action_environment).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.clock import SYSTEM_CLOCK, Clock
from infra.whisk.activation import (
    APPLICATION_ERROR,
    DEVELOPER_ERROR,
    SUCCESS,
    WHISK_ERROR,
    RunRequest,
    RunResult,
)
from infra.whisk.container import RESULT_LIMIT_BYTES, Container

log = logging.getLogger(__name__)

WarmKey = tuple[str, str, str]  # (invoking namespace, action fqn, revision)

PROVISION_ERROR = "Failed to provision resources to run the action."
SHUTTING_DOWN = "The invoker is shutting down."


def init_failure_message(body: Any) -> str:
    """The developer error for a failed /init, as OpenWhisk's invoker words it."""
    if isinstance(body, dict) and "error" in body:
        error = body["error"]
        return error if isinstance(error, str) else str(error)
    text = "" if body is None else str(body)
    return "The action failed during initialization" + (f": {text}" if text else ".")


def classify_run(status: int, body: Any) -> tuple[int, Any]:
    """Map a /run answer to (activation status, result) as OpenWhisk's ActivationResponse does."""
    if status == 200:
        if isinstance(body, dict):
            return (APPLICATION_ERROR if "error" in body else SUCCESS), body
        if isinstance(body, list):
            return SUCCESS, body
        # The proxy passes `null` on (with its line end): the invoker's "not an object" developer error.
        raw = "null\n" if body is None else json.dumps(body) + "\n"
        return DEVELOPER_ERROR, {"error": invalid_run_response(raw)}
    if isinstance(body, dict) and "error" in body:
        return DEVELOPER_ERROR, {"error": body["error"]}
    return DEVELOPER_ERROR, {"error": invalid_run_response("" if body is None else str(body))}


def invalid_run_response(raw: str) -> str:
    """OpenWhisk's Messages.invalidRunResponse."""
    return "The action did not produce a valid JSON or JSON Array response" + (f": {raw}" if raw else ".")


def remove_stale_container_dirs(work_dir: Path) -> list[Path]:
    """Delete container dirs (``wsk*``) left by a platform that died, i.e. that no live process works in."""
    in_use: set[str] = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            in_use.add(os.readlink(proc / "cwd"))
        except OSError:
            continue  # gone, or not ours to inspect
    removed = []
    for directory in work_dir.glob("wsk*"):
        if directory.is_dir() and str(directory / "action") not in in_use:
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


@dataclass
class _Slot:
    """A container counted against the budget; ``container`` is None while its process is being spawned."""

    id: str
    key: WarmKey
    memory_mb: int
    interactive: bool  # started for an interactive run (does not count against the background cap)
    last_used: float  # the pool clock's monotonic time when it was started or last released
    container: Container | None = None
    busy: bool = True


@dataclass
class _Waiter:
    """One run() waiting for a container; filled in by whoever assigns it one."""

    key: WarmKey
    memory_mb: int
    interactive: bool
    since: float  # the pool clock's monotonic time when it asked
    ready: threading.Event = field(default_factory=threading.Event)
    slot: _Slot | None = None
    prewarmed: Container | None = None
    error: str | None = None


class ContainerPool:
    """Runs activations in local action containers; see the module docstring for the contract."""

    def __init__(
        self,
        api_host: str,
        work_dir: Path,
        memory_budget_mb: int = 1024,
        idle_timeout_s: float = 600,
        prewarm: int = 0,
        python: str = sys.executable,
        *,
        extra_env: Mapping[str, str] | None = None,
        interactive_reserve_mb: int = 0,
        starve_after_s: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.api_host = api_host
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.memory_budget_mb = memory_budget_mb
        self.idle_timeout_s = idle_timeout_s
        self.prewarm_count = prewarm
        self.python = python
        self.extra_env = dict(extra_env or {})
        self.interactive_reserve_mb = max(0, min(interactive_reserve_mb, memory_budget_mb))
        self.starve_after_s = starve_after_s
        self.clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._prewarmed: deque[Container] = deque()
        self._prewarming = 0  # prewarmed processes being spawned right now
        self._interactive_queue: deque[_Waiter] = deque()
        self._background_queue: deque[_Waiter] = deque()
        self._memory_used = 0
        self._background_used = 0  # memory of the slots started for background runs
        self._warm_handoffs = 0  # queued runs served by a container of their own action
        self._started = 0
        self._cold_starts = 0
        self._prewarm_used = 0
        self._ids = itertools.count(1)
        self._token = secrets.token_hex(3)  # keeps container dirs of two pools sharing a work_dir apart
        self._closed = threading.Event()
        remove_stale_container_dirs(self.work_dir)
        self._reaper = threading.Thread(target=self._reap_loop, name="container-reaper", daemon=True)
        self._reaper.start()
        self._replenish()

    # ------------------------------------------------------------------ running

    def run(self, req: RunRequest) -> RunResult:
        """Run one activation to completion (blocking); never raises for anything the action does."""
        entered_ns = time.time_ns()
        memory_mb = req.limits.memory_mb
        if memory_mb > self.memory_budget_mb:
            return self._whisk_error(
                entered_ns,
                f"The action's memory limit of {memory_mb} MB exceeds the invoker's memory budget of "
                f"{self.memory_budget_mb} MB.",
            )
        key = (req.namespace, req.action.fqn, req.action.revision)
        waiter = _Waiter(key, memory_mb, req.interactive, self.clock.monotonic())
        evicted: list[Container] = []
        with self._lock:
            if self._closed.is_set():
                return self._whisk_error(entered_ns, SHUTTING_DOWN)
            served = not self._starving() and self._take_warm(waiter, evicted)
            if not served and not self._queued_ahead(waiter):
                served = self._assign_new(waiter, evicted)
            if not served:
                (self._interactive_queue if waiter.interactive else self._background_queue).append(waiter)
        self._destroy_all(evicted)
        waiter.ready.wait()
        slot = waiter.slot
        if waiter.error is not None or slot is None:
            return self._whisk_error(entered_ns, waiter.error or SHUTTING_DOWN)
        try:
            return self._start(req, slot, waiter.prewarmed, entered_ns)
        # a platform fault (disk full, ...) must neither leak the slot nor reach the caller
        except Exception as ex:
            log.exception("container pool: activation %s failed", req.activation_id)
            self._release(slot, slot.container, force_destroy=True)
            return self._whisk_error(entered_ns, f"{PROVISION_ERROR} {type(ex).__name__}: {ex}")

    def _start(self, req: RunRequest, slot: _Slot, prewarmed: Container | None, entered_ns: int) -> RunResult:
        if slot.container is not None:
            return self._execute(req, slot, slot.container, entered_ns, time.time_ns(), None)
        container = prewarmed or self._spawn(slot.id)
        if container is None:
            self._release(slot, None)
            return self._whisk_error(entered_ns, PROVISION_ERROR)
        slot.container = container
        if self._closed.is_set():  # shut down while the process was being spawned
            container.destroy()
            return self._whisk_error(entered_ns, SHUTTING_DOWN)
        if self.prewarm_count:
            self._replenish()
        return self._run_new(req, slot, container, entered_ns)

    def _run_new(self, req: RunRequest, slot: _Slot, container: Container, entered_ns: int) -> RunResult:
        """Init then run on a container that has not seen this action yet."""
        start_ns = time.time_ns()
        timeout_ms = req.limits.timeout_ms
        init_value: dict[str, Any] = {
            "name": req.action.fqn.rsplit("/", 1)[-1],
            "main": req.action.main or "main",
            "binary": req.action.binary,
            "code": req.action.code,
        }
        env = {**req.action.init_env, **self._context_env(req, start_ns)}
        init_value["env"] = env
        status, body = container.init(init_value, timeout_ms=timeout_ms, memory_mb=req.limits.memory_mb)
        init_end_ns = time.time_ns()
        init_ms = (init_end_ns - start_ns) // 1_000_000
        if status != 200:
            logs = container.last_logs
            self._release(slot, container, force_destroy=True)
            return RunResult(
                status_code=DEVELOPER_ERROR,
                result={"error": init_failure_message(body)},
                logs=logs,
                start_ms=start_ns // 1_000_000,
                end_ms=init_end_ns // 1_000_000,
                duration_ms=init_ms,
                wait_time_ms=(start_ns - entered_ns) // 1_000_000,
                init_time_ms=init_ms,
                timed_out=container.timed_out,
                container_id=container.id,
                cold=True,
            )
        return self._execute(req, slot, container, entered_ns, start_ns, init_ms)

    def _execute(
        self,
        req: RunRequest,
        slot: _Slot,
        container: Container,
        entered_ns: int,
        start_ns: int,
        init_ms: int | None,
    ) -> RunResult:
        run_start_ns = time.time_ns()
        status, body = container.run(
            self._run_body(req, run_start_ns),
            timeout_ms=req.limits.timeout_ms,
            log_limit_bytes=req.limits.logs_mb * 1024 * 1024,
            result_limit_bytes=RESULT_LIMIT_BYTES,
        )
        end_ns = time.time_ns()
        logs = container.last_logs
        timed_out = container.timed_out
        code, result = classify_run(status, body)
        # As OpenWhisk's ContainerProxy: an activation that failed as a developer error ends its container.
        self._release(slot, container, force_destroy=code == DEVELOPER_ERROR)
        run_ms = (end_ns - run_start_ns) // 1_000_000
        return RunResult(
            status_code=code,
            result=result,
            logs=logs,
            start_ms=start_ns // 1_000_000,
            end_ms=end_ns // 1_000_000,
            duration_ms=run_ms + (init_ms or 0),
            wait_time_ms=(start_ns - entered_ns) // 1_000_000,
            init_time_ms=init_ms,
            timed_out=timed_out,
            container_id=container.id,
            cold=init_ms is not None,
        )

    @staticmethod
    def _context(req: RunRequest, now_ns: int) -> dict[str, str]:
        """The activation context OpenWhisk merges into /run (snake_case keys)."""
        context = {
            "namespace": req.namespace,
            "action_name": req.action.fqn,
            "action_version": req.action_version,
            "activation_id": req.activation_id,
            "transaction_id": req.transaction_id,
            "deadline": str(now_ns // 1_000_000 + req.limits.timeout_ms),
        }
        if req.api_key is not None:
            context["api_key"] = req.api_key
        return context

    def _context_env(self, req: RunRequest, now_ns: int) -> dict[str, str]:
        return {"__OW_" + key.upper(): value for key, value in self._context(req, now_ns).items()}

    def _run_body(self, req: RunRequest, now_ns: int) -> dict[str, Any]:
        return {"value": req.args, **self._context(req, now_ns)}

    def _whisk_error(self, entered_ns: int, message: str) -> RunResult:
        now_ms = time.time_ns() // 1_000_000
        return RunResult(
            status_code=WHISK_ERROR,
            result={"error": message},
            logs=[],
            start_ms=now_ms,
            end_ms=now_ms,
            duration_ms=0,
            wait_time_ms=now_ms - entered_ns // 1_000_000,
            init_time_ms=None,
        )

    # ------------------------------------------------------------------ scheduling (under self._lock)

    def _starving(self) -> bool:
        """Whether a queued run has waited ``starve_after_s`` (with 0, any queued run: strict FIFO)."""
        now = self.clock.monotonic()
        return any(
            q and now - q[0].since >= self.starve_after_s
            for q in (self._interactive_queue, self._background_queue)
        )

    def _queued_ahead(self, waiter: _Waiter) -> bool:
        """Whether runs queued before ``waiter`` would be overtaken if it took new budget now."""
        return bool(self._interactive_queue) or (not waiter.interactive and bool(self._background_queue))

    def _take_warm(self, waiter: _Waiter, evicted: list[Container]) -> bool:
        """Give ``waiter`` an idle warm container of its key (the most recently used one), if there is one."""
        warm = [slot for slot in self._slots.values() if not slot.busy and slot.key == waiter.key]
        for slot in list(warm):
            if slot.container is not None and not slot.container.healthy:
                warm.remove(slot)  # died while idle (killed from outside): drop it, never fail a run on it
                self._forget(slot)
                evicted.append(slot.container)
        if not warm:
            return False
        slot = max(warm, key=lambda s: s.last_used)  # the most recently used, so surplus ones age out
        slot.busy = True
        waiter.slot = slot
        waiter.ready.set()
        return True

    def _assign_new(self, waiter: _Waiter, evicted: list[Container]) -> bool:
        """Give ``waiter`` budget for a new container, evicting least recently used idle ones if needed."""
        victims = self._victims(waiter)
        if victims is None:
            return False
        for slot in victims:
            self._forget(slot)
            if slot.container is not None:
                evicted.append(slot.container)
        prewarmed = self._take_prewarmed(evicted)
        slot_id = prewarmed.id if prewarmed is not None else self._new_id()
        slot = _Slot(slot_id, waiter.key, waiter.memory_mb, waiter.interactive, self.clock.monotonic())
        self._slots[slot.id] = slot
        self._memory_used += slot.memory_mb
        if not slot.interactive:
            self._background_used += slot.memory_mb
        if prewarmed is not None:
            waiter.prewarmed = prewarmed
            self._prewarm_used += 1
        else:
            self._cold_starts += 1
        waiter.slot = slot
        waiter.ready.set()
        return True

    def _victims(self, waiter: _Waiter) -> list[_Slot] | None:
        """The least recently used idle containers to evict so ``waiter`` fits, or None when it cannot."""
        need = waiter.memory_mb
        idle = sorted((s for s in self._slots.values() if not s.busy), key=lambda s: s.last_used)
        victims: list[_Slot] = []
        free = self.memory_budget_mb - self._memory_used
        if not waiter.interactive:  # within the background cap, making room among idle background containers
            room = self.memory_budget_mb - self.interactive_reserve_mb - self._background_used
            held = self._background_used
            for slot in (s for s in idle if not s.interactive):
                if room >= need:
                    break
                victims.append(slot)
                room += slot.memory_mb
                held -= slot.memory_mb
                free += slot.memory_mb
            if room < need and held > 0:  # (one background run larger than the cap may still run alone)
                return None
        for slot in (s for s in idle if s not in victims):
            if free >= need:
                break
            victims.append(slot)
            free += slot.memory_mb
        return victims if free >= need else None

    def _take_prewarmed(self, evicted: list[Container]) -> Container | None:
        """A healthy prewarmed process, if any (dead ones found on the way go to ``evicted``)."""
        while self._prewarmed:
            prewarmed = self._prewarmed.popleft()
            if prewarmed.healthy:
                return prewarmed
            evicted.append(prewarmed)  # died while waiting (killed from outside): not worth an init
        return None

    def _dispatch(self, evicted: list[Container]) -> None:
        """Serve the queue (see the module docstring): the starving first, then warm hand-offs, then FIFO."""
        queues = (self._interactive_queue, self._background_queue)
        now = self.clock.monotonic()
        for queue in queues:
            while queue and now - queue[0].since >= self.starve_after_s:
                if not self._take_warm(queue[0], evicted) and not self._assign_new(queue[0], evicted):
                    return  # nothing else may take what is released until the starving run is served
                queue.popleft()
        for queue in queues:
            for waiter in [w for w in queue if self._take_warm(w, evicted)]:
                queue.remove(waiter)
                self._warm_handoffs += 1
        for queue in queues:
            while queue and self._assign_new(queue[0], evicted):
                queue.popleft()

    def _forget(self, slot: _Slot) -> None:
        if self._slots.pop(slot.id, None) is not None:
            self._memory_used -= slot.memory_mb
            if not slot.interactive:
                self._background_used -= slot.memory_mb

    def _new_id(self) -> str:
        return f"wsk{next(self._ids)}-{self._token}"

    # ------------------------------------------------------------------ container life

    def _spawn(self, container_id: str) -> Container | None:
        try:
            container = Container(
                container_id, self.work_dir, self.api_host, python=self.python, extra_env=self.extra_env
            )
        except OSError as ex:
            log.error("container pool: cannot start a container process: %s", ex)
            return None
        with self._lock:
            self._started += 1
        return container

    def _release(self, slot: _Slot, container: Container | None, *, force_destroy: bool = False) -> None:
        """Return a container to the idle pool, or destroy it if it is no longer fit; then serve the queue."""
        destroy: list[Container] = []
        with self._lock:
            keep = container is not None and container.healthy and not force_destroy
            keep = keep and not self._closed.is_set()
            if keep:
                slot.busy = False
                slot.last_used = self.clock.monotonic()
            else:
                self._forget(slot)
                if container is not None:
                    destroy.append(container)
            self._dispatch(destroy)
        self._destroy_all(destroy)

    def _replenish(self) -> None:
        """Top the prewarmed processes back up to ``prewarm``, in the background."""
        with self._lock:
            missing = self.prewarm_count - len(self._prewarmed) - self._prewarming
            if missing <= 0 or self._closed.is_set():
                return
            self._prewarming += missing
        for _ in range(missing):
            threading.Thread(target=self._prewarm_one, name="container-prewarm", daemon=True).start()

    def _prewarm_one(self) -> None:
        container = self._spawn(f"{self._new_id()}-prewarm")
        with self._lock:
            self._prewarming -= 1
            if container is not None and not self._closed.is_set():
                self._prewarmed.append(container)
                return
        if container is not None:
            container.destroy()

    def _reap_loop(self) -> None:
        period = max(0.05, min(self.idle_timeout_s / 4, 10.0))
        while not self.clock.wait_event(self._closed, period):
            self.reap_idle()

    def reap_idle(self) -> int:
        """Destroy the containers idle for ``idle_timeout_s`` or more by the pool's clock (the reaper's
        periodic look, also callable directly); serves the queue with the freed budget. Returns how many."""
        expired: list[Container] = []
        with self._lock:
            now = self.clock.monotonic()
            for slot in list(self._slots.values()):
                if not slot.busy and now - slot.last_used >= self.idle_timeout_s:
                    self._forget(slot)
                    if slot.container is not None:
                        expired.append(slot.container)
            if expired:
                self._dispatch(expired)
        self._destroy_all(expired)
        return len(expired)

    @staticmethod
    def _destroy_all(containers: list[Container]) -> None:
        for container in containers:
            container.destroy()

    # ------------------------------------------------------------------ introspection and shutdown

    def stats(self) -> dict[str, Any]:
        """A snapshot: containers started so far, live/busy/idle/prewarmed now, memory, queue, per fqn."""
        with self._lock:
            actions: dict[str, dict[str, int]] = {}
            for slot in self._slots.values():
                entry = actions.setdefault(slot.key[1], {"live": 0, "busy": 0, "idle": 0})
                entry["live"] += 1
                entry["busy" if slot.busy else "idle"] += 1
            busy = sum(1 for slot in self._slots.values() if slot.busy)
            return {
                "started": self._started,
                "cold_starts": self._cold_starts,
                "prewarm_used": self._prewarm_used,
                "live": len(self._slots),
                "busy": busy,
                "idle": len(self._slots) - busy,
                "prewarmed": len(self._prewarmed),
                "queued": len(self._interactive_queue) + len(self._background_queue),
                "queued_interactive": len(self._interactive_queue),
                "warm_handoffs": self._warm_handoffs,
                "memory_used_mb": self._memory_used,
                "memory_budget_mb": self.memory_budget_mb,
                "interactive_reserve_mb": self.interactive_reserve_mb,
                "actions": actions,
            }

    def shutdown(self) -> None:
        """Destroy every container (busy ones too: their runs end as developer errors) and refuse new runs."""
        with self._lock:
            self._closed.set()
            waiters = [*self._interactive_queue, *self._background_queue]
            self._interactive_queue.clear()
            self._background_queue.clear()
            containers = [slot.container for slot in self._slots.values() if slot.container is not None]
            self._slots.clear()
            self._memory_used = 0
            containers.extend(self._prewarmed)
            self._prewarmed.clear()
        for waiter in waiters:
            waiter.error = SHUTTING_DOWN
            waiter.ready.set()
        self._destroy_all(containers)
        self._reaper.join(timeout=5)

    def __enter__(self) -> ContainerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
