"""What the API's answers carry (issue 13, "The rest"): a customer's view of their deposit has no internal
fields (where images are stored, step activation ids, internal errors, reviewers' emails, another
customer's deposit id); a reviewer's has them; a list signs only the thumbnail it shows; an error answer is
its sentence and code. Real pouchdb-server and s3rver, the steps in-process. The fields are listed in
tests/hostile/frontdoor.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openchecks.deposits import note_failure
from openchecks.runtime import ActionContext

from tests.hostile.frontdoor import LIST_IMAGE_NAMES, customer_leaks, signed_urls
from tests.integration.test_pipeline_deposits import READING
from tests.integration.test_pipeline_support import (
    app_params,
    call_api,
    deposit,
    png_bytes,
    provisioned,
    run_sequence,
    token,
)

REVIEWER = "rita@bank.example"


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


@pytest.fixture
def duplicate(app: dict[str, Any]) -> tuple[str, str]:
    """Alice's accepted check, deposited again by Bob (a duplicate), reviewed once: (alice's id, bob's)."""
    first = deposit(app, token("alice@example.com"), png_bytes())
    assert run_sequence(app, first, reading=READING)["status"] == "accepted"
    second = deposit(app, token("bob@example.com"), png_bytes(color=(200, 210, 220)))
    assert run_sequence(app, second, reading=READING)["status"] == "duplicate"
    status, _ = call_api(
        app,
        "post",
        f"/deposits/{second['deposit_id']}/review",
        token(REVIEWER, "reviewer"),
        {"action": "correct", "fields": {"check_number": "1278"}},  # still the same check
    )
    assert status == 200
    return first["deposit_id"], second["deposit_id"]


def test_a_customer_sees_no_internal_fields(app: dict[str, Any], duplicate: tuple[str, str]) -> None:
    alices, bobs = duplicate
    note = ActionContext(app, "test")
    status, view = call_api(app, "get", f"/deposits/{bobs}", token("bob@example.com"))
    assert status == 200
    assert customer_leaks(view) == [], customer_leaks(view)
    text = json.dumps(view)
    assert alices not in text, "another customer's deposit id"
    assert REVIEWER not in text, "a reviewer's email"
    assert {h["by"] for h in view["history"]} <= {"you", "pipeline", "find-new-checks", "reviewer"}
    assert "reviewer" in {h["by"] for h in view["history"]}
    # What the page shows is still there: the steps' timings, the images' URLs (the archived sides' URLs
    # without their keys: tests/unit/test_api_views.py).
    assert {"ms", "cold", "cache"} <= set(view["steps"]["record-deposit"])
    assert view["images"]["original"] and view["images"]["back_original"]
    # A failing step's internal message stays with reviewers.
    payload = deposit(app, token("bob@example.com"), png_bytes(color=(10, 200, 10)))
    note_failure(note.store(), payload["deposit_id"], "ocr-check", "Tesseract exited 1 on /tmp/x")
    status, view = call_api(app, "get", f"/deposits/{payload['deposit_id']}", token("bob@example.com"))
    assert status == 200 and "last_error" not in view


def test_a_reviewer_sees_everything(app: dict[str, Any], duplicate: tuple[str, str]) -> None:
    alices, bobs = duplicate
    status, view = call_api(app, "get", f"/deposits/{bobs}", token(REVIEWER, "reviewer"))
    assert status == 200
    assert view["duplicate_of"] == alices
    assert "activation_id" in view["steps"]["record-deposit"]
    assert REVIEWER in {h["by"] for h in view["history"]}


def test_a_list_signs_only_the_thumbnails(app: dict[str, Any], duplicate: tuple[str, str]) -> None:
    for who in (token("alice@example.com"), token(REVIEWER, "reviewer")):
        status, listing = call_api(app, "get", "/deposits", who)
        assert status == 200 and listing["deposits"]
        for view in listing["deposits"]:
            assert set(view["images"]) <= LIST_IMAGE_NAMES, view["images"]
        assert len(signed_urls(listing)) == sum(len(v["images"]) for v in listing["deposits"])
        assert len(signed_urls(listing)) <= len(listing["deposits"])


def test_errors_carry_only_their_sentence_and_code(app: dict[str, Any]) -> None:
    for method, path, tok in (
        ("get", "/deposits", None),
        ("get", "/deposits/dep-" + "0" * 32, token("alice@example.com")),
        ("post", "/deposits/nope/review", token("alice@example.com")),
    ):
        status, body = call_api(app, method, path, tok)
        assert 400 <= status < 500 and set(body) == {"error", "code"}, body
