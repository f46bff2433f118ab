"""manifest.yaml deployed to the local stack (real OpenWhisk, pouchdb-server, s3rver, feed provider): the
deposit API over HTTP, the presigned upload, the check-uploaded trigger and rule, the process-check
sequence, the changes feed -> read -> notify-customer sequence, and find-new-checks re-running a deposit
whose trigger was dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.fixtures.app import App, deploy_app, undeploy_app
from tests.fixtures.checks import SyntheticCheck, synthetic_check
from tests.fixtures.stack import LocalStack
from tests.integration.test_pipeline_support import require_micr_models


@pytest.fixture(scope="module")
def deployed(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_micr_models()
    # A short stale time so the test can watch find-new-checks recover a deposit within seconds.
    app = deploy_app(stack, tmp_path_factory.mktemp("openchecks-env"), stale_after_seconds=3)
    try:
        yield app
    finally:
        undeploy_app(app)


def _start_deposit(app: App, headers: dict[str, str], check: SyntheticCheck) -> str:
    """Create the deposit and upload both sides (not confirmed yet); returns the id."""
    created = app.create(headers, "image/jpeg", check.declared)
    assert app.upload(created, check.front).status_code == 200
    assert app.upload(created, check.back, "back").status_code == 200
    return str(created["id"])


def test_deposits_flow_through_the_deployed_pipeline(deployed: App) -> None:
    app = deployed
    since_ms = int(time.time() * 1000)
    check = synthetic_check(4)  # a good check: printed amount, endorsed back, photographed
    alice = app.headers("alice@example.com")
    deposit_id = _start_deposit(app, alice, check)
    confirmed = app.confirm(alice, deposit_id)
    assert confirmed.status_code == 202 and confirmed.json()["queued"] is True
    doc = app.wait_final(alice, deposit_id)
    assert doc["status"] == "accepted", doc
    assert doc["reading"]["routing"] == check.routing
    assert doc["amount_read"]["cents"] == doc["amount_cents"] and doc["endorsement"]["restrictive"]
    assert doc["images"]["front"]["dpi"] == 200 and doc["images"]["back"]["url"]
    assert set(doc["steps"]) == {"fetch-image", "ocr-check", "parse-check", "record-deposit"}
    # The steps' activation ids are for reviewers (the ops view); the customer's view has none.
    assert not any("activation_id" in step for step in doc["steps"].values())
    reviewer = app.headers("rita@bank.example", "reviewer")
    full = app.call("GET", f"/deposits/{deposit_id}", reviewer).json()
    assert all(len(step["activation_id"]) == 32 for step in full["steps"].values())
    assert requests.get(doc["images"]["small"], timeout=10).content[:2] == b"\xff\xd8"

    # The same check again, by someone else: held as a duplicate.
    bob = app.headers("bob@example.com")
    again = _start_deposit(app, bob, check)
    assert app.confirm(bob, again).status_code == 202
    second = app.wait_final(bob, again)
    # Bob is not told Alice's deposit id; a reviewer is.
    assert second["status"] == "duplicate" and "duplicate_of" not in second and deposit_id not in str(second)
    held = app.call("GET", f"/deposits/{again}", reviewer).json()
    assert held["duplicate_of"] == deposit_id
    # The api container is warm by now: its clients come from the module globals (recorded flags, not timing).
    api_meta = app.call("GET", f"/deposits/{again}", bob).json()["_meta"]
    assert api_meta["cold"] is False and api_meta["cache"]["clients"] == "hit"
    # Alice cannot see Bob's deposit; a reviewer can.
    assert app.call("GET", f"/deposits/{again}", alice).status_code == 404
    assert app.call("GET", f"/deposits/{again}", reviewer).status_code == 200

    # The changes feed -> notify-customer wrote one outbox message per outcome.
    notes_url = f"{app.stack.couchdb_url}/notifications/_all_docs?include_docs=true"
    deadline = time.monotonic() + 60
    statuses: set[tuple[str, str]] = set()
    while time.monotonic() < deadline:
        rows = requests.get(notes_url, timeout=10).json().get("rows", [])
        statuses = {(r["doc"]["deposit_id"], r["doc"]["status"]) for r in rows}
        if {(deposit_id, "accepted"), (again, "duplicate")} <= statuses:
            break
        time.sleep(1)
    assert {(deposit_id, "accepted"), (again, "duplicate")} <= statuses
    # The feed's filter (openchecks.notify.FILTER) fires it for outcomes only: of each deposit's three
    # changes (draft, processing, outcome) only the outcome starts notify-customer.
    ran = [a for a in app.activations(since_ms) if a.get("name") == "notify-customer"]
    assert len(ran) == 2, [a.get("response", {}).get("result") for a in ran]


def test_a_dropped_trigger_is_recovered_by_find_new_checks(deployed: App) -> None:
    app, stack = deployed, deployed.stack
    check = synthetic_check(1)
    carol = app.headers("carol@example.com")
    rule = stack.ns_url("rules/process-uploaded-check")
    assert stack.wsk.post(rule, json={"status": "inactive"}, timeout=30).status_code == 200
    try:
        deposit_id = _start_deposit(app, carol, check)
        assert app.confirm(carol, deposit_id).status_code == 202
    finally:
        assert stack.wsk.post(rule, json={"status": "active"}, timeout=30).status_code == 200
    time.sleep(4)  # past stale_after_seconds
    assert deposit_id in app.sweep()["retried"]
    doc = app.wait_final(carol, deposit_id)
    assert doc["status"] == "accepted" and doc["reading"]["routing"] == check.routing
    assert doc["attempts"] >= 2
