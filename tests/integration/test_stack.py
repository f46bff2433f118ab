"""`python -m infra.stack up|status|stop|reset` on free ports and a temp data dir, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import requests

from infra.services.process import free_port
from infra.services.s3 import s3_client
from tests.fixtures.stack import SERVICES, LocalStack, start_stack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_dead(pids: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        assert time.monotonic() < deadline, [p for p in pids if _alive(p)]
        time.sleep(0.1)


def _alarm_version(stack: LocalStack) -> str:
    resp = stack.wsk.get(stack.ns_url("actions/alarms/alarm", "whisk.system"), timeout=10)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["version"])


def test_stack_lifecycle(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stack = start_stack(data)
    try:
        first = stack.cli("status")
        assert first.returncode == 0, first.stderr
        doc = json.loads(first.stdout)
        for name in SERVICES:
            assert doc[name]["url"] == stack.url(name) and doc[name]["status"] == "up"
            assert _alive(doc[name]["pid"])
        assert _alive(doc["supervisor"]["pid"])
        for sub in ("couchdb", "s3", "whisk", "feeds", "logs", "run"):
            assert (data / sub).is_dir()
        assert (data / "logs" / "couchdb.log").is_file()
        version = _alarm_version(stack)
        binding = stack.wsk.get(stack.ns_url("packages/cloudant-local"), timeout=10).json()
        assert binding["binding"] == {"namespace": "whisk.system", "name": "cloudant"}

        # A second `up` is harmless: same processes, no new catalog revisions.
        again = stack.cli("up")
        assert again.returncode == 0, again.stderr
        doc2 = json.loads(again.stdout)
        everything = (*SERVICES, "supervisor")
        assert [doc2[n]["pid"] for n in everything] == [doc[n]["pid"] for n in everything]
        assert _alarm_version(stack) == version

        # The buckets exist with the upload CORS rule; keep a document and an object across stop + up.
        s3 = s3_client(stack.s3_url)
        rules = s3.get_bucket_cors(Bucket="openchecks-incoming")["CORSRules"]
        assert "PUT" in rules[0]["AllowedMethods"] and "ETag" in rules[0]["ExposeHeaders"]
        s3.put_object(Bucket="openchecks-incoming", Key="kept.jpg", Body=b"image bytes")
        assert requests.put(f"{stack.couchdb_url}/deposits", timeout=10).status_code == 201
        put = requests.put(f"{stack.couchdb_url}/deposits/d1", json={"amount": 5}, timeout=10)
        assert put.status_code == 201

        pids = [doc[n]["pid"] for n in everything]
        stopped = stack.cli("stop")
        assert stopped.returncode == 0 and json.loads(stopped.stdout)["stopped"] is True
        _wait_dead(pids)
        down = stack.cli("status")
        assert down.returncode == 1 and json.loads(down.stdout)["running"] is False
        for name in SERVICES:
            try:
                requests.get(stack.url(name), timeout=1)
            except requests.ConnectionError:
                continue
            raise AssertionError(f"{name} still answers after stop")

        restarted = stack.cli("up")
        assert restarted.returncode == 0, restarted.stderr
        assert requests.get(f"{stack.couchdb_url}/deposits/d1", timeout=10).json()["amount"] == 5
        kept = s3_client(stack.s3_url).get_object(Bucket="openchecks-incoming", Key="kept.jpg")
        assert kept["Body"].read() == b"image bytes"
        assert _alarm_version(stack) == version

        # A supervisor killed outright leaves its services orphaned; the next `up` replaces them.
        orphaned = json.loads(restarted.stdout)
        os.kill(orphaned["supervisor"]["pid"], signal.SIGKILL)
        _wait_dead([orphaned["supervisor"]["pid"]])
        assert stack.cli("status").returncode == 1
        recovered = stack.cli("up")
        assert recovered.returncode == 0, recovered.stderr + recovered.stdout
        _wait_dead([orphaned[n]["pid"] for n in SERVICES])
        assert requests.get(f"{stack.couchdb_url}/deposits/d1", timeout=10).json()["amount"] == 5
    finally:
        stack.cli("stop")

    wiped = stack.cli("reset")
    assert wiped.returncode == 0, wiped.stderr
    assert not data.exists()
    assert stack.cli("status").returncode == 1


def test_status_of_a_stack_never_started(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path / "none", {name: 1 for name in SERVICES})
    result = stack.cli("status")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["running"] is False and doc["supervisor"]["pid"] is None
    assert all(doc[name]["pid"] is None and doc[name]["status"] == "stopped" for name in SERVICES)


def test_up_names_a_port_that_another_program_holds(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        ports = {name: free_port() for name in SERVICES}
        ports["couchdb"] = squatter.getsockname()[1]
        stack = LocalStack(tmp_path / "data", ports)
        result = stack.cli("up", "--no-catalog", timeout=60)
    assert result.returncode == 1
    assert f"port {ports['couchdb']} (couchdb)" in result.stderr
    assert "OPENCHECKS_COUCHDB_PORT" in result.stderr
    assert stack.cli("status").returncode == 1
