"""`find-new-checks`: make sure no upload is left without a final status.

On each alarm it looks for
- `processing` deposits with no progress for `stale_after_seconds` (a lost trigger, a crashed step): run the
  sequence again, counting attempts; after `max_attempts` the deposit becomes `failed` with the reason;
- `received` deposits whose image is in storage but was never confirmed: confirm and run them;
- `received` deposits with no image after `upload_grace_seconds`: `failed` with reason `upload_missing`.
Each change is written before the sequence is invoked, so a crash here repeats work but loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from openchecks.deposits import (
    FAILED,
    PROCESSING,
    RECEIVED,
    DepositStore,
    iso,
    mark_uploaded,
    set_status,
    utc_now,
)
from openchecks.errors import OpenChecksError
from openchecks.runtime import ActionContext, log

BATCH = 50


def _retry_or_fail(
    store: DepositStore, deposit_id: str, max_attempts: int, stale_before: str, now: datetime
) -> tuple[str, int]:
    """Count one more attempt, or fail the deposit; returns ("retry"|"failed"|"skip", attempts)."""
    outcome: dict[str, Any] = {"action": "skip", "attempts": 0}

    def change(doc: dict[str, Any]) -> bool:
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
    ctx: ActionContext, invoke: Callable[[Mapping[str, Any]], Any], now: datetime | None = None
) -> dict[str, Any]:
    """One sweep; `invoke(payload)` starts the process-check sequence for one deposit."""
    moment = now or utc_now()
    config = ctx.app_config()
    store = ctx.store()
    report: dict[str, list[str]] = {"retried": [], "failed": [], "confirmed": [], "closed": [], "errors": []}

    stale_before = iso(moment - timedelta(seconds=config.stale_after_seconds))
    stuck = store.find(
        {"status": PROCESSING, "updated": {"$lt": stale_before}},
        sort=[{"status": "asc"}, {"updated": "asc"}],
        limit=BATCH,
        fields=["_id"],
    )
    for doc in stuck:
        deposit_id = str(doc["_id"])
        action, attempts = _retry_or_fail(store, deposit_id, config.max_attempts, stale_before, moment)
        if action == "failed":
            report["failed"].append(deposit_id)
        elif action == "retry":
            try:
                invoke({"deposit_id": deposit_id, "attempt": attempts})
                report["retried"].append(deposit_id)
            except OpenChecksError as exc:
                report["errors"].append(f"{deposit_id}: {exc.code}")

    unconfirmed_before = iso(moment - timedelta(seconds=ctx.settings.upload_url_ttl_seconds + 60))
    waiting = store.find(
        {"status": RECEIVED, "created": {"$lt": unconfirmed_before}},
        sort=[{"status": "asc"}, {"created": "asc"}],
        limit=BATCH,
        fields=["_id", "image", "created"],
    )
    abandoned_before = iso(moment - timedelta(seconds=config.upload_grace_seconds))
    for doc in waiting:
        deposit_id = str(doc["_id"])
        image = doc.get("image") or {}
        info = ctx.storage().head(str(image.get("bucket", "")), str(image.get("key", "")))
        if info is not None:
            updated, changed = mark_uploaded(
                store, deposit_id, {"etag": info.etag, "size": info.size}, "find-new-checks", moment
            )
            if changed:
                try:
                    invoke({"deposit_id": deposit_id, "attempt": updated.get("attempts", 1)})
                    report["confirmed"].append(deposit_id)
                except OpenChecksError as exc:
                    report["errors"].append(f"{deposit_id}: {exc.code}")
        elif str(doc.get("created", "")) < abandoned_before:

            def close(d: dict[str, Any]) -> bool:
                if d["status"] != RECEIVED:
                    return False
                d["reasons"] = ["upload_missing"]
                set_status(d, FAILED, "find-new-checks", moment, reason="no image was uploaded in time")
                return True

            if store.update(deposit_id, close)[1]:
                report["closed"].append(deposit_id)
    if any(report.values()):
        log("find-new-checks: " + ", ".join(f"{k}={len(v)}" for k, v in report.items()))
    return {"report": report, "at": iso(moment)}
