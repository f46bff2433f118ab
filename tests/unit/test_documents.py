"""The deposit document's TypedDict names every key the code writes or shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args, get_type_hints

from openchecks import api, deposits, steps
from openchecks.documents import DepositDoc, HistoryEntry, ImageBlock, Status

KEYS = set(get_type_hints(DepositDoc))


def test_a_new_deposit_has_only_declared_keys() -> None:
    doc = deposits.new_deposit(
        "a@example.com",
        "12345678",
        100,
        "image/png",
        "incoming",
        datetime(2026, 12, 1, tzinfo=UTC),
        contact_email="c@example.com",
    )
    assert set(doc) <= KEYS
    assert set(doc["image"]) <= set(get_type_hints(ImageBlock))
    assert set(doc["history"][0]) <= set(get_type_hints(HistoryEntry))


def test_every_key_shown_or_recorded_is_declared() -> None:
    assert set(deposits.PUBLIC_KEYS) <= KEYS
    assert set(steps.RECORDED) <= KEYS
    assert set(api.CUSTOMER_HIDDEN) <= KEYS
    assert set(deposits.REVIEWER_ONLY) <= KEYS


def test_the_history_status_is_the_deposit_status() -> None:
    assert get_type_hints(HistoryEntry)["status"] == Status
    assert set(get_args(Status)) == set(deposits.STATUSES)
