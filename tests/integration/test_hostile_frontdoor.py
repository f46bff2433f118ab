"""The front-door corpus (tests/hostile/frontdoor.py) against the api action's code in-process and the real
pouchdb-server and s3rver: malformed Idempotency-Keys are refused and store nothing, a key cannot be turned
into another deposit, the same request spelled otherwise replays the first answer."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.frontdoor import MALFORMED_KEYS, REUSED_BODIES, SAME_BODIES, VALID_AMONG_MALFORMED
from tests.integration.test_api_idempotency import BODY, deposits_of, web
from tests.integration.test_pipeline_support import app_params, provisioned, token

FULL_BODY = {**BODY, "back_content_type": "image/jpeg"}


@pytest.fixture(scope="module")
def app(couchdb_server: Any, s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    couchdb_server.ensure_running()
    s3_server.ensure_running()
    cache = tmp_path_factory.mktemp("frontdoor-images")
    return provisioned(app_params(couchdb_server.url, s3_server.url, str(Path(cache))))


@pytest.mark.parametrize("name,key", MALFORMED_KEYS, ids=[n for n, _ in MALFORMED_KEYS])
def test_malformed_keys_are_refused(app: dict[str, Any], name: str, key: str) -> None:
    email = f"{name}-{uuid.uuid4().hex[:6]}@example.com"
    answer = web(app, "/deposits", token(email), FULL_BODY, key)
    if name in VALID_AMONG_MALFORMED:
        assert answer["statusCode"] == 201, answer["body"]
        return
    assert answer["statusCode"] == 400, answer["body"]
    assert set(answer["body"]) == {"error", "code"}  # no _meta either
    assert answer["body"]["code"] == "invalid_idempotency_key"
    assert answer["body"]["error"].startswith("The Idempotency-Key header must be 1 to 255 visible ASCII")
    assert deposits_of(app, email) == []


@pytest.mark.parametrize("name,change", REUSED_BODIES, ids=[n for n, _ in REUSED_BODIES])
def test_a_key_cannot_become_another_deposit(app: dict[str, Any], name: str, change: dict[str, Any]) -> None:
    email, key = f"{name}-{uuid.uuid4().hex[:6]}@example.com", str(uuid.uuid4())
    first = web(app, "/deposits", token(email), FULL_BODY, key)
    assert first["statusCode"] == 201
    answer = web(app, "/deposits", token(email), {**FULL_BODY, **change}, key)
    assert (answer["statusCode"], answer["body"]["code"]) == (409, "idempotency_key_reused")
    stored = deposits_of(app, email)
    assert [d["_id"] for d in stored] == [first["body"]["id"]]
    assert stored[0]["amount"] == "25.00" and stored[0]["to_account"] == "12345678"


@pytest.mark.parametrize("name,change", SAME_BODIES, ids=[n for n, _ in SAME_BODIES])
def test_the_same_request_spelled_otherwise_replays(
    app: dict[str, Any], name: str, change: dict[str, Any]
) -> None:
    email, key = f"{name}-{uuid.uuid4().hex[:6]}@example.com", str(uuid.uuid4())
    first = web(app, "/deposits", token(email), FULL_BODY, key)
    again = web(app, "/deposits", token(email), {**FULL_BODY, **change}, key)
    assert again["statusCode"] == 201 and again["body"]["id"] == first["body"]["id"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert again["body"]["deposit"]["status"] == "received"
    assert len(deposits_of(app, email)) == 1
