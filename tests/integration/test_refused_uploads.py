"""Nothing is kept from a refused deposit (issue 13, "The rest"): wherever a deposit is refused (over the
size limit at confirmation, never confirmed and then found oversized by find-new-checks, never completed,
refused by the pipeline's gate), its uploads leave the incoming bucket. Real pouchdb-server and s3rver."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openchecks.documents import utc_now
from openchecks.images import MAX_IMAGE_BYTES
from openchecks.recovery import find_new_checks
from openchecks.runtime import ActionContext

from tests.integration.test_pipeline_deposits import READING
from tests.integration.test_pipeline_support import (
    BACK,
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

BODY = {
    "to_account": "12345678",
    "amount": "5.00",
    "content_type": "image/png",
    "back_content_type": "image/png",
}
OVERSIZED = b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES + 1024)


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def stored(app: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    """The keys of the deposit's uploads still in the incoming bucket."""
    storage = ActionContext(app, "test").storage()
    keys = [str((doc.get(name) or {}).get("key", "")) for name in ("image", "back_image")]
    return [k for k in keys if k and storage.head(app["bucket_incoming"], k) is not None]


def sweep(app: dict[str, Any], minutes_later: float) -> dict[str, Any]:
    ctx = ActionContext(app, "find-new-checks")
    result = find_new_checks(ctx, lambda p: "0" * 32, now=utc_now() + timedelta(minutes=minutes_later))
    report: dict[str, Any] = result["report"]
    return report


def test_an_oversized_upload_refused_at_confirmation_is_deleted(app: dict[str, Any]) -> None:
    alice = token("alice@example.com")
    _, created = call_api(app, "post", "/deposits", alice, BODY)
    assert upload(created, OVERSIZED).status_code == 200 and upload(created, BACK, "back").status_code == 200
    doc = get_doc(app, created["id"])
    assert len(stored(app, doc)) == 2
    status, body = call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice)
    assert (status, body["code"]) == (413, "image_too_large")
    assert stored(app, doc) == []


def test_an_oversized_upload_never_confirmed_is_rejected_and_deleted_by_the_sweeper(
    app: dict[str, Any],
) -> None:
    _, created = call_api(app, "post", "/deposits", token("alice@example.com"), BODY)
    assert upload(created, OVERSIZED).status_code == 200 and upload(created, BACK, "back").status_code == 200
    report = sweep(app, 10)
    assert report["rejected"] == [created["id"]] and report["confirmed"] == []
    doc = get_doc(app, created["id"])
    assert doc["status"] == "rejected" and doc["reasons"] == ["image_too_large"]
    assert stored(app, doc) == []


def test_a_deposit_never_completed_loses_what_was_uploaded(app: dict[str, Any]) -> None:
    _, created = call_api(app, "post", "/deposits", token("alice@example.com"), BODY)
    assert upload(created, BACK, "back").status_code == 200  # the back only, then the customer left
    assert sweep(app, 24 * 60)["closed"] == [created["id"]]
    doc = get_doc(app, created["id"])
    assert doc["status"] == "failed" and stored(app, doc) == []


def test_an_upload_replaced_after_it_was_validated_is_refused_and_deleted(app: dict[str, Any]) -> None:
    """The front replaced after the API validated it (a replayed presigned URL): ocr-check reads it by the
    validated ETag (If-Match) and refuses it, record-deposit records `rejected` and deletes both uploads."""
    alice = token("alice@example.com")
    _, created = call_api(app, "post", "/deposits", alice, BODY)
    assert (
        upload(created, png_bytes()).status_code == 200 and upload(created, BACK, "back").status_code == 200
    )
    fired: list[dict[str, Any]] = []
    assert call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice, fired=fired)[0] == 202
    assert upload(created, OVERSIZED).status_code == 200
    payload = {k: v for k, v in fired[0].items() if k != "trigger"}
    assert run_sequence(app, payload)["status"] == "rejected"
    doc = get_doc(app, created["id"])
    assert doc["reasons"] in (["image_changed"], ["image_too_large"])
    assert stored(app, doc) == []


def test_an_accepted_deposit_keeps_its_uploads(app: dict[str, Any]) -> None:
    payload = deposit(app, token("alice@example.com"), png_bytes())
    assert run_sequence(app, payload, reading=READING)["status"] == "accepted"
    assert len(stored(app, get_doc(app, payload["deposit_id"]))) == 2
