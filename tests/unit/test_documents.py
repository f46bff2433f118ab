"""The deposit document's TypedDict names every key the code writes or shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args, get_type_hints

from openchecks import api, documents, steps
from openchecks.documents import DepositDoc, HistoryEntry, ImageBlock, MicrReading, Reading, Status
from openchecks.micr.reader import CheckReading

KEYS = set(get_type_hints(DepositDoc))


def test_a_new_deposit_has_only_declared_keys() -> None:
    doc = documents.new_deposit(
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
    assert set(documents.PUBLIC_KEYS) <= KEYS
    assert set(steps.RECORDED) <= KEYS
    assert set(api.CUSTOMER_HIDDEN) <= KEYS
    assert set(documents.REVIEWER_ONLY) <= KEYS


def test_the_history_status_is_the_deposit_status() -> None:
    assert get_type_hints(HistoryEntry)["status"] == Status
    assert set(get_args(Status)) == set(documents.STATUSES)


def test_the_micr_reading_is_what_the_reader_returns_key_for_key() -> None:
    reading = CheckReading(
        micr="T063100277T 12345678U 1001",
        routing="063100277",
        account="12345678",
        check_number="1001",
        amount_cents=None,
        status="accepted",
        reasons=[],
        confidence=97.0,
        seconds=0.5,
        engine="e13b",
        confidences=[97.0] * 26,
        field_confidence={"routing": 97.0},
    )
    declared = set(get_type_hints(MicrReading))
    assert set(reading.to_dict()) == declared
    assert set(reading.to_dict(include_confidences=False)) == declared - {"confidences"}
    # The deposit's reading is that reading, and where it was read.
    assert set(get_type_hints(Reading)) == declared | {"micr_source"}
