"""pouchdb-server and s3rver as the stack runs them: answers, CORS for browser uploads, supervision."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

from infra.services.couchdb import couchdb_process, create_database
from infra.services.process import free_port
from infra.services.s3 import s3_process
from infra.services.supervise import Supervisor
from tests.fixtures.services import CouchDBServer, S3Server


def test_couchdb_stores_documents(couchdb: CouchDBServer) -> None:
    db = couchdb.new_db()
    put = requests.put(f"{couchdb.url}/{db}/doc1", json={"amount": 12.5}, timeout=10)
    assert put.status_code == 201
    got = requests.get(f"{couchdb.url}/{db}/doc1", timeout=10).json()
    assert got["amount"] == 12.5 and got["_rev"] == put.json()["rev"]
    stale = requests.put(f"{couchdb.url}/{db}/doc1", json={"amount": 1}, timeout=10)
    assert stale.status_code == 409


def test_s3_stores_objects(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    client = s3.client()
    client.put_object(Bucket=bucket, Key="checks/a.jpg", Body=b"\xff\xd8image", ContentType="image/jpeg")
    obj = client.get_object(Bucket=bucket, Key="checks/a.jpg")
    assert obj["Body"].read() == b"\xff\xd8image"


def test_browser_upload_preflight_is_allowed(s3: S3Server) -> None:
    bucket = s3.new_bucket()
    origin = "http://127.0.0.1:8080"
    pre = requests.options(
        f"{s3.url}/{bucket}/incoming/x.jpg",
        timeout=10,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] in ("*", origin)
    assert "PUT" in pre.headers["Access-Control-Allow-Methods"]
    # DELETE is not in the rule: a browser may not delete objects.
    denied = requests.options(
        f"{s3.url}/{bucket}/incoming/x.jpg",
        timeout=10,
        headers={"Origin": origin, "Access-Control-Request-Method": "DELETE"},
    )
    assert denied.status_code == 403
    s3.client().put_object(Bucket=bucket, Key="k", Body=b"x")
    got = requests.get(f"{s3.url}/{bucket}/k", headers={"Origin": origin}, timeout=10)
    assert "ETag" in got.headers.get("Access-Control-Expose-Headers", "")


def _wait(cond: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_supervisor_restarts_a_killed_couchdb_and_keeps_its_data(tmp_path: Path) -> None:
    couch = couchdb_process(tmp_path / "couchdb", free_port(), tmp_path / "logs" / "couchdb.log")
    s3 = s3_process(tmp_path / "s3", free_port(), tmp_path / "logs" / "s3.log")
    sup = Supervisor([couch, s3], state_path=tmp_path / "state.json", interval=0.3)
    sup.start_background()
    try:
        _wait(sup.all_up)
        create_database(couch.url, "deposits")
        assert requests.put(f"{couch.url}/deposits/d1", json={"status": "accepted"}, timeout=10).ok
        old_pid = couch.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        _wait(lambda: couch.pid not in (None, old_pid) and sup.all_up())
        assert sup.restarts("couchdb") == 1 and sup.restarts("s3") == 0
        doc = requests.get(f"{couch.url}/deposits/d1", timeout=10).json()
        assert doc["status"] == "accepted"
        assert sup.state()["couchdb"]["pid"] == couch.pid
    finally:
        sup.stop()
    assert couch.pid is None and s3.pid is None


def test_supervisor_replaces_a_server_that_stops_answering(tmp_path: Path) -> None:
    s3 = s3_process(tmp_path / "s3", free_port(), tmp_path / "s3.log")
    sup = Supervisor([s3], interval=0.3, unhealthy_after=2, health_timeout=1.0)
    sup.start_background()
    try:
        _wait(sup.all_up)
        hung = s3.pid
        assert hung is not None
        os.kill(hung, signal.SIGSTOP)  # alive but silent: only the health check can notice
        _wait(lambda: s3.pid not in (None, hung) and sup.all_up())
        assert sup.restarts("s3") == 1
        assert requests.get(s3.url, timeout=5).ok
    finally:
        sup.stop()
