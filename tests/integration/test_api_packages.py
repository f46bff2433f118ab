"""Packages and bindings: parameters, merge order, bindings to another namespace's public package, errors."""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.whisk import SYSTEM_AUTH, Whisk

ECHO = "def main(args):\n    return args\n"


def test_package_action_and_merge_order(wsk: Whisk) -> None:
    pkg, binding = wsk.unique("pkg"), wsk.unique("bind")
    resp = wsk.put(
        "packages",
        pkg,
        {
            "parameters": [
                {"key": "a", "value": "pkg"},
                {"key": "b", "value": "pkg"},
                {"key": "c", "value": "pkg"},
                {"key": "d", "value": "pkg"},
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    wsk.put_action(
        f"{pkg}/echo", ECHO, parameters=[{"key": "c", "value": "action"}, {"key": "d", "value": "action"}]
    )
    resp = wsk.put(
        "packages",
        binding,
        {
            "binding": {"namespace": "_", "name": pkg},
            "parameters": [{"key": "b", "value": "binding"}, {"key": "c", "value": "binding"}],
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["binding"] == {"namespace": wsk.namespace, "name": pkg}

    direct = wsk.invoke(f"{pkg}/echo", {"d": "payload"}, result=True).json()
    assert direct == {"a": "pkg", "b": "pkg", "c": "action", "d": "payload"}
    # package < binding < action < payload
    via = wsk.invoke(f"{binding}/echo", {"d": "payload"})
    assert via.status_code == 200
    record = via.json()
    assert record["response"]["result"] == {"a": "pkg", "b": "binding", "c": "action", "d": "payload"}
    keys = {kv["key"]: kv["value"] for kv in record["annotations"]}
    assert keys["binding"] == f"{wsk.namespace}/{binding}" and keys["path"] == f"{wsk.namespace}/{pkg}/echo"

    got = wsk.session.get(wsk.url("packages", pkg)).json()
    assert [a["name"] for a in got["actions"]] == ["echo"]
    bound = wsk.session.get(wsk.url("packages", binding)).json()
    assert {kv["key"]: kv["value"] for kv in bound["parameters"]}["b"] == "binding"
    listed = wsk.session.get(wsk.url("actions", f"{pkg}/")).json()
    assert [a["name"] for a in listed] == ["echo"]


def test_binding_errors(wsk: Whisk) -> None:
    pkg, binding = wsk.unique("pkg"), wsk.unique("bind")
    resp = wsk.put("packages", binding, {"binding": {"namespace": "_", "name": wsk.unique("missing")}})
    assert resp.status_code == 400
    assert resp.json()["error"] == "Binding references a package that does not exist."
    assert wsk.put("packages", pkg, {}).status_code == 200
    assert wsk.put("packages", binding, {"binding": {"namespace": "_", "name": pkg}}).status_code == 200
    resp = wsk.put("packages", wsk.unique("b2"), {"binding": {"namespace": "_", "name": binding}})
    assert resp.status_code == 400 and resp.json()["error"] == "Cannot bind to another package binding."
    resp = wsk.put("actions", f"{binding}/x", {"exec": {"kind": "python:3.11", "code": ECHO}})
    assert resp.status_code == 400 and resp.json()["error"] == "Operation not permitted on package binding."
    resp = wsk.put("packages", pkg, {"binding": {"namespace": "_", "name": binding}}, overwrite=True)
    assert resp.status_code == 409
    resp = wsk.session.put(wsk.url("packages", "default"), json={})
    assert resp.status_code == 400 and "reserved" in resp.json()["error"]


def test_delete_non_empty_package_needs_force(wsk: Whisk) -> None:
    pkg = wsk.unique("pkg")
    assert wsk.put("packages", pkg, {}).status_code == 200
    wsk.put_action(f"{pkg}/one", ECHO)
    resp = wsk.session.delete(wsk.url("packages", pkg))
    assert resp.status_code == 409
    assert resp.json()["error"].startswith("Package not empty (contains 1 entities).")
    assert wsk.session.delete(wsk.url("packages", pkg), params={"force": "true"}).status_code == 200
    assert wsk.session.get(wsk.url("actions", f"{pkg}/one")).status_code == 404


@pytest.mark.local_only
def test_public_package_of_whisk_system_is_bindable(wsk: Whisk) -> None:
    system = requests.Session()
    system.auth = tuple(SYSTEM_AUTH.split(":", 1))  # type: ignore[assignment]
    base = f"{wsk.api_host}/api/v1/namespaces/whisk.system"
    shared, private = wsk.unique("shared"), wsk.unique("private")
    try:
        r = system.put(
            f"{base}/packages/{shared}", json={"publish": True, "parameters": [{"key": "s", "value": 1}]}
        )
        assert r.status_code == 200, r.text
        assert system.put(f"{base}/packages/{private}", json={"publish": False}).status_code == 200
        r = system.put(f"{base}/actions/{shared}/echo", json={"exec": {"kind": "python:3.11", "code": ECHO}})
        assert r.status_code == 200, r.text

        # guest reads and invokes the published package, not the private one
        assert wsk.session.get(f"{base}/packages/{shared}").status_code == 200
        assert wsk.session.get(f"{base}/packages/{private}").status_code == 403
        names = [p["name"] for p in wsk.session.get(f"{base}/packages").json()]
        assert shared in names and private not in names
        assert wsk.session.put(f"{base}/packages/{wsk.unique('x')}", json={}).status_code == 403
        r = wsk.session.post(
            f"{base}/actions/{shared}/echo", params={"blocking": "true", "result": "true"}, json={}
        )
        assert r.status_code == 200 and r.json() == {"s": 1}

        mine = wsk.unique("mine")
        r = wsk.put(
            "packages",
            mine,
            {
                "binding": {"namespace": "whisk.system", "name": shared},
                "parameters": [{"key": "b", "value": 2}],
            },
        )
        assert r.status_code == 200, r.text
        assert wsk.invoke(f"{mine}/echo", {"p": 3}, result=True).json() == {"s": 1, "b": 2, "p": 3}
        r = wsk.put(
            "packages", wsk.unique("nope"), {"binding": {"namespace": "whisk.system", "name": private}}
        )
        assert r.status_code == 403
    finally:
        system.delete(f"{base}/packages/{shared}", params={"force": "true"})
        system.delete(f"{base}/packages/{private}")
        system.close()


def test_a_plain_package_lists_binding_false_and_updates_replace_annotations(wsk: Whisk) -> None:
    pkg, bound = wsk.unique("plain"), wsk.unique("bound")
    assert wsk.put("packages", pkg, {"annotations": [{"key": "a", "value": 1}]}).status_code == 200
    assert wsk.put("packages", bound, {"binding": {"namespace": "_", "name": pkg}}).status_code == 200
    listed = {p["name"]: p for p in wsk.session.get(wsk.url("packages"), params={"limit": 200}).json()}
    assert listed[pkg]["binding"] is False
    assert listed[bound]["binding"] == {"namespace": wsk.namespace, "name": pkg}
    doc = wsk.put("packages", pkg, {"annotations": [{"key": "b", "value": 2}]}, overwrite=True).json()
    assert doc["annotations"] == [{"key": "b", "value": 2}]
    rebound = wsk.put("packages", bound, {"annotations": [{"key": "c", "value": 3}]}, overwrite=True).json()
    assert rebound["annotations"] == [
        {"key": "c", "value": 3},
        {"key": "binding", "value": {"namespace": wsk.namespace, "name": pkg}},
    ]
