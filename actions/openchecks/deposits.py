"""The deposit document, its life cycle, and every write to the `deposits` database.

Statuses: `received` (created, waiting for the image) -> `processing` (image confirmed, pipeline
running) -> one pipeline outcome: `accepted`, `needs_review`, `duplicate` (held for review), `rejected` or
`failed` (attempts exhausted, with the reason). A reviewer moves `needs_review`/`duplicate` to `accepted`
or `rejected`.

Guarantees a caller may rely on:
- Every write is a read-modify-write on the current `_rev`; a 409 re-reads and re-applies the change, so
  concurrent writers never lose each other's updates.
- `record_outcome` is idempotent: once a deposit has left `processing` it changes nothing (same document,
  no second history entry), so a re-run or a duplicate trigger is harmless.
- A check (routing + account + serial, normalised by `openchecks.duplicates`) is claimed by exactly one
  deposit through a claim document whose id is derived from the check; a second deposit of the same check
  becomes `duplicate`. The same (routing, serial, amount), or a straightened front whose perceptual hash is
  near another live deposit's, sends it to review as `possible_duplicate`.
- The daily limit is kept in a per-customer, per-day ledger (`openchecks.ledger`) changed by compare-and-set
  at creation and at acceptance.
- Four eyes: a reviewer never acts on their own deposit; a `duplicate` can only be rejected, or released with
  an override reason once the deposit it duplicates is rejected.
"""

from __future__ import annotations

import copy
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Final, cast

from openchecks import duplicates
from openchecks.config import AppConfig, Settings
from openchecks.documents import DepositDoc, HistoryEntry, ImageBlock, Status
from openchecks.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    Forbidden,
    NotFound,
    OpenChecksError,
    ServiceUnavailable,
)
from openchecks.retry import retried
from openchecks.services import DocumentClient

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


ID_RE = re.compile(r"^dep-[0-9a-f]{32}$")
AMOUNT_RE = re.compile(r"^[0-9]{1,7}(\.[0-9]{1,2})?$")
# Commas only as thousands separators: "1,250.75", never "1,2,3.00" or "12,34".
GROUPED_RE = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?$")
ACCOUNT_RE = re.compile(r"^[0-9]{4,17}$")
ROUTING_RE = re.compile(r"^[0-9]{9}$")
SERIAL_RE = re.compile(r"^[0-9]{1,15}$")
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/tiff": "tiff"}
MAX_REASON_LENGTH = 500
MAX_WRITE_ATTEMPTS = 8


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z: sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------- field checks


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


def dup_key(routing: str | None, account: str | None, serial: str | None) -> str | None:
    """The claim id of a check (every field normalised: `openchecks.duplicates.claim_key`), or None when a
    field is missing or malformed (nothing to compare)."""
    return duplicates.claim_key(routing, account, serial)


# --------------------------------------------------------------------------------------------- the document


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


def _write_fields(doc: DepositDoc, fields: Mapping[str, Any]) -> None:
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


# ---------------------------------------------------------------------------------------------- the store


def _status_of(exc: Exception) -> int | None:
    """The HTTP status of an ibmcloudant ApiException (None for anything else)."""
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def database_call(database: str, what: str, fn: Callable[[], Any]) -> Any:
    """`fn()`'s Cloudant result; a 4xx goes to the caller as it is, anything else unexpected becomes a 503
    naming the `database` ("deposit", "exports") and `what` was being done. Transient failures are retried
    within the caller's deadline (`openchecks.retry`)."""
    try:
        return retried(lambda: fn().get_result())
    except OpenChecksError:
        raise
    except Exception as exc:
        status = _status_of(exc)
        if status is not None and 400 <= status < 500:
            raise
        raise ServiceUnavailable(
            f"The {database} database did not answer while {what}; try again in a minute.",
            code="database_unavailable",
        ) from exc


class DepositStore:
    """Reads and writes deposits and check claims through a CloudantV1 client."""

    def __init__(self, client: DocumentClient, settings: Settings) -> None:
        self.client = client
        self.db = settings.deposits_db
        self.claims_db = settings.claims_db

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        return database_call("deposit", what, fn)

    def get(self, deposit_id: str) -> DepositDoc:
        """The deposit document; NotFound when there is none."""
        check_deposit_id(deposit_id)
        try:
            doc: DepositDoc = self._call(
                "reading a deposit", lambda: self.client.get_document(db=self.db, doc_id=deposit_id)
            )
        except Exception as exc:
            if _status_of(exc) == 404:
                raise NotFound("There is no deposit with that id.", code="deposit_not_found") from None
            raise
        return doc

    def create(self, doc: DepositDoc) -> DepositDoc:
        """Store a new document; returns it with its `_rev` (as `get` would read it). Conflict if the id
        exists."""
        try:
            result = self._call(
                "creating a deposit",
                lambda: self.client.put_document(db=self.db, doc_id=doc["_id"], document=doc),
            )
        except Exception as exc:
            if _status_of(exc) == 409:
                raise Conflict("A deposit with that id already exists.", code="deposit_exists") from None
            raise
        stored: DepositDoc = {**doc, "_rev": result["rev"]}
        return stored

    def update(
        self,
        deposit_id: str,
        change: Callable[[DepositDoc], bool],
        current: Mapping[str, Any] | None = None,
    ) -> tuple[DepositDoc, bool]:
        """Apply `change` (which mutates the doc and returns whether it changed anything) to the current
        document and store it; on 409 re-read and re-apply. Returns (document, changed).

        `current`: the document as the caller just read it (with its `_rev`); the first attempt applies
        `change` to a copy of it instead of reading again. The write is a compare-and-set on that `_rev`,
        so a document changed since then is a 409 and is re-read as before. Only a change that declines
        (returns False) on `current` answers from it without reading again: the caller read it itself."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            if attempt == 0 and current is not None and current.get("_rev"):
                doc = cast(DepositDoc, copy.deepcopy(dict(current)))
            else:
                doc = self.get(deposit_id)
            if not change(doc):
                return doc, False
            try:
                result = self._call(
                    "saving a deposit",
                    partial(self.client.put_document, db=self.db, doc_id=deposit_id, document=doc),
                )
            except Exception as exc:
                if _status_of(exc) == 409:
                    continue
                raise
            doc["_rev"] = result["rev"]
            return doc, True
        raise ServiceUnavailable(
            "The deposit is being changed by several writers at once; try again.", code="write_conflict"
        )

    def delete(self, deposit_id: str) -> None:
        """Delete the deposit (used only for a draft whose upload was refused)."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            doc = self.get(deposit_id)
            try:
                self._call(
                    "deleting a deposit",
                    partial(self.client.delete_document, db=self.db, doc_id=deposit_id, rev=doc["_rev"]),
                )
                return
            except Exception as exc:
                if _status_of(exc) == 409:
                    continue
                if _status_of(exc) == 404:
                    return
                raise

    def find(
        self,
        selector: dict[str, Any],
        sort: list[dict[str, str]] | None = None,
        limit: int = 100,
        fields: list[str] | None = None,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """Mango query on the deposits database."""
        kwargs: dict[str, Any] = {"db": self.db, "selector": selector, "limit": limit}
        if skip:
            kwargs["skip"] = skip
        if sort:
            kwargs["sort"] = sort
        if fields:
            kwargs["fields"] = fields
        result = self._call("searching deposits", lambda: self.client.post_find(**kwargs))
        docs: list[dict[str, Any]] = result.get("docs", [])
        return docs

    def list_for(self, email: str | None, status: Status | None, limit: int) -> list[dict[str, Any]]:
        """Newest first: one customer's deposits (email given) or everyone's, optionally one status."""
        selector: dict[str, Any] = {"type": "deposit"}
        if email is not None and status is not None:
            selector.update({"email": email, "status": status, "created": {"$gt": None}})
            sort = [{"email": "desc"}, {"status": "desc"}, {"created": "desc"}]
        elif email is not None:
            selector.update({"email": email, "created": {"$gt": None}})
            sort = [{"email": "desc"}, {"created": "desc"}]
        elif status is not None:
            selector.update({"status": status, "created": {"$gt": None}})
            sort = [{"status": "desc"}, {"created": "desc"}]
        else:
            selector.update({"created": {"$gt": None}})
            sort = [{"created": "desc"}]
        return self.find(selector, sort=sort, limit=limit)

    def note_image(self, deposit_id: str, hex_hash: str) -> None:
        """Index the deposit's image hash (an `image-<deposit id>` document in the claims database, which the
        duplicates view reads); written once, so a re-run changes nothing."""
        doc_id = f"image-{deposit_id}"
        document = {
            "_id": doc_id,
            "type": "image",
            "deposit_id": deposit_id,
            "hex": hex_hash,
            "bands": duplicates.bands(hex_hash),
            "at": iso(utc_now()),
        }
        try:
            self._call(
                "indexing the check image",
                partial(self.client.put_document, db=self.claims_db, doc_id=doc_id, document=document),
            )
        except Exception as exc:
            if _status_of(exc) != 409:  # already indexed by an earlier run of this deposit
                raise

    def image_candidates(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """(deposit id, image hash) of the deposits whose image shares a band with `keys` (the view)."""
        wanted = sorted(set(keys))
        try:
            result = self._call(
                "looking for the same check image",
                partial(
                    self.client.post_view,
                    db=self.claims_db,
                    ddoc=duplicates.VIEW_DDOC,
                    view=duplicates.VIEW_NAME,
                    keys=wanted,
                ),
            )
        except Exception as exc:
            if _status_of(exc) == 404:
                raise ConfigurationError(
                    "The duplicates view is missing from the claims database; run the provisioning "
                    "(python -m openchecks.provision) again."
                ) from None
            raise
        out: list[tuple[str, str]] = []
        for row in result.get("rows", []):
            value = row.get("value")
            if isinstance(value, list) and len(value) == 2:
                out.append((str(value[1]), str(value[0])))
        return out

    def statuses(self, deposit_ids: Iterable[str]) -> dict[str, str]:
        """The current status of each existing deposit of `deposit_ids` (one request)."""
        ids = sorted(set(deposit_ids))
        if not ids:
            return {}
        result = self._call(
            "reading deposits",
            partial(self.client.post_all_docs, db=self.db, keys=ids, include_docs=True),
        )
        out: dict[str, str] = {}
        for row in result.get("rows", []):
            doc = row.get("doc")
            if isinstance(doc, dict) and isinstance(doc.get("status"), str):
                out[str(row.get("id"))] = doc["status"]
        return out

    # claims ---------------------------------------------------------------------------------------------

    def claim_check(self, key: str, deposit_id: str) -> str:
        """Claim check `key` for `deposit_id`; return the id of the deposit that owns the claim (this one when
        the claim is new or was already ours)."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                self._call(
                    "claiming a check",
                    lambda: self.client.put_document(
                        db=self.claims_db,
                        doc_id=key,
                        document={
                            "_id": key,
                            "type": "claim",
                            "deposit_id": deposit_id,
                            "at": iso(utc_now()),
                        },
                    ),
                )
                return deposit_id
            except Exception as exc:
                if _status_of(exc) != 409:
                    raise
            try:
                existing = self._call(
                    "reading a check claim", lambda: self.client.get_document(db=self.claims_db, doc_id=key)
                )
            except Exception as exc:
                if _status_of(exc) == 404:
                    continue  # released between our PUT and GET: try again
                raise
            return str(existing.get("deposit_id", ""))
        raise ServiceUnavailable("Could not claim the check; try again.", code="write_conflict")

    def release_check(self, key: str, deposit_id: str) -> None:
        """Drop the claim on `key` if `deposit_id` holds it (a rejected check may be deposited again)."""
        try:
            existing = self._call(
                "reading a check claim", lambda: self.client.get_document(db=self.claims_db, doc_id=key)
            )
        except Exception as exc:
            if _status_of(exc) == 404:
                return
            raise
        if existing.get("deposit_id") != deposit_id:
            return
        try:
            self._call(
                "releasing a check claim",
                lambda: self.client.delete_document(db=self.claims_db, doc_id=key, rev=existing["_rev"]),
            )
        except Exception as exc:
            if _status_of(exc) not in (404, 409):
                raise


# ------------------------------------------------------------------------------------------ state changes


def mark_uploaded(
    store: DepositStore,
    deposit_id: str,
    image: ImageBlock,
    by: str,
    now: datetime | None = None,
    back_image: ImageBlock | None = None,
    current: Mapping[str, Any] | None = None,
) -> tuple[DepositDoc, bool]:
    """`received` -> `processing` with the images' ETag/size/type (the back's when it was uploaded).
    Already processing: no change. `current`: the document as the caller read it (`DepositStore.update`)."""

    def change(doc: DepositDoc) -> bool:
        if doc["status"] != RECEIVED:
            return False
        doc["image"] = {**doc.get("image", {}), **image}
        if back_image is not None:
            doc["back_image"] = {**doc.get("back_image", {}), **back_image}
        doc["attempts"] = 1
        set_status(doc, PROCESSING, by, now)
        return True

    return store.update(deposit_id, change, current)


def _accept_within_limit(store: DepositStore, doc: Mapping[str, Any], config: AppConfig) -> bool:
    """Count `doc` as accepted in its day's ledger; False when that would pass the daily limit."""
    from openchecks.ledger import Ledger

    outcome = Ledger(store).accept(
        str(doc["email"]), str(doc["day"]), str(doc["_id"]), int(doc["amount_cents"]), config.max_daily_cents
    )
    return outcome != "over_limit"


def _release_day(store: DepositStore, doc: Mapping[str, Any]) -> None:
    from openchecks.ledger import release_deposit

    release_deposit(store, doc)


def same_reviewer(doc: Mapping[str, Any], reviewer: str) -> bool:
    """Whether `reviewer` is the customer who made the deposit (emails compared without case)."""
    return str(doc.get("email", "")).strip().lower() == reviewer.strip().lower()


def refuse_own(doc: Mapping[str, Any], reviewer: str) -> None:
    """Four eyes: a reviewer never acts on their own deposit."""
    if same_reviewer(doc, reviewer):
        raise Forbidden(
            "You made this deposit yourself, so another reviewer must decide on it.", code="own_deposit"
        )


def _duplicate_checks(
    store: DepositStore,
    current: Mapping[str, Any],
    reading: Mapping[str, Any] | None,
    image_hash: str | None,
) -> tuple[str | None, str | None, str | None, list[str]]:
    """(claim key, its owner, item key, possible duplicates' ids) for a deposit the pipeline would accept or
    review. The image hash is indexed before the view is read, so of two deposits of one check recorded at
    the same moment at least one sees the other; deposits no longer live (rejected, failed) do not count."""
    deposit_id = str(current["_id"])
    key = owner = item = None
    possible: list[str] = []
    if reading:
        routing, serial = reading.get("routing"), reading.get("check_number")
        key = duplicates.claim_key(routing, reading.get("account"), serial)
        if key is not None:
            owner = store.claim_check(key, deposit_id)
        item = duplicates.item_key(routing, serial, current["amount_cents"])
        if item is not None:
            item_owner = store.claim_check(item, deposit_id)
            if item_owner not in (deposit_id, owner):
                possible.append(item_owner)
    if image_hash:
        store.note_image(deposit_id, image_hash)
        candidates = store.image_candidates(duplicates.bands(image_hash))
        matches = [other for other, _bits in duplicates.near(image_hash, candidates, deposit_id)]
        live = store.statuses(matches)
        for other in matches:
            if live.get(other) not in (None, REJECTED, FAILED) and other not in possible and other != owner:
                possible.append(other)
    return key, owner, item, possible


def record_outcome(
    store: DepositStore,
    deposit_id: str,
    decision: Decision,
    reading: Mapping[str, Any] | None,
    steps: Mapping[str, Any],
    config: AppConfig,
    by: str = "pipeline",
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
    image_hash: str | None = None,
    current: DepositDoc | None = None,
) -> tuple[DepositDoc, bool]:
    """Write the pipeline's outcome: duplicate checks, limits, status, reasons, reading and step timings.

    Returns (document, changed). A deposit that is not `processing` is returned unchanged. `current`: the
    document as the caller just read it (else it is read here); the write is a compare-and-set on its
    `_rev` (`DepositStore.update`), so a deposit changed since is read again."""
    if current is None:
        current = store.get(deposit_id)
    if current["status"] != PROCESSING:
        return current, False
    outcome = _pipeline_outcome(store, current, decision, reading, config, image_hash)

    def change(doc: DepositDoc) -> bool:
        if doc["status"] != PROCESSING:
            return False
        doc["reasons"] = outcome.reasons
        if reading is not None:
            _write_fields(doc, {"reading": dict(reading)})
        _write_fields(doc, outcome.fields)
        doc["steps"] = {**doc.get("steps", {}), **dict(steps)}
        _write_fields(doc, dict(extra or {}))
        doc.pop("last_error", None)
        set_status(doc, outcome.status, by, now, reason=", ".join(outcome.reasons) or None)
        return True

    return store.update(deposit_id, change, current)


@dataclass
class _Outcome:
    """What the pipeline's decision becomes once the duplicate keys and the limits have had their say."""

    status: Status
    reasons: list[str]
    fields: dict[str, Any]  # written on the document: check_key, item_key, duplicate_of, ...


def _pipeline_outcome(
    store: DepositStore,
    current: Mapping[str, Any],
    decision: Decision,
    reading: Mapping[str, Any] | None,
    config: AppConfig,
    image_hash: str | None,
) -> _Outcome:
    """The status the pipeline may give: a duplicate by its claim key, a possible duplicate by its item or
    image key, the item and daily limits for an acceptance; a rejection releases its hold on the day."""
    outcome = _Outcome(decision.status, list(decision.reasons), {})
    if outcome.status in (ACCEPTED, NEEDS_REVIEW):
        key, owner, item, possible = _duplicate_checks(store, current, reading, image_hash)
        named = {"check_key": key, "item_key": item, "possible_duplicate_of": possible or None}
        outcome.fields.update({k: v for k, v in named.items() if v is not None})
        if owner is not None and owner != current["_id"]:
            outcome.status, outcome.fields["duplicate_of"] = DUPLICATE, owner
            outcome.reasons.append("duplicate_check")
        elif possible:
            outcome.status = NEEDS_REVIEW
            outcome.reasons.append("possible_duplicate")
    if outcome.status == ACCEPTED:
        if int(current.get("amount_cents", 0)) > config.max_item_cents:
            outcome.status = NEEDS_REVIEW
            outcome.reasons.append("over_item_limit")
        elif not _accept_within_limit(store, current, config):
            outcome.status = NEEDS_REVIEW
            outcome.reasons.append("over_daily_limit")
    if outcome.status == REJECTED:
        _release_day(store, current)
    elif image_hash is not None:
        outcome.fields["image_hash"] = image_hash
    return outcome


def note_failure(
    store: DepositStore, deposit_id: str, step: str, message: str, now: datetime | None = None
) -> None:
    """Remember why a step failed on a `processing` deposit (the poller retries it later)."""

    def change(doc: DepositDoc) -> bool:
        if doc["status"] != PROCESSING:
            return False
        doc["last_error"] = {"step": step, "message": message[:500], "at": iso(now or utc_now())}
        doc["updated"] = iso(now or utc_now())
        return True

    store.update(deposit_id, change)


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


REVIEW_ACTIONS = ("approve", "reject", "correct", "override")


def _check_override(store: DepositStore, current: Mapping[str, Any]) -> None:
    """For releasing a `duplicate`: the deposit it duplicates must be rejected (or gone), and the check's
    claim must now be this deposit's."""
    other_id = current.get("duplicate_of")
    if isinstance(other_id, str) and ID_RE.match(other_id):
        try:
            other = store.get(other_id)
        except NotFound:
            other = None
        if other is not None and other.get("status") != REJECTED:
            raise Conflict(
                f"The deposit this one duplicates is {str(other.get('status')).replace('_', ' ')}; reject it "
                "first, then release this one with an override reason.",
                code="duplicate_still_held",
            )
    key = current.get("check_key")
    if isinstance(key, str) and key and store.claim_check(key, str(current["_id"])) != current["_id"]:
        raise Conflict(
            "Another deposit holds this check now; it cannot be accepted twice.", code="duplicate_still_held"
        )


def review(
    store: DepositStore,
    deposit_id: str,
    action: Any,
    fields: Any,
    reason: Any,
    reviewer: str,
    now: datetime | None = None,
    config: AppConfig | None = None,
) -> DepositDoc:
    """A reviewer's decision on a `needs_review` or `duplicate` deposit.

    - approve -> accepted (not for a `duplicate`), when the customer's day stays within the daily limit;
    - override (reason required) -> a `duplicate` accepted after all, once the deposit it duplicates is
      rejected (the check's claim passes to it), within the daily limit;
    - reject (reason required) -> rejected, releasing its claims on the check and its hold on the day;
    - correct: fix routing/account/check_number; the deposit stays under review, or becomes `duplicate` when
      the corrected check is already claimed by another deposit.
    Raises Forbidden for the reviewer's own deposit, Conflict when the deposit is not under review or the
    action is not allowed on it."""
    text, corrections = _review_request(action, fields, reason)
    config = config or AppConfig()
    current = store.get(deposit_id)
    refuse_own(current, reviewer)
    _check_reviewable(store, current, action, config)
    new_key: str | None = None
    owner: str | None = None
    if corrections:
        reading: dict[str, Any] = {**current.get("reading", {}), **corrections}
        new_key = dup_key(reading.get("routing"), reading.get("account"), reading.get("check_number"))
        if new_key is not None:
            owner = store.claim_check(new_key, deposit_id)

    def change(doc: DepositDoc) -> bool:
        if doc["status"] not in REVIEWABLE:
            raise Conflict(
                f"This deposit is {doc['status'].replace('_', ' ')}, not waiting for review.",
                code="not_reviewable",
            )
        if action == "approve" and doc["status"] == DUPLICATE:
            raise Conflict("This deposit became a duplicate meanwhile.", code="duplicate_not_approvable")
        moment = iso(now or utc_now())
        doc.setdefault("reviews", []).append(
            {"action": action, "by": reviewer, "at": moment, "reason": text, "fields": corrections}
        )
        if action == "approve":
            set_status(doc, ACCEPTED, reviewer, now, reason=text or "approved by reviewer")
        elif action == "override":
            doc["override"] = {"by": reviewer, "at": moment, "reason": text, "of": doc.get("duplicate_of")}
            set_status(doc, ACCEPTED, reviewer, now, reason=f"duplicate released: {text}")
        elif action == "reject":
            set_status(doc, REJECTED, reviewer, now, reason=text)
        else:
            _apply_corrections(doc, corrections, new_key, owner, reviewer, now)
        return True

    doc, _ = store.update(deposit_id, change)
    _release_after_review(store, current, action, new_key)
    return doc


def _release_after_review(
    store: DepositStore, current: Mapping[str, Any], action: str, new_key: str | None
) -> None:
    """A rejected deposit gives up its claims on the check and its hold on the day; a corrected one gives
    up the claim of the check it was read as."""
    deposit_id, old_key = str(current["_id"]), current.get("check_key")
    if action == "reject":
        for claimed in (old_key, current.get("item_key")):
            if isinstance(claimed, str) and claimed:
                store.release_check(claimed, deposit_id)
        _release_day(store, current)
    if action == "correct" and isinstance(old_key, str) and old_key and new_key != old_key:
        store.release_check(old_key, deposit_id)


def _review_request(action: Any, fields: Any, reason: Any) -> tuple[str, dict[str, str]]:
    """The review's reason and corrections, checked before anything is read (BadRequest otherwise)."""
    if action not in REVIEW_ACTIONS:
        raise BadRequest(
            "The review action must be approve, reject, correct, override or retry.", code="invalid_action"
        )
    if action == "override" and (reason is None or reason == ""):
        raise BadRequest(
            "Give the reason for accepting a duplicate after all (an override needs one).",
            code="reason_required",
        )
    text = clean_reason(reason, required=action == "reject")
    return text, correct_fields(fields) if action == "correct" else {}


def _check_reviewable(
    store: DepositStore, current: Mapping[str, Any], action: str, config: AppConfig
) -> None:
    """Conflict unless `action` may be taken on `current` now: it waits for review, a duplicate is only
    rejected or overridden (once the other is rejected), and an acceptance stays within the daily limit."""
    if current["status"] not in REVIEWABLE:
        raise Conflict(
            f"This deposit is {current['status'].replace('_', ' ')}, not waiting for review.",
            code="not_reviewable",
        )
    if action == "approve" and current["status"] == DUPLICATE:
        raise Conflict(
            "This check was already deposited: a duplicate can only be rejected, or accepted with action "
            "override and a reason once the other deposit is rejected.",
            code="duplicate_not_approvable",
        )
    if action == "override" and current["status"] != DUPLICATE:
        raise Conflict(
            "Only a duplicate needs an override; approve or reject this deposit.", code="not_a_duplicate"
        )
    if action == "override":
        _check_override(store, current)
    if action in ("approve", "override") and not _accept_within_limit(store, current, config):
        raise Conflict(
            f"Approving it would take this customer's deposits of {current.get('day')} over their daily "
            f"limit of ${config.max_daily_cents / 100:,.2f}; reject it, or first reject another of their "
            "deposits of that day.",
            code="over_daily_limit",
        )


def _apply_corrections(
    doc: DepositDoc,
    corrections: Mapping[str, str],
    new_key: str | None,
    owner: str | None,
    reviewer: str,
    now: datetime | None,
) -> None:
    """A reviewer's corrected fields: the deposit stays under review, or is a duplicate when the corrected
    check is claimed by another deposit."""
    _write_fields(doc, {"reading": {**doc.get("reading", {}), **corrections}})
    doc.setdefault("corrected", {}).update(corrections)
    if new_key is not None:
        doc["check_key"] = new_key
    if owner is not None and owner != doc["_id"]:
        doc["duplicate_of"] = owner
        set_status(doc, DUPLICATE, reviewer, now, reason="corrected check is already deposited")
    else:
        doc.pop("duplicate_of", None)
        set_status(doc, NEEDS_REVIEW, reviewer, now, reason="fields corrected")


def retry_failed(
    store: DepositStore, deposit_id: str, reviewer: str, reason: Any, now: datetime | None = None
) -> DepositDoc:
    """A reviewer sends a `failed` deposit through the pipeline again (attempts start over).
    Raises Conflict when the deposit is not `failed`."""
    text = clean_reason(reason, required=False)

    def change(doc: DepositDoc) -> bool:
        refuse_own(doc, reviewer)
        if doc["status"] != FAILED:
            raise Conflict(
                f"Only a failed deposit can be retried; this one is {doc['status'].replace('_', ' ')}.",
                code="not_retryable",
            )
        if not (doc.get("image") or {}).get("etag"):
            raise Conflict(
                "This deposit has no uploaded image to process; the customer must deposit again.",
                code="not_retryable",
            )
        doc["attempts"] = 1
        doc["reasons"] = []
        doc.pop("last_error", None)
        set_status(doc, PROCESSING, reviewer, now, reason=text or "retried by reviewer")
        return True

    return store.update(deposit_id, change)[0]


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
