"""The four steps of the `process-check` sequence, as plain functions of (context, arguments).

They pass references (deposit id, buckets, keys, ETags) and readings, never image bytes. Each step adds its
`_meta` under `steps` so `record-deposit` stores every step's timing, cold/warm and cache outcome.

- `fetch-image` is the cheap gate: the deposit is still `processing`; it passes on each uploaded side's
  bucket, key and the ETag the API validated (front, and the back when there is one), and asks COS nothing.
- `ocr-check` does all the image work in one container, so the image cache can hit: it downloads each side
  (by its validated ETag: If-Match, so a replaced or deleted upload is rejected) once into the container's
  temp directory (`openchecks.imagecache`), decodes and validates it, straightens
  it (the back to the front's size; the straightened image is cached too), archives the straightened image
  (`images.front`/`images.back`) and the UI's copies in a background thread, runs the quality tests on both
  sides, and, when both pass, reads the MICR line and the amount on the front and the endorsement on the
  back. Every one of those reads takes its image from the
  cache; a retry in the same warm container downloads and straightens nothing.
- `parse-check` decides (`openchecks.check.read.decide_check`) with the configuration document's rules.
- `record-deposit` writes the outcome.

A step that decides early (an invalid image, a deposit that is no longer `processing`) sets `outcome` or
`skip`, and the later steps pass it along untouched, so only `record-deposit` writes the result.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from openchecks import duplicates, images
from openchecks.check.read import (
    CheckPolicy,
    Readers,
    SideQuality,
    assess_side,
    back_size,
    decide_check,
    geometry_summary,
    read_both,
    straighten_side,
)
from openchecks.config import AppConfig
from openchecks.deposits import record_outcome
from openchecks.documents import ACCEPTED, NEEDS_REVIEW, PROCESSING, REJECTED, Decision, as_status
from openchecks.errors import BadRequest, Conflict, NotFound, TooLarge, UnsupportedMedia
from openchecks.fields import check_deposit_id, format_cents
from openchecks.runtime import ActionContext

# Keys a step copies from its input to its output (everything else stays behind, including parameters).
CARRIED = (
    "deposit_id",
    "bucket",
    "key",
    "etag",
    "sides",
    "attempt",
    "declared_cents",
    "image",
    "back_image",
    "archive",
    "images",
    "reading",
    "amount_read",
    "endorsement",
    "quality",
    "back_quality",
    "quality_report",
    "geometry",
    "image_hash",
    "decision",
    "outcome",
    "skip",
    "steps",
)
SIDES = ("front", "back")
# What record-deposit keeps in the deposit document (besides status, reasons, reading and steps).
RECORDED = (
    "image",
    "back_image",
    "archive",
    "images",
    "amount_read",
    "endorsement",
    "quality",
    "back_quality",
    "quality_report",
    "geometry",
)
# The straightened check's resolution: what every reader and the X9 export see.
CHECK_DPI = 200
STRAIGHT_QUALITY = 90


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
        ctx.count_image(True)
        return path, "hit"
    data = ctx.storage().get(bucket, key, etag=etag, max_bytes=images.MAX_IMAGE_BYTES)
    ctx.count_image(False)
    return cache.put(bucket, key, etag, data), "miss"


def _side_refs(doc: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """{side: {bucket, key, etag}} of the uploaded sides (the back only when it was uploaded)."""
    out: dict[str, dict[str, str]] = {}
    for side, field_name in (("front", "image"), ("back", "back_image")):
        block = doc.get(field_name) or {}
        if side == "back" and not block.get("etag"):
            continue
        out[side] = {
            "bucket": str(block.get("bucket", "")),
            "key": str(block.get("key", "")),
            "etag": str(block.get("etag", "")),
        }
    return out


def _rejected(exc: UnsupportedMedia | TooLarge | Conflict | NotFound, side: str) -> dict[str, Any]:
    prefix = "" if side == "front" else "back_"
    where = "" if side == "front" else "The back of the check: "
    # `discard`: the upload itself is refused, so record-deposit deletes it from the incoming bucket.
    return {
        "status": REJECTED,
        "reasons": [prefix + exc.code],
        "message": where + exc.message,
        "discard": True,
    }


def fetch_image(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """The gate: a `processing` deposit, and its sides' references (bucket, key and the ETag the API
    validated) for ocr-check. It sends no request to COS: ocr-check reads each side by that ETag (If-Match,
    or its cached copy of exactly that version), so an upload replaced or deleted since is refused there,
    before anything is read from it."""
    out = carry(args)
    deposit_id = _deposit_id(args)
    doc = ctx.store().get(deposit_id)
    if doc["status"] != PROCESSING:
        out["skip"] = f"deposit is already {doc['status']}"
        return out
    sides = _side_refs(doc)
    front = sides["front"]
    out.update(
        {
            "bucket": front["bucket"],
            "key": front["key"],
            "etag": front["etag"],
            "sides": sides,
            "declared_cents": doc.get("amount_cents"),
        }
    )
    return out


# ------------------------------------------------------------------------------------------------ ocr-check


def _pixels(image: Image.Image) -> bytes:
    """The straightened image as the cache keeps it: uncompressed PPM, lossless like the PNG it replaced,
    written and read back in about 1 ms each instead of about 27 ms to encode a PNG (a 200 dpi personal check
    is 2 MB this way, in a cache bounded in bytes)."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PPM")
    return buf.getvalue()


def _jpeg(image: Image.Image, quality: int = STRAIGHT_QUALITY) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality, comment=b"")
    return buf.getvalue()


def _straight_meta(straight: Any) -> dict[str, Any]:
    """Everything of a Straightened but its image, as JSON data (cached beside the straightened image)."""
    if dataclasses.is_dataclass(straight):
        meta = {f.name: getattr(straight, f.name) for f in dataclasses.fields(straight) if f.name != "image"}
    else:
        meta = {k: v for k, v in vars(straight).items() if k != "image"}
    return json.loads(json.dumps(meta))


def _straight_from(image: Image.Image, meta: Mapping[str, Any]) -> Any:
    """A Straightened rebuilt from the cache (the geometry module's own class, so every reader sees the same
    fields it would after straightening)."""
    from openchecks.check.geometry import Straightened

    known = {f.name for f in dataclasses.fields(Straightened)}
    values = {k: v for k, v in meta.items() if k in known}
    if isinstance(values.get("size_in"), list):
        values["size_in"] = tuple(values["size_in"])
    if isinstance(values.get("corners"), list):
        values["corners"] = tuple(tuple(point) for point in values["corners"])
    return Straightened(image=image, **values)


class _Straight:
    """A straightened side for a reader: the cached image with the geometry's attributes."""

    def __init__(self, image: Image.Image, straight: Any) -> None:
        self.image = image
        self.dpi = int(straight.dpi)
        self.size_in = tuple(straight.size_in)
        self.found = bool(straight.found)
        self.skew_degrees = float(straight.skew_degrees)
        self.source_dpi = float(straight.source_dpi)
        self.corners = straight.corners


class SideImages:
    """One side's images through the container's cache: each read loads its input from the temp dir."""

    def __init__(self, ctx: ActionContext, side: str, ref: Mapping[str, str]) -> None:
        self.ctx, self.side = ctx, side
        self.bucket, self.key, self.etag = ref["bucket"], ref["key"], ref["etag"]
        self.variant = f"straight-{CHECK_DPI}"

    def original(self) -> tuple[images.ImageInfo, Image.Image]:
        path, _ = cached_original(self.ctx, self.bucket, self.key, self.etag)
        return images.decode(path.read_bytes())

    def straightened(
        self,
        readers: Readers,
        photo: Image.Image | None = None,
        size_in: tuple[float, float] | None = None,
    ) -> tuple[Any, bool]:
        """(straightened side, taken from the cache?). Straightens (`photo`, else the cached original; to
        `size_in` when given: the back takes the front's size) and caches it on a miss."""
        if size_in is not None:
            self.variant = f"straight-{CHECK_DPI}-{size_in[0]:g}x{size_in[1]:g}"
        cache = self.ctx.images()
        path = cache.get(self.bucket, self.key, self.etag, self.variant)
        meta = cache.get(self.bucket, self.key, self.etag, self.variant + ".json")
        if path is not None and meta is not None:
            self.ctx.count_image(True)
            with Image.open(path) as opened:
                opened.load()
                return _straight_from(opened.convert("RGB"), json.loads(meta.read_text())), True
        self.ctx.count_image(False)
        if photo is None:
            _, photo = self.original()
        straight = straighten_side(photo, CHECK_DPI, readers, size_in)
        cache.put(self.bucket, self.key, self.etag, _pixels(straight.image), self.variant)
        meta_bytes = json.dumps(_straight_meta(straight)).encode()
        cache.put(self.bucket, self.key, self.etag, meta_bytes, self.variant + ".json")
        return straight, False

    def straight_image(self, fallback: Any) -> Image.Image:
        """The straightened image for a reader, from the cache (`fallback.image` when it is not there: the
        caches are off, or it was evicted)."""
        path = self.ctx.images().get(self.bucket, self.key, self.etag, self.variant)
        if path is None:
            self.ctx.count_image(False)
            image: Image.Image = fallback.image
            return image
        self.ctx.count_image(True)
        with Image.open(path) as opened:
            opened.load()
            return opened.convert("RGB")


def _archive_side(
    storage: Any, bucket: str, deposit_id: str, side: str, straight: Any, summary: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Store the straightened side and the UI's copies: (images[side], archive names -> keys)."""
    key = f"{deposit_id}/{side}-{CHECK_DPI}dpi.jpg"
    storage.put(bucket, key, _jpeg(straight.image), "image/jpeg")
    block = {
        "bucket": bucket,
        "key": key,
        "dpi": int(summary["dpi"]),
        "width": int(summary["width"]),
        "height": int(summary["height"]),
        "content_type": "image/jpeg",
    }
    prefix = "" if side == "front" else "back_"
    archive: dict[str, str] = {}
    for name, width in images.ARCHIVE_WIDTHS.items():
        if straight.image.width <= width:
            # The straightened check is already this small: its JPEG is the copy (one encode, one upload).
            archive[prefix + name] = key
            continue
        archive_key = f"{deposit_id}/{prefix}{name}.jpg"
        storage.put(bucket, archive_key, images.jpeg_of_width(straight.image, width), "image/jpeg")
        archive[prefix + name] = archive_key
    return block, archive


def ocr_check(ctx: ActionContext, args: Mapping[str, Any], readers: Readers | None = None) -> dict[str, Any]:
    """Fetch (once per container), validate, straighten, archive and assess both sides; read the front's
    MICR line and amount and the back's endorsement when both sides pass the quality tests."""
    out = carry(args)
    if args.get("skip") or args.get("outcome"):
        return out
    readers = readers or Readers()
    deposit_id = _deposit_id(args)
    sides = args.get("sides")
    if not isinstance(sides, Mapping) or "front" not in sides:
        sides = {"front": {k: str(args.get(k, "")) for k in ("bucket", "key", "etag")}}
    config = ctx.app_config()
    policy = CheckPolicy.from_config(config)
    from openchecks.micr.recognize import set_ocr_nice

    set_ocr_nice(ctx.settings.ocr_nice)
    handles = {side: SideImages(ctx, side, sides[side]) for side in SIDES if side in sides}
    straight: dict[str, Any] = {}
    photos: dict[str, Image.Image] = {}
    qualities: dict[str, SideQuality] = {}
    out["images"], out["archive"], out["geometry"] = {}, {"bucket": ctx.settings.bucket_archive}, {}
    storage = ctx.storage()  # made here, before the archiving thread uses it
    # The archive copies are encoded and uploaded in the background while the quality tests and the reads
    # run (JPEG encoding and S3 uploads release the GIL); each side's result is collected in order, and an
    # upload that fails fails the activation as before, after the pending ones finished.
    archived: dict[str, Future[tuple[dict[str, Any], dict[str, str]]]] = {}

    def collect() -> None:
        for side, future in archived.items():
            out["images"][side], copies = future.result()
            out["archive"].update(copies)

    with ThreadPoolExecutor(max_workers=1) as archiver:
        for side, handle in handles.items():
            try:
                info, photo = handle.original()
                size_in = back_size(straight["front"]) if side == "back" else None
                straight[side], _ = handle.straightened(readers, photo, size_in)
                photos[side] = photo
            except (UnsupportedMedia, TooLarge, Conflict, NotFound) as exc:
                # The image itself is unusable (or was replaced since the gate): a final answer, not a retry.
                out["outcome"] = _rejected(exc, side)
                collect()
                return out
            summary = geometry_summary(straight[side])
            out["geometry"][side] = summary
            if side == "front":
                out["image"] = {**info.to_dict(), **sides[side]}
            else:
                out["back_image"] = {**info.to_dict(), **sides[side]}
            archived[side] = archiver.submit(
                _archive_side, storage, ctx.settings.bucket_archive, deposit_id, side, straight[side], summary
            )
            qualities[side] = assess_side(photo, straight[side], policy, readers, side)
        ctx.cache["image"] = "off" if ctx.settings.disable_caches else ctx.image_flag()
        out["quality"] = qualities["front"].results
        out["back_quality"] = qualities["back"].results if "back" in qualities else None
        out["quality_report"] = {side: q.to_dict() for side, q in qualities.items()}
        if not any(q.failed for q in qualities.values()):
            _read_sides(ctx, args, out, handles, straight, photos["front"], policy, readers)
        collect()
    return out  # a side that failed a quality test is never read: parse-check rejects it with the tests


def _read_sides(
    ctx: ActionContext,
    args: Mapping[str, Any],
    out: dict[str, Any],
    handles: Mapping[str, SideImages],
    straight: Mapping[str, Any],
    photo: Image.Image,
    policy: CheckPolicy,
    readers: Readers,
) -> None:
    """Read the MICR line and the amount on the front and the endorsement on the back, each from its
    straightened image in the cache, into `out`."""
    tessdata = ctx.settings.tessdata_dir or None
    declared = args.get("declared_cents")
    front = _Straight(handles["front"].straight_image(straight["front"]), straight["front"])
    # The image key of duplicate detection (openchecks.duplicates): independent of every OCR result.
    out["image_hash"] = duplicates.image_hash(front.image)
    back = None
    if "back" in handles:
        back = _Straight(handles["back"].straight_image(straight["back"]), straight["back"])
    reading, amount, endorsement = read_both(
        front,
        back,
        format_cents(declared) if isinstance(declared, int) else None,
        policy,
        tessdata=tessdata,
        readers=readers,
        photo=photo,
    )
    out["reading"] = reading
    out["amount_read"] = amount
    if endorsement is not None:
        out["endorsement"] = endorsement
    ctx.cache["image"] = "off" if ctx.settings.disable_caches else ctx.image_flag()


# ---------------------------------------------------------------------------------------------- parse-check


def _side_quality(report: Any) -> SideQuality | None:
    if not isinstance(report, Mapping):
        return None
    return SideQuality(
        results={str(k): str(v) for k, v in dict(report.get("results") or {}).items()},
        failed=[str(t) for t in report.get("failed") or []],
        messages=[str(m) for m in report.get("messages") or []],
    )


def decide(
    reading: Mapping[str, Any] | None,
    declared_cents: int | None,
    config: AppConfig,
    *,
    amount: Mapping[str, Any] | None = None,
    endorsement: Mapping[str, Any] | None = None,
    quality_report: Mapping[str, Any] | None = None,
    has_back: bool = False,
) -> Decision:
    """The whole check's decision from what ocr-check passed on (see openchecks.check.read.decide_check).
    The endorsement is judged when the deposit has a back or the configuration requires one."""
    policy = CheckPolicy.from_config(config)
    report = quality_report or {}
    decision = decide_check(
        micr=reading,
        declared_cents=declared_cents,
        amount=amount,
        endorsement=endorsement,
        policy=policy,
        check_endorsement=has_back or policy.require_back,
        front_quality=_side_quality(report.get("front")),
        back_quality=_side_quality(report.get("back")),
    )
    return Decision(decision.status, decision.reasons, decision.messages)


def parse_check(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Decide accepted / needs_review / rejected from the readings, the declared amount and the rules."""
    out = carry(args)
    if args.get("skip") or args.get("outcome"):
        return out
    _deposit_id(args)
    declared = args.get("declared_cents")
    amount, endorsement, report = args.get("amount_read"), args.get("endorsement"), args.get("quality_report")
    sides = args.get("sides")
    decision = decide(
        args.get("reading"),
        declared if isinstance(declared, int) else None,
        ctx.app_config(),
        amount=amount if isinstance(amount, Mapping) else None,
        endorsement=endorsement if isinstance(endorsement, Mapping) else None,
        quality_report=report if isinstance(report, Mapping) else None,
        has_back=isinstance(sides, Mapping) and "back" in sides,
    )
    out["decision"] = {
        "status": decision.status,
        "reasons": list(decision.reasons),
        "messages": list(decision.messages),
    }
    return out


def record_deposit(ctx: ActionContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Write the outcome idempotently (duplicates by claim, item and image keys; the daily limit's ledger;
    history, per-step timings)."""
    deposit_id = _deposit_id(args)
    store = ctx.store()
    if args.get("skip"):
        doc = store.get(deposit_id)
        return {"deposit_id": deposit_id, "status": doc["status"], "changed": False, "steps": {}}
    outcome = args.get("outcome") or args.get("decision")
    status = as_status(outcome.get("status")) if isinstance(outcome, Mapping) else None
    if not isinstance(outcome, Mapping) or status is None or status not in (ACCEPTED, NEEDS_REVIEW, REJECTED):
        raise BadRequest("record-deposit needs a decision from parse-check.", code="missing_decision")
    decision = Decision(status, tuple(str(r) for r in outcome.get("reasons") or ()))
    config = ctx.app_config()
    extra: dict[str, Any] = {k: args[k] for k in RECORDED if isinstance(args.get(k), Mapping)}
    current = store.get(deposit_id)
    blocks: Mapping[str, Any] = current  # read by name, like the step's JSON
    for name in ("image", "back_image"):
        if isinstance(extra.get(name), Mapping):
            # The stored block keeps what the API recorded at upload and adds what validation learnt.
            extra[name] = {**(blocks.get(name) or {}), **extra[name]}
    messages = outcome.get("messages")
    if not isinstance(messages, list):
        messages = [outcome["message"]] if isinstance(outcome.get("message"), str) else []
    extra["messages"] = [str(m) for m in messages]
    steps = dict(args.get("steps") or {})
    steps["record-deposit"] = ctx.meta()
    image_hash = duplicates.valid_hash(args.get("image_hash"))
    doc, changed = record_outcome(
        store,
        deposit_id,
        decision,
        args.get("reading"),
        steps,
        config,
        extra=extra,
        image_hash=image_hash,
        current=current,
    )
    if changed and doc["status"] == REJECTED and outcome.get("discard"):
        from openchecks.recovery import discard_uploads

        discard_uploads(ctx, current)
    return {
        "deposit_id": deposit_id,
        "status": doc["status"],
        "changed": changed,
        "reasons": doc.get("reasons", []),
        "steps": {},
    }
