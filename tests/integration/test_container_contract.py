"""Contract suite for one local action container, after OpenWhisk's BasicActionRunnerTests.

Each test drives a real launcher process through Container.init/run, the way the invoker drives a runtime
image's /init and /run, and checks the answers, the logs and the environment the action sees.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.whisk.container import (
    ABNORMAL_RUN,
    ALREADY_INITIALIZED,
    CANNOT_START,
    COMMAND_EXITED,
    EXITED_AT_INIT,
    MEMORY_EXHAUSTED,
    NO_CODE,
    NOT_COMPILED,
    NOT_DICT,
    NOT_INITIALIZED,
    PROXY_ENV,
    Container,
)
from infra.whisk.logs import SENTINEL

pytestmark = pytest.mark.local_only

API_HOST = "http://api.host.test:1234"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr): (.*)$")
TIMEOUT_MS = 20_000


class Harness:
    """Starts containers in a temp dir and destroys them after the test."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.containers: list[Container] = []

    def new(self) -> Container:
        container = Container(f"c{len(self.containers)}", self.work_dir, API_HOST)
        self.containers.append(container)
        return container

    def ready(
        self, source: str, main: str = "main", env: dict[str, Any] | None = None, **init: Any
    ) -> Container:
        """A container initialized with ``source`` (dedented); ``init`` overrides /init fields."""
        container = self.new()
        value: dict[str, Any] = {
            "name": "action",
            "main": main,
            "code": textwrap.dedent(source),
            "binary": False,
        }
        if env is not None:
            value["env"] = env
        value.update(init)
        status, body = container.init(value, timeout_ms=TIMEOUT_MS, memory_mb=256)
        assert (status, body) == (200, {"ok": True}), container.last_logs
        return container

    def close(self) -> None:
        for container in self.containers:
            container.destroy()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.close()


def run(container: Container, value: Any = None, **context: Any) -> tuple[int, Any]:
    status, body = container.run({"value": {} if value is None else value, **context}, timeout_ms=TIMEOUT_MS)
    check_log_format(container.last_logs)
    return status, body


def check_log_format(logs: list[str]) -> None:
    for line in logs:
        assert LOG_LINE.match(line), line
        assert SENTINEL.decode() not in line


def messages(logs: list[str], stream: str) -> list[str]:
    return [m.group(2) for m in map(LOG_LINE.match, logs) if m and m.group(1) == stream]


def zip_b64(files: dict[str, bytes | str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return base64.b64encode(buffer.getvalue()).decode()


def test_stdout_and_stderr_are_captured_per_activation(harness: Harness) -> None:
    c = harness.ready(
        """
        import sys
        def main(args):
            print("hello stdout", args["n"])
            print("hello stderr", args["n"], file=sys.stderr)
            return {}
        """
    )
    for n in (1, 2):
        assert run(c, {"n": n}) == (200, {})
        assert messages(c.last_logs, "stdout") == [f"hello stdout {n}"]
        assert messages(c.last_logs, "stderr") == [f"hello stderr {n}"]


def test_unicode_in_arguments_results_and_logs(harness: Harness) -> None:
    c = harness.ready(
        """
        def main(args):
            s = args["delimiter"] + " ☃ " + args["delimiter"]
            print(s)
            return {"winter": s}
        """
    )
    assert run(c, {"delimiter": "❄"}) == (200, {"winter": "❄ ☃ ❄"})
    assert messages(c.last_logs, "stdout") == ["❄ ☃ ❄"]


def test_every_ow_variable_is_exported(harness: Harness) -> None:
    c = harness.ready(
        """
        import os
        def main(args):
            return {k: v for k, v in os.environ.items() if k.startswith("__OW_")}
        """
    )
    context = {
        "namespace": "guest",
        "action_name": "/guest/pkg/echo",
        "action_version": "0.0.7",
        "activation_id": "a" * 32,
        "transaction_id": "tx-1",
        "deadline": "1700000000000",
        "api_key": "uuid:key",
    }
    status, env = run(c, {}, **context)
    assert status == 200
    expected = {"__OW_API_HOST": API_HOST, **PROXY_ENV} | {f"__OW_{k.upper()}": v for k, v in context.items()}
    assert env == expected


def test_the_environment_is_exactly_the_proxys(harness: Harness) -> None:
    """Empty but for the __OW_* variables, the init env and what compile's bash wrapper and Python add."""
    c = harness.ready(
        "import os\ndef main(args):\n    return dict(os.environ)\n", env={"FROM_INIT": "yes", "N": 3}
    )
    status, env = run(c, {}, activation_id="b" * 32)
    assert status == 200
    assert env == {
        "__OW_API_HOST": API_HOST,
        **PROXY_ENV,
        "__OW_ACTIVATION_ID": "b" * 32,
        "FROM_INIT": "yes",
        "N": "3",
        "PYTHONIOENCODING": "UTF-8",
        "PWD": str(c.action_dir),
        "SHLVL": "0",
        "OLDPWD": "/",
        "LC_CTYPE": "C.UTF-8",
    }
    for absent in ("PATH", "HOME", "LANG", "TMPDIR", "TEMP", "TMP", "OPENCHECKS_TESSDATA"):
        assert absent not in env


def test_extra_container_env_reaches_the_action_only_as_ow_variables(tmp_path: Path) -> None:
    c = Container("x", tmp_path, API_HOST, extra_env={"__OW_EXTRA": "1", "OPENCHECKS_TESSDATA": "/models"})
    try:
        code = "import os\ndef main(args):\n    return dict(os.environ)\n"
        assert c.init({"main": "main", "code": code}, timeout_ms=TIMEOUT_MS)[0] == 200
        status, env = c.run({"value": {}}, timeout_ms=TIMEOUT_MS)
        assert status == 200 and env["__OW_EXTRA"] == "1" and "OPENCHECKS_TESSDATA" not in env
    finally:
        c.destroy()


def test_a_single_file_starting_with_a_shebang_is_run_as_an_executable_and_fails_the_init(
    harness: Harness,
) -> None:
    # The proxy takes `#!` code as already compiled and starts it directly; a script that does not speak
    # the ActionLoop protocol (an ack on fd 3) exits and fails the init.
    c = harness.new()
    code = "#!/usr/bin/env python3\nprint('started')\ndef main(args):\n    return {}\n"
    assert c.init({"main": "main", "code": code}, timeout_ms=TIMEOUT_MS) == (502, {"error": CANNOT_START})
    assert messages(c.last_logs, "stderr")[-1] == EXITED_AT_INIT


def test_a_utf8_byte_order_mark_fails_the_init(harness: Harness) -> None:
    c = harness.new()
    code = "\ufeffdef main(args):\n    return {}\n"
    assert c.init({"main": "main", "code": code}, timeout_ms=TIMEOUT_MS) == (502, {"error": NOT_COMPILED})
    assert messages(c.last_logs, "stderr") == ["invalid non-printable character U+FEFF"]


def test_a_zip_whose_entry_is_exec_source_runs_as_main(harness: Harness) -> None:
    code = zip_b64({"exec": "def main(args):\n    return {'from': 'exec'}\n"})
    c = harness.ready("", code=code, binary=True)
    assert run(c) == (200, {"from": "exec"})


def test_a_zip_whose_entry_is_an_executable_exec_speaks_actionloop_itself(harness: Harness) -> None:
    script = textwrap.dedent(
        """\
        #!/bin/sh
        echo '{"ok": true}' >&3
        while read -r line; do
          echo "shell got a line"
          echo "{\\"shell\\": true, \\"pyio\\": \\"${PYTHONIOENCODING:-unset}\\"}" >&3
        done
        """
    )
    c = harness.ready("", code=zip_b64({"exec": script}), binary=True)
    status, body = run(c)
    assert status == 200 and body["shell"] is True
    assert body["pyio"] == "unset"  # no compile wrapper around an executable
    assert "shell got a line" in messages(c.last_logs, "stdout")
    assert run(c)[0] == 200


def tiny_wheel(folder: Path) -> Path:
    """A pure-Python wheel built by hand (no build backend, no network): module tinywheel, ANSWER = 7."""
    path = folder / "tinywheel-0.1-py3-none-any.whl"
    info = "tinywheel-0.1.dist-info"
    files = {
        "tinywheel.py": "ANSWER = 7\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tinywheel\nVersion: 0.1\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(name, text)
    return path


WHEEL_MAIN = """\
import tinywheel
def main(args):
    return {"n": tinywheel.ANSWER, "at": tinywheel.__file__}
"""


def test_requirements_txt_is_built_into_a_virtualenv_at_init(harness: Harness, tmp_path: Path) -> None:
    wheel = tiny_wheel(tmp_path)
    code = zip_b64(
        {
            "__main__.py": WHEEL_MAIN,
            "requirements.txt": f"--no-index\n{wheel}\n",
        }
    )
    c = harness.new()
    assert c.init({"main": "main", "code": code, "binary": True}, timeout_ms=120_000) == (200, {"ok": True})
    status, body = run(c)
    assert status == 200 and body["n"] == 7
    assert body["at"].startswith(str(c.action_dir / "virtualenv"))


def test_a_requirement_that_cannot_be_installed_fails_the_init_with_pips_output(harness: Harness) -> None:
    code = zip_b64(
        {
            "__main__.py": "def main(args):\n    return {}\n",
            "requirements.txt": "--no-index\nno-such-dist-x\n",
        }
    )
    c = harness.new()
    status, body = c.init({"main": "main", "code": code, "binary": True}, timeout_ms=120_000)
    assert (status, body) == (502, {"error": NOT_COMPILED})
    assert any("no-such-dist-x" in line for line in messages(c.last_logs, "stderr"))


def test_a_main_that_is_not_callable_fails_each_run_not_the_init(harness: Harness) -> None:
    c = harness.ready("main = 5\n")
    assert run(c) == (200, {"error": "'int' object is not callable"})
    assert c.healthy
    assert run(c) == (200, {"error": "'int' object is not callable"})


def test_a_result_that_is_not_json_ends_the_process(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return {'when': object()}\n")
    assert run(c) == (400, {"error": COMMAND_EXITED})
    assert messages(c.last_logs, "stderr")[-1] == "TypeError: Object of type object is not JSON serializable"
    assert not c.healthy


def test_the_last_line_without_a_newline_is_dropped(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    print('  first')\n    print('last', end='')\n    return {}\n")
    assert run(c) == (200, {})
    assert messages(c.last_logs, "stdout") == ["  first"]


def test_init_env_is_exported_stringified_before_the_code_loads(harness: Harness) -> None:
    c = harness.ready(
        """
        import os
        AT_IMPORT = {k: os.environ.get(k) for k in ("PLAIN", "NUM", "FLAG", "OBJ", "NONE")}
        def main(args):
            return AT_IMPORT
        """,
        env={"PLAIN": "text", "NUM": 5, "FLAG": True, "OBJ": {"a": [1, 2]}, "NONE": None},
    )
    assert run(c) == (200, {"PLAIN": "text", "NUM": "5", "FLAG": "true", "OBJ": '{"a":[1,2]}', "NONE": ""})


@pytest.mark.parametrize("returned", ['"a string"', "42", "True"])
def test_non_dict_results_are_rejected(harness: Harness, returned: str) -> None:
    c = harness.ready(f"def main(args):\n    return {returned}\n")
    assert run(c) == (502, {"error": NOT_DICT})


def test_none_passes_the_proxy_as_null(harness: Harness) -> None:
    # Go's json.Unmarshal accepts `null` for a map: the proxy answers 200 and the invoker rejects it.
    c = harness.ready("def main(args):\n    return None\n")
    assert run(c) == (200, None)


def test_a_list_result_is_accepted(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return [1, 'two', {'three': 3}]\n")
    assert run(c) == (200, [1, "two", {"three": 3}])


def test_a_list_argument_is_passed_through(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return args[::-1]\n")
    assert run(c, [1, 2, 3]) == (200, [3, 2, 1])


def test_an_exception_is_an_application_error_with_traceback_and_the_container_survives(
    harness: Harness,
) -> None:
    c = harness.ready(
        """
        def main(args):
            if args.get("fail"):
                raise ValueError("boom")
            return {"fine": True}
        """
    )
    assert run(c, {"fail": True}) == (200, {"error": "boom"})
    stderr = messages(c.last_logs, "stderr")
    assert stderr[0] == "Traceback (most recent call last):"
    assert stderr[1].startswith('  File "')  # indentation is kept
    assert stderr[-2:] == ["ValueError: boom", ""]  # print(traceback.format_exc()) ends with an empty line
    assert c.healthy
    assert run(c, {}) == (200, {"fine": True})


def test_a_second_init_is_refused(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return {'v': 1}\n")
    status, body = c.init({"name": "x", "main": "main", "code": "def main(a):\n    return {'v': 2}\n"})
    assert (status, body) == (403, {"error": ALREADY_INITIALIZED})
    assert run(c) == (200, {"v": 1})


def test_run_before_init_is_refused(harness: Harness) -> None:
    c = harness.new()
    assert c.run({"value": {}}) == (500, {"error": NOT_INITIALIZED})


@pytest.mark.parametrize("code", ["", None])
def test_init_without_code_is_refused(harness: Harness, code: str | None) -> None:
    c = harness.new()
    assert c.init({"name": "x", "main": "main", "code": code}) == (403, {"error": NO_CODE})


def test_bad_base64_and_bad_zip_are_bad_requests(harness: Harness) -> None:
    status, body = harness.new().init({"main": "main", "code": "not base64!", "binary": True})
    assert status == 400 and "base64" in body["error"]
    broken_zip = base64.b64encode(b"PK\x03\x04" + b"\x00" * 40).decode()
    status, body = harness.new().init({"main": "main", "code": broken_zip, "binary": True})
    assert status == 400 and "zip" in body["error"]


def test_a_syntax_error_fails_the_init_with_details_in_the_logs(harness: Harness) -> None:
    c = harness.new()
    status, body = c.init({"main": "main", "code": "def main(args)\n    return {}\n"}, timeout_ms=TIMEOUT_MS)
    assert (status, body) == (502, {"error": NOT_COMPILED})
    assert messages(c.last_logs, "stderr") == ["expected ':'"]  # what compile's check writes: the message
    assert not c.healthy


def test_an_import_error_fails_the_init_with_the_traceback_in_the_logs(harness: Harness) -> None:
    c = harness.new()
    status, body = c.init({"main": "main", "code": "import no_such_module_here\n"}, timeout_ms=TIMEOUT_MS)
    assert (status, body) == (502, {"error": CANNOT_START})
    stderr = messages(c.last_logs, "stderr")
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in stderr
    assert stderr[-1] == EXITED_AT_INIT


def test_a_non_default_main(harness: Harness) -> None:
    c = harness.ready(
        "def main(args):\n    return {'which': 'main'}\ndef niam(args):\n    return {'which': 'niam'}\n",
        main="niam",
    )
    assert run(c) == (200, {"which": "niam"})


def test_a_missing_main_function_fails_the_init(harness: Harness) -> None:
    c = harness.new()
    status, _ = c.init({"main": "nope", "code": "def main(args):\n    return {}\n"}, timeout_ms=TIMEOUT_MS)
    assert status == 502
    assert any("nope" in line for line in messages(c.last_logs, "stderr"))


def test_a_zip_with_main_and_a_helper_module(harness: Harness) -> None:
    code = zip_b64(
        {
            "__main__.py": "from helper import greet\ndef main(a):\n    return {'hi': greet(a['name'])}",
            "helper.py": "def greet(name):\n    return 'Hello ' + name\n",
        }
    )
    c = harness.ready("", code=code, binary=True)
    assert run(c, {"name": "zip"}) == (200, {"hi": "Hello zip"})


def test_a_zip_without_main_py_fails_the_init(harness: Harness) -> None:
    c = harness.new()
    status, body = c.init({"main": "main", "code": zip_b64({"other.py": "x = 1\n"}), "binary": True})
    assert (status, body) == (502, {"error": NOT_COMPILED})
    assert messages(c.last_logs, "stderr") == ["Zip file does not include main__"]


ACTIVATE_THIS = '''\
"""Activate this virtualenv for the running interpreter, as virtualenv's activate_this.py does."""
import os, site, sys
base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
before = list(sys.path)
site.addsitedir(os.path.join(base, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"))
sys.path[:] = [p for p in sys.path if p not in before] + before
sys.prefix = base
'''


def build_virtualenv_zip(tmp: Path, with_activate_this: bool) -> str:
    """A real venv (python -m venv) holding a tiny package, zipped with the action as the runtime expects."""
    venv = tmp / "virtualenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site_packages = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site_packages / "tinypkg").mkdir(parents=True)
    (site_packages / "tinypkg" / "__init__.py").write_text("ANSWER = 42\n")
    if with_activate_this:
        (venv / "bin" / "activate_this.py").write_text(ACTIVATE_THIS)
    files: dict[str, bytes | str] = {
        "__main__.py": "import tinypkg as t\ndef main(a):\n    return {'answer': t.ANSWER, 'at': t.__file__}",
    }
    for path in venv.rglob("*"):
        if (
            path.is_file() and not path.is_symlink()
        ):  # the interpreter links stay out, as in a real action zip
            files[str(path.relative_to(tmp))] = path.read_bytes()
    return zip_b64(files)


def test_a_zip_with_a_virtualenv(harness: Harness, tmp_path: Path) -> None:
    code = build_virtualenv_zip(tmp_path / "build", with_activate_this=True)
    c = harness.ready("", code=code, binary=True)
    status, body = run(c)
    assert status == 200 and body["answer"] == 42
    assert body["at"].startswith(str(c.action_dir / "virtualenv"))


def test_a_virtualenv_without_activate_this_fails_the_init(harness: Harness, tmp_path: Path) -> None:
    code = build_virtualenv_zip(tmp_path / "build", with_activate_this=False)
    c = harness.new()
    status, body = c.init({"main": "main", "code": code, "binary": True}, timeout_ms=TIMEOUT_MS)
    assert (status, body) == (502, {"error": NOT_COMPILED})
    assert "Invalid virtualenv. Zip file does not include 'activate_this.py'." in messages(
        c.last_logs, "stderr"
    )


def test_a_900kb_payload_round_trips(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return args\n")
    payload = {"big": "ü" * 450_000}  # 900 KB of UTF-8
    assert run(c, payload) == (200, payload)


def test_a_result_over_the_limit_is_truncated_into_an_error(harness: Harness) -> None:
    c = harness.ready("def main(args):\n    return {'big': 'x' * 1_200_000}\n")
    status, body = run(c)
    assert status == 200
    assert body["error"].startswith(
        "The action produced a response that exceeded the allowed length: 1200011 > 1048576"
    )
    assert "The truncated response was: {" in body["error"]
    assert c.healthy


def test_output_at_import_time_goes_to_the_first_activation(harness: Harness) -> None:
    c = harness.ready("print('loading')\ndef main(args):\n    print('running')\n    return {}\n")
    run(c)
    assert messages(c.last_logs, "stdout") == ["loading", "running"]
    run(c)
    assert messages(c.last_logs, "stdout") == ["running"]


def test_logs_are_truncated_at_the_limit(harness: Harness) -> None:
    c = harness.ready(
        "def main(args):\n    for i in range(1000):\n        print('x' * 99)\n    return {'done': 1}\n"
    )
    status, body = c.run({"value": {}}, timeout_ms=TIMEOUT_MS, log_limit_bytes=10_000)
    assert (status, body) == (200, {"done": 1})
    assert len(c.last_logs) == 101
    assert c.last_logs[-1].endswith(
        "stderr: Logs were truncated because the total bytes size exceeds the limit of 10000 bytes."
    )


def test_the_temp_dir_is_private_and_deleted_with_the_container(harness: Harness) -> None:
    c = harness.ready(
        """
        import os, tempfile
        def main(args):
            path = os.path.join(tempfile.gettempdir(), "cache.txt")
            seen = os.path.exists(path)
            open(path, "w").write("x")
            return {"tmp": tempfile.gettempdir(), "seen": seen}
        """
    )
    assert run(c) == (200, {"tmp": str(c.tmp_dir), "seen": False})
    assert run(c) == (200, {"tmp": str(c.tmp_dir), "seen": True})
    c.destroy()
    assert not c.directory.exists()


def test_a_timeout_kills_the_whole_process_group(harness: Harness, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    c = harness.ready(
        f"""
        import subprocess, time
        def main(args):
            child = subprocess.Popen(["sleep", "60"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            print("about to hang")
            time.sleep(60)
        """
    )
    started = time.monotonic()
    status, body = c.run({"value": {}}, timeout_ms=500)
    assert time.monotonic() - started < 5
    assert (status, body) == (502, {"error": "The action exceeded its time limits of 500 milliseconds."})
    assert c.timed_out and not c.healthy
    assert "about to hang" in messages(c.last_logs, "stdout")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        time.sleep(0.05)  # reaped by init once its parent group is gone
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_an_init_that_hangs_times_out(harness: Harness) -> None:
    c = harness.new()
    status, body = c.init({"main": "main", "code": "import time\ntime.sleep(60)\n"}, timeout_ms=400)
    assert (status, body) == (
        502,
        {"error": "The action exceeded its time limits of 400 milliseconds during initialization."},
    )
    assert c.timed_out


# An action process that ends during a run is the proxy's 400 "command exited" (the proxy lives on); a
# `kill -9` (an operator, the fault suite, the OOM killer) takes the whole container: the invoker's message.
@pytest.mark.parametrize(
    ("how", "answer"),
    [
        ("os._exit(3)", (400, {"error": COMMAND_EXITED})),
        ("os.abort()", (400, {"error": COMMAND_EXITED})),
        ("sys.exit(0)", (400, {"error": COMMAND_EXITED})),
        ("exit()", (400, {"error": COMMAND_EXITED})),
        ("os.kill(os.getpid(), 9)", (502, {"error": ABNORMAL_RUN})),
    ],
)
def test_a_process_that_exits_is_a_developer_error(
    harness: Harness, how: str, answer: tuple[int, dict[str, str]]
) -> None:
    c = harness.ready(f"import os, sys\ndef main(args):\n    print('bye')\n    {how}\n")
    status, body = c.run({"value": {}}, timeout_ms=TIMEOUT_MS)
    assert (status, body) == answer
    assert "bye" in messages(c.last_logs, "stdout")
    assert not c.healthy


def test_memory_beyond_the_limit_ends_the_container(harness: Harness) -> None:
    c = harness.new()
    code = "def main(args):\n    block = bytearray(2 * 1024 ** 3)\n    return {'size': len(block)}\n"
    assert c.init({"main": "main", "code": code}, timeout_ms=TIMEOUT_MS, memory_mb=128) == (200, {"ok": True})
    status, body = c.run({"value": {}}, timeout_ms=TIMEOUT_MS)
    assert (status, body) == (502, {"error": MEMORY_EXHAUSTED})
    assert not c.healthy
    assert any("MemoryError" in line for line in messages(c.last_logs, "stderr"))


def test_memory_within_the_limit_is_fine(harness: Harness) -> None:
    c = harness.new()
    code = "def main(args):\n    block = bytearray(100 * 1024 ** 2)\n    return {'size': len(block)}\n"
    assert c.init({"main": "main", "code": code}, timeout_ms=TIMEOUT_MS, memory_mb=128)[0] == 200
    assert c.run({"value": {}}, timeout_ms=TIMEOUT_MS) == (200, {"size": 100 * 1024**2})


def test_the_container_environment_does_not_leak_the_platform_environment(harness: Harness) -> None:
    os.environ["OPENCHECKS_TEST_SECRET"] = "do-not-leak"
    try:
        c = harness.ready(
            "import os\ndef main(args):\n    return {'v': os.environ.get('OPENCHECKS_TEST_SECRET')}\n"
        )
    finally:
        del os.environ["OPENCHECKS_TEST_SECRET"]
    assert run(c) == (200, {"v": None})
