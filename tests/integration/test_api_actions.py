"""Actions through the REST API: create/update/get/list/delete, kinds, code forms, limits, names, errors."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from tests.fixtures.whisk import Whisk, annotation

ECHO = "def main(args):\n    return args\n"


def zip_code(files: dict[str, str]) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return base64.b64encode(buf.getvalue()).decode()


def test_create_get_list_delete(wsk: Whisk) -> None:
    name = wsk.unique("act")
    doc = wsk.put_action(name, ECHO, parameters=[{"key": "p", "value": 1}])
    assert doc["name"] == name and doc["version"] == "0.0.1"
    assert doc["exec"]["kind"] == "python:3.11" and doc["exec"]["binary"] is False
    assert doc["limits"] == {"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1}
    assert annotation(doc, "exec") == "python:3.11"
    assert annotation(doc, "provide-api-key") is False

    got = wsk.session.get(wsk.url("actions", name)).json()
    assert got["exec"]["code"] == ECHO and got["parameters"] == [{"key": "p", "value": 1}]
    no_code = wsk.session.get(wsk.url("actions", name), params={"code": "false"}).json()
    assert "code" not in no_code["exec"]

    listed = wsk.session.get(wsk.url("actions"), params={"limit": 200}).json()
    assert name in [a["name"] for a in listed]

    resp = wsk.session.delete(wsk.url("actions", name))
    assert resp.status_code == 200 and resp.json()["name"] == name
    assert wsk.session.get(wsk.url("actions", name)).status_code == 404
    assert wsk.session.delete(wsk.url("actions", name)).status_code == 404


def test_conflict_without_overwrite_and_update_bumps_version(wsk: Whisk) -> None:
    name = wsk.unique("act")
    wsk.put_action(name, ECHO)
    resp = wsk.put("actions", name, {"exec": {"kind": "python:3.11", "code": ECHO}})
    assert resp.status_code == 409
    assert set(resp.json()) == {"error", "code"}
    updated = wsk.put("actions", name, {"limits": {"timeout": 1000}}, overwrite=True)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == "0.0.2"
    assert updated.json()["limits"]["timeout"] == 1000
    assert updated.json()["exec"]["code"] == ECHO  # kept when not given


@pytest.mark.parametrize("kind", ["python:default", "python:3", "python:3.11"])
def test_python_kind_aliases(wsk: Whisk, kind: str) -> None:
    name = wsk.unique("kind")
    doc = wsk.put_action(name, ECHO, kind=kind)
    assert doc["exec"]["kind"] == "python:3.11"
    assert wsk.invoke(name, {"k": 1}, result=True).json() == {"k": 1}


def test_unknown_kind_is_400(wsk: Whisk) -> None:
    resp = wsk.put("actions", wsk.unique("kind"), {"exec": {"kind": "cobol:85", "code": ECHO}})
    assert resp.status_code == 400
    assert "cobol:85" in resp.json()["error"] and "not supported" in resp.json()["error"]


def test_zip_with_main_and_helper_module_is_binary(wsk: Whisk) -> None:
    name = wsk.unique("zip")
    code = zip_code(
        {
            "__main__.py": "import helper\n\ndef go(args):\n    return {'v': helper.VALUE}\n",
            "helper.py": "VALUE = 42\n",
        }
    )
    doc = wsk.put_action(name, code, main="go")
    assert doc["exec"]["binary"] is True and doc["exec"]["main"] == "go"
    assert wsk.invoke(name, result=True).json() == {"v": 42}


@pytest.mark.local_only  # a real OpenWhisk runs blackbox code in the image it names
def test_blackbox_with_code_runs_like_python(wsk: Whisk) -> None:
    name = wsk.unique("bb")
    doc = wsk.put_action(name, "def main(args):\n    return {'bb': True}\n", kind="blackbox")
    assert doc["exec"]["kind"] == "blackbox"
    assert wsk.invoke(name, result=True).json() == {"bb": True}


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"memory": 1024}, "memory size 1024 MB exceeds allowed threshold of 512 MB"),
        ({"memory": 64}, "memory size 64 MB below allowed threshold of 128 MB"),
        (
            {"timeout": 400000},
            "duration 400000 milliseconds exceeds allowed threshold of 300000 milliseconds",
        ),
        ({"timeout": 50}, "duration 50 milliseconds below allowed threshold of 100 milliseconds"),
        ({"logs": 11}, "log size 11 MB exceeds allowed threshold of 10 MB"),
        ({"memory": 200.5}, "memory limit must be whole number"),
    ],
)
def test_limits_out_of_range_are_400(wsk: Whisk, limits: dict[str, float], message: str) -> None:
    resp = wsk.put(
        "actions", wsk.unique("lim"), {"exec": {"kind": "python:3.11", "code": ECHO}, "limits": limits}
    )
    assert resp.status_code == 400
    assert message in resp.json()["error"]


@pytest.mark.parametrize("bad", ["has%2Fslash", "-dash-first", "a%24b", "x" * 257])
def test_invalid_names_are_400(wsk: Whisk, bad: str) -> None:
    resp = wsk.session.put(wsk.url("actions", bad), json={"exec": {"kind": "python:3.11", "code": ECHO}})
    assert resp.status_code in (400, 404), resp.text  # a decoded "/" makes a path OpenWhisk does not route
    if resp.status_code == 400:
        assert "illegal characters" in resp.json()["error"]


def test_malformed_json_is_400(wsk: Whisk) -> None:
    name = wsk.unique("bad")
    resp = wsk.session.put(
        wsk.url("actions", name), data=b'{"exec": {"kind": ', headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert "malformed" in resp.json()["error"]
    resp = wsk.session.post(
        wsk.url("actions", name), data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code in (400, 404)


def test_missing_exec_and_bad_parameters_are_400(wsk: Whisk) -> None:
    resp = wsk.put("actions", wsk.unique("noexec"), {"parameters": []})
    assert resp.status_code == 400
    resp = wsk.put(
        "actions", wsk.unique("badp"), {"exec": {"kind": "python:3.11", "code": ECHO}, "parameters": {"a": 1}}
    )
    assert resp.status_code == 400


def test_provide_api_key_annotation_controls_the_key(wsk: Whisk) -> None:
    code = "import os\n\ndef main(args):\n    return {'key': os.environ.get('__OW_API_KEY')}\n"
    hidden, shown = wsk.unique("nokey"), wsk.unique("key")
    wsk.put_action(hidden, code)
    wsk.put_action(shown, code, annotations=[{"key": "provide-api-key", "value": True}])
    assert wsk.invoke(hidden, result=True).json() == {"key": None}
    assert wsk.invoke(shown, result=True).json() == {"key": wsk.auth}
