"""The deposit document: its shape, as `new_deposit` writes it and the pipeline
(record-deposit, the recovery sweep, the export) and reviewers extend it.

Every block is `total=False`: a document gains keys through its life (`reading` once ocr-check ran,
`reviews` once a reviewer acted, `export` once it left in a cash letter), and older documents may lack
newer keys. Blocks produced by the readers in `openchecks.check` (the amount and endorsement readings,
quality reports, geometry) are kept as plain JSON objects here: their shape belongs to those modules. The
MICR reading is typed: `MicrReading` is what `openchecks.micr.reader` returns, declared here and used there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypedDict, cast

from openchecks.errors import (
    Forbidden,
)
from openchecks.fields import CONTENT_TYPES, format_cents

Status = Literal[
    "received", "processing", "accepted", "needs_review", "duplicate", "rejected", "failed", "exported"
]


class ImageBlock(TypedDict, total=False):
    """An uploaded side (`image`, `back_image`): where it is, and once uploaded what the API and the
    validation learnt of it."""

    bucket: str
    key: str
    content_type: str
    etag: str
    size: int
    signed_size: int  # the size the upload URL was signed for, when the client declared it
    format: str
    width: int
    height: int


class StraightImage(TypedDict, total=False):
    """One straightened side under `images` (`front`, `back`), stored by ocr-check."""

    bucket: str
    key: str
    dpi: int
    width: int
    height: int
    content_type: str


class HistoryEntry(TypedDict, total=False):
    """One status change: who moved the deposit where, when, and why."""

    status: Status
    at: str
    by: str
    reason: str


class ReviewEntry(TypedDict, total=False):
    """One reviewer action under `reviews`."""

    action: str
    by: str
    at: str
    reason: str
    fields: dict[str, str]


class Override(TypedDict, total=False):
    """A duplicate accepted after all: by whom, when, why, and which deposit it duplicated."""

    by: str
    at: str
    reason: str
    of: str | None


class LastError(TypedDict, total=False):
    """Why a step last failed on a `processing` deposit (the poller retries it)."""

    step: str
    message: str
    at: str


class MicrReading(TypedDict, total=False):
    """`openchecks.micr.reader.CheckReading.to_dict()`, the very type it returns (so the two cannot drift):
    every key but `confidences`, which comes with include_confidences. Defined here, where it costs no import,
    since the deposit keeps it under `reading`."""

    micr: str | None
    routing: str | None
    account: str | None
    check_number: str | None
    amount_cents: int | None
    status: str
    reasons: list[str]
    confidence: float
    field_confidence: dict[str, float]
    engine: str | None
    seconds: float
    confidences: list[float]


class Reading(MicrReading, total=False):
    """The deposit's `reading`: the MICR reading ocr-check passed on, where it was read (`micr_source`:
    "straightened" or "photo", `openchecks.check.read.read_front`), with a reviewer's corrections of
    routing, account and check_number."""

    micr_source: Literal["straightened", "photo"]


class StepMeta(TypedDict, total=False):
    """One step's `_meta` under `steps` (`openchecks.runtime.ActionContext.meta`)."""

    step: str
    cold: bool
    cache: dict[str, Any]
    image_lookups: dict[str, Any]
    ms: float
    activation_id: str
    started_at: str
    at: str
    caches_disabled: bool


class Idempotency(TypedDict, total=False):
    """The fingerprint of the request that created the deposit under an Idempotency-Key."""

    fingerprint: str


class ExportInfo(TypedDict, total=False):
    """The cash letter an `exported` deposit left in (`openchecks.export`)."""

    id: str
    bucket: str
    key: str
    business_date: str
    at: str


class DepositDoc(TypedDict, total=False):
    """A document of the `deposits` database."""

    _id: str
    _rev: str
    type: Literal["deposit"]
    email: str
    contact_email: str
    to_account: str
    amount_cents: int
    amount: str
    currency: str
    status: Status
    created: str
    updated: str
    day: str
    upload_expires: str
    idempotency: Idempotency
    image: ImageBlock
    back_image: ImageBlock
    attempts: int
    reasons: list[str]
    messages: list[str]
    history: list[HistoryEntry]
    steps: dict[str, StepMeta]
    last_error: LastError
    reading: Reading
    check_key: str
    item_key: str
    image_hash: str
    duplicate_of: str
    possible_duplicate_of: list[str]
    override: Override
    reviews: list[ReviewEntry]
    corrected: dict[str, str]
    images: dict[str, StraightImage]
    archive: dict[str, str]
    amount_read: dict[str, Any]
    endorsement: dict[str, Any]
    quality: dict[str, Any]
    back_quality: dict[str, Any]
    quality_report: dict[str, Any]
    geometry: dict[str, Any]
    export_claim: str
    export: ExportInfo


# The document's life: statuses, a new deposit, a status change with its history entry, what the API shows.

RECEIVED: Final = "received"


PROCESSING: Final = "processing"


ACCEPTED: Final = "accepted"


NEEDS_REVIEW: Final = "needs_review"


DUPLICATE: Final = "duplicate"


REJECTED: Final = "rejected"


FAILED: Final = "failed"


EXPORTED: Final = "exported"  # an accepted deposit sent in an X9 cash letter (openchecks.export)


# In life-cycle order; tests/unit/test_deposits.py keeps it equal to Status's members.
STATUSES: Final[tuple[Status, ...]] = (
    RECEIVED,
    PROCESSING,
    ACCEPTED,
    NEEDS_REVIEW,
    DUPLICATE,
    REJECTED,
    FAILED,
    EXPORTED,
)


# Where the pipeline may leave a deposit: each is "final" for the pipeline (a person may still act on some).
OUTCOMES: Final[frozenset[Status]] = frozenset({ACCEPTED, NEEDS_REVIEW, DUPLICATE, REJECTED, FAILED})


REVIEWABLE: Final[frozenset[Status]] = frozenset({NEEDS_REVIEW, DUPLICATE})


CLOSED: Final[frozenset[Status]] = frozenset({ACCEPTED, REJECTED})


def as_status(value: object) -> Status | None:
    """`value` as a deposit status when it is one (a query parameter, a step's argument); None otherwise."""
    for status in STATUSES:
        if value == status:
            return status
    return None


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z: sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_deposit(
    email: str,
    to_account: str,
    amount_cents: int,
    content_type: str,
    bucket: str,
    now: datetime | None = None,
    deposit_id: str | None = None,
    back_content_type: str | None = None,
    contact_email: str = "",
) -> DepositDoc:
    """A fresh `received` deposit document (not yet stored): the front's upload under `image`, the back's
    under `back_image` (uploaded when the customer sends it; required when the configuration says so).
    `email` is the account it is filed under; `contact_email`, when the account is not an e-mail address (an
    identity provider's `sub`), is where notifications go."""
    moment = now or utc_now()
    deposit_id = deposit_id or f"dep-{uuid.uuid4().hex}"
    key = f"{deposit_id}/front.{CONTENT_TYPES[content_type]}"
    back_type = back_content_type or content_type
    back_key = f"{deposit_id}/back.{CONTENT_TYPES[back_type]}"
    doc: DepositDoc = {
        "_id": deposit_id,
        "type": "deposit",
        "email": email,
        "to_account": to_account,
        "amount_cents": amount_cents,
        "amount": format_cents(amount_cents),
        "currency": "USD",
        "status": RECEIVED,
        "created": iso(moment),
        "updated": iso(moment),
        "day": moment.strftime("%Y-%m-%d"),
        "image": {"bucket": bucket, "key": key, "content_type": content_type},
        "back_image": {"bucket": bucket, "key": back_key, "content_type": back_type},
        "attempts": 0,
        "reasons": [],
        "history": [{"status": RECEIVED, "at": iso(moment), "by": email}],
        "steps": {},
    }
    if contact_email and contact_email != email:
        doc["contact_email"] = contact_email
    return doc


def write_fields(doc: DepositDoc, fields: Mapping[str, Any]) -> None:
    """Write `fields` onto `doc` as they are: JSON from outside the document's types (a step's blocks, a
    reviewer's corrections), whose keys are the document's and whose shapes their producers own."""
    doc.update(cast(DepositDoc, fields))


def set_status(
    doc: DepositDoc | dict[str, Any],
    status: Status,
    by: str,
    now: datetime | None = None,
    reason: str | None = None,
) -> None:
    """Move `doc` to `status` and append one history entry."""
    moment = iso(now or utc_now())
    doc["status"] = status
    doc["updated"] = moment
    entry: HistoryEntry = {"status": status, "at": moment, "by": by}
    if reason:
        entry["reason"] = reason
    doc.setdefault("history", []).append(entry)


@dataclass(frozen=True)
class Decision:
    """What parse-check concluded: an outcome status and machine-readable reasons."""

    status: Status
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()


def same_reviewer(doc: Mapping[str, Any], reviewer: str) -> bool:
    """Whether `reviewer` is the customer who made the deposit (emails compared without case)."""
    return str(doc.get("email", "")).strip().lower() == reviewer.strip().lower()


def refuse_own(doc: Mapping[str, Any], reviewer: str) -> None:
    """Four eyes: a reviewer never acts on their own deposit."""
    if same_reviewer(doc, reviewer):
        raise Forbidden(
            "You made this deposit yourself, so another reviewer must decide on it.", code="own_deposit"
        )


# What only a reviewer sees of a deposit: other deposits' ids (possibly another customer's).
REVIEWER_ONLY = ("duplicate_of", "possible_duplicate_of", "override")


# What public_view copies from the document when present.
PUBLIC_KEYS = (
    "email",
    "contact_email",
    "to_account",
    "amount",
    "amount_cents",
    "currency",
    "status",
    "created",
    "updated",
    "reasons",
    "reading",
    "history",
    "steps",
    "attempts",
    "last_error",
    "duplicate_of",
    "possible_duplicate_of",
    "override",
    "reviews",
    "corrected",
    "archive",
    "export",
    "messages",
    "amount_read",
    "quality",
    "back_quality",
    "quality_report",
    "endorsement",
    "geometry",
)


def public_view(doc: Mapping[str, Any], reviewer: bool = False) -> dict[str, Any]:
    """What the API returns for a deposit, without CouchDB internals: everything a customer may see (no
    other deposit's id), and for a reviewer also which deposits it duplicates."""
    out: dict[str, Any] = {"id": doc["_id"]}
    for name in PUBLIC_KEYS:
        if name in REVIEWER_ONLY and not reviewer:
            continue
        if name in doc:
            out[name] = doc[name]
    image = doc.get("image") or {}
    out["image"] = {k: image[k] for k in ("content_type", "size", "width", "height") if k in image}
    back = doc.get("back_image") or {}
    if back.get("etag"):
        out["back_image"] = {k: back[k] for k in ("content_type", "size", "width", "height") if k in back}
    return out
