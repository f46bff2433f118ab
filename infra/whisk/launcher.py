"""The process inside a local action container: the Python runtime's ActionLoop launcher, as a script.

Run as ``python -I -u -X utf8 launcher.py --result-fd N`` with cwd = the container's action directory
(which holds ``__main__.py``, helper modules and an optional ``virtualenv/``). It is started before the
code is known (that is what a prewarmed container is), so the protocol has one extra first line:

1. stdin, one JSON line: ``{"main": "main", "env": {...}, "memory_mb": 256}`` (the init). The launcher
   exports ``env``, caps its address space (see ``limit_memory``), activates ``./virtualenv`` if present,
   imports ``__main__.py`` as module ``main__`` and picks the function named by ``main``.
2. fd 3, one JSON line: ``{"ok": true}`` (the ack), or ``{"ok": false, "error": ...}`` with the detail on
   stderr; a process that exits before the ack failed too (its traceback is on stderr).
3. then per activation: stdin gets the /run body as one JSON line; every key but ``value`` is exported as
   ``__OW_<KEY>``; ``main(value)`` is called; its return value goes to fd 3 as one JSON line (whatever it is:
   the container, like ActionLoop's proxy, rejects non-dict/array results); an exception prints its
   traceback to stderr and yields ``{"error": str(ex)}``. After every activation the sentinel line is
   written to stdout and stderr, before the result, so a reader has all logs once it has the result.

A MemoryError ends the process (as the kernel's OOM killer ends a Docker container), so the platform sees
"exited unexpectedly". Only the standard library is imported here: the interpreter start is the cold start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sys

TYPE_CHECKING = False  # `typing` costs milliseconds of every cold start; only the type checker needs it
if TYPE_CHECKING:
    from typing import Any, BinaryIO

SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"
# The interpreter, shared libraries (numpy+Pillow+COS SDK map ~180 MB) and thread stacks need room.
ADDRESS_SPACE_MARGIN_MB = 384
NOT_COMPILED = "The action failed to generate or locate a binary. See logs for details."
CANNOT_START = "Cannot start action. Check logs for details."


def limit_memory(memory_mb: int) -> None:
    """Cap the address space at the memory limit plus ADDRESS_SPACE_MARGIN_MB (hard limit: no way back up)."""
    if memory_mb <= 0:
        return
    cap = (memory_mb + ADDRESS_SPACE_MARGIN_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def activate_virtualenv(action_dir: str) -> None:
    """Run ./virtualenv/bin/activate_this.py as virtualenv's own script would; exit 1 when it is missing."""
    venv = os.path.join(action_dir, "virtualenv")
    if not os.path.isdir(venv):
        return
    for folder in ("bin", "Scripts"):
        script = os.path.join(venv, folder, "activate_this.py")
        if os.path.isfile(script):
            with open(script, encoding="utf-8") as source:
                code = compile(source.read(), script, "exec")
            exec(code, {"__file__": script, "__name__": "activate_this"})
            return
    sys.stderr.write("Invalid virtualenv. Zip file does not include 'activate_this.py'.\n")
    sys.stderr.flush()
    sys.exit(1)


def load_main(action_dir: str, main_name: str) -> Any:
    """Import __main__.py as ``main__`` and return its function ``main_name``; errors go to stderr, exit 1."""
    path = os.path.join(action_dir, "__main__.py")
    try:
        with open(path, "rb") as source:
            code = compile(source.read(), path, "exec")
    except (OSError, SyntaxError, ValueError):
        print_traceback()
        fail(NOT_COMPILED)
    spec = importlib.util.spec_from_file_location("main__", path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["main__"] = module
    try:
        exec(code, module.__dict__)
    except BaseException:  # any failure at import time (even SystemExit) fails the init
        print_traceback()
        fail(CANNOT_START)
    function = getattr(module, main_name, None)
    if not callable(function):
        sys.stderr.write(f"The action does not define a function named '{main_name}'.\n")
        fail(CANNOT_START)
    return function


def print_traceback() -> None:
    import traceback  # only failures pay for it

    traceback.print_exc(file=sys.stderr)


def fail(message: str) -> None:
    """Report a failed init on fd 3 and exit; the detail was written to stderr."""
    write_line(RESULT, {"ok": False, "error": message})
    end_activation()
    os._exit(1)


def write_line(stream: BinaryIO, obj: Any) -> None:
    stream.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
    stream.flush()


def end_activation() -> None:
    """Write the sentinel to stdout and stderr, flushed: log readers count two of them per activation."""
    for current, original in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
        try:
            current.flush()  # the action may have swapped sys.stdout; its output still comes first
            if original is not None:
                original.write(SENTINEL + "\n")
                original.flush()
        except (OSError, ValueError, AttributeError):
            pass  # a stream the action closed carries no sentinel; the reader says logs may be missing


def serve(main: Any) -> None:
    """The activation loop: one JSON line in on stdin, one JSON line out on fd 3, until stdin closes."""
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        try:
            request = json.loads(line)
            value = request.pop("value", {}) if isinstance(request, dict) else {}
            for key, item in request.items():
                os.environ["__OW_" + key.upper()] = item if isinstance(item, str) else json.dumps(item)
            result = main(value)
            encoded = json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n"
        except MemoryError:
            die_of_memory()
        except Exception as ex:
            print_traceback()
            encoded = json.dumps({"error": str(ex)}, ensure_ascii=False).encode("utf-8") + b"\n"
        end_activation()
        RESULT.write(encoded)
        RESULT.flush()


def die_of_memory() -> None:
    """Leave as an OOM-killed container would: no result, the process gone."""
    try:
        sys.stderr.write("MemoryError: the action exceeded its memory limit\n")
        end_activation()
    finally:
        os._exit(137)


def result_fd(argv: list[str]) -> int:
    return int(argv[argv.index("--result-fd") + 1]) if "--result-fd" in argv else 3


def start() -> Any:
    """Read the init line, set the process up as the action's container, and return the action's function."""
    line = sys.stdin.buffer.readline()
    if not line:
        os._exit(0)  # the pool closed a prewarmed container before using it
    init = json.loads(line)
    for key, item in (init.get("env") or {}).items():
        os.environ[str(key)] = str(item)
    action_dir = os.getcwd()
    sys.path[0:0] = [action_dir]
    try:
        limit_memory(int(init.get("memory_mb") or 0))
        activate_virtualenv(action_dir)
    except SystemExit:
        fail(CANNOT_START)
    except BaseException:  # a broken activate_this.py fails the init, never the platform
        print_traceback()
        fail(CANNOT_START)
    return load_main(action_dir, str(init.get("main") or "main"))


if __name__ == "__main__":
    _fd = result_fd(sys.argv)
    if _fd != 3:
        os.dup2(_fd, 3, inheritable=False)  # the action's own subprocesses must not hold the result pipe
        os.close(_fd)
    else:
        os.set_inheritable(3, False)
    RESULT: BinaryIO = os.fdopen(3, "wb")
    sys.argv = [sys.argv[0]]
    _main = start()
    write_line(RESULT, {"ok": True})
    try:
        serve(_main)
    except MemoryError:
        die_of_memory()
