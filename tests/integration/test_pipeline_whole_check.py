"""The whole check through the deposit pipeline against a real pouchdb-server and s3rver, with the real
readers (straightening, quality, MICR, amount, endorsement): synthetic checks with a printed amount and an
endorsed back, photographed hand-held, generated here with fixed seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.checks import synthetic_check
from tests.integration.test_pipeline_support import (
    app_params,
    call_api,
    deposit,
    get_doc,
    provisioned,
    require_micr_models,
    run_sequence,
    token,
)

pytestmark = pytest.mark.integration

QUALITY_TESTS = {
    "partial_image",
    "excessive_skew",
    "piggyback",
    "too_light_or_too_dark",
    "streaks_and_bands",
    "below_minimum_size",
    "exceeds_maximum_size",
    "out_of_focus",
}


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    require_micr_models()
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def run(app: dict[str, Any], seed: int, declared: str | None = None, **options: Any) -> dict[str, Any]:
    check = synthetic_check(seed, **options)
    alice = token("alice@example.com")
    payload = deposit(
        app, alice, check.front, declared or check.declared, "image/jpeg", check.back, "image/jpeg"
    )
    result = run_sequence(app, payload)
    assert "error" not in result, result
    return {"doc": get_doc(app, payload["deposit_id"]), "check": check, "token": alice}


def test_a_good_check_is_accepted_with_both_sides_read_and_archived(app: dict[str, Any]) -> None:
    out = run(app, 4)
    doc, check = out["doc"], out["check"]
    assert doc["status"] == "accepted", (doc["reasons"], doc.get("amount_read"), doc.get("endorsement"))
    assert (doc["reading"]["routing"], doc["reading"]["account"]) == (check.routing, check.account)
    assert doc["amount_read"]["cents"] == doc["amount_cents"]
    assert doc["endorsement"]["restrictive"] is True
    assert set(doc["quality"]) == QUALITY_TESTS and "fail" not in doc["quality"].values()
    assert set(doc["back_quality"]) == QUALITY_TESTS and "fail" not in doc["back_quality"].values()
    for side in ("front", "back"):
        block = doc["images"][side]
        assert set(block) == {"bucket", "key", "dpi", "width", "height", "content_type"}
        assert block["dpi"] == 200 and block["content_type"] == "image/jpeg"
        assert 1.9 < block["width"] / block["height"] < 2.5  # the check alone, not the table around it
    status, view = call_api(app, "get", f"/deposits/{doc['_id']}", out["token"])
    assert status == 200
    for name in ("large", "small", "back_large", "back_small", "original", "back_original"):
        assert name in view["images"], name
    fetched = requests.get(view["images"]["back"]["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content[:2] == b"\xff\xd8"
    assert view["amount_read"]["cents"] == doc["amount_cents"] and view["endorsement"]["restrictive"]


def test_a_white_back_is_straightened_with_the_fronts_size(app: dict[str, Any]) -> None:
    """Synthetic seed 5's plain back, straightened alone, looks business size and measures under 150 dpi
    (`back_below_minimum_size`); ocr-check straightens it with the front's size."""
    doc = run(app, 5)["doc"]
    assert doc["geometry"]["back"]["size_in"] == doc["geometry"]["front"]["size_in"] == [6.0, 2.75]
    assert doc["back_quality"]["below_minimum_size"] == "pass"
    assert doc["images"]["back"]["width"] == 1200 and doc["images"]["back"]["height"] == 550
    assert doc["status"] == "accepted", (doc["reasons"], doc.get("amount_read"), doc.get("endorsement"))


def test_a_different_declared_amount_goes_to_review_and_the_customer_is_told(app: dict[str, Any]) -> None:
    doc = run(app, 7, declared="1500.00")["doc"]
    assert doc["status"] == "needs_review" and "amount_mismatch" in doc["reasons"], doc["reasons"]
    assert "The amount you entered, $1,500.00, does not match the amount on the check." in doc["messages"]
    assert doc["amount_read"]["cents"] != 150000


def test_a_back_without_a_restrictive_endorsement_is_not_accepted(app: dict[str, Any]) -> None:
    doc = run(app, 6, endorsement=None)["doc"]
    assert doc["status"] == "needs_review" and "endorsement_missing" in doc["reasons"], doc["reasons"]
    assert doc["endorsement"]["restrictive"] is False


def test_a_dark_front_is_rejected_with_the_test_named_and_never_read(app: dict[str, Any]) -> None:
    doc = run(app, 8, defect="dark")["doc"]
    assert doc["status"] == "rejected" and "too_light_or_too_dark" in doc["reasons"], doc["reasons"]
    assert doc["quality"]["too_light_or_too_dark"] == "fail"
    assert any("dark" in message for message in doc["messages"])
    assert "reading" not in doc and "amount_read" not in doc
