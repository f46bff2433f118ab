"""A create whose write reached the database but whose answer was lost (the connection reset after the
commit): the API's retry of the PUT gets a 409 for its own document and answers 201 with it, once, with or
without an Idempotency-Key. A fake Cloudant client in place of the server (the real servers, reset by a TCP
forwarder, are in tests/integration/test_api_front_door.py)."""

from __future__ import annotations

from typing import Any

import requests
from ibm_cloud_sdk_core import ApiException
from openchecks import tokens
from openchecks.api import Api, Request
from openchecks.config import AppConfig, Settings
from openchecks.deposits import DepositStore


class Result:
    def __init__(self, value: Any) -> None:
        self.value = value

    def get_result(self) -> Any:
        return self.value


class LosesFirstAnswer:
    """Stores every PUT; the answer to the first PUT of a deposit is lost on the way back (the daily
    ledger's documents, in the claims database, are answered)."""

    def __init__(self, deposits_db: str) -> None:
        self.deposits_db = deposits_db
        self.dbs: dict[str, dict[str, dict[str, Any]]] = {}
        self.puts = 0

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        return self.dbs.get(self.deposits_db, {})

    def put_document(self, db: str, doc_id: str, document: dict[str, Any]) -> Result:
        docs = self.dbs.setdefault(db, {})
        if db == self.deposits_db:
            self.puts += 1
        current = docs.get(doc_id)
        if current is not None and document.get("_rev") != current["_rev"]:
            raise ApiException(409)
        rev = f"{int(current['_rev'].split('-')[0]) + 1 if current else 1}-a"
        docs[doc_id] = {**document, "_rev": rev}
        if db == self.deposits_db and self.puts == 1:
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return Result({"ok": True, "id": doc_id, "rev": rev})

    def get_document(self, db: str, doc_id: str) -> Result:
        doc = self.dbs.get(db, {}).get(doc_id)
        if doc is None:
            raise ApiException(404)
        return Result(dict(doc))

    def post_find(self, **kwargs: Any) -> Result:
        return Result({"docs": []})


class Storage:
    def presigned_put(self, bucket: str, key: str, content_type: str, ttl: int, size: Any = None) -> str:
        return f"https://cos.invalid/{bucket}/{key}?X-Amz-Signature=0"


class Ctx:
    def __init__(self) -> None:
        self.settings = Settings.from_params({"token_secret": "s" * 32}, environ={})
        self.client = LosesFirstAnswer(self.settings.deposits_db)
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
    assert list(ctx.client.docs) == [answer.body["id"]] and ctx.client.puts == 2


def test_a_lost_answer_to_our_own_write_is_a_201_with_a_key() -> None:
    ctx = Ctx()
    answer = create(ctx, {"idempotency-key": "k-1"})
    assert answer.status == 201, answer.body
    assert list(ctx.client.docs) == [answer.body["id"]]
