"""Authentication, namespaces, info documents and the error format."""

from __future__ import annotations

import base64
import http.client
import socket
import statistics
import time

import pytest
import requests

from tests.fixtures.whisk import Whisk


def test_missing_credentials_is_401_with_challenge(whisk: Whisk) -> None:
    resp = requests.get(f"{whisk.api_host}/api/v1/namespaces/_/actions", timeout=10)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert set(resp.json()) == {"error", "code"}


def test_wrong_credentials_is_401(whisk: Whisk) -> None:
    resp = requests.get(f"{whisk.api_host}/api/v1/namespaces/_/actions", auth=("nobody", "wrong"), timeout=10)
    assert resp.status_code == 401
    assert "authentication" in resp.json()["error"]


@pytest.mark.local_only
def test_namespaces_and_other_namespace_is_403(whisk: Whisk) -> None:
    assert whisk.session.get(f"{whisk.api_host}/api/v1/namespaces").json() == ["guest"]
    resp = whisk.session.get(f"{whisk.api_host}/api/v1/namespaces/someoneelse/actions")
    assert resp.status_code == 403
    assert resp.json()["error"] == "The supplied authentication is not authorized to access this resource."


def test_info_documents(whisk: Whisk) -> None:
    root = requests.get(f"{whisk.api_host}/", timeout=10).json()
    assert "/api/v1" in root["api_paths"]
    assert any(r["kind"].startswith("python:") for r in root["runtimes"]["python"])
    assert "limits" in root
    api = requests.get(f"{whisk.api_host}/api/v1", timeout=10).json()
    assert api["api_version_path"] == "v1"
    if whisk.local:
        assert api["runtimes"] == root["runtimes"] and api["limits"]["max_action_memory"] == 512 * 1024 * 1024


@pytest.mark.local_only
def test_the_default_python_runtime_is_the_manifests(whisk: Whisk) -> None:
    root = requests.get(f"{whisk.api_host}/", timeout=10).json()
    defaults = [r["kind"] for r in root["runtimes"]["python"] if r.get("default")]
    assert defaults == ["python:3.10"]  # apache/openwhisk ansible/files/runtimes.json


def test_limits_are_in_openwhisks_units(whisk: Whisk) -> None:
    user, key = whisk.auth.split(":")
    limits = requests.get(f"{whisk.api_host}/api/v1/namespaces/_/limits", auth=(user, key), timeout=10).json()
    # UserLimits as JSON: memory and logs in MB, timeouts in ms, the parameter size a ByteSize string
    assert limits == {
        "invocationsPerMinute": 60,
        "concurrentInvocations": 30,
        "firesPerMinute": 60,
        "minActionMemory": 128,
        "maxActionMemory": 512,
        "minActionLogs": 0,
        "maxActionLogs": 10,
        "minActionTimeout": 100,
        "maxActionTimeout": 300000,
        "minActionConcurrency": 1,
        "maxActionConcurrency": 1,
        "maxParameterSize": "1 MB",
        "maxActionInstances": 30,
    }


def test_one_name_is_shared_by_actions_packages_triggers_and_rules(wsk: Whisk) -> None:
    name = wsk.unique("shared")
    wsk.put_action(name, "def main(args):\n    return args\n")
    conformance = "Resource by this name exists but is not in this collection."
    for collection in ("packages", "triggers", "rules"):
        put = wsk.put(
            collection, name, {"trigger": "/_/x", "action": "/_/y"} if collection == "rules" else {}
        )
        assert (put.status_code, put.json()["error"]) == (409, conformance), collection
        got = wsk.session.get(wsk.url(collection, name))
        assert (got.status_code, got.json()["error"]) == (409, conformance), collection
        assert wsk.session.delete(wsk.url(collection, name)).status_code == 409
    assert wsk.session.get(wsk.url("actions", name)).status_code == 200


def test_unknown_collection_and_path_are_404(whisk: Whisk) -> None:
    assert whisk.session.get(whisk.url("nothing")).status_code == 404
    assert whisk.session.get(f"{whisk.api_host}/api/v1/nowhere").status_code == 404


@pytest.mark.local_only
def test_keep_alive_and_no_delayed_ack_stall(whisk: Whisk) -> None:
    """One HTTP/1.1 connection serves many requests, each well under the 40 ms delayed-ACK stall."""
    host, port = whisk.api_host.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    token = base64.b64encode(whisk.auth.encode()).decode()
    try:
        timings = []
        sock = None
        for _ in range(21):
            started = time.perf_counter()
            conn.request(
                "GET", "/api/v1/namespaces/_/actions?limit=1", headers={"Authorization": f"Basic {token}"}
            )
            resp = conn.getresponse()
            resp.read()
            timings.append(time.perf_counter() - started)
            assert resp.status == 200
            sock = sock or conn.sock
            assert conn.sock is sock  # same socket: keep-alive
        assert statistics.median(timings) < 0.02
    finally:
        conn.close()


def test_rest_api_answers_cors_preflight(whisk: Whisk) -> None:
    resp = requests.options(whisk.url("actions"), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    assert whisk.session.get(whisk.url("actions")).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.local_only
def test_garbage_and_abandoned_requests_do_not_hurt_the_platform(whisk: Whisk) -> None:
    host, port = whisk.api_host.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"\x00\x01GARBAGE \xff\r\n\r\n")
        assert sock.recv(100)  # an error reply, whatever its form
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 501")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        # promises a body, sends half of it, goes away
        sock.sendall(
            b"POST /api/v1/namespaces/_/actions/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
        )
    resp = whisk.session.get(f"{whisk.api_host}/api/v1", timeout=10)
    assert resp.status_code == 200
