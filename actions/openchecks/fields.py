"""The deposit API's fields, parsed and checked: deposit ids, amounts, accounts, content types, a
reviewer's reason and corrections. Each refuses bad input with a sentence a person can act on (a 400, or
a 404 for an id that is not ours); nothing here reads or writes a database."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from openchecks.errors import (
    BadRequest,
    NotFound,
)

ID_RE = re.compile(r"^dep-[0-9a-f]{32}$")


AMOUNT_RE = re.compile(r"^[0-9]{1,7}(\.[0-9]{1,2})?$")


# Commas only as thousands separators: "1,250.75", never "1,2,3.00" or "12,34".
GROUPED_RE = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?$")


ACCOUNT_RE = re.compile(r"^[0-9]{4,17}$")


ROUTING_RE = re.compile(r"^[0-9]{9}$")


SERIAL_RE = re.compile(r"^[0-9]{1,15}$")


CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/tiff": "tiff"}


MAX_REASON_LENGTH = 500


def check_deposit_id(deposit_id: Any) -> str:
    """Return the id if it has our shape; NotFound otherwise (so probing odd ids learns nothing)."""
    if not isinstance(deposit_id, str) or not ID_RE.match(deposit_id):
        raise NotFound("There is no deposit with that id.", code="deposit_not_found")
    return deposit_id


def parse_amount(value: Any) -> int:
    """Cents from "123.45" (or a JSON number). Refuses negatives, NaN, infinities, more than two decimals,
    look-alike digits and anything from $10,000,000 up, with a sentence saying so."""
    bad = BadRequest(
        "The amount must be a number of dollars with at most two decimals, like 125.50.",
        code="invalid_amount",
    )
    if isinstance(value, bool) or value is None:
        raise bad
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise bad
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip().removeprefix("$") if len(value) <= 32 else ""
        if "," in text:
            text = text.replace(",", "") if GROUPED_RE.match(text) else ""
    else:
        raise bad
    if not AMOUNT_RE.match(text):
        raise bad
    try:
        cents = int((Decimal(text) * 100).to_integral_exact())
    except (InvalidOperation, ArithmeticError):
        raise bad from None
    if cents <= 0:
        raise BadRequest("The amount must be more than zero.", code="invalid_amount")
    return cents


def format_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def parse_account(value: Any) -> str:
    """The account to credit: 4 to 17 digits (spaces and dashes allowed between them)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest("The account number must be 4 to 17 digits.", code="invalid_account")
    text = str(value).strip().replace(" ", "").replace("-", "") if len(str(value)) <= 40 else ""
    if not ACCOUNT_RE.match(text):
        raise BadRequest("The account number must be 4 to 17 digits.", code="invalid_account")
    return text


def parse_content_type(value: Any) -> str:
    """The upload's Content-Type: image/jpeg (default), image/png or image/tiff."""
    if value is None or value == "":
        return "image/jpeg"
    if not isinstance(value, str) or value.strip().lower() not in CONTENT_TYPES:
        raise BadRequest(
            "The image must be a JPEG, PNG or TIFF (content_type image/jpeg, image/png or image/tiff).",
            code="invalid_content_type",
        )
    return value.strip().lower()


def clean_reason(value: Any, required: bool) -> str:
    """A reviewer's free-text reason: trimmed, at most 500 characters, no control characters."""
    if value is None or value == "":
        if required:
            raise BadRequest("Give a reason for rejecting the deposit.", code="reason_required")
        return ""
    if not isinstance(value, str) or len(value) > MAX_REASON_LENGTH:
        raise BadRequest(
            f"The reason must be text of at most {MAX_REASON_LENGTH} characters.", code="invalid_reason"
        )
    return "".join(ch for ch in value.strip() if ch.isprintable())


def correct_fields(fields: Any) -> dict[str, str]:
    """Validate a reviewer's corrections: any of routing (9 digits, ABA checksum), account, check_number."""
    from openchecks.micr.aba import routing_checksum_ok

    if not isinstance(fields, dict) or not fields:
        raise BadRequest('Send the corrected fields, e.g. {"routing": "063100277"}.', code="invalid_fields")
    out: dict[str, str] = {}
    for name, value in fields.items():
        if name not in ("routing", "account", "check_number"):
            raise BadRequest(
                f"The field {str(name)[:40]!r} cannot be corrected; use routing, account or check_number.",
                code="invalid_fields",
            )
        text = value.strip() if isinstance(value, str) else ""
        if name == "routing" and not (ROUTING_RE.match(text) and routing_checksum_ok(text)):
            raise BadRequest(
                "The routing number must be 9 digits with a valid ABA checksum.", code="invalid_routing"
            )
        if name == "account" and not ACCOUNT_RE.match(text):
            raise BadRequest("The account number must be 4 to 17 digits.", code="invalid_account")
        if name == "check_number" and not SERIAL_RE.match(text):
            raise BadRequest("The check number must be 1 to 15 digits.", code="invalid_check_number")
        out[name] = text
    return out
