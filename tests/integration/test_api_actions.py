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


# apache/openwhisk's runtimes manifest: python:3.10 (the default) and python:3.11; no python, no python:3.
@pytest.mark.parametrize(
    ("kind", "stored"),
    [("python:default", "python:3.10"), ("python:3.10", "python:3.10"), ("python:3.11", "python:3.11")],
)
def test_python_kinds_are_the_runtimes_manifests(wsk: Whisk, kind: str, stored: str) -> None:
    name = wsk.unique("kind")
    doc = wsk.put_action(name, ECHO, kind=kind)
    assert doc["exec"]["kind"] == stored and annotation(doc, "exec") == stored
    assert wsk.invoke(name, {"k": 1}, result=True).json() == {"k": 1}


@pytest.mark.parametrize("kind", ["cobol:85", "python", "python:3", "nodejs"])
def test_unknown_kind_is_400(wsk: Whisk, kind: str) -> None:
    resp = wsk.put("actions", wsk.unique("kind"), {"exec": {"kind": kind, "code": ECHO}})
    assert resp.status_code == 400
    assert resp.json()["error"] == (
        f"The specified runtime '{kind}' is not supported by this platform. "
        "Valid values are: 'python:3.10', 'python:3.11'."
    )


def test_the_info_document_lists_the_manifests_python_kinds(wsk: Whisk) -> None:
    python = wsk.session.get(wsk.api_host + "/").json()["runtimes"]["python"]
    assert [(r["kind"], r["default"]) for r in python] == [("python:3.10", True), ("python:3.11", False)]


def test_empty_code_is_accepted_at_put_and_fails_at_init(wsk: Whisk) -> None:
    name = wsk.unique("empty")
    doc = wsk.put_action(name, "")
    assert doc["exec"]["code"] == "" and doc["exec"]["binary"] is False
    record = wsk.invoke(name).json()
    assert record["response"]["status"] == "action developer error"
    assert record["response"]["result"] == {"error": "Missing main/no code to execute."}


def test_list_and_count_include_packaged_actions(wsk: Whisk) -> None:
    pkg, top, inner = wsk.unique("lpkg"), wsk.unique("ltop"), wsk.unique("linner")
    assert wsk.put("packages", pkg, {}).status_code == 200
    wsk.put_action(top, ECHO)
    wsk.put_action(f"{pkg}/{inner}", ECHO)
    listed = wsk.session.get(wsk.url("actions"), params={"limit": 200}).json()
    pairs = {(a["namespace"], a["name"]) for a in listed}
    assert (wsk.namespace, top) in pairs and (f"{wsk.namespace}/{pkg}", inner) in pairs
    count = wsk.session.get(wsk.url("actions"), params={"count": "true"}).json()["actions"]
    assert count == len(wsk.session.get(wsk.url("actions"), params={"limit": 200}).json()) >= 2


def test_update_removes_del_annotations_before_adding_the_new_ones(wsk: Whisk) -> None:
    name = wsk.unique("del")
    wsk.put_action(name, ECHO, annotations=[{"key": "a", "value": 1}, {"key": "b", "value": 2}])
    body = {"annotations": [{"key": "b", "value": 3}], "delAnnotations": ["a", "b"]}
    doc = wsk.put("actions", name, body, overwrite=True).json()
    assert annotation(doc, "a") is None
    assert annotation(doc, "b") == 3  # deleted from the old ones, then the given one added


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
