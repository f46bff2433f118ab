"""The four steps of the `process-check` sequence, as plain functions of (context, arguments).

They pass references (deposit id, bucket, key, ETag), never image bytes. Each step adds its `_meta` under
`steps` so `record-deposit` stores every step's timing, cold/warm and cache outcome in the deposit.
A step that decides early (an invalid image, a deposit that is no longer `processing`) sets `outcome` or
`skip`, and the later steps pass it along untouched, so only `record-deposit` writes the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openchecks import images
from openchecks.config import AppConfig
from openchecks.deposits import (
    ACCEPTED,
    NEEDS_REVIEW,
    PROCESSING,
    REJECTED,
    Decision,
    check_deposit_id,
    format_cents,
    record_outcome,
)
from openchecks.errors import BadRequest, Conflict, NotFound, TooLarge, UnsupportedMedia
from openchecks.runtime import ActionContext

# Keys a step copies from its input to its output (everything else stays behind, including parameters).
CARRIED = (
    "deposit_id",
    "bucket",
    "key",
    "etag",
    "attempt",
    "declared_cents",
    "image",
    "archive",
    "reading",
    "decision",
    "outcome",
    "skip",
    "steps",
)


def carry(args: Mapping[str, Any]) -> dict[str, Any]:
    """The references a step passes on."""
    out = {k: args[k] for k in CARRIED if k in args}
    out["steps"] = dict(args.get("steps") or {})
    return out


def _deposit_id(args: Mapping[str, Any]) -> str:
    value = args.get("deposit_id")
    if not isinstance(value, str):
        raise BadRequest("deposit_id is missing from the step's input.", code="missing_deposit_id")
    return check_deposit_id(value)


def cached_original(ctx: ActionContext, bucket: str, key: str, etag: str) -> tuple[Path, str]:
    """The uploaded image from the temp-dir cache, or fetched from COS into it: (path, "hit" | "miss")."""
    cache = ctx.images()
    path = cache.get(bucket, key, etag)
    if path is not None:
        return path, "hit"
    data = ctx.storage().get(bucket, key, etag=etag, max_bytes=images.MAX_IMAGE_BYTES)
    return cache.put(bucket, key, etag, data), "miss"


def fetch_image(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Get the upload into the temp-dir cache, validate it, write the archive copies, pass references on."""
    out = carry(args)
    deposit_id = _deposit_id(args)
    doc = ctx.store().get(deposit_id)
    if doc["status"] != PROCESSING:
        out["skip"] = f"deposit is already {doc['status']}"
        return out
    image = doc.get("image") or {}
    bucket, key, etag = str(image.get("bucket", "")), str(image.get("key", "")), str(image.get("etag", ""))
    out.update({"bucket": bucket, "key": key, "etag": etag, "declared_cents": doc.get("amount_cents")})
    try:
        path, flag = cached_original(ctx, bucket, key, etag)
        ctx.cache["image"] = "off" if ctx.settings.disable_caches else flag
        info, picture = images.decode(path.read_bytes())
    except (UnsupportedMedia, TooLarge, Conflict, NotFound) as exc:
        # The image itself is unusable: a final answer, not a retry.
        out["outcome"] = {"status": REJECTED, "reasons": [exc.code], "message": exc.message}
        return out
    storage = ctx.storage()
    archive: dict[str, str] = {}
    for name, jpeg in images.archive_copies(picture).items():
        archive_key = f"{deposit_id}/{name}.jpg"
        storage.put(ctx.settings.bucket_archive, archive_key, jpeg, "image/jpeg")
        archive[name] = archive_key
    out["image"] = {**info.to_dict(), "bucket": bucket, "key": key, "etag": etag}
    out["archive"] = {"bucket": ctx.settings.bucket_archive, **archive}
    return out


def ocr_check(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Read the MICR line of the cached (or fetched) image with the MICR reader."""
    out = carry(args)
    if args.get("skip") or args.get("outcome"):
        return out
    _deposit_id(args)
    try:
        path, flag = cached_original(
            ctx, str(args.get("bucket", "")), str(args.get("key", "")), str(args.get("etag", ""))
        )
    except (TooLarge, Conflict, NotFound) as exc:
        # Replaced or removed since fetch-image saw it: a final answer, not a retry.
        out["outcome"] = {"status": REJECTED, "reasons": [exc.code], "message": exc.message}
        return out
    ctx.cache["image"] = "off" if ctx.settings.disable_caches else flag
    if ctx.settings.tessdata_dir and "openchecks.micr.recognize" not in sys.modules:
        # The reader fixes its model directory when first imported, i.e. once per container.
        os.environ.setdefault("OPENCHECKS_TESSDATA", ctx.settings.tessdata_dir)
    from openchecks.micr.reader import CheckImageError, read_check

    declared = args.get("declared_cents")
    try:
        reading = read_check(str(path), format_cents(declared) if isinstance(declared, int) else None)
    except CheckImageError:
        out["outcome"] = {
            "status": REJECTED,
            "reasons": ["image_unreadable"],
            "message": "The check image could not be decoded.",
        }
        return out
    out["reading"] = reading.to_dict()
    return out


def _min_confidence(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        numbers = [float(v) for v in value.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        return min(numbers) if numbers else None
    if isinstance(value, list | tuple):
        numbers = [float(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return min(numbers) if numbers else None
    return None


def decide(reading: Mapping[str, Any] | None, declared_cents: int | None, config: AppConfig) -> Decision:
    """Accept only a reading the reader accepted, with every field present, confident, and an encoded amount
    (if any) equal to the declared one; anything else goes to review with machine-readable reasons."""
    if not reading:
        return Decision(NEEDS_REVIEW, ("no_reading",))
    reasons = [str(r) for r in reading.get("reasons") or []]
    status = reading.get("status")
    if status not in (ACCEPTED, NEEDS_REVIEW):
        reasons.append("reader_status_unknown")
    for name in ("routing", "account", "check_number"):
        if not reading.get(name):
            reasons.append(f"missing_{name}")
    confidence = _min_confidence(reading.get("confidence"))
    if confidence is not None and confidence < config.min_confidence:
        reasons.append("low_confidence")
    encoded = reading.get("amount_cents")
    if encoded is None and isinstance(reading.get("micr"), str):
        try:
            from openchecks.micr.parse import parse_micr_line

            encoded = parse_micr_line(reading["micr"]).amount_cents
        except Exception:  # the parser is the reader's business; an unparsable line is already a reason
            encoded = None
    if isinstance(encoded, int) and encoded > 0 and declared_cents is not None and encoded != declared_cents:
        reasons.append("amount_mismatch")
    unique = tuple(dict.fromkeys(reasons))
    if status == ACCEPTED and not unique:
        return Decision(ACCEPTED, ())
    return Decision(NEEDS_REVIEW, unique or ("reader_needs_review",))


def parse_check(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Decide accepted / needs_review from the reading, the declared amount and the configured threshold."""
    out = carry(args)
    if args.get("skip") or args.get("outcome"):
        return out
    _deposit_id(args)
    declared = args.get("declared_cents")
    decision = decide(args.get("reading"), declared if isinstance(declared, int) else None, ctx.app_config())
    out["decision"] = {"status": decision.status, "reasons": list(decision.reasons)}
    return out


def record_deposit(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Write the outcome idempotently (duplicates, limits, history, per-step timings)."""
    deposit_id = _deposit_id(args)
    store = ctx.store()
    if args.get("skip"):
        doc = store.get(deposit_id)
        return {"deposit_id": deposit_id, "status": doc["status"], "changed": False, "steps": {}}
    outcome = args.get("outcome") or args.get("decision")
    if not isinstance(outcome, Mapping) or outcome.get("status") not in (ACCEPTED, NEEDS_REVIEW, REJECTED):
        raise BadRequest("record-deposit needs a decision from parse-check.", code="missing_decision")
    decision = Decision(str(outcome["status"]), tuple(str(r) for r in outcome.get("reasons") or ()))
    config = ctx.app_config()
    extra = {k: args[k] for k in ("image", "archive") if isinstance(args.get(k), Mapping)}
    if isinstance(extra.get("image"), Mapping):
        # The stored image block keeps what the API recorded at upload and adds what validation learnt.
        current_image = store.get(deposit_id).get("image") or {}
        extra["image"] = {**current_image, **extra["image"]}
    steps = dict(args.get("steps") or {})
    steps["record-deposit"] = ctx.meta()
    doc, changed = record_outcome(
        store, deposit_id, decision, args.get("reading"), steps, config, extra=extra
    )
    return {
        "deposit_id": deposit_id,
        "status": doc["status"],
        "changed": changed,
        "reasons": doc.get("reasons", []),
        "steps": {},
    }
