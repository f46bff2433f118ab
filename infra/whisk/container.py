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
  502 "The action failed to generate or locate a binary. See logs for details." when compile's steps fail
  (see ``compile_action``), 502 "Cannot start action. Check logs for details." when the process exits
  before its ack (the reason and "Command exited abruptly during initialization." in ``last_logs``). run 200
  with the action's dict or list (a dict with ``error`` is the action's own error) or ``None`` (the proxy
  passes ``null`` on); 502 when the result is another JSON value; 400 "command exited" when the action
  process ended (a result that is not JSON, ``exit()``, a crash). Failures that OpenWhisk's invoker detects
  itself come back as 502 with the invoker's message: the container killed ("The action did not produce a
  valid response and exited unexpectedly." / "... did not initialize ..."), out of memory ("The action
  exhausted its memory and was aborted."), timeout ("The action exceeded its time limits of N
  milliseconds[ during initialization]."; ``timed_out`` set). A result over ``result_limit_bytes`` is a 200
  ``{"error": "The action produced a response that exceeded ..."}``.
- After a timeout, crash, exit or out-of-memory the process is gone and ``healthy`` is False: destroy it.
- Each container has its own directory ``work_dir/<id>`` with ``action/`` (cwd, the code) and ``tmp/`` (the
  container's own /tmp: the launcher sets ``tempfile.tempdir`` to it); ``destroy()`` deletes both.
- The process runs in its own session (a timeout kills the whole process group) with exactly the proxy's
  environment (``action_environment``; the init ``env`` stringified as OpenWhisk does), and its address space
  capped at the memory limit plus ``launcher.ADDRESS_SPACE_MARGIN_MB``; a MemoryError ends it like the OOM
  killer ends a Docker container.
- Logs: ``last_logs`` holds the formatted lines of the last init failure or run (import-time output goes to
  the first run), bounded by the run's log limit; like the proxy, the container writes the end-of-activation
  sentinels into the action's stdout/stderr pipes after each result. Output floods cost CPU, never
  unbounded memory.
- Methods are serialised by an internal lock; the pool runs one activation per container at a time anyway.
"""

from __future__ import annotations

import ast
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
from typing import Any

from infra.whisk import sandbox
from infra.whisk.logs import DEFAULT_LIMIT_BYTES, SENTINEL, LogCollector

LAUNCHER = Path(__file__).with_name("launcher.py")
RESULT_LIMIT_BYTES = 1024 * 1024  # OpenWhisk's whisk.activation.payload.max
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # an archive may not unpack to more (the code limit is 48 MB packed)
READ_CHUNK = 64 * 1024
SENTINEL_WAIT_S = 2.0  # the container writes both sentinels after the result: they are normally here already
SENTINEL_LINE = SENTINEL + b"\n"
# What the Python runtime image's ActionLoop proxy adds to the action process's (otherwise empty) environment:
# the image's OW_WAIT_FOR_ACK / OW_EXECUTION_ENV as __OW_*, its own version (openwhisk/actionProxy.go SetEnv).
PROXY_ENV = {
    "__OW_WAIT_FOR_ACK": "1",
    "__OW_EXECUTION_ENV": "openwhisk/action-python-v3.11",
    "__OW_PROXY_VERSION": "1.17.1",
}
# What bin/compile's generated `exec` wrapper (bash: export, cd, exec python) adds before Python starts; an
# action shipped as its own executable is started without it.
WRAPPER_ENV_KEYS = ("PYTHONIOENCODING", "PWD", "SHLVL", "OLDPWD")
EXECUTABLE = "exec"
REQUIREMENTS = "requirements.txt"
VIRTUALENV = "virtualenv"

ALREADY_INITIALIZED = "Cannot initialize the action more than once."
NO_CODE = "Missing main/no code to execute."
NOT_INITIALIZED = "no action defined yet"
NOT_DICT = "The action did not return a dictionary or array."
NOT_COMPILED = "The action failed to generate or locate a binary. See logs for details."
CANNOT_START = "Cannot start action. Check logs for details."
EXITED_AT_INIT = "Command exited abruptly during initialization."
NOT_ACKED = "The action did not initialize properly."
COMMAND_EXITED = "command exited"  # the proxy's 400 when the action process ended during a run
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
    """Extract code as the proxy does: a zip or tar.gz is unpacked, else becomes the file ``exec``."""
    if not binary:
        data = code.encode("utf-8")
    else:
        try:
            data = base64.b64decode(code, validate=True)
        except (binascii.Error, ValueError) as ex:
            raise CodeError(400, f"Error decoding base64 code: {ex}") from ex
    if (
        data[:2] == b"PK"
        and data[2:3] in (b"\x03", b"\x05", b"\x07")
        and data[3:4] in (b"\x04", b"\x06", b"\x08")
    ):
        _unzip(data, action_dir)
    elif data[:3] == b"\x1f\x8b\x08":
        _untar(data, action_dir)
    else:
        (action_dir / EXECUTABLE).write_bytes(data)
    executable = action_dir / EXECUTABLE
    if executable.is_file():
        executable.chmod(0o755)


def is_executable(head: bytes) -> bool:
    """The proxy's test for code that is already compiled on Linux: an ELF binary or a ``#!`` script."""
    return (len(head) > 52 and head[:4] == b"\x7fELF") or (len(head) > 2 and head[:2] == b"#!")


def is_compiled(action_dir: Path) -> bool:
    executable = action_dir / EXECUTABLE
    if not executable.is_file():
        return False
    with executable.open("rb") as f:
        return is_executable(f.read(64))


def compile_action(action_dir: Path, python: str, deadline: float) -> str:
    """What the Python runtime's ``bin/compile`` does to source code; returns its error output ("" = fine).

    ``exec`` (the single file, or a zip entry) becomes ``__main__.py``; a ``requirements.txt`` without a
    ``virtualenv/`` is installed into a new ``virtualenv/``; ``__main__.py`` must exist and parse as UTF-8
    text (so a byte order mark or a syntax error fails here, with the parser's message). Any output fails
    the init with NOT_COMPILED and the output in the logs.
    """
    errors: list[str] = []
    source = action_dir / EXECUTABLE
    main_py = action_dir / "__main__.py"
    if source.is_file():
        source.replace(main_py)
    venv = action_dir / VIRTUALENV
    if (action_dir / REQUIREMENTS).is_file() and not venv.is_dir():
        errors.append(build_virtualenv(action_dir, python, deadline))
    if venv.is_dir() and not any((venv / d / "activate_this.py").is_file() for d in ("bin", "Scripts")):
        errors.append("Invalid virtualenv. Zip file does not include 'activate_this.py'.\n")
    if not main_py.is_file():
        errors.append("Zip file does not include main__\n")
    else:
        try:
            ast.parse(main_py.read_bytes().decode("utf-8"))
        except SyntaxError as ex:
            errors.append(str(ex.msg))
        except (UnicodeDecodeError, ValueError, OSError) as ex:
            errors.append(str(ex))
    return "".join(errors)


ACTIVATE_THIS = """# Activates this virtualenv in a running interpreter (as virtualenv's activate_this.py).
import os, site, sys
base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
before = list(sys.path)
for lib in ("lib", "lib64"):
    root = os.path.join(base, lib)
    if os.path.isdir(root):
        for name in sorted(os.listdir(root)):
            site.addsitedir(os.path.join(root, name, "site-packages"))
sys.path[:] = [p for p in sys.path if p not in before] + before
sys.prefix = base
"""


def build_virtualenv(action_dir: Path, python: str, deadline: float) -> str:
    """``python -m venv`` + ``pip install -r requirements.txt`` into ``virtualenv/``; output on failure."""
    venv = action_dir / VIRTUALENV
    steps = [
        [python, "-m", "venv", "--without-pip", str(venv)],
        [
            python, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
            "--disable-pip-version-check", "--no-input", "-q", "-r", str(action_dir / REQUIREMENTS),
        ],
    ]  # fmt: skip
    for step in steps:
        remaining = deadline - time.monotonic()
        try:
            done = subprocess.run(
                step, cwd=action_dir, capture_output=True, timeout=max(remaining, 0.1), env=_build_env()
            )
        except subprocess.TimeoutExpired:
            return (
                "Building the virtualenv from requirements.txt did not finish within the init time limit.\n"
            )
        if done.returncode != 0:
            return (done.stdout + done.stderr).decode("utf-8", errors="replace") or f"{step[2]} failed\n"
    (venv / "bin" / "activate_this.py").write_text(ACTIVATE_THIS, encoding="utf-8")
    return ""


def _build_env() -> dict[str, str]:
    """bin/compile runs with the proxy's PATH only (plus init env); pip needs a writable cache-free home."""
    return {"PATH": os.environ.get("PATH", os.defpath), "PIP_NO_CACHE_DIR": "1", "LC_ALL": "C.UTF-8"}


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


def action_environment(
    api_host: str, action_dir: Path, extra_env: Mapping[str, str] | None
) -> dict[str, str]:
    """The action process's environment before /init, as in the runtime image: nothing of the platform's.

    The proxy starts the action with an empty environment plus the ``__OW_*`` variables of its own (the
    invoker's ``__OW_API_HOST``, the image's ``OW_WAIT_FOR_ACK`` and ``OW_EXECUTION_ENV``, its version) and
    the /init ``env``; compile's bash wrapper adds PYTHONIOENCODING, PWD, SHLVL and OLDPWD; Python itself
    adds LC_CTYPE=C.UTF-8 (locale coercion). Of ``extra_env`` (the invoker's extra container variables) only
    ``__OW_*`` names get through, as the proxy passes nothing else on.
    """
    env = {"PYTHONIOENCODING": "UTF-8", "PWD": str(action_dir), "SHLVL": "0", "OLDPWD": "/"}
    env.update(PROXY_ENV)
    env["__OW_API_HOST"] = api_host
    env.update({k: v for k, v in (extra_env or {}).items() if k.startswith("__OW_")})
    return env


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
        self.python = python
        self.initialized = False
        self.timed_out = False
        self.last_logs: list[str] = []
        self._lock = threading.Lock()
        self._init_started = False
        self._dead = False
        self._destroyed = False
        self._logs = LogCollector()
        env = action_environment(api_host, self.action_dir, extra_env)
        read_fd, write_fd = os.pipe()
        # stdout/stderr are pipes whose write ends the container keeps too: like the proxy, which shares its
        # log files with the action, it writes the end-of-activation sentinels after the action's output.
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        argv = [
            python,
            "-I",
            "-u",
            str(LAUNCHER),
            "--result-fd",
            str(write_fd),
            "--tmp-dir",
            str(self.tmp_dir),
        ]
        self._sandbox = sandbox.for_work_dir(Path(work_dir))  # a root platform's containers: see sandbox.py
        try:
            if self._sandbox is not None:
                argv = self._sandbox.wrap(argv, self.directory)
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=out_w,
                stderr=err_w,
                cwd=self.action_dir,
                env=env,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except BaseException:
            for fd in (read_fd, out_r, out_w, err_r, err_w):
                os.close(fd)
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
        self.pid = self._process.pid
        self._channel = _Channel(read_fd)
        self._guards = {"stdout": out_w, "stderr": err_w}
        assert self._process.stdin is not None
        self._stdin_fd = self._process.stdin.fileno()
        os.set_blocking(self._stdin_fd, False)
        self._read_fds = (out_r, err_r)
        self._readers = [
            threading.Thread(target=self._pump, args=(name, fd), name=f"{container_id}-{name}", daemon=True)
            for name, fd in (("stdout", out_r), ("stderr", err_r))
        ]
        for reader in self._readers:
            reader.start()

    @property
    def healthy(self) -> bool:
        """True while the process can take another activation (not crashed, timed out or destroyed)."""
        return not self._dead and not self._destroyed and self._process.poll() is None

    def _pump(self, stream: str, fd: int) -> None:
        try:
            while True:
                chunk = os.read(fd, READ_CHUNK)
                if not chunk:
                    break
                self._logs.feed(stream, chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed by destroy()
        finally:
            self._logs.close(stream)

    def _guard(self, message: str | None = None) -> None:
        """End an activation's logs as the proxy does: optional stderr line, then each sentinel."""
        for stream, fd in self._guards.items():
            data = SENTINEL_LINE
            if message is not None and stream == "stderr":
                data = message.encode("utf-8", errors="replace").rstrip(b"\n") + b"\n" + SENTINEL_LINE
            try:
                os.write(fd, data)
            except OSError:
                pass

    def init(
        self, value: Any, *, timeout_ms: int | None = None, memory_mb: int = 0
    ) -> tuple[int, dict[str, Any]]:
        """/init: install the code and start it; see the module docstring for the answers."""
        with self._lock:
            refusal = self._init_refusal(value)
            if refusal is not None:
                return refusal
            self._init_started = True
            deadline = self._deadline(timeout_ms)
            failure, executable = self._install(value, deadline, timeout_ms)
            if failure is not None:
                return failure
            return self._start_main(value, executable, deadline, timeout_ms, memory_mb)

    def _init_refusal(self, value: Any) -> tuple[int, dict[str, Any]] | None:
        """The answer to an /init that cannot start at all (a second one, no object, no code), else None."""
        if self._init_started:
            return 403, {"error": ALREADY_INITIALIZED}
        if not isinstance(value, dict):
            return 400, {"error": "The init value must be a JSON object with 'code' and 'main'."}
        code = value.get("code")
        if not isinstance(code, str) or not code:
            return 403, {"error": NO_CODE}
        return None

    def _install(
        self, value: dict[str, Any], deadline: float, timeout_ms: int | None
    ) -> tuple[tuple[int, dict[str, Any]] | None, bool]:
        """Install the code and compile it unless it is an executable: (the failure answer or None,
        whether it is an executable)."""
        try:
            install_code(value["code"], bool(value.get("binary")), self.action_dir)
            if self._sandbox is not None:
                sandbox.hand_over(self.action_dir)
        except CodeError as ex:
            self._dead = True
            return (ex.status, {"error": str(ex)}), False
        if is_compiled(self.action_dir):
            return None, True
        problems = compile_action(self.action_dir, self.python, deadline)
        if problems:
            return self._init_failed(502, NOT_COMPILED, problems), False
        if time.monotonic() >= deadline:
            return self._after_failure(deadline, timeout_ms, init=True, timed_out=True), False
        return None, False

    def _start_main(
        self, value: dict[str, Any], executable: bool, deadline: float, timeout_ms: int | None, memory_mb: int
    ) -> tuple[int, dict[str, Any]]:
        """Hand the launcher its entry point and environment and wait for its acknowledgement."""
        env = value.get("env") if isinstance(value.get("env"), dict) else {}
        main = value.get("main") if isinstance(value.get("main"), str) and value.get("main") else "main"
        line = {"main": main, "env": stringify_env(env or {}), "memory_mb": memory_mb, "exec": executable}
        if not self._send(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n", deadline):
            return self._after_failure(deadline, timeout_ms, init=True)
        kind, data, _ = self._channel.read_line(deadline, RESULT_LIMIT_BYTES)
        if kind != "line":
            return self._after_failure(deadline, timeout_ms, init=True, timed_out=kind == "timeout")
        try:
            ack = json.loads(data)
        except ValueError:
            ack = None
        if isinstance(ack, dict) and ack.get("ok") is True:
            self.initialized = True
            return 200, {"ok": True}
        return self._init_failed(502, CANNOT_START, NOT_ACKED)

    def _init_failed(self, status: int, message: str, detail: str) -> tuple[int, dict[str, Any]]:
        """OW_LOG_INIT_ERROR: the detail goes to stderr, then the sentinels; the answer is generic text."""
        self._guard(detail)
        self.last_logs = self._logs.take(SENTINEL_WAIT_S)
        self._kill()
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
                return 500, {"error": COMMAND_EXITED}
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
            self._guard()
            self.last_logs = self._logs.take(SENTINEL_WAIT_S)
            if kind == "long":
                return 200, {"error": truncated_response(data, length, result_limit_bytes)}
            try:
                result = json.loads(data)
            except ValueError:
                return 502, {"error": NOT_DICT}
            if result is None:  # Go's json.Unmarshal takes `null` for an empty object: the proxy passes it on
                return 200, None
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
        """The process died, hung or refused input: kill its group, keep its logs, answer like the runtime.

        A timeout or the container being killed (SIGKILL, as `docker kill` or the OOM killer) are the
        invoker's own findings; an action process that ended by itself is what the proxy reports ("command
        exited" on a run, "Cannot start action" at init, the reason in the logs).
        """
        timed_out = timed_out or time.monotonic() >= deadline
        if not timed_out:
            try:  # it is exiting: give it a moment so the exit code says how it ended
                self._process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        exit_code = self._process.poll()
        self._kill()
        if timed_out:
            self._guard()
            self.last_logs = self._logs.take(0.5)
            self.timed_out = True
            return 502, {"error": timed_out_message(timeout_ms or 0, init)}
        if exit_code == OOM_EXIT_CODE:  # the launcher's own exit on MemoryError (RLIMIT_AS is the limit)
            self._guard()
            self.last_logs = self._logs.take(SENTINEL_WAIT_S)
            return 502, {"error": MEMORY_EXHAUSTED}
        if exit_code == -signal.SIGKILL:  # the whole container went away
            self._guard()
            self.last_logs = self._logs.take(SENTINEL_WAIT_S)
            return 502, {"error": ABNORMAL_INIT if init else ABNORMAL_RUN}
        if init:
            self._guard(EXITED_AT_INIT)
            self.last_logs = self._logs.take(SENTINEL_WAIT_S)
            return 502, {"error": CANNOT_START}
        self._guard()
        self.last_logs = self._logs.take(SENTINEL_WAIT_S)
        return 400, {"error": COMMAND_EXITED}

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
        for fd in self._guards.values():
            try:
                os.close(fd)
            except OSError:
                pass
        for reader in self._readers:
            reader.join(timeout=1.0)
        for fd in (*self._read_fds, self._channel.fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            if self._process.stdin is not None:
                self._process.stdin.close()
        except OSError:
            pass

    def __repr__(self) -> str:
        state = "initialized" if self.initialized else "prewarmed"
        return f"Container({self.id!r}, pid={self.pid}, {state}, healthy={self.healthy})"
