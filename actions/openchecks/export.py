"""The daily export of accepted deposits as an X9.100-187 image cash letter, exactly once per item.

The claim design. An export is a document in the exports database that moves through these states:

    claiming -> claimed -> written -> done        (or: claiming -> empty, when nothing was there to take)
    claiming -> rolled_back                       (a run that died while claiming, undone by a later run)

1. `claiming`: the export document exists first; then each `accepted` deposit without a claim gets
   `export_claim = <export id>` through a revision-checked write (a 409 re-reads the deposit and, if another
   export claimed it meanwhile, leaves it). So two exports running at once never both hold one deposit.
2. `claimed`: the export document lists its items (deposit id, item sequence number, amount) and the file's
   fixed inputs (business date, creation time, key). From here the file is a pure function of the document,
   the deposits and their images: writing it again gives the same bytes.
3. `written`: the file is in the exports bucket under the export's key, with its SHA-256 and size recorded.
4. `done`: every claimed deposit is `exported` with `export: {id, key, at}`; marking is idempotent.

Every run first recovers the exports left unfinished by a run that died (their `updated` older than
`stale_after_seconds`, which is above the action's time limit): it takes one over with a revision-checked
write (so two recovering runs never both work on it), then rolls a `claiming` export back (releases its
claims) or finishes a `claimed`/`written` one. A database that restarts in the middle makes the run fail with
a 503; the state it leaves is one of the above, and the next run (the alarm's, or `POST /exports`) goes on.
"""

from __future__ import annotations

import hashlib
import io
import math
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, BinaryIO, Literal, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openchecks.documents import ACCEPTED, EXPORTED, DepositDoc, ExportInfo, iso, set_status, utc_now
from openchecks.errors import ConfigurationError, Conflict, NotFound, OpenChecksError, ServiceUnavailable
from openchecks.services import DocumentClient
from openchecks.store import DepositStore, database_call, read_document, status_of

ExportState = Literal["claiming", "claimed", "written", "done", "empty", "rolled_back", "failed"]
UNFINISHED: tuple[ExportState, ...] = ("claiming", "claimed", "written")
FINAL: tuple[ExportState, ...] = ("done", "empty", "rolled_back", "failed")
EXPORT_ID_PREFIX = "exp-"
LOOKAHEAD = 4  # items whose images are being rendered ahead of the writer
# Words in a review reason that mean the MICR line was not read cleanly.
_READ_TROUBLE = ("micr", "confidence", "checksum", "unreadable", "routing", "account", "check_number")


class ExportItem(TypedDict):
    deposit_id: str
    sequence_number: str
    amount_cents: int


class ExportDoc(TypedDict, total=False):
    _id: str
    _rev: str
    type: str
    state: ExportState
    trigger: str  # alarm | manual | recovery
    by: str
    owner: str  # the run working on it
    created: str
    updated: str
    business_date: str  # YYYY-MM-DD
    file_created: str  # local time, ISO, of the file's headers
    bucket: str
    key: str
    items: list[ExportItem]
    item_count: int
    total_cents: int
    images: int
    sha256: str
    bytes: int
    encoding: str
    warnings: list[str]
    error: str
    history: list[dict[str, str]]


@dataclass(frozen=True)
class ExportConfig:
    """The `export` object of the configuration document."""

    origin_routing: str = ""  # our bank: immediate origin, ECE institution, BOFD
    destination_routing: str = ""  # the clearing bank or Federal Reserve office
    origin_name: str = ""
    destination_name: str = ""
    cycle_number: str = "01"
    bundle_size: int = 300
    cutoff: str = "17:00"  # local time of the daily cut-off (the alarm fires then)
    cutoff_grace_minutes: int = 60  # a file made this long after the cut-off is still that day's
    timezone: str = "America/New_York"
    encoding: str = "cp037"  # or "ascii"
    dpi: int = 200  # or 240
    production: bool = False  # the file's test indicator: T unless this is true
    contact_name: str = ""
    contact_phone: str = ""
    max_items: int = 5000  # per file; the rest waits for the next export
    stale_after_seconds: int = 900  # an unfinished export this old belongs to a run that died
    render_threads: int = 2  # threads that make the bitonal images while the file is written

    @classmethod
    def from_mapping(cls, raw: Any) -> ExportConfig:
        """Read and check the `export` object; a bad value is a ConfigurationError naming the key."""
        values: dict[str, Any] = {}
        raw = raw if isinstance(raw, Mapping) else {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            default = getattr(cls(), f.name)
            try:
                if isinstance(default, bool):
                    values[f.name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true")
                elif isinstance(default, int):
                    values[f.name] = int(value)
                else:
                    values[f.name] = str(value)
            except (TypeError, ValueError):
                raise ConfigurationError(f"The configuration export.{f.name} must be a number.") from None
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        from openchecks.micr.aba import routing_checksum_ok

        for name in ("origin_routing", "destination_routing"):
            value = getattr(self, name)
            if not (len(value) == 9 and value.isdigit() and routing_checksum_ok(value)):
                raise ConfigurationError(
                    f"Set export.{name} in the configuration document to a 9-digit routing number with a "
                    f"valid checksum (it is {value!r})."
                )
        if self.encoding not in ("cp037", "ascii"):
            raise ConfigurationError("export.encoding must be cp037 (EBCDIC) or ascii.")
        if self.dpi not in (200, 240):
            raise ConfigurationError("export.dpi must be 200 or 240.")
        if not 1 <= self.bundle_size <= 9999:
            raise ConfigurationError("export.bundle_size must be from 1 to 9999 items.")
        if len(self.cycle_number) > 2 or not self.cycle_number.isalnum():
            raise ConfigurationError("export.cycle_number must be one or two letters or digits.")
        self.zone()
        self.cutoff_time()

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"export.timezone {self.timezone!r} is not a known time zone.") from None

    def cutoff_time(self) -> time:
        try:
            return datetime.strptime(self.cutoff, "%H:%M").time()
        except ValueError:
            raise ConfigurationError(f"export.cutoff must be a time HH:MM, not {self.cutoff!r}.") from None


def business_date(moment: datetime, config: ExportConfig) -> date:
    """The business day a file made at `moment` belongs to: today's (local) up to `cutoff_grace_minutes`
    after the cut-off, so the file the cut-off's alarm makes, even late, is that day's; later ones are the
    next day's. Saturday and Sunday roll to Monday."""
    local = moment.astimezone(config.zone())
    day = local.date()
    closes = datetime.combine(day, config.cutoff_time(), local.tzinfo) + timedelta(
        minutes=config.cutoff_grace_minutes
    )
    if local >= closes:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --------------------------------------------------------------------------------------------- the store


class ExportStore:
    """The exports database through a CloudantV1 client (the same client type DepositStore uses)."""

    def __init__(self, client: DocumentClient, db: str) -> None:
        self.client = client
        self.db = db

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        return database_call("exports", what, fn)

    def get(self, export_id: str) -> ExportDoc:
        missing = NotFound("There is no export with that id.", code="export_not_found")
        if (
            not isinstance(export_id, str)
            or not export_id.startswith(EXPORT_ID_PREFIX)
            or len(export_id) > 80
        ):
            raise missing
        doc: ExportDoc = read_document(
            self.client, "exports", self.db, export_id, missing, "reading an export"
        )
        return doc

    def create(self, doc: ExportDoc) -> ExportDoc:
        try:
            result = self._call(
                "creating an export",
                partial(self.client.put_document, db=self.db, doc_id=doc["_id"], document=dict(doc)),
            )
        except Exception as exc:
            if status_of(exc) == 409:
                raise Conflict("An export with that id already exists.", code="export_exists") from None
            raise
        stored = ExportDoc(**doc)
        stored["_rev"] = result["rev"]
        return stored

    def save(self, doc: ExportDoc) -> ExportDoc:
        """Write `doc` on its `_rev`; Conflict when someone else wrote it since it was read."""
        try:
            result = self._call(
                "saving an export",
                partial(self.client.put_document, db=self.db, doc_id=doc["_id"], document=dict(doc)),
            )
        except Exception as exc:
            if status_of(exc) == 409:
                raise Conflict("The export was changed by another run.", code="export_changed") from None
            raise
        doc["_rev"] = result["rev"]
        return doc

    def find(
        self, selector: dict[str, Any], limit: int = 100, sort: list[dict[str, str]] | None = None
    ) -> list[ExportDoc]:
        extra: dict[str, Any] = {"sort": sort} if sort else {}
        result = self._call(
            "searching exports",
            lambda: self.client.post_find(db=self.db, selector=selector, limit=limit, **extra),
        )
        docs: list[ExportDoc] = result.get("docs", [])
        return docs

    def recent(self, limit: int = 50) -> list[ExportDoc]:
        """The newest `limit` exports, newest first (the by-type-created index sorts them in the database)."""
        return self.find(
            {"type": "export", "created": {"$gt": None}},
            limit=limit,
            sort=[{"type": "desc"}, {"created": "desc"}],
        )


def _advance(doc: ExportDoc, state: ExportState, owner: str, now: datetime | None = None) -> None:
    moment = iso(now or utc_now())
    doc["state"] = state
    doc["updated"] = moment
    doc["owner"] = owner
    doc.setdefault("history", []).append({"state": state, "at": moment, "by": owner})


# ------------------------------------------------------------------------------------------- the items


def micr_indicators(deposit: Mapping[str, Any]) -> tuple[str, str]:
    """(MICR valid indicator, correction indicator) of a deposit: 1/0 for a clean read accepted by the
    pipeline; a read with missing fields is 2; a reviewer's correction makes it 3 (read error) with correction
    3 (repaired with operator intervention); read trouble among the review reasons without a correction is
    3/0; both missing fields and read trouble 4."""
    reading = deposit.get("reading") or {}
    missing = not all(reading.get(k) for k in ("routing", "account", "check_number"))
    corrected = bool(deposit.get("corrected"))
    reasons = " ".join(str(r) for r in deposit.get("reasons") or [])
    trouble = corrected or any(word in reasons for word in _READ_TROUBLE)
    if trouble and missing:
        valid = "4"
    elif trouble:
        valid = "3"
    elif missing:
        valid = "2"
    else:
        valid = "1"
    return valid, "3" if corrected else "0"


def on_us_fields(account: str, serial: str) -> tuple[str, str]:
    """(on-us, auxiliary on-us) for the 25 record: "account/serial" when it fits the 20 characters of the
    on-us field (a personal check's layout); otherwise the serial goes to the auxiliary on-us field (where a
    business check prints it) and the on-us field keeps "account/"."""
    if len(account) + 1 + len(serial) <= 20:
        return f"{account}/{serial}", ""
    if len(serial) > 15 or len(account) > 19:
        raise ConfigurationError("The account or check number is too long for the X9 on-us fields.")
    return f"{account}/", serial


ImageSource = tuple[str, str, float | None]  # bucket, key, dpi of the stored image (None: unknown)


def image_sources(deposit: Mapping[str, Any]) -> dict[str, ImageSource]:
    """Where the front and (when there is one) the back are: `images.front`/`images.back` (the straightened
    check at a known dpi) when present, otherwise the archive's large copy of the front (dpi unknown)."""
    out: dict[str, ImageSource] = {}
    images = deposit.get("images") or {}
    for side in ("front", "back"):
        entry = images.get(side) if isinstance(images, Mapping) else None
        if isinstance(entry, Mapping) and entry.get("bucket") and entry.get("key"):
            dpi = entry.get("dpi")
            out[side] = (str(entry["bucket"]), str(entry["key"]), float(dpi) if dpi else None)
    if "front" not in out:
        archive = deposit.get("archive") or {}
        if archive.get("bucket") and archive.get("large"):
            out["front"] = (str(archive["bucket"]), str(archive["large"]), None)
    return out


def render_view(storage: Any, source: ImageSource, dpi: int) -> bytes:
    """The TIFF Group 4 bytes of one stored image at `dpi`. Without a known dpi the check is taken to be a
    personal check 6 inches wide across the image. Stored images are the pipeline's own (already upright),
    decoded straight to grey; a JPEG's decoder does that itself, and when the stored image is at twice `dpi`
    or more it also decodes at 1/2, 1/4 or 1/8 of the size (Image.draft: never under `dpi`), at a fraction of
    the cost of decoding it whole and shrinking it."""
    from PIL import Image

    from openchecks.check.bitonal import tiff_g4

    bucket, key, source_dpi = source
    try:
        image = Image.open(io.BytesIO(storage.get(bucket, key)))
        full_width = image.width
        if image.format == "JPEG":
            wanted = image.size
            if source_dpi and source_dpi > dpi:
                wanted = (
                    max(1, math.ceil(image.width * dpi / source_dpi)),
                    max(1, math.ceil(image.height * dpi / source_dpi)),
                )
            image.draft("L", wanted)
        grey = image if image.mode == "L" else image.convert("L")
        grey.load()
    except OpenChecksError:
        raise
    except Exception as exc:  # a damaged stored image: say which, do not write a file without it
        raise ConfigurationError(
            f"The stored image {bucket}/{key} cannot be decoded; it was not exported."
        ) from exc
    # The dpi of what was decoded (a draft at 1/2 has half the stored image's).
    decoded_dpi = source_dpi * grey.width / full_width if source_dpi else grey.width / 6.0
    return tiff_g4(grey, dpi, decoded_dpi)


def build_items(
    deposits: DepositStore, storage: Any, export: ExportDoc, config: ExportConfig, warnings: list[str]
) -> Iterator[Any]:
    """The writer's items for an export's claimed deposits, in order. Images are rendered by
    `config.render_threads` threads at most `LOOKAHEAD` items ahead of the writer (Pillow decodes and
    encodes without holding the GIL), so memory stays bounded by a few items whatever the file's size."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from openchecks.x9.writer import Item, View

    def view(future: Future[bytes], quality: Any) -> View:
        return View(future.result, quality if isinstance(quality, Mapping) else None)

    pool = ThreadPoolExecutor(max_workers=max(1, config.render_threads), thread_name_prefix="x9-render")
    pending: deque[Item] = deque()
    try:
        for entry in export.get("items", []):
            doc = deposits.get(entry["deposit_id"])
            reading = doc.get("reading") or {}
            sources = image_sources(doc)
            if "front" not in sources:
                raise ConfigurationError(f"Deposit {doc['_id']} has no stored image to export.")
            if "back" not in sources:
                warnings.append(f"deposit {doc['_id']} has no back image: the item has a front view only")
            valid, correction = micr_indicators(doc)
            routing = str(reading.get("routing") or "").strip()
            if len(routing) != 9 or not routing.isdigit():
                raise ConfigurationError(f"Deposit {doc['_id']} has no 9-digit routing number to export.")
            account, serial = str(reading.get("account") or ""), str(reading.get("check_number") or "")
            on_us, aux = on_us_fields(account, serial)
            front = pool.submit(render_view, storage, sources["front"], config.dpi)
            back = (
                pool.submit(render_view, storage, sources["back"], config.dpi) if "back" in sources else None
            )
            pending.append(
                Item(
                    sequence_number=entry["sequence_number"],
                    amount_cents=int(entry["amount_cents"]),
                    routing=routing,
                    on_us=on_us,
                    auxiliary_on_us=aux,
                    front=view(front, doc.get("quality")),
                    back=None if back is None else view(back, doc.get("back_quality")),
                    deposit_account=str(doc.get("to_account", ""))[:18],
                    micr_valid=valid,
                    correction=correction,
                    key=doc["_id"],
                )
            )
            if len(pending) > LOOKAHEAD:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------------------- the steps


class _HashingWriter(io.RawIOBase):
    """Passes writes to a file and hashes them on the way (the file is never held in memory)."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.target.write(chunk)
        self.sha.update(chunk)
        self.size += len(chunk)
        return len(chunk)


@dataclass
class Exporter:
    """One run's view of the services; `hook(point)` is called at each step boundary (tests make a run die
    there; in production it is a no-op)."""

    deposits: DepositStore
    exports: ExportStore
    storage: Any
    config: ExportConfig
    bucket: str
    run_id: str = ""
    hook: Callable[[str], None] = lambda point: None
    spool_dir: str | None = None
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        self.run_id = self.run_id or f"run-{uuid.uuid4().hex[:12]}"

    # ---- the whole run

    def run(self, trigger: str = "alarm", by: str = "alarm", export_id: str | None = None) -> ExportDoc:
        """Recover unfinished exports, then export every accepted deposit not yet claimed."""
        self.recover()
        return self.export(trigger, by, export_id)

    def export(self, trigger: str, by: str, export_id: str | None = None) -> ExportDoc:
        moment = self.clock()
        export_id = export_id or new_export_id(moment)
        local = moment.astimezone(self.config.zone())
        doc = ExportDoc(
            _id=export_id,
            type="export",
            trigger=trigger,
            by=by,
            created=iso(moment),
            business_date=business_date(moment, self.config).isoformat(),
            file_created=local.replace(second=0, microsecond=0).isoformat(),
            bucket=self.bucket,
            key=f"{export_id}.x9",
            encoding=self.config.encoding,
            items=[],
        )
        _advance(doc, "claiming", self.run_id, moment)
        doc = self.exports.create(doc)
        self.hook("created")
        claimed = self.claim(doc)
        if not claimed:
            _advance(doc, "empty", self.run_id, self.clock())
            return self.exports.save(doc)
        base = int(moment.timestamp()) % 1_000_000_000
        doc["items"] = [
            ExportItem(
                deposit_id=d["_id"],
                sequence_number=f"{base:09d}{i + 1:06d}",
                amount_cents=int(d["amount_cents"]),
            )
            for i, d in enumerate(claimed)
        ]
        doc["item_count"] = len(claimed)
        doc["total_cents"] = sum(int(d["amount_cents"]) for d in claimed)
        _advance(doc, "claimed", self.run_id, self.clock())
        doc = self.exports.save(doc)
        self.hook("claimed")
        return self.finish(doc)

    def candidates(self, limit: int) -> list[dict[str, Any]]:
        return self.deposits.find(
            {"status": ACCEPTED, "created": {"$gt": None}, "export_claim": {"$exists": False}},
            sort=[{"status": "asc"}, {"created": "asc"}],
            limit=limit,
            fields=["_id", "amount_cents", "created"],
        )

    def claim(self, export: ExportDoc) -> list[DepositDoc]:
        """Claim accepted, unclaimed deposits for `export` (oldest first, up to max_items)."""
        export_id = export["_id"]
        claimed: list[DepositDoc] = []

        def take(doc: DepositDoc) -> bool:
            if doc.get("status") != ACCEPTED or doc.get("export_claim"):
                return False
            doc["export_claim"] = export_id
            return True

        for summary in self.candidates(self.config.max_items):
            doc, changed = self.deposits.update(summary["_id"], take)
            if changed or doc.get("export_claim") == export_id:
                claimed.append(doc)
                self.hook(f"claimed:{doc['_id']}")
        return claimed

    def finish(self, doc: ExportDoc) -> ExportDoc:
        """Take a `claimed` or `written` export to `done` (idempotent)."""
        if doc["state"] == "claimed":
            doc = self.write_file(doc)
            self.hook("written")
        if doc["state"] == "written":
            self.mark(doc)
            _advance(doc, "done", self.run_id, self.clock())
            doc = self.exports.save(doc)
        return doc

    def write_file(self, doc: ExportDoc) -> ExportDoc:
        """Write the file (spooled to a temporary file, hashed on the way) and upload it under its key."""
        from openchecks.x9.writer import FileSettings, write_cash_letter

        warnings: list[str] = []
        created = datetime.fromisoformat(doc["file_created"])
        settings = FileSettings(
            origin_routing=self.config.origin_routing,
            destination_routing=self.config.destination_routing,
            origin_name=self.config.origin_name,
            destination_name=self.config.destination_name,
            business_date=date.fromisoformat(doc["business_date"]),
            created=created,
            cycle_number=self.config.cycle_number,
            cash_letter_id=doc["_id"][-8:],
            contact_name=self.config.contact_name,
            contact_phone=self.config.contact_phone,
            production=self.config.production,
            bundle_size=self.config.bundle_size,
            encoding="ascii" if doc.get("encoding") == "ascii" else "cp037",
        )
        with tempfile.TemporaryFile(dir=self.spool_dir) as spool:
            hashing = _HashingWriter(spool)
            totals = write_cash_letter(
                hashing,  # type: ignore[arg-type]
                settings,
                build_items(self.deposits, self.storage, doc, self.config, warnings),
            )
            spool.flush()
            spool.seek(0)
            upload(self.storage, doc["bucket"], doc["key"], spool, hashing.size)
        doc["sha256"] = hashing.sha.hexdigest()
        doc["bytes"] = hashing.size
        doc["images"] = totals.images
        doc["warnings"] = warnings[:100]
        _advance(doc, "written", self.run_id, self.clock())
        return self.exports.save(doc)

    def mark(self, doc: ExportDoc) -> None:
        """Mark every item `exported` with the file it left in (idempotent)."""
        export_id = doc["_id"]
        info: ExportInfo = {
            "id": export_id,
            "bucket": doc["bucket"],
            "key": doc["key"],
            "business_date": doc["business_date"],
        }

        def exported(deposit: DepositDoc) -> bool:
            if deposit.get("status") == EXPORTED:
                return False
            if deposit.get("export_claim") != export_id:
                raise Conflict(
                    f"Deposit {deposit['_id']} is not claimed by export {export_id}; it was not marked.",
                    code="claim_lost",
                )
            deposit["export"] = {**info, "at": iso(utc_now())}
            set_status(deposit, EXPORTED, f"export {export_id}", reason=f"in cash letter {doc['key']}")
            return True

        for entry in doc.get("items", []):
            self.deposits.update(entry["deposit_id"], exported)
            self.hook(f"marked:{entry['deposit_id']}")

    def rollback(self, doc: ExportDoc) -> ExportDoc:
        """Undo a `claiming` export: release every claim it holds, then call it rolled back."""
        export_id = doc["_id"]

        def release(deposit: DepositDoc) -> bool:
            if deposit.get("export_claim") != export_id or deposit.get("status") != ACCEPTED:
                return False
            deposit.pop("export_claim", None)
            return True

        while True:
            held = self.deposits.find({"export_claim": export_id}, fields=["_id"], limit=500)
            if not held:
                break
            for summary in held:
                self.deposits.update(summary["_id"], release)
            if len(held) < 500:
                break
        _advance(doc, "rolled_back", self.run_id, self.clock())
        return self.exports.save(doc)

    def recover(self) -> list[ExportDoc]:
        """Finish or roll back every export left unfinished by a run that died (see the module docstring)."""
        moment = self.clock()
        stale_before = iso(moment - timedelta(seconds=self.config.stale_after_seconds))
        out: list[ExportDoc] = []
        for doc in self.exports.find({"type": "export", "state": {"$in": list(UNFINISHED)}}, limit=100):
            if doc.get("updated", "") >= stale_before:
                continue  # a run may still be working on it
            try:
                doc["owner"] = self.run_id
                doc["updated"] = iso(moment)
                doc = self.exports.save(doc)  # the take-over: only one run wins this write
            except Conflict:
                continue
            out.append(self.rollback(doc) if doc["state"] == "claiming" else self.finish(doc))
        return out


def new_export_id(moment: datetime | None = None) -> str:
    """`exp-YYYYMMDDTHHMMSSZ-<8 hex>`: sortable by time, unique."""
    stamp = (moment or utc_now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{EXPORT_ID_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}"


def upload(storage: Any, bucket: str, key: str, stream: BinaryIO, size: int) -> None:
    """Stream a file to object storage (the S3 client reads it in parts; nothing is held whole)."""
    from openchecks.storage import check_key

    check_key(key)
    try:
        storage.client.put_object(
            Bucket=bucket, Key=key, Body=stream, ContentLength=size, ContentType="application/octet-stream"
        )
    except Exception as exc:
        raise ServiceUnavailable(
            "Object storage did not answer while storing the cash letter; the export will be finished by the "
            "next run.",
            code="storage_unavailable",
        ) from exc


def public_export(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the API shows of an export (no CouchDB internals, no item list beyond the ids)."""
    keep = (
        "state",
        "trigger",
        "by",
        "created",
        "updated",
        "business_date",
        "key",
        "item_count",
        "total_cents",
        "images",
        "sha256",
        "bytes",
        "encoding",
        "warnings",
        "error",
    )
    out: dict[str, Any] = {"id": doc.get("_id")}
    out.update({k: doc[k] for k in keep if k in doc})
    if "total_cents" in doc:
        out["total"] = f"{int(doc['total_cents']) // 100}.{int(doc['total_cents']) % 100:02d}"
    out["deposits"] = [i["deposit_id"] for i in doc.get("items", [])]
    return out


def record_failure(exports: ExportStore, export_id: str, by: str, message: str) -> None:
    """Best effort: a `failed` export document for a run that could not start (so a waiting CLI learns why).
    An export that exists already is left to recovery."""
    doc = ExportDoc(
        _id=export_id, type="export", trigger="manual", by=by, created=iso(utc_now()), error=message
    )
    _advance(doc, "failed", "api")
    try:
        exports.create(doc)
    except (Conflict, ServiceUnavailable):
        pass


__all__ = [
    "EXPORTED",
    "ExportConfig",
    "ExportDoc",
    "ExportStore",
    "Exporter",
    "business_date",
    "image_sources",
    "micr_indicators",
    "public_export",
]


def export_cash_letter(ctx: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """The action body: recover, export, and return the export (public view). `args`: `trigger` (alarm |
    manual), `by` (who asked), `export_id` (the id the API promised the caller). A run that cannot start
    (configuration missing) leaves a `failed` export under that id, so whoever waits for it learns why."""
    settings = ctx.settings
    trigger = "manual" if args.get("trigger") == "manual" else "alarm"
    by = str(args.get("by") or trigger)[:120]
    export_id = args.get("export_id")
    if export_id is not None and not (
        isinstance(export_id, str) and export_id.startswith(EXPORT_ID_PREFIX) and len(export_id) <= 60
    ):
        raise ConfigurationError("export_id must be an id the API made (exp-...).")
    exports = ExportStore(ctx.store().client, settings.exports_db)
    try:
        config = ExportConfig.from_mapping(ctx.app_config().extra.get("export"))
    except ConfigurationError as exc:
        if export_id:
            record_failure(exports, export_id, by, exc.message)
        raise
    exporter = Exporter(ctx.store(), exports, ctx.storage(), config, settings.bucket_exports)
    doc = exporter.run(trigger, by, export_id)
    return {"export": public_export(doc)}
