"""One local action container: an OS process running ``launcher.py``, driven like the runtime's /init, /run.

    container = Container("c1", work_dir, api_host="http://127.0.0.1:3233")   # spawns the process (prewarmed)
    status, body = container.init({"name": "hello", "main": "main", "code": src, "binary": False},
                                  timeout_ms=60_000, memory_mb=256)          # 200 {"ok": true}
    status, body = container.run({"value": {"name": "x"}, "activation_id": "..."}, timeout_ms=60_000)
    logs = container.last_logs                                              # this activation's log lines
    container.destroy()                                                      # kills it, deletes its directory

What a caller may rely on:
- ``init``/``run`` return ``(http_status, body)`` as the Python runtime's ActionLoop proxy answers /init and
  /run: init 200 ``{"ok": true}``; 403 on a second init or empty code; 400 for bad base64 or a bad archive;
  502 with ``{"error": ...}`` when the code cannot be loaded (detail in ``last_logs``). run 200 with the
  action's dict or list (a dict with ``error`` is the action's own error); 500 "no action defined yet" before
  init; 502 when the result is not a dict or array. Failures that OpenWhisk's invoker detects itself come back
  as 502 with the invoker's message, so a caller can treat every non-200 ``error`` as a developer error:
  exited/crashed ("The action did not produce a valid response and exited unexpectedly." / "The action did not
  initialize and exited unexpectedly."), out of memory ("The action exhausted its memory and was aborted."),
  timeout ("The action exceeded its time limits of N milliseconds[ during initialization]."; ``timed_out``
  set). A result over ``result_limit_bytes`` is a 200 ``{"error": "The action produced a response that
  exceeded ..."}``.
- After a timeout, crash or out-of-memory the process is gone and ``healthy`` is False: destroy the container.
- Each container has its own directory ``work_dir/<id>`` with ``action/`` (cwd, the code) and ``tmp/`` (its
  TMPDIR/TEMP/TMP, so ``tempfile.gettempdir()`` in the action points there); ``destroy()`` deletes both.
- The process runs in its own session (a timeout kills the whole process group) with ``__OW_API_HOST`` and the
  init ``env`` (stringified as OpenWhisk does) in its environment, and its address space capped at the memory
  limit plus ``launcher.ADDRESS_SPACE_MARGIN_MB``; a MemoryError ends it like the OOM killer ends a Docker
  container.
- Logs: ``last_logs`` holds the formatted lines of the last init failure or run (import-time output goes to
  the first run), bounded by the run's log limit. Output floods cost CPU, never unbounded memory.
- Methods are serialised by an internal lock; the pool runs one activation per container at a time anyway.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from infra.whisk import sandbox
from infra.whisk.logs import DEFAULT_LIMIT_BYTES, LogCollector

LAUNCHER = Path(__file__).with_name("launcher.py")
RESULT_LIMIT_BYTES = 1024 * 1024  # OpenWhisk's whisk.activation.payload.max
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an archive may not unpack to more (the code limit is 48 MB packed)
READ_CHUNK = 64 * 1024
SENTINEL_WAIT_S = 2.0  # the launcher writes both sentinels before the result: they are normally here already
PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TESSDATA_PREFIX")

ALREADY_INITIALIZED = "Cannot initialize the action more than once."
NO_CODE = "Missing main/no code to execute."
NOT_INITIALIZED = "no action defined yet"
NOT_DICT = "The action did not return a dictionary or array."
NOT_COMPILED = "The action failed to generate or locate a binary. See logs for details."
ABNORMAL_INIT = "The action did not initialize and exited unexpectedly."
ABNORMAL_RUN = "The action did not produce a valid response and exited unexpectedly."
MEMORY_EXHAUSTED = "The action exhausted its memory and was aborted."
OOM_EXIT_CODE = 137  # launcher.die_of_memory


def timed_out_message(timeout_ms: int, init: bool) -> str:
    suffix = " during initialization." if init else "."
    return f"The action exceeded its time limits of {timeout_ms} milliseconds{suffix}"


def truncated_response(head: bytes, length: int, limit: int) -> str:
    return (
        f"The action produced a response that exceeded the allowed length: {length} > {limit} bytes. "
        f"The truncated response was: {head.decode('utf-8', errors='replace')}"
    )


def stringify_env(env: Mapping[str, Any]) -> dict[str, str]:
    """Init env values as OpenWhisk sends them: strings as-is, null -> "", others as compact JSON."""
    out: dict[str, str] = {}
    for key, value in env.items():
        if isinstance(value, str):
            out[str(key)] = value
        elif value is None:
            out[str(key)] = ""
        else:
            out[str(key)] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return out


class CodeError(Exception):
    """Code that cannot be installed; carries the HTTP status the runtime would answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def install_code(code: str, binary: bool, action_dir: Path) -> None:
    """Write source text as __main__.py, or unpack a base64 zip / tar.gz (other binaries are the source)."""
    if not binary:
        (action_dir / "__main__.py").write_text(code, encoding="utf-8")
        return
    try:
        data = base64.b64decode(code, validate=True)
    except (binascii.Error, ValueError) as ex:
        raise CodeError(400, f"Error decoding base64 code: {ex}") from ex
    if data[:4] == b"PK\x03\x04":
        _unzip(data, action_dir)
    elif data[:2] == b"\x1f\x8b":
        _untar(data, action_dir)
    else:
        (action_dir / "__main__.py").write_bytes(data)


def _unzip(data: bytes, action_dir: Path) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise CodeError(400, f"The zip file unpacks to more than {MAX_UNPACKED_BYTES} bytes.")
            archive.extractall(action_dir)  # extractall drops absolute paths and '..' components
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as ex:
        raise CodeError(400, f"Invalid zip file: {ex}") from ex


def _untar(data: bytes, action_dir: Path) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            if sum(member.size for member in archive.getmembers()) > MAX_UNPACKED_BYTES:
                raise CodeError(400, f"The archive unpacks to more than {MAX_UNPACKED_BYTES} bytes.")
            archive.extractall(action_dir, filter="data")
    except (tarfile.TarError, EOFError, OSError) as ex:
        raise CodeError(400, f"Invalid tar.gz file: {ex}") from ex


class _Channel:
    """The read end of the launcher's fd 3: JSON lines with a deadline and a size cap."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def read_line(self, deadline: float, limit: int) -> tuple[str, bytes, int]:
        """("line", bytes, length), ("long", head of `limit` bytes, length) or ("eof"|"timeout", b"", 0)."""
        scanned = 0
        total = 0  # bytes dropped beyond the limit, counted towards the reported length
        while True:
            newline = self._buffer.find(b"\n", scanned)
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                if total or newline > limit:
                    return "long", line[:limit], total + newline
                return "line", line, newline
            scanned = len(self._buffer)
            if scanned > limit:  # keep the head, count the rest
                total += scanned - limit
                del self._buffer[limit:]
                scanned = limit
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout", b"", 0
            if not self._poll.poll(min(remaining, 3600) * 1000):
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return "eof", b"", 0
            self._buffer += chunk


class Container:
    """One action container (an OS process); see the module docstring for the contract."""

    def __init__(
        self,
        container_id: str,
        work_dir: Path,
        api_host: str,
        *,
        python: str = sys.executable,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.id = container_id
        self.directory = Path(work_dir) / container_id
        self.action_dir = self.directory / "action"
        self.tmp_dir = self.directory / "tmp"
        self.action_dir.mkdir(parents=True)
        self.tmp_dir.mkdir()
        self.initialized = False
        self.timed_out = False
        self.last_logs: list[str] = []
        self._lock = threading.Lock()
        self._init_started = False
        self._dead = False
        self._destroyed = False
        self._logs = LogCollector()
        env = {key: os.environ[key] for key in PASS_ENV if key in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        tmp = str(self.tmp_dir)
        env.update({"TMPDIR": tmp, "TEMP": tmp, "TMP": tmp, "__OW_API_HOST": api_host})
        env.update(extra_env or {})
        read_fd, write_fd = os.pipe()
        argv = [python, "-I", "-u", "-X", "utf8", str(LAUNCHER), "--result-fd", str(write_fd)]
        self._sandbox = sandbox.for_work_dir(Path(work_dir))  # a root platform's containers: see sandbox.py
        try:
            if self._sandbox is not None:
                argv = self._sandbox.wrap(argv, self.directory)
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.action_dir,
                env=env,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except BaseException:
            os.close(read_fd)
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
        self.pid = self._process.pid
        self._channel = _Channel(read_fd)
        assert self._process.stdin is not None and self._process.stdout is not None
        assert self._process.stderr is not None
        self._stdin_fd = self._process.stdin.fileno()
        os.set_blocking(self._stdin_fd, False)
        self._readers = [
            threading.Thread(target=self._pump, args=(name, pipe), name=f"{container_id}-{name}", daemon=True)
            for name, pipe in (("stdout", self._process.stdout), ("stderr", self._process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    @property
    def healthy(self) -> bool:
        """True while the process can take another activation (not crashed, timed out or destroyed)."""
        return not self._dead and not self._destroyed and self._process.poll() is None

    def _pump(self, stream: str, pipe: IO[bytes]) -> None:
        read = getattr(pipe, "read1", pipe.read)
        try:
            while True:
                chunk = read(READ_CHUNK)
                if not chunk:
                    break
                self._logs.feed(stream, chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed by destroy()
        finally:
            self._logs.close(stream)

    def init(
        self, value: Any, *, timeout_ms: int | None = None, memory_mb: int = 0
    ) -> tuple[int, dict[str, Any]]:
        """/init: install the code and start it; see the module docstring for the answers."""
        with self._lock:
            if self._init_started:
                return 403, {"error": ALREADY_INITIALIZED}
            if not isinstance(value, dict):
                return 400, {"error": "The init value must be a JSON object with 'code' and 'main'."}
            code = value.get("code")
            if not isinstance(code, str) or not code:
                return 403, {"error": NO_CODE}
            self._init_started = True
            try:
                install_code(code, bool(value.get("binary")), self.action_dir)
                if self._sandbox is not None:
                    sandbox.hand_over(self.action_dir)
            except CodeError as ex:
                self._dead = True
                return ex.status, {"error": str(ex)}
            if not (self.action_dir / "__main__.py").is_file():
                self._logs.note("stderr", "Zip file does not include a top-level __main__.py.")
                return self._init_failed(502, NOT_COMPILED)
            env = value.get("env") if isinstance(value.get("env"), dict) else {}
            main = value.get("main") if isinstance(value.get("main"), str) and value.get("main") else "main"
            line = {"main": main, "env": stringify_env(env or {}), "memory_mb": memory_mb}
            deadline = self._deadline(timeout_ms)
            if not self._send(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n", deadline):
                return self._after_failure(deadline, timeout_ms, init=True)
            kind, data, _ = self._channel.read_line(deadline, RESULT_LIMIT_BYTES)
            if kind != "line":
                return self._after_failure(deadline, timeout_ms, init=True, timed_out=kind == "timeout")
            try:
                ack = json.loads(data)
            except ValueError:
                ack = {"ok": False, "error": f"The action wrote an invalid acknowledgement: {data[:200]!r}"}
            if isinstance(ack, dict) and ack.get("ok") is True:
                self.initialized = True
                return 200, {"ok": True}
            error = ack.get("error") if isinstance(ack, dict) else None
            return self._init_failed(502, str(error or "Cannot start action. Check logs for details."))

    def _init_failed(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        self._kill()
        self.last_logs = self._logs.take(SENTINEL_WAIT_S)
        return status, {"error": message}

    def run(
        self,
        body: Any,
        *,
        timeout_ms: int | None = None,
        log_limit_bytes: int = DEFAULT_LIMIT_BYTES,
        result_limit_bytes: int = RESULT_LIMIT_BYTES,
    ) -> tuple[int, Any]:
        """/run: one activation; ``body`` is ``{"value": args, <context keys>}``. See the module docstring."""
        with self._lock:
            self.last_logs = []
            if not self.initialized:
                return 500, {"error": NOT_INITIALIZED}
            if not self.healthy:
                return 502, {"error": ABNORMAL_RUN}
            self._logs.limit_bytes = log_limit_bytes
            deadline = self._deadline(timeout_ms)
            try:
                request = json.dumps(body, ensure_ascii=False).encode("utf-8") + b"\n"
            except (TypeError, ValueError) as ex:
                return 400, {"error": f"The run body is not JSON: {ex}"}
            if not self._send(request, deadline):
                return self._after_failure(deadline, timeout_ms, init=False)
            kind, data, length = self._channel.read_line(deadline, result_limit_bytes)
            if kind in ("eof", "timeout"):
                return self._after_failure(deadline, timeout_ms, init=False, timed_out=kind == "timeout")
            self.last_logs = self._logs.take(SENTINEL_WAIT_S)
            if kind == "long":
                return 200, {"error": truncated_response(data, length, result_limit_bytes)}
            try:
                result = json.loads(data)
            except ValueError:
                return 502, {"error": NOT_DICT}
            if not isinstance(result, dict | list):
                return 502, {"error": NOT_DICT}
            return 200, result

    def _deadline(self, timeout_ms: int | None) -> float:
        return time.monotonic() + (timeout_ms / 1000 if timeout_ms is not None else 365 * 86400)

    def _send(self, data: bytes, deadline: float) -> bool:
        """Write to the launcher's stdin, never blocking past ``deadline``; False if it cannot take it."""
        view = memoryview(data)
        poller = select.poll()
        poller.register(self._stdin_fd, select.POLLOUT)
        try:
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                if not poller.poll(min(remaining, 3600) * 1000):
                    continue
                written = os.write(self._stdin_fd, view)
                view = view[written:]
        except (BrokenPipeError, OSError):
            return False
        return True

    def _after_failure(
        self, deadline: float, timeout_ms: int | None, *, init: bool, timed_out: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """The process died, hung or refused input: kill its group, keep its logs, say why like OpenWhisk."""
        timed_out = timed_out or time.monotonic() >= deadline
        if not timed_out:
            try:  # it is exiting: give it a moment so the exit code says whether memory ran out
                self._process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        exit_code = self._process.poll()
        self._kill()
        self.last_logs = self._logs.take(SENTINEL_WAIT_S if not timed_out else 0.5)
        if timed_out:
            self.timed_out = True
            return 502, {"error": timed_out_message(timeout_ms or 0, init)}
        if exit_code == OOM_EXIT_CODE:  # the launcher's own exit on MemoryError (RLIMIT_AS is the limit)
            return 502, {"error": MEMORY_EXHAUSTED}
        # Anything else, a `kill -9` from outside included, is a process that went away.
        return 502, {"error": ABNORMAL_INIT if init else ABNORMAL_RUN}

    def _kill(self) -> None:
        """Kill the whole process group (the action's own children too) and reap the launcher."""
        self._dead = True
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def destroy(self) -> None:
        """Kill the process group, close the pipes and delete the container's directory. Idempotent."""
        if self._destroyed:
            return
        self._destroyed = True
        self._kill()
        with self._lock:  # a run in progress on another thread sees the kill and returns before fds close
            self._close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(timeout=1.0)
        for pipe in (self._process.stdin, self._process.stdout, self._process.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            os.close(self._channel.fd)
        except OSError:
            pass

    def __repr__(self) -> str:
        state = "initialized" if self.initialized else "prewarmed"
        return f"Container({self.id!r}, pid={self.pid}, {state}, healthy={self.healthy})"
