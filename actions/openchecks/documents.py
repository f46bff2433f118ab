"""The deposit document's shape, as `openchecks.deposits.new_deposit` writes it and the pipeline
(record-deposit, the recovery sweep, the export) and reviewers extend it.

Every block is `total=False`: a document gains keys through its life (`reading` once ocr-check ran,
`reviews` once a reviewer acted, `export` once it left in a cash letter), and older documents may lack
newer keys. Blocks produced by the readers in `openchecks.check` (the amount and endorsement readings,
quality reports, geometry) are kept as plain JSON objects here: their shape belongs to those modules. The
MICR reading is typed: `MicrReading` is what `openchecks.micr.reader` returns, declared here and used there.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

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
