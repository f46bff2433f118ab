"""A create whose write reached the database but whose answer was lost (the connection reset after the
commit): the API's retry of the PUT gets a 409 for its own document and answers 201 with it, once, with or
without an Idempotency-Key. The in-memory FakeCloudant (tests/fixtures/fakes.py) in place of
the server (the real servers, reset by a TCP
forwarder, are in tests/integration/test_api_front_door.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from openchecks import tokens
from openchecks.api import Api, Request
from openchecks.config import AppConfig, Settings
from openchecks.store import DepositStore

from tests.fixtures.fakes import FakeCloudant, Result


class LosesFirstAnswer(FakeCloudant):
    """Stores every PUT; the answer to the first PUT of a deposit is lost on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.deposit_puts = 0

    def put_document(self, *, db: str, doc_id: str, document: Mapping[str, Any]) -> Result:
        if db == "deposits":
            self.deposit_puts += 1
        result = super().put_document(db=db, doc_id=doc_id, document=document)
        if db == "deposits" and self.deposit_puts == 1:
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return result

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        return self.dbs.get("deposits", {})


class Storage:
    def presigned_put(self, bucket: str, key: str, content_type: str, ttl: int, size: Any = None) -> str:
        return f"https://cos.invalid/{bucket}/{key}?X-Amz-Signature=0"


class Ctx:
    def __init__(self) -> None:
        self.settings = Settings.from_params({"token_secret": "s" * 32}, environ={})
        self.client = LosesFirstAnswer()
        self._store = DepositStore(self.client, self.settings)

    def store(self) -> DepositStore:
        return self._store

    def storage(self) -> Storage:
        return Storage()

    def app_config(self) -> AppConfig:
        return AppConfig()


def create(ctx: Ctx, headers: dict[str, str]) -> Any:
    token = tokens.mint("alice@example.com", "customer", 600, ctx.settings.token_secret)
    request = Request(
        "post",
        "/deposits",
        headers={"authorization": f"Bearer {token}", **headers},
        body={"to_account": "12345678", "amount": "5.00"},
    )
    return Api(ctx, fire=lambda name, payload: None).handle(request)  # type: ignore[arg-type]


def test_a_lost_answer_to_our_own_write_is_a_201_without_a_key() -> None:
    ctx = Ctx()
    answer = create(ctx, {})
    assert answer.status == 201, answer.body
    assert list(ctx.client.docs) == [answer.body["id"]] and ctx.client.deposit_puts == 2


def test_a_lost_answer_to_our_own_write_is_a_201_with_a_key() -> None:
    ctx = Ctx()
    answer = create(ctx, {"idempotency-key": "k-1"})
    assert answer.status == 201, answer.body
    assert list(ctx.client.docs) == [answer.body["id"]]
