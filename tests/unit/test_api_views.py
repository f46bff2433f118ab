"""`Api._with_images` and `customer_view` on a deposit document with everything the pipeline writes (a
stub in place of object storage that signs nothing): a customer gets URLs but no keys, a list only the
thumbnail. The same against the real servers: tests/integration/test_api_views.py."""

from __future__ import annotations

import json
from typing import Any

from openchecks import tokens
from openchecks.api import Api
from openchecks.config import Settings

from tests.hostile.frontdoor import LIST_IMAGE_NAMES, customer_leaks

ID = "dep-" + "a" * 32
DOC: dict[str, Any] = {
    "_id": ID,
    "_rev": "3-x",
    "type": "deposit",
    "email": "bob@example.com",
    "status": "duplicate",
    "amount": "5.00",
    "amount_cents": 500,
    "duplicate_of": "dep-" + "b" * 32,
    "last_error": {"step": "ocr-check", "message": "Tesseract failed in /tmp/x"},
    "archive": {"bucket": "arch", "large": f"{ID}/large.jpg", "small": f"{ID}/small.jpg"},
    "images": {
        "front": {"bucket": "arch", "key": f"{ID}/front.jpg", "dpi": 200, "width": 1, "height": 1},
        "back": {"bucket": "arch", "key": f"{ID}/back.jpg", "dpi": 200, "width": 1, "height": 1},
    },
    "image": {"bucket": "in", "key": f"{ID}/front.png", "etag": "e1", "content_type": "image/png"},
    "back_image": {"bucket": "in", "key": f"{ID}/back.png", "etag": "e2", "content_type": "image/png"},
    "steps": {"record-deposit": {"ms": 3.0, "cold": False, "cache": {}, "activation_id": "f" * 32}},
    "history": [
        {"status": "received", "at": "t", "by": "bob@example.com"},
        {"status": "duplicate", "at": "t", "by": "pipeline"},
        {"status": "duplicate", "at": "t", "by": "rita@bank.example"},
    ],
    "reviews": [{"action": "correct", "by": "rita@bank.example", "at": "t", "reason": "", "fields": {}}],
    "export": {"id": "exp-1", "key": "x9/exp-1.x9", "at": "t"},
}


class Storage:
    signed: list[str] = []

    def presigned_get(self, bucket: str, key: str, ttl: int) -> str:
        self.signed.append(key)
        return f"https://cos.invalid/{bucket}/{key}?X-Amz-Signature=0"


class Ctx:
    def __init__(self) -> None:
        self.settings = Settings.from_params({"token_secret": "s" * 32}, environ={})
        self.store_ = Storage()

    def storage(self) -> Storage:
        return self.store_


def view(role: str, listing: bool = False) -> dict[str, Any]:
    email = "bob@example.com" if role == "customer" else "rita@bank.example"
    claims = tokens.Claims(email=email, role=role, exp=0)
    api = Api(Ctx(), fire=lambda name, payload: None)  # type: ignore[arg-type]
    return api._with_images(DOC, claims, listing=listing)


def test_a_customer_gets_urls_without_where_things_are_stored() -> None:
    mine = view("customer")
    assert customer_leaks(mine) == []
    assert set(mine["images"]) == {"large", "small", "original", "back_original", "front", "back"}
    assert mine["images"]["front"] == {
        "dpi": 200,
        "width": 1,
        "height": 1,
        "url": f"https://cos.invalid/arch/{ID}/front.jpg?X-Amz-Signature=0",
    }
    text = json.dumps(mine)
    assert "rita@bank.example" not in text and "b" * 32 not in text and "f" * 32 not in text
    assert [h["by"] for h in mine["history"]] == ["you", "pipeline", "reviewer"]
    assert mine["steps"]["record-deposit"] == {"ms": 3.0, "cold": False, "cache": {}}
    assert mine["export"] == {"id": "exp-1", "at": "t"}


def test_a_reviewer_gets_everything() -> None:
    theirs = view("reviewer")
    assert theirs["duplicate_of"] == DOC["duplicate_of"] and theirs["last_error"] == DOC["last_error"]
    assert theirs["images"]["front"]["key"] == f"{ID}/front.jpg" and theirs["archive"] == DOC["archive"]
    assert theirs["history"][2]["by"] == "rita@bank.example"


def test_a_list_signs_the_thumbnail_only() -> None:
    for role in ("customer", "reviewer"):
        item = view(role, listing=True)
        assert set(item["images"]) == LIST_IMAGE_NAMES
