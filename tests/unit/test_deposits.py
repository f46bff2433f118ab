"""Deposit rules without servers: field parsing, claim keys, limits, the accept/review decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest
from openchecks.config import AppConfig, Settings
from openchecks.deposits import dup_key
from openchecks.documents import (
    ACCEPTED,
    NEEDS_REVIEW,
    RECEIVED,
    STATUSES,
    Status,
    as_status,
    new_deposit,
    public_view,
    set_status,
)
from openchecks.errors import BadRequest, ConfigurationError, NotFound
from openchecks.fields import (
    check_deposit_id,
    correct_fields,
    parse_account,
    parse_amount,
    parse_content_type,
)
from openchecks.steps import decide


@pytest.mark.parametrize(
    "value,cents",
    [
        ("1042.00", 104200),
        ("0.09", 9),
        ("12", 1200),
        (" 5.5 ", 550),
        ("$1,250.75", 125075),
        ("1,234,567", 123456700),
        (19, 1900),
        (19.99, 1999),
    ],
)
def test_amounts_parse_to_cents(value: object, cents: int) -> None:
    assert parse_amount(value) == cents


@pytest.mark.parametrize(
    "value",
    [
        "-5",
        "0",
        "0.00",
        "1.234",
        "NaN",
        "inf",
        "1e3",
        "12,34.5x",
        "1,2,3.00",
        "12,34",
        "1,2345.00",
        ",125.00",
        "125,",
        "",
        None,
        True,
        float("nan"),
        float("inf"),
        -3,
        "١٢٣",
        "１２",
        "12345678.00",
        [],
        {},
        "9" * 40,
    ],
)
def test_bad_amounts_are_refused(value: object) -> None:
    with pytest.raises(BadRequest) as info:
        parse_amount(value)
    assert info.value.code == "invalid_amount"


@pytest.mark.parametrize(
    "value,expected", [("12345678", "12345678"), ("1234-5678 90", "1234567890"), (987654, "987654")]
)
def test_accounts(value: object, expected: str) -> None:
    assert parse_account(value) == expected


@pytest.mark.parametrize("value", ["123", "1" * 18, "12ab5678", "<b>1234</b>", None, True, "１２３４５"])
def test_bad_accounts_are_refused(value: object) -> None:
    with pytest.raises(BadRequest) as info:
        parse_account(value)
    assert info.value.code == "invalid_account"


def test_content_types() -> None:
    assert parse_content_type(None) == "image/jpeg"
    assert parse_content_type("IMAGE/PNG") == "image/png"
    with pytest.raises(BadRequest):
        parse_content_type("image/svg+xml")


@pytest.mark.parametrize("value", ["../etc/passwd", "dep-", "dep-" + "g" * 32, "x" * 100, None, 5])
def test_odd_deposit_ids_are_not_found(value: object) -> None:
    with pytest.raises(NotFound):
        check_deposit_id(value)


def test_claim_key_needs_all_three_wellformed_fields() -> None:
    assert dup_key("063100277", "003661702511", "01278") == "check-063100277-3661702511-1278"
    assert dup_key("063100277", "003661702511", "1278") == dup_key("063100277", "003661702511", "001278")
    assert dup_key(None, "003661702511", "1278") is None
    assert dup_key("06310027", "003661702511", "1278") is None
    assert dup_key("063100277", "../x", "1278") is None


def test_new_deposit_shape() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    doc = new_deposit("a@example.com", "12345678", 1999, "image/png", "incoming", moment)
    assert doc["_id"].startswith("dep-") and len(doc["_id"]) == 36
    assert doc["status"] == RECEIVED and doc["amount"] == "19.99" and doc["day"] == "2026-01-02"
    assert doc["created"] == "2026-01-02T03:04:05.678Z"
    assert doc["image"] == {
        "bucket": "incoming",
        "key": f"{doc['_id']}/front.png",
        "content_type": "image/png",
    }
    set_status(doc, "processing", "a@example.com", moment)
    assert [h["status"] for h in doc["history"]] == ["received", "processing"]
    view = public_view(doc)
    assert view["id"] == doc["_id"] and "_rev" not in view and "bucket" not in view["image"]


READING = {
    "micr": "A063100277A 003661702511C 1278",
    "routing": "063100277",
    "account": "003661702511",
    "check_number": "1278",
    "status": "accepted",
    "reasons": [],
    "confidence": 95.0,
}


AMOUNT = {"amount": "1042.00", "cents": 104200, "source": "both", "confidence": 0.97}
ENDORSED = {"present": True, "restrictive": True, "text": "For mobile deposit only", "confidence": 0.9}


def test_decide_accepts_a_clean_reading() -> None:
    decision = decide(READING, 104200, AppConfig(), amount=AMOUNT, endorsement=ENDORSED, has_back=True)
    assert decision.status == ACCEPTED and decision.reasons == ()


def test_decide_front_only_needs_amount_and_endorsement_unless_configured_off() -> None:
    decision = decide(READING, 104200, AppConfig())
    assert decision.status == NEEDS_REVIEW
    assert set(decision.reasons) == {"amount_unread", "endorsement_missing"}
    relaxed = AppConfig(require_back=False, require_restrictive_endorsement=False, small_item_cents=200000)
    assert decide(READING, 104200, relaxed).status == ACCEPTED


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"status": "needs_review", "reasons": ["routing_checksum"]}, "routing_checksum"),
        ({"confidence": 20.0}, "low_confidence"),
        ({"confidence": {"routing": 99.0, "account": 30.0}}, "low_confidence"),
        ({"account": None}, "missing_account"),
        ({"status": "weird"}, "reader_status_unknown"),
        ({"micr": "A063100277A 003661702511C 1278 B0000001999B"}, "amount_mismatch"),
    ],
)
def test_decide_sends_doubtful_readings_to_review(change: dict[str, object], reason: str) -> None:
    decision = decide(
        {**READING, **change},
        104200,
        AppConfig(min_confidence=80.0),
        amount=AMOUNT,
        endorsement=ENDORSED,
        has_back=True,
    )
    assert decision.status == NEEDS_REVIEW
    assert reason in decision.reasons


def test_decide_without_a_reading_is_review() -> None:
    assert decide(None, 100, AppConfig()).status == NEEDS_REVIEW


def test_reviewer_corrections_are_validated() -> None:
    assert correct_fields({"routing": "063100277", "account": "12345"}) == {
        "routing": "063100277",
        "account": "12345",
    }
    for bad in (
        {"routing": "063100278"},
        {"routing": "12"},
        {"account": "x"},
        {"check_number": ""},
        {"amount": "5"},
        {},
        "routing",
        None,
    ):
        with pytest.raises(BadRequest):
            correct_fields(bad)


def test_settings_from_params_and_environment() -> None:
    settings = Settings.from_params(
        {
            "cloudant_url": "http://db",
            "upload_url_ttl_seconds": "120",
            "disable_caches": "",
            "token_secret": "s" * 20,
        },
        environ={"COS_ENDPOINT": "http://cos", "OPENCHECKS_DISABLE_CACHES": "1"},
    )
    assert settings.cloudant_url == "http://db" and settings.cos_endpoint == "http://cos"
    assert settings.upload_url_ttl_seconds == 120 and settings.disable_caches is True
    redacted = settings.redacted()
    assert redacted["token_secret"] == "***" and "s" * 20 not in str(redacted)
    with pytest.raises(ConfigurationError) as info:
        Settings().require("cloudant_url")
    assert "cloudant_url" in info.value.message
    with pytest.raises(ConfigurationError):
        Settings.from_params({"smtp_port": "many"}, environ={})


def test_config_document_falls_back_to_defaults_for_bad_values() -> None:
    config = AppConfig.from_doc(
        {
            "_id": "config",
            "max_item_cents": "500",
            "min_confidence": "high",
            "notify_statuses": ["accepted"],
            "custom": 1,
        }
    )
    assert config.max_item_cents == 500
    assert config.min_confidence == AppConfig().min_confidence
    assert config.notify_statuses == ("accepted",)
    assert config.extra == {"custom": 1}
    assert AppConfig.from_doc(config.to_doc()) == config


def test_notification_text_masks_the_account_and_ids_follow_status_changes() -> None:
    from openchecks.notify import compose, mask, notification_id

    doc = new_deposit("a@example.com", "123456789", 104200, "image/png", "incoming")
    set_status(doc, "processing", "a@example.com")
    set_status(doc, "rejected", "rita@bank.example", reason="not signed")
    subject, text = compose(doc)
    assert subject == "Check deposit of $1042.00: rejected"
    assert "****6789" in text and "123456789" not in text and "Reason: not signed" in text
    assert mask("12") == "****"
    first = notification_id(doc)
    doc["updated"] = "later"  # a change that is not a status change keeps the id (so no second message)
    assert notification_id(doc) == first
    set_status(doc, "rejected", "rita@bank.example")  # the same status recorded twice: still one message
    assert notification_id(doc) == first
    set_status(doc, "accepted", "rita@bank.example")
    assert notification_id(doc) != first


def test_a_provider_account_keeps_its_contact_e_mail_for_notifications() -> None:
    from openchecks.notify import recipient

    # An identity provider's account: filed under its `sub`, notified at its e-mail.
    doc = new_deposit(
        "f3a9-sub", "123456789", 1000, "image/png", "incoming", contact_email="carol@example.com"
    )
    assert (doc["email"], doc["contact_email"], recipient(doc)) == (
        "f3a9-sub",
        "carol@example.com",
        "carol@example.com",
    )
    assert public_view(doc)["contact_email"] == "carol@example.com"
    # An openchecks token's account is its e-mail: nothing more is stored.
    plain = new_deposit(
        "a@example.com", "123456789", 1000, "image/png", "incoming", contact_email="a@example.com"
    )
    assert "contact_email" not in plain and recipient(plain) == "a@example.com"
    assert (
        recipient(new_deposit("a@example.com", "123456789", 1000, "image/png", "incoming")) == "a@example.com"
    )


def test_the_status_tuple_is_the_status_type() -> None:
    # STATUSES is written out in life-cycle order; it must hold exactly the members of the Literal.
    assert sorted(STATUSES) == sorted(get_args(Status))
    assert len(set(STATUSES)) == len(STATUSES)


@pytest.mark.parametrize("value", ["accepted", "needs_review", "exported"])
def test_a_status_is_recognised(value: str) -> None:
    assert as_status(value) == value


@pytest.mark.parametrize("value", ["Accepted", "", None, 3, "accepted ", ["accepted"]])
def test_anything_else_is_not_a_status(value: object) -> None:
    assert as_status(value) is None
