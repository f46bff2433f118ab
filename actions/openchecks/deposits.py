"""The deposit's life cycle: the changes the API, the pipeline and reviewers make to a deposit, each a
read-modify-write through `openchecks.store.DepositStore` of the document in `openchecks.documents`
(its fields checked by `openchecks.fields`).

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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openchecks import duplicates
from openchecks.config import AppConfig
from openchecks.documents import (
    ACCEPTED,
    DUPLICATE,
    FAILED,
    NEEDS_REVIEW,
    PROCESSING,
    RECEIVED,
    REJECTED,
    REVIEWABLE,
    Decision,
    DepositDoc,
    ImageBlock,
    Status,
    iso,
    refuse_own,
    set_status,
    utc_now,
    write_fields,
)
from openchecks.errors import (
    BadRequest,
    Conflict,
    NotFound,
)
from openchecks.fields import ID_RE, clean_reason, correct_fields
from openchecks.store import DepositStore


def dup_key(routing: str | None, account: str | None, serial: str | None) -> str | None:
    """The claim id of a check (every field normalised: `openchecks.duplicates.claim_key`), or None when a
    field is missing or malformed (nothing to compare)."""
    return duplicates.claim_key(routing, account, serial)


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
        item = duplicates.item_key(routing, serial, current["amount_cents"])
    # Both claims and the image's index entry in one request (DepositStore.claim_checks).
    owners = store.claim_checks([k for k in (key, item) if k is not None], deposit_id, image_hash)
    if key is not None:
        owner = owners[key]
    if item is not None and owners[item] not in (deposit_id, owner):
        possible.append(owners[item])
    if image_hash:
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
            write_fields(doc, {"reading": dict(reading)})
        write_fields(doc, outcome.fields)
        doc["steps"] = {**doc.get("steps", {}), **dict(steps)}
        write_fields(doc, dict(extra or {}))
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
    write_fields(doc, {"reading": {**doc.get("reading", {}), **corrections}})
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
