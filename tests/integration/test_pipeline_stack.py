"""manifest.yaml deployed to the local stack (real OpenWhisk, pouchdb-server, s3rver, feed provider): the
deposit API over HTTP, the presigned upload, the check-uploaded trigger and rule, the process-check
sequence, the changes feed -> read -> notify-customer sequence, and find-new-checks re-running a deposit
whose trigger was dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openchecks import tokens

from tests.conftest import require_shared_data
from tests.fixtures.app import deploy_app, undeploy_app
from tests.fixtures.stack import LocalStack
from tests.integration.test_pipeline_support import require_micr_models

SECRET = "stack-test-token-secret-0123456789"
FINAL = {"accepted", "needs_review", "duplicate", "rejected", "failed"}


@pytest.fixture(scope="module")
def deployed(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_micr_models()
    # A short stale time so the test can watch find-new-checks recover a deposit within seconds.
    app = deploy_app(stack, tmp_path_factory.mktemp("openchecks-env"), stale_after_seconds=3, secret=SECRET)
    try:
        yield {"stack": stack, "api": app.api}
    finally:
        undeploy_app(app)


def _headers(email: str, role: str = "customer") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.mint(email, role, 600, SECRET)}"}


def _start_deposit(api: str, headers: dict[str, str], image: Path, amount: str) -> str:
    content_type = "image/png" if image.suffix == ".png" else "image/jpeg"
    created = requests.post(
        f"{api}/deposits",
        headers=headers,
        timeout=60,
        json={"to_account": "12345678", "amount": amount, "content_type": content_type},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    put = requests.put(
        body["upload_url"], data=image.read_bytes(), headers=body["upload_headers"], timeout=60
    )
    assert put.status_code == 200
    return str(body["id"])


def _wait_final(api: str, headers: dict[str, str], deposit_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        doc: dict[str, Any] = requests.get(f"{api}/deposits/{deposit_id}", headers=headers, timeout=30).json()
        if doc.get("status") in FINAL or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def test_deposits_flow_through_the_deployed_pipeline(deployed: dict[str, Any]) -> None:
    api = deployed["api"]
    checks = require_shared_data() / "checks"
    alice = _headers("alice@example.com")
    deposit_id = _start_deposit(api, alice, checks / "silesia-1278.png", "1042.00")
    confirmed = requests.post(f"{api}/deposits/{deposit_id}/uploaded", headers=alice, timeout=60)
    assert confirmed.status_code == 202 and confirmed.json()["queued"] is True
    doc = _wait_final(api, alice, deposit_id)
    assert doc["status"] == "accepted", doc
    assert doc["reading"]["routing"] == "063100277"
    assert set(doc["steps"]) == {"fetch-image", "ocr-check", "parse-check", "record-deposit"}
    assert all(len(step["activation_id"]) == 32 for step in doc["steps"].values())
    assert requests.get(doc["images"]["small"], timeout=10).content[:2] == b"\xff\xd8"

    # The same check again, by someone else: held as a duplicate.
    bob = _headers("bob@example.com")
    again = _start_deposit(api, bob, checks / "silesia-1278.png", "1042.00")
    assert requests.post(f"{api}/deposits/{again}/uploaded", headers=bob, timeout=60).status_code == 202
    second = _wait_final(api, bob, again)
    assert second["status"] == "duplicate" and second["duplicate_of"] == deposit_id
    # The api container is warm by now: its clients come from the module globals (recorded flags, not timing).
    api_meta = requests.get(f"{api}/deposits/{again}", headers=bob, timeout=30).json()["_meta"]
    assert api_meta["cold"] is False and api_meta["cache"]["clients"] == "hit"
    # Alice cannot see Bob's deposit; a reviewer can.
    assert requests.get(f"{api}/deposits/{again}", headers=alice, timeout=30).status_code == 404
    assert (
        requests.get(
            f"{api}/deposits/{again}", headers=_headers("rita@bank.example", "reviewer"), timeout=30
        ).status_code
        == 200
    )

    # The changes feed -> read -> notify-customer wrote one outbox message per outcome.
    notes_url = f"{deployed['stack'].couchdb_url}/notifications/_all_docs?include_docs=true"
    deadline = time.monotonic() + 60
    statuses: set[tuple[str, str]] = set()
    while time.monotonic() < deadline:
        rows = requests.get(notes_url, timeout=10).json().get("rows", [])
        statuses = {(r["doc"]["deposit_id"], r["doc"]["status"]) for r in rows}
        if {(deposit_id, "accepted"), (again, "duplicate")} <= statuses:
            break
        time.sleep(1)
    assert {(deposit_id, "accepted"), (again, "duplicate")} <= statuses


def test_a_dropped_trigger_is_recovered_by_find_new_checks(deployed: dict[str, Any]) -> None:
    stack, api = deployed["stack"], deployed["api"]
    checks = require_shared_data() / "checks"
    carol = _headers("carol@example.com")
    rule = stack.ns_url("rules/process-uploaded-check")
    assert stack.wsk.post(rule, json={"status": "inactive"}, timeout=30).status_code == 200
    try:
        deposit_id = _start_deposit(api, carol, checks / "wells-cashiers.jpg", "12000.42")
        assert (
            requests.post(f"{api}/deposits/{deposit_id}/uploaded", headers=carol, timeout=60).status_code
            == 202
        )
    finally:
        assert stack.wsk.post(rule, json={"status": "active"}, timeout=30).status_code == 200
    time.sleep(4)  # past stale_after_seconds
    sweep = stack.wsk.post(
        stack.ns_url("actions/openchecks/find-new-checks"),
        json={},
        timeout=120,
        params={"blocking": "true", "result": "true"},
    )
    assert sweep.status_code == 200, sweep.text
    assert deposit_id in sweep.json()["report"]["retried"]
    doc = _wait_final(api, carol, deposit_id)
    assert doc["status"] == "accepted" and doc["reading"]["routing"] == "121000248"
    assert doc["attempts"] >= 2
