"""Money and duplicates against the real pouchdb-server and s3rver (issue 13, items 1-3): the API and the
pipeline's steps in-process, as in test_pipeline_deposits. Twelve parallel creations against the daily
limit, two record-deposit runs at once, the edited check of tests/hostile/money.py read by the real MICR
reader, the image key through the real duplicates view, and the four-eyes rules through the API."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import require_shared_data
from tests.hostile.money import (
    DAILY_LIMIT_CENTS,
    DUPLICATE_RELEASES,
    EDITED_ACCOUNT,
    OWN_DEPOSIT_REVIEWS,
    PARALLEL_AMOUNT,
    PARALLEL_CREATES,
    SILESIA_ACCOUNT,
    edited_silesia,
)
from tests.integration.test_pipeline_support import (
    action,
    app_params,
    call_api,
    deposit,
    get_doc,
    png_bytes,
    provisioned,
    require_micr_models,
    run_sequence,
    set_config,
    token,
)

READING: dict[str, Any] = {
    "micr": "⑈1278⑈ ⑆063100277⑆ 003661702511⑈",
    "routing": "063100277",
    "account": SILESIA_ACCOUNT,
    "check_number": "1278",
    "amount_cents": None,
    "status": "accepted",
    "reasons": [],
    "confidence": 98.0,
}
REVIEWER = "rita@bank.example"


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    params = provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))
    return {**params, "config_ttl_seconds": 0}


def at_once(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def ledger(app: dict[str, Any], email: str, day: str) -> dict[str, Any]:
    from openchecks.ledger import ledger_id

    url = f"{app['cloudant_url']}/{app['claims_db']}/{ledger_id(email, day)}"
    doc: dict[str, Any] = requests.get(url, timeout=10).json()
    return doc


def test_twelve_parallel_creations_of_half_the_limit_create_two(app: dict[str, Any]) -> None:
    set_config(app, max_daily_cents=DAILY_LIMIT_CENTS)
    alice = token("alice@example.com")
    body = {"to_account": "12345678", "amount": PARALLEL_AMOUNT, "content_type": "image/png"}
    results = at_once(
        [lambda: call_api(app, "post", "/deposits", alice, body) for _ in range(PARALLEL_CREATES)]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 201] + [422] * (PARALLEL_CREATES - 2), statuses
    refused = [b for s, b in results if s == 422]
    assert {b["code"] for b in refused} == {"over_daily_limit"}
    assert all("daily limit of $100,000.00" in b["error"] for b in refused)
    created = [b["id"] for s, b in results if s == 201]
    day = get_doc(app, created[0])["day"]
    entries = ledger(app, "alice@example.com", day)["entries"]
    assert sorted(entries) == sorted(created) and {e["state"] for e in entries.values()} == {"held"}
    # The two drafts count before they are even uploaded.
    status, body = call_api(app, "post", "/deposits", alice, {"to_account": "12345678", "amount": "0.01"})
    assert (status, body["code"]) == (422, "over_daily_limit")


def test_record_deposit_runs_at_once_cannot_accept_over_the_limit(app: dict[str, Any]) -> None:
    """Four $30,000 deposits held under a $200,000 limit; the bank lowers it to $100,000 before the pipeline
    records them, all at the same moment (before the ledger all four were accepted: $120,000)."""
    set_config(app, max_daily_cents=2 * DAILY_LIMIT_CENTS, max_item_cents=DAILY_LIMIT_CENTS)
    alice = token("alice@example.com")
    payloads = [deposit(app, alice, png_bytes(color=(i, i, i)), amount="30000.00") for i in (10, 20, 30, 40)]
    set_config(app, max_daily_cents=DAILY_LIMIT_CENTS)
    decision = {"status": "accepted", "reasons": []}
    inputs = [
        {**app, **p, "decision": decision, "reading": {**READING, "check_number": str(1278 + n)}}
        for n, p in enumerate(payloads)
    ]
    results = at_once([lambda i=i: action("record_deposit")(i) for i in inputs])
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["accepted"] * 3 + ["needs_review"], results
    held = next(r for r in results if r["status"] == "needs_review")
    assert held["reasons"] == ["over_daily_limit"]
    day = get_doc(app, held["deposit_id"])["day"]
    entries = ledger(app, "alice@example.com", day)["entries"]
    assert sum(e["cents"] for e in entries.values() if e["state"] == "accepted") == 9_000_000
    # A reviewer's approval rechecks the limit.
    reviewer = token(REVIEWER, "reviewer")
    url = f"/deposits/{held['deposit_id']}/review"
    status, body = call_api(app, "post", url, reviewer, {"action": "approve"})
    assert (status, body["code"]) == (409, "over_daily_limit") and "$100,000.00" in body["error"]
    set_config(app, max_daily_cents=12_000_000)
    status, body = call_api(app, "post", url, reviewer, {"action": "approve"})
    assert status == 200 and body["status"] == "accepted"


def test_the_edited_check_from_another_customer_is_not_accepted_twice(app: dict[str, Any]) -> None:
    """The hostile case of issue 13, read by the real MICR reader: the original by alice, then the copy
    with its account's first 0 painted over by mallory."""
    require_micr_models()
    set_config(app, require_back=False, require_restrictive_endorsement=False, quality={"max_streak": 1000.0})
    original = require_shared_data() / "checks" / "silesia-1278.png"
    first = deposit(app, token("alice@example.com"), original.read_bytes(), "1042.00", back=None)
    assert run_sequence(app, first)["status"] in ("accepted", "needs_review")
    mallory = token("mallory@example.com")
    second = deposit(app, mallory, edited_silesia(original), "1042.00", back=None)
    result = run_sequence(app, second)
    doc = get_doc(app, second["deposit_id"])
    assert doc["reading"]["account"] == EDITED_ACCOUNT  # the edit does fool the reader...
    assert result["status"] == "duplicate" and doc["duplicate_of"] == first["deposit_id"]  # ...not the key
    assert "duplicate_check" in doc["reasons"]
    assert len(doc["image_hash"]) == 64
    # Mallory learns nothing of alice's deposit; a reviewer sees which one it duplicates.
    status, view = call_api(app, "get", f"/deposits/{second['deposit_id']}", mallory)
    assert status == 200 and view["status"] == "duplicate" and "duplicate_of" not in view
    assert first["deposit_id"] not in str(view)
    status, listed = call_api(app, "get", "/deposits", mallory)
    assert first["deposit_id"] not in str(listed)
    reviewer = token(REVIEWER, "reviewer")
    status, view = call_api(app, "get", f"/deposits/{second['deposit_id']}", reviewer)
    assert view["duplicate_of"] == first["deposit_id"]
    status, body = call_api(
        app, "post", f"/deposits/{second['deposit_id']}/review", reviewer, {"action": "approve"}
    )
    assert (status, body["code"]) == (409, "duplicate_not_approvable")


def test_a_near_image_is_found_through_the_view(app: dict[str, Any]) -> None:
    """The image key alone (no MICR line read): a hash a few bits from a live deposit's is a possible
    duplicate; once that deposit is rejected it leaves the view and the same hash passes."""
    alice, bob = token("alice@example.com"), token("bob@example.com")
    image = "8fb68fb3ccb6858d73aa7046d24db951681825d40b77369685bacd2987055aaf"
    edited = "8fb68fb3ccb685cd73aa704ed26db951681025d40b773696859acd2987055aab"  # 6 bits away
    decision = {"status": "needs_review", "reasons": ["low_confidence"]}
    runs = []
    for tok, value in ((alice, image), (bob, edited)):
        payload = deposit(app, tok, png_bytes())
        runs.append(payload)
        action("record_deposit")({**app, **payload, "decision": decision, "image_hash": value})
    first, second = (get_doc(app, p["deposit_id"]) for p in runs)
    assert first["reasons"] == ["low_confidence"]
    assert second["reasons"] == ["low_confidence", "possible_duplicate"]
    assert second["possible_duplicate_of"] == [first["_id"]]
    reviewer = token(REVIEWER, "reviewer")
    status, _ = call_api(
        app, "post", f"/deposits/{first['_id']}/review", reviewer, {"action": "reject", "reason": "forged"}
    )
    assert status == 200
    third = deposit(app, token("carol@example.com"), png_bytes())
    action("record_deposit")({**app, **third, "decision": decision, "image_hash": image})
    assert get_doc(app, third["deposit_id"])["possible_duplicate_of"] == [second["_id"]]


def test_four_eyes_through_the_api(app: dict[str, Any]) -> None:
    """A reviewer's own deposit (made with a customer token of the same address) is refused to them; a
    duplicate is released only by override, with a reason, after the deposit it duplicates is rejected."""
    rita_customer, rita = token(REVIEWER), token(REVIEWER, "reviewer")
    sam = token("sam@bank.example", "reviewer")
    doubtful = {**READING, "status": "needs_review", "reasons": ["low_confidence"]}
    own = deposit(app, rita_customer, png_bytes())
    assert run_sequence(app, own, reading=doubtful)["status"] == "needs_review"
    url = f"/deposits/{own['deposit_id']}/review"
    for body in OWN_DEPOSIT_REVIEWS:
        status, answer = call_api(app, "post", url, rita, body)
        assert (status, answer["code"]) == (403, "own_deposit"), body
        assert "another reviewer" in answer["error"]
    assert get_doc(app, own["deposit_id"])["status"] == "needs_review"
    copy = deposit(app, token("bob@example.com"), png_bytes(color=(7, 7, 7)))
    assert run_sequence(app, copy, reading=READING)["status"] == "duplicate"
    copy_url = f"/deposits/{copy['deposit_id']}/review"
    for body, expected_status, code in DUPLICATE_RELEASES:
        status, answer = call_api(app, "post", copy_url, sam, body)
        assert status == expected_status and answer.get("code", "") == code, (body, answer)
        assert get_doc(app, copy["deposit_id"])["status"] == "duplicate"
    status, answer = call_api(app, "post", url, sam, {"action": "reject", "reason": "unreadable photo"})
    assert status == 200 and answer["status"] == "rejected"
    release = {"action": "override", "reason": "first was unreadable"}
    status, answer = call_api(app, "post", copy_url, sam, release)
    assert status == 200 and answer["status"] == "accepted" and answer["override"]["of"] == own["deposit_id"]
    assert get_doc(app, copy["deposit_id"])["check_key"] == "check-063100277-3661702511-1278"


def test_claims_in_one_bulk_request_keep_the_first_owner(app: dict[str, Any]) -> None:
    """DepositStore.claim_checks on the real server: one `_bulk_docs` writes the claims and the image's index
    entry; an existing claim (another deposit's, or ours from a retried run) answers with its owner."""
    from openchecks.runtime import ActionContext

    store = ActionContext(app, "record-deposit").store()
    image = "8fb68fb3ccb6858d73aa7046d24db951681825d40b77369685bacd2987055aaf"
    first = store.claim_checks(["check-1-2-3", "item-1-3-100"], "dep-aaaa", image)
    assert first == {"check-1-2-3": "dep-aaaa", "item-1-3-100": "dep-aaaa"}
    assert store.claim_checks(["check-1-2-3", "item-1-3-100"], "dep-aaaa", image) == first  # a re-run
    other = store.claim_checks(["check-1-2-3", "item-9-9-100"], "dep-bbbb", None)
    assert other == {"check-1-2-3": "dep-aaaa", "item-9-9-100": "dep-bbbb"}
    claims = f"{app['cloudant_url']}/{app['claims_db']}"
    indexed = requests.get(f"{claims}/image-dep-aaaa", timeout=10).json()
    assert indexed["hex"] == image and indexed["_rev"].startswith("1-")  # written once
    assert set(store.image_candidates(indexed["bands"])) == {("dep-aaaa", image)}
