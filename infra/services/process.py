"""A supervised child process: start with its log file, probe health over HTTP, stop with deadlines.

Every server of the local stack (pouchdb-server, s3rver, the local OpenWhisk, the feed provider) is one
`ManagedProcess`; the supervisor and the test fixtures use the same class, so tests exercise the real thing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
NODE_BIN = REPO / "infra" / "node_modules" / ".bin"


class ServiceError(RuntimeError):
    """A server could not be started or did not answer in time; the message names it and its log file."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (for tests and fixtures)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(
    url: str, timeout: float = 2.0, expect: Callable[[requests.Response], bool] | None = None
) -> bool:
    """True when GET url answers 2xx within timeout (and `expect` accepts the response, when given)."""
    try:
        resp = requests.get(url, timeout=timeout)
    except requests.RequestException:
        return False
    if not resp.ok:
        return False
    return expect(resp) if expect is not None else True


@dataclass
class ManagedProcess:
    """One server process. `start()` spawns it, `wait_ready()` polls `health_url`, `stop()` ends it.

    The process gets its own session (so a signal to the supervisor's terminal never reaches it directly) and
    appends stdout+stderr to `log_path`. `url` is what clients use; `health_url` is what is probed.
    """

    name: str
    argv: Sequence[str]
    url: str
    health_url: str
    log_path: Path
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    start_timeout: float = 30.0
    health_expect: Callable[[requests.Response], bool] | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        """The pid of the running child, or None when it is not started or has exited."""
        if self.popen is None or self.popen.poll() is not None:
            return None
        return self.popen.pid

    def alive(self) -> bool:
        """True while the child process has not exited."""
        return self.pid is not None

    def healthy(self, timeout: float = 2.0) -> bool:
        """True when the process is alive and its health URL answers in time."""
        return self.alive() and http_ok(self.health_url, timeout, self.health_expect)

    def start(self) -> None:
        """Spawn the process (no-op when it is already running)."""
        if self.alive():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.cwd is not None:
            self.cwd.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            log.write(f"\n=== {stamp} starting {self.name}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                list(self.argv),
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the health URL answers; raise ServiceError on exit or deadline."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.start_timeout)
        while time.monotonic() < deadline:
            if self.popen is None or self.popen.poll() is not None:
                code = None if self.popen is None else self.popen.returncode
                raise ServiceError(f"{self.name} exited (status {code}) while starting; see {self.log_path}")
            if http_ok(self.health_url, timeout=1.0, expect=self.health_expect):
                return
            time.sleep(0.1)
        raise ServiceError(
            f"{self.name} did not answer at {self.health_url} within the deadline; see {self.log_path}"
        )

    def start_and_wait(self, timeout: float | None = None) -> None:
        """start() then wait_ready(); stops the process again if it never became ready."""
        self.start()
        try:
            self.wait_ready(timeout)
        except ServiceError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL it after `timeout` seconds; always reaps the child."""
        proc = self.popen
        if proc is None:
            return
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Children it left behind in its group (e.g. npm shims) go too.
        _signal_group(proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the process group at once (used when it stopped answering)."""
        if self.popen is not None:
            _signal_group(self.popen.pid, signal.SIGKILL)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
