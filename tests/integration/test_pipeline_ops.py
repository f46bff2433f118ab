"""GET /ops/activations: the operations charts' data, read from the platform's own activation records."""

from __future__ import annotations

from tests.fixtures.app import App, unique_email
from tests.hostile.generate import png


def test_reviewers_see_the_pipeline_activations_with_cold_and_cache_flags(stack_app: App) -> None:
    customer = stack_app.headers(unique_email("ops"))
    deposit_id = stack_app.deposit(customer, png())
    assert stack_app.settle([deposit_id], timeout=180)[deposit_id] is not None

    refused = stack_app.call("GET", "/ops/activations", customer)
    assert refused.status_code == 403 and refused.json()["code"] == "reviewer_only"

    reviewer = stack_app.headers("ops-reviewer@example.com", "reviewer")
    resp = stack_app.call("GET", "/ops/activations?limit=200", reviewer)
    assert resp.status_code == 200, resp.text
    records = resp.json()["activations"]
    names = {r["name"] for r in records}
    assert {"fetch-image", "ocr-check", "parse-check", "record-deposit"} <= names
    assert "process-check" not in names  # sequences are not containers
    for record in records:
        assert isinstance(record["cold"], bool) and isinstance(record["duration"], int)
        assert record["cold"] == (record["init_ms"] is not None)
    steps = [r for r in records if r["name"] == "ocr-check"]  # where the images are fetched
    assert any(r["cache"].get("image") in ("hit", "miss") for r in steps)
    assert stack_app.secret not in resp.text  # the token secret never leaves the package parameters

    bad = stack_app.call("GET", "/ops/activations?limit=9999", reviewer)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_limit"
