"""The local stand-in for the Python runtime's ActionLoop launcher (and the proxy's start of it), as a script.

Run as ``python -I -u launcher.py --result-fd N --tmp-dir DIR`` with cwd = the container's action directory
and the environment the proxy gives an action (see ``infra.whisk.container.action_environment``). It is
started before the code is known (that is what a prewarmed container is), so the protocol has one extra
first line:

1. stdin, one JSON line: ``{"main": "main", "env": {...}, "memory_mb": 256, "exec": false}`` (the init,
   after the container ran the runtime's compile step). The launcher exports ``env``, caps its address space
   (see ``limit_memory``) and points ``tempfile`` at the container's own temp dir. With ``"exec": true`` the
   action is its own executable (``./exec``, a ``#!`` script or an ELF binary): it replaces this process,
   without compile's wrapper variables, and must speak the ActionLoop protocol itself. Otherwise it
   activates ``./virtualenv`` if present and imports ``__main__.py`` as module ``main__``, taking the name
   given by ``main`` from it (a missing name is an ImportError, as ``from main__ import x as main``).
2. fd 3, one JSON line: ``{"ok": true}`` (the ack). A process that exits before the ack failed its init
   (its traceback is on stderr).
3. then per activation, as the runtime's launcher: stdin gets the /run body as one JSON line; every key but
   ``value`` is exported as ``__OW_<KEY>``; ``main(value)`` is called; an Exception prints its traceback
   to stderr and yields ``{"error": str(ex)}``; the result goes to fd 3 as one JSON line. A result that is
   not JSON serialisable, SystemExit or any other BaseException ends the process (the proxy then answers
   "command exited"). The container writes the end-of-activation sentinels, not this script.

A MemoryError ends the process with code 137 (as the kernel's OOM killer ends a Docker container), so the
platform reports memory exhaustion. Only the standard library is imported here: the interpreter start is
the cold start.
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

# The interpreter, shared libraries (numpy+Pillow+COS SDK map ~180 MB), thread stacks (8 MB each) and glibc's
# per-thread malloc arenas (64 MB of address space each, little of it resident) need room: OpenWhisk counts
# resident memory (a cgroup), this cap counts address space. 384 MB was too little for ocr-check's threads
# (the archiver, both sides' readers, the MICR line's pool) on a business-size check: MemoryError and "can't
# start new thread" at 512 MB with under 300 MB resident.
ADDRESS_SPACE_MARGIN_MB = 768
WRAPPER_ENV_KEYS = ("PYTHONIOENCODING", "PWD", "SHLVL", "OLDPWD")  # what compile's bash `exec` adds


def limit_memory(memory_mb: int) -> None:
    """Cap the address space at the memory limit plus ADDRESS_SPACE_MARGIN_MB (hard limit: no way back up)."""
    if memory_mb <= 0:
        return
    cap = (memory_mb + ADDRESS_SPACE_MARGIN_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def use_temp_dir(path: str) -> None:
    """The container's own /tmp: ``tempfile`` (and so every library using it) works in ``path``.

    Imported before the init line is read (~5 ms), so a prewarmed container has paid for it already."""
    import tempfile

    tempfile.tempdir = path


def activate_virtualenv(action_dir: str) -> None:
    """Run ./virtualenv/bin/activate_this.py as the runtime's launcher does; exit 1 when it is missing."""
    venv = os.path.join(action_dir, "virtualenv")
    if not os.path.isdir(venv):
        return
    script = os.path.join(venv, "bin", "activate_this.py")
    if not os.path.exists(script):
        sys.stderr.write("Invalid virtualenv. Zip file does not include /virtualenv/bin/activate_this.py\n")
        sys.exit(1)
    with open(script, encoding="utf-8") as source:
        code = compile(source.read(), script, "exec")
    exec(code, {"__file__": script})


def load_main(action_dir: str, main_name: str) -> Any:
    """``from main__ import <main_name> as main`` with ``__main__.py`` as module main__ (errors propagate)."""
    path = os.path.join(action_dir, "__main__.py")
    spec = importlib.util.spec_from_file_location("main__", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["main__"] = module
    spec.loader.exec_module(module)
    try:
        return getattr(module, main_name)
    except AttributeError:
        raise ImportError(f"cannot import name '{main_name}' from 'main__' ({path})", name="main__") from None


def write_line(stream: BinaryIO, obj: Any) -> None:
    stream.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
    stream.flush()


def serve(main: Any, result: BinaryIO) -> None:
    """The activation loop: one JSON line in on stdin, one JSON line out on fd 3, until stdin closes."""
    stdin = sys.stdin.buffer
    environ = os.environ
    while True:
        line = stdin.readline()
        if not line:
            return
        request = json.loads(line)
        value: Any = {}
        for key, item in request.items():
            if key == "value":
                value = item
            else:
                environ["__OW_" + key.upper()] = item if isinstance(item, str) else json.dumps(item)
        try:
            res = main(value)
        except MemoryError:
            die_of_memory()
        except Exception as ex:
            import traceback  # only failures pay for it

            print(traceback.format_exc(), file=sys.stderr)
            res = {"error": str(ex)}
        encoded = json.dumps(res, ensure_ascii=False).encode("utf-8") + b"\n"  # TypeError ends the process
        sys.stdout.flush()
        sys.stderr.flush()
        result.write(encoded)
        result.flush()


def die_of_memory() -> None:
    """Leave as an OOM-killed container would: no result, the process gone."""
    try:
        sys.stderr.write("MemoryError: the action exceeded its memory limit\n")
        sys.stderr.flush()
    finally:
        os._exit(137)


def option(argv: list[str], name: str, default: str) -> str:
    return argv[argv.index(name) + 1] if name in argv else default


def start(tmp_dir: str) -> Any:
    """Read the init line, set the process up as the action's container, and return the action's function."""
    use_temp_dir(tmp_dir)
    line = sys.stdin.buffer.readline()
    if not line:
        os._exit(0)  # the pool closed a prewarmed container before using it
    init = json.loads(line)
    init_env = {str(key): str(item) for key, item in (init.get("env") or {}).items()}
    os.environ.update(init_env)
    action_dir = os.getcwd()
    limit_memory(int(init.get("memory_mb") or 0))
    if init.get("exec"):
        executable = os.path.join(action_dir, "exec")
        # without compile's wrapper nor Python's locale coercion (LC_CTYPE), unless /init asked for them
        dropped = {*WRAPPER_ENV_KEYS, "LC_CTYPE"} - init_env.keys()
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(executable, [executable], env)
    sys.path[0] = action_dir  # as exec__.py next to main__.py: the action dir first, never the launcher's
    activate_virtualenv(action_dir)
    return load_main(action_dir, str(init.get("main") or "main"))


if __name__ == "__main__":
    _fd = int(option(sys.argv, "--result-fd", "3"))
    _tmp = option(sys.argv, "--tmp-dir", "/tmp")
    if _fd != 3:
        os.dup2(_fd, 3, inheritable=True)  # an executable action writes its answers to fd 3
        os.close(_fd)
    else:
        os.set_inheritable(3, True)
    sys.argv = [sys.argv[0]]
    try:
        _main = start(_tmp)
    except MemoryError:
        die_of_memory()
    os.set_inheritable(3, False)  # the action's own subprocesses must not hold the result pipe
    RESULT: BinaryIO = os.fdopen(3, "wb")
    if os.environ.get("__OW_WAIT_FOR_ACK", ""):
        write_line(RESULT, {"ok": True})
    try:
        serve(_main, RESULT)
    except MemoryError:
        die_of_memory()
