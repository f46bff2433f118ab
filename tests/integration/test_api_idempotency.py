"""`POST /deposits` with an Idempotency-Key, and confirmations, against a real pouchdb-server and s3rver
(the api action's code in-process): a retried or concurrent request never makes a second draft, and
concurrent confirmations start one pipeline (issue 13, "Money and duplicates" item 4)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from openchecks.api import handle_web
from openchecks.runtime import ActionContext

from tests.integration.test_pipeline_support import (
    BACK,
    app_params,
    call_api,
    png_bytes,
    provisioned,
    token,
    upload,
)

BODY = {"to_account": "12345678", "amount": "25.00", "content_type": "image/png"}


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def web(app: dict[str, Any], path: str, tok: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
    """One POST as the platform delivers it; the whole web result (status, headers, body)."""
    headers = {"authorization": f"Bearer {tok}"}
    if key is not None:
        headers["idempotency-key"] = key
    args = {**app, "__ow_method": "post", "__ow_path": path, "__ow_query": "", "__ow_headers": headers}
    if body is not None:
        args["__ow_body"] = base64.b64encode(json.dumps(body).encode()).decode()
    return handle_web(args, ActionContext(args, "api"), fire=lambda name, payload: "0" * 32)


def deposits_of(app: dict[str, Any], email: str) -> list[dict[str, Any]]:
    resp = requests.post(
        f"{app['cloudant_url']}/{app['deposits_db']}/_find",
        json={"selector": {"type": "deposit", "email": email}, "limit": 1000},
        timeout=10,
    )
    resp.raise_for_status()
    docs: list[dict[str, Any]] = resp.json()["docs"]
    return docs


def test_the_same_key_and_body_replays_the_first_answer(app: dict[str, Any]) -> None:
    alice, key = token("alice@example.com"), str(uuid.uuid4())
    first = web(app, "/deposits", alice, BODY, key)
    again = web(app, "/deposits", alice, {**BODY, "amount": "25"}, key)  # the same amount, written otherwise
    assert first["statusCode"] == again["statusCode"] == 201, (first["body"], again["body"])
    assert again["body"]["id"] == first["body"]["id"]
    assert again["headers"].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first["headers"]
    assert [d["_id"] for d in deposits_of(app, "alice@example.com")] == [first["body"]["id"]]
    # The replayed upload URL works: the upload and the confirmation go through.
    assert upload(again["body"], png_bytes()).status_code == 200
    assert upload(again["body"], BACK, "back").status_code == 200
    status, confirmed = call_api(app, "post", f"/deposits/{first['body']['id']}/uploaded", alice)
    assert status == 202, confirmed
    # Once the deposit has moved on, a replay names it but hands out no upload URL.
    late = web(app, "/deposits", alice, BODY, key)
    assert late["statusCode"] == 201 and late["body"]["status"] == "processing"
    assert late["body"]["upload_url"] is None and late["body"]["back_upload_url"] is None


def test_the_same_key_with_another_body_is_409(app: dict[str, Any]) -> None:
    alice, key = token("alice@example.com"), str(uuid.uuid4())
    assert web(app, "/deposits", alice, BODY, key)["statusCode"] == 201
    for change in ({"amount": "25.01"}, {"to_account": "87654321"}, {"content_type": "image/jpeg"}):
        answer = web(app, "/deposits", alice, {**BODY, **change}, key)
        assert answer["statusCode"] == 409, answer["body"]
        assert answer["body"]["code"] == "idempotency_key_reused"
        assert "new key" in answer["body"]["error"]
    assert len(deposits_of(app, "alice@example.com")) == 1


def test_keys_are_scoped_per_customer(app: dict[str, Any]) -> None:
    key = str(uuid.uuid4())
    mine = web(app, "/deposits", token("alice@example.com"), BODY, key)
    theirs = web(app, "/deposits", token("bob@example.com"), {**BODY, "amount": "99.00"}, key)
    assert mine["statusCode"] == theirs["statusCode"] == 201
    assert mine["body"]["id"] != theirs["body"]["id"]
    assert theirs["body"]["deposit"]["amount"] == "99.00"


def test_twelve_concurrent_creates_with_one_key_make_one_draft(app: dict[str, Any]) -> None:
    alice, key = token("dora@example.com"), str(uuid.uuid4())
    answers: list[dict[str, Any]] = []
    start = threading.Barrier(12)

    def create() -> None:
        start.wait()
        answers.append(web(app, "/deposits", alice, BODY, key))

    threads = [threading.Thread(target=create) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a["statusCode"] for a in answers] == [201] * 12, [a["body"] for a in answers]
    assert len({a["body"]["id"] for a in answers}) == 1
    assert len(deposits_of(app, "dora@example.com")) == 1


def test_without_a_key_every_request_is_a_new_draft(app: dict[str, Any]) -> None:
    alice = token("erin@example.com")
    ids = {web(app, "/deposits", alice, BODY)["body"]["id"] for _ in range(2)}
    assert len(ids) == 2


def test_six_concurrent_confirms_start_one_pipeline(app: dict[str, Any]) -> None:
    alice = token("frank@example.com")
    status, created = call_api(app, "post", "/deposits", alice, BODY)
    assert status == 201
    assert upload(created, png_bytes()).status_code == 200
    assert upload(created, BACK, "back").status_code == 200
    fired: list[dict[str, Any]] = []
    answers: list[tuple[int, dict[str, Any]]] = []
    start = threading.Barrier(6)

    def confirm() -> None:
        start.wait()
        answers.append(call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice, fired=fired))

    threads = [threading.Thread(target=confirm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and all(s in (200, 202) for s, _ in answers), answers
    assert all(body["status"] == "processing" for _, body in answers)
    assert len(fired) == 1, fired
    assert sum(1 for _, body in answers if body["queued"]) == 1


def test_a_key_whose_draft_was_refused_makes_a_new_draft(app: dict[str, Any]) -> None:
    """A refused upload deletes its draft; the same key then simply creates again (nothing was kept)."""
    alice, key = token("gail@example.com"), str(uuid.uuid4())
    first = web(app, "/deposits", alice, BODY, key)["body"]
    assert upload(first, b"not an image at all").status_code == 200
    status, body = call_api(app, "post", f"/deposits/{first['id']}/uploaded", alice)
    assert status == 415 and deposits_of(app, "gail@example.com") == []
    again = web(app, "/deposits", alice, BODY, key)
    assert again["statusCode"] == 201 and "Idempotent-Replayed" not in again["headers"]
    assert again["body"]["id"] == first["id"] and again["body"]["status"] == "received"
    assert len(deposits_of(app, "gail@example.com")) == 1
