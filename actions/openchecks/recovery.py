"""`find-new-checks`: make sure no upload is left without a final status.

On each alarm it looks for
- `processing` deposits with no progress for `stale_after_seconds` (a lost trigger, a crashed step): run the
  sequence again, counting attempts; after `max_attempts` the deposit becomes `failed` with the reason.
  A deposit whose latest run OpenWhisk started but has not ended (it waits in the platform's queue behind
  other work, or is still running) is left alone (`pending`): that is no attempt lost, and retrying it would
  only add work to a busy platform. After `run_lost_after_seconds` such a run counts as lost;
- `received` deposits whose image is in storage but was never confirmed: confirm and run them, unless the
  image is empty or over the size limit: then `rejected` with the reason, and its uploads deleted;
- `received` deposits with no image after `upload_grace_seconds`: `failed` with reason `upload_missing`, and
  whatever was uploaded (a back without its front) deleted.
Each change is written before the sequence is invoked, so a crash here repeats work but loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from openchecks import images
from openchecks.deposits import mark_uploaded
from openchecks.documents import FAILED, PROCESSING, RECEIVED, REJECTED, DepositDoc, iso, set_status, utc_now
from openchecks.errors import OpenChecksError, TooLarge, UnsupportedMedia
from openchecks.ledger import release_deposit
from openchecks.runtime import ActionContext, log
from openchecks.store import DepositStore

BATCH = 50


class Runs(Protocol):
    """The platform's view of process-check runs (openchecks.whisk.PlatformRuns on OpenWhisk)."""

    def latest(self, since_ms: int) -> dict[str, tuple[str, int]]:
        """deposit id -> (activation id, start epoch ms) of the newest run started since `since_ms`."""
        ...

    def ended(self, activation_id: str) -> bool:
        """Whether the run has ended (OpenWhisk has its activation record)."""
        ...


def _pending(
    runs: Runs | None, stuck: list[dict[str, Any]], now: datetime, lost_after_seconds: int
) -> set[str]:
    """The stuck deposits whose latest run has been started, has not ended, and is not yet presumed lost."""
    if runs is None or not stuck:
        return set()
    lost_before_ms = int((now - timedelta(seconds=lost_after_seconds)).timestamp() * 1000)
    latest = runs.latest(lost_before_ms)
    pending = set()
    for doc in stuck:
        run = latest.get(str(doc["_id"]))
        if run is not None and run[1] >= lost_before_ms and not runs.ended(run[0]):
            pending.add(str(doc["_id"]))
    return pending


def _retry_or_fail(
    store: DepositStore, deposit_id: str, max_attempts: int, stale_before: str, now: datetime
) -> tuple[str, int]:
    """Count one more attempt, or fail the deposit; returns ("retry"|"failed"|"skip", attempts)."""
    outcome: dict[str, Any] = {"action": "skip", "attempts": 0}

    def change(doc: DepositDoc) -> bool:
        if doc["status"] != PROCESSING or doc.get("updated", "") >= stale_before:
            outcome["action"] = "skip"
            return False
        attempts = int(doc.get("attempts", 1))
        if attempts >= max_attempts:
            last = (doc.get("last_error") or {}).get("message", "no step reported an error")
            doc["reasons"] = ["processing_failed"]
            set_status(
                doc,
                FAILED,
                "find-new-checks",
                now,
                reason=f"processing did not finish after {attempts} attempts ({last})",
            )
            outcome.update(action="failed", attempts=attempts)
            return True
        doc["attempts"] = attempts + 1
        set_status(doc, PROCESSING, "find-new-checks", now, reason=f"retry {attempts + 1} of {max_attempts}")
        outcome.update(action="retry", attempts=attempts + 1)
        return True

    store.update(deposit_id, change)
    return str(outcome["action"]), int(outcome["attempts"])


def find_new_checks(
    ctx: ActionContext,
    invoke: Callable[[Mapping[str, Any]], Any],
    now: datetime | None = None,
    runs: Runs | None = None,
) -> dict[str, Any]:
    """One sweep; `invoke(payload)` starts the process-check sequence for one deposit and returns the
    activation id; `runs` tells which started runs have not ended (None: every stale deposit is retried).
    The report's `runs` maps each deposit started here to its activation id (read back by PlatformRuns)."""
    moment = now or utc_now()
    report: dict[str, Any] = {
        "retried": [],
        "failed": [],
        "confirmed": [],
        "closed": [],
        "rejected": [],
        "pending": [],
        "errors": [],
        "runs": {},
    }

    _sweep_stalled(ctx, invoke, moment, runs, report)
    _sweep_unconfirmed(ctx, invoke, moment, report)
    if any(report.values()):
        log("find-new-checks: " + ", ".join(f"{k}={len(v)}" for k, v in report.items() if k != "runs"))
    return {"report": report, "at": iso(moment)}


def _sweep_stalled(
    ctx: ActionContext,
    invoke: Callable[[Mapping[str, Any]], Any],
    moment: datetime,
    runs: Runs | None,
    report: dict[str, Any],
) -> None:
    """`processing` deposits not updated for stale_after_seconds: run again, unless their run is still
    queued (pending), or failed after max_attempts."""
    config, store = ctx.app_config(), ctx.store()
    stale_before = iso(moment - timedelta(seconds=config.stale_after_seconds))
    stuck = store.find(
        {"status": PROCESSING, "updated": {"$lt": stale_before}},
        sort=[{"status": "asc"}, {"updated": "asc"}],
        limit=BATCH,
        fields=["_id"],
    )
    try:
        pending = _pending(runs, stuck, moment, config.run_lost_after_seconds)
    except OpenChecksError as exc:  # the platform cannot say: retry as if nothing were pending
        report["errors"].append(f"runs: {exc.code}")
        pending = set()
    for doc in stuck:
        deposit_id = str(doc["_id"])
        if deposit_id in pending:
            report["pending"].append(deposit_id)
            continue
        action, attempts = _retry_or_fail(store, deposit_id, config.max_attempts, stale_before, moment)
        if action == "failed":
            report["failed"].append(deposit_id)
        elif action == "retry" and _start(invoke, {"deposit_id": deposit_id, "attempt": attempts}, report):
            report["retried"].append(deposit_id)


def _sweep_unconfirmed(
    ctx: ActionContext, invoke: Callable[[Mapping[str, Any]], Any], moment: datetime, report: dict[str, Any]
) -> None:
    """`received` drafts past their upload URL's life: confirmed and run when the upload is there (refused
    when it cannot be a check image), closed as upload_missing once the upload grace has passed."""
    config, store = ctx.app_config(), ctx.store()
    unconfirmed_before = iso(moment - timedelta(seconds=ctx.settings.upload_url_ttl_seconds + 60))
    waiting = store.find(
        {"status": RECEIVED, "created": {"$lt": unconfirmed_before}},
        sort=[{"status": "asc"}, {"created": "asc"}],
        limit=BATCH,
        fields=["_id", "image", "back_image", "created"],
    )
    abandoned_before = iso(moment - timedelta(seconds=config.upload_grace_seconds))
    for doc in waiting:
        image = doc.get("image") or {}
        info = ctx.storage().head(str(image.get("bucket", "")), str(image.get("key", "")))
        if info is not None:
            _confirm_found_upload(ctx, invoke, doc, info, moment, report)
        elif str(doc.get("created", "")) < abandoned_before:
            _close_abandoned(ctx, doc, moment, report)


def _confirm_found_upload(
    ctx: ActionContext,
    invoke: Callable[[Mapping[str, Any]], Any],
    doc: Mapping[str, Any],
    info: Any,
    moment: datetime,
    report: dict[str, Any],
) -> None:
    """An upload nobody confirmed: refused (and deleted) when empty or too large, else confirmed and run."""
    store, deposit_id = ctx.store(), str(doc["_id"])
    try:
        images.check_size(info.size)
    except (TooLarge, UnsupportedMedia) as exc:
        if _refuse(store, deposit_id, exc, moment):
            discard_uploads(ctx, doc)
            report["rejected"].append(deposit_id)
        return
    updated, changed = mark_uploaded(
        store, deposit_id, {"etag": info.etag, "size": info.size}, "find-new-checks", moment
    )
    if changed and _start(invoke, {"deposit_id": deposit_id, "attempt": updated.get("attempts", 1)}, report):
        report["confirmed"].append(deposit_id)


def _close_abandoned(
    ctx: ActionContext, doc: Mapping[str, Any], moment: datetime, report: dict[str, Any]
) -> None:
    """A draft whose front never came: failed as upload_missing, its hold and any back it had given up."""
    store, deposit_id = ctx.store(), str(doc["_id"])

    def close(d: DepositDoc) -> bool:
        if d["status"] != RECEIVED:
            return False
        d["reasons"] = ["upload_missing"]
        set_status(d, FAILED, "find-new-checks", moment, reason="no image was uploaded in time")
        return True

    closed, changed = store.update(deposit_id, close)
    if changed:
        release_deposit(store, closed)  # never uploaded: its amount no longer counts today
        discard_uploads(ctx, doc)
        report["closed"].append(deposit_id)


def _refuse(store: DepositStore, deposit_id: str, exc: OpenChecksError, moment: datetime) -> bool:
    """`received` -> `rejected` for an upload that cannot be a check image (True when this call did it)."""

    def change(doc: DepositDoc) -> bool:
        if doc["status"] != RECEIVED:
            return False
        doc["reasons"] = [exc.code]
        set_status(doc, REJECTED, "find-new-checks", moment, reason=exc.message)
        return True

    return store.update(deposit_id, change)[1]


def discard_uploads(ctx: ActionContext, doc: Mapping[str, Any]) -> None:
    """Delete a refused deposit's uploads (front and back) from the incoming bucket; a failure is logged,
    not raised (the refusal itself is recorded)."""
    for name in ("image", "back_image"):
        block = doc.get(name) or {}
        if not block.get("key"):
            continue
        try:
            ctx.storage().delete(str(block.get("bucket", "")), str(block["key"]))
        except OpenChecksError as exc:
            log(f"{ctx.step}: {doc.get('_id')}: upload not deleted: {exc.code}")


def _start(
    invoke: Callable[[Mapping[str, Any]], Any], payload: dict[str, Any], report: dict[str, Any]
) -> bool:
    """Start the sequence for one deposit; note its activation id, or the error, in the report."""
    deposit_id = payload["deposit_id"]
    try:
        activation_id = invoke(payload)
    except OpenChecksError as exc:
        report["errors"].append(f"{deposit_id}: {exc.code}")
        return False
    if isinstance(activation_id, str) and activation_id:
        report["runs"][deposit_id] = activation_id
    return True
