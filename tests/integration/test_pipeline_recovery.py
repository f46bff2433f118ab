"""find-new-checks against the real servers: a dropped trigger is recovered, attempts are bounded, an
upload never confirmed is picked up, and a deposit never uploaded is closed with a reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openchecks.documents import utc_now
from openchecks.recovery import find_new_checks
from openchecks.runtime import ActionContext

from tests.integration.test_pipeline_deposits import READING
from tests.integration.test_pipeline_support import (
    app_params,
    call_api,
    deposit,
    get_doc,
    png_bytes,
    provisioned,
    run_sequence,
    token,
    upload,
)


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def sweep(app: dict[str, Any], minutes_later: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    started: list[dict[str, Any]] = []
    ctx = ActionContext(app, "find-new-checks")
    result = find_new_checks(
        ctx, lambda p: started.append(dict(p)), now=utc_now() + timedelta(minutes=minutes_later)
    )
    return result["report"], started


def test_a_dropped_trigger_is_recovered_and_processed_once(app: dict[str, Any]) -> None:
    payload = deposit(app, token("alice@example.com"), png_bytes())  # the trigger is "dropped": nothing runs
    report, started = sweep(app, 0.5)
    assert report["retried"] == []  # not stale yet
    report, started = sweep(app, 10)
    assert report["retried"] == [payload["deposit_id"]]
    assert started == [{"deposit_id": payload["deposit_id"], "attempt": 2}]
    assert run_sequence(app, started[0], reading=READING)["status"] == "accepted"
    doc = get_doc(app, payload["deposit_id"])
    assert doc["attempts"] == 2 and [h["status"] for h in doc["history"]][-1] == "accepted"
    report, started = sweep(app, 20)
    assert started == [] and report["retried"] == []


def test_attempts_are_bounded_then_failed_with_the_reason(app: dict[str, Any]) -> None:
    payload = deposit(app, token("alice@example.com"), png_bytes())
    # ocr-check is the step that reads the uploads from COS (fetch-image asks COS nothing).
    broken = {"ocr_check": {"cos_endpoint": "http://127.0.0.1:9"}}
    assert "error" in run_sequence(app, payload, overrides=broken)
    for minutes in (10, 20):
        report, started = sweep(app, minutes)
        assert report["retried"] == [payload["deposit_id"]]
        assert "error" in run_sequence(app, started[0], overrides=broken)
    report, started = sweep(app, 30)
    assert report["failed"] == [payload["deposit_id"]] and started == []
    doc = get_doc(app, payload["deposit_id"])
    assert doc["status"] == "failed" and doc["reasons"] == ["processing_failed"]
    assert "3 attempts" in doc["history"][-1]["reason"] and "Object storage" in doc["history"][-1]["reason"]
    # Visible and retryable: a reviewer sends it through again once storage is back.
    fired: list[dict[str, Any]] = []
    path = f"/deposits/{payload['deposit_id']}/review"
    status, body = call_api(
        app,
        "post",
        path,
        token("rita@bank.example", "reviewer"),
        {"action": "retry", "reason": "storage is back"},
        fired=fired,
    )
    assert status == 200 and body["status"] == "processing" and body["attempts"] == 1
    assert fired == [{"trigger": "check-uploaded", "deposit_id": payload["deposit_id"], "attempt": 1}]
    assert run_sequence(app, {"deposit_id": payload["deposit_id"]}, reading=READING)["status"] == "accepted"
    status, body = call_api(app, "post", path, token("rita@bank.example", "reviewer"), {"action": "retry"})
    assert (status, body["code"]) == (409, "not_retryable")


def test_an_upload_never_confirmed_is_picked_up(app: dict[str, Any]) -> None:
    alice = token("alice@example.com")
    _, created = call_api(
        app,
        "post",
        "/deposits",
        alice,
        {"to_account": "12345678", "amount": "5.00", "content_type": "image/png"},
    )
    assert upload(created, png_bytes()).status_code == 200  # ...and the browser closed before confirming
    report, started = sweep(app, 10)
    assert report["confirmed"] == [created["id"]]
    assert get_doc(app, created["id"])["status"] == "processing"
    assert run_sequence(app, started[0], reading=READING)["status"] == "accepted"


def test_a_deposit_never_uploaded_is_closed_with_a_reason(app: dict[str, Any]) -> None:
    _, created = call_api(
        app, "post", "/deposits", token("alice@example.com"), {"to_account": "12345678", "amount": "5.00"}
    )
    report, _ = sweep(app, 10)
    assert report["closed"] == [] and get_doc(app, created["id"])["status"] == "received"
    report, _ = sweep(app, 24 * 60)
    assert report["closed"] == [created["id"]]
    doc = get_doc(app, created["id"])
    assert doc["status"] == "failed" and doc["reasons"] == ["upload_missing"]
