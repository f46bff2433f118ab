"""Pure invoker logic: mapping runtime answers to activation statuses, init env, code installation."""

from __future__ import annotations

import base64
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from infra.whisk.activation import APPLICATION_ERROR, DEVELOPER_ERROR, SUCCESS
from infra.whisk.container import (
    CodeError,
    install_code,
    stringify_env,
    timed_out_message,
    truncated_response,
)
from infra.whisk.pool import classify_run, init_failure_message


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"ok": 1}, (SUCCESS, {"ok": 1})),
        (200, [1, 2], (SUCCESS, [1, 2])),
        (200, {"error": "declined", "code": 7}, (APPLICATION_ERROR, {"error": "declined", "code": 7})),
        (502, {"error": "The action did not return a dictionary or array."},
         (DEVELOPER_ERROR, {"error": "The action did not return a dictionary or array."})),
        (500, {"error": {"nested": True}, "other": 1}, (DEVELOPER_ERROR, {"error": {"nested": True}})),
        (502, "plain", (DEVELOPER_ERROR,
                        {"error": "The action did not produce a valid JSON or JSON Array response: plain"})),
        (200, None, (DEVELOPER_ERROR,  # the proxy's 200 "null\n": the invoker's not-an-object error
                     {"error": "The action did not produce a valid JSON or JSON Array response: null\n"})),
        (400, {"error": "command exited"}, (DEVELOPER_ERROR, {"error": "command exited"})),
    ],
)  # fmt: skip
def test_run_answers_map_to_openwhisk_statuses(
    status: int, body: object, expected: tuple[int, object]
) -> None:
    assert classify_run(status, body) == expected


def test_init_failures_use_the_error_field_or_openwhisk_wording() -> None:
    assert init_failure_message({"error": "Cannot start action."}) == "Cannot start action."
    assert init_failure_message("oops") == "The action failed during initialization: oops"
    assert init_failure_message(None) == "The action failed during initialization."


def test_openwhisk_messages() -> None:
    assert timed_out_message(300, init=False) == "The action exceeded its time limits of 300 milliseconds."
    assert (
        timed_out_message(300, init=True)
        == "The action exceeded its time limits of 300 milliseconds during initialization."
    )
    assert truncated_response(b'{"a', 2_000_000, 1_048_576) == (
        "The action produced a response that exceeded the allowed length: 2000000 > 1048576 bytes. "
        'The truncated response was: {"a'
    )


def test_init_env_is_stringified_as_openwhisk_sends_it() -> None:
    env = stringify_env({"s": "text", "n": 1.5, "b": False, "none": None, "obj": {"k": ["v", 1]}})
    assert env == {"s": "text", "n": "1.5", "b": "false", "none": "", "obj": '{"k":["v",1]}'}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_source_text_and_non_archive_binaries_become_the_file_exec(tmp_path: Path) -> None:
    install_code("def main(a):\n    return {}\n", False, tmp_path)
    assert (tmp_path / "exec").read_text().startswith("def main")
    other = tmp_path / "other"
    other.mkdir()
    install_code(b64(b"def main(a):\n    return {'b': 1}\n"), True, other)
    assert "'b': 1" in (other / "exec").read_text()
    assert os.access(other / "exec", os.X_OK)


def test_zip_entries_cannot_escape_the_action_dir(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__main__.py", "x = 1\n")
        archive.writestr("../escaped.py", "x = 2\n")
        archive.writestr("/abs.py", "x = 3\n")
    action = tmp_path / "action"
    action.mkdir()
    install_code(b64(buffer.getvalue()), True, action)
    assert (action / "__main__.py").is_file()
    assert not (tmp_path / "escaped.py").exists()
    assert {p.name for p in action.rglob("*.py")} == {"__main__.py", "escaped.py", "abs.py"}


def test_a_tar_gz_is_unpacked(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"def main(a):\n    return {}\n"
        info = tarfile.TarInfo("__main__.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    install_code(b64(buffer.getvalue()), True, tmp_path)
    assert (tmp_path / "__main__.py").read_bytes() == data


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("@@@not base64", "base64"), (b64(b"PK\x03\x04broken"), "zip"), (b64(b"\x1f\x8b\x08broken"), "tar.gz")],
)
def test_bad_code_is_a_400_with_a_clear_message(tmp_path: Path, code: str, fragment: str) -> None:
    with pytest.raises(CodeError) as error:
        install_code(code, True, tmp_path)
    assert error.value.status == 400 and fragment in str(error.value)
