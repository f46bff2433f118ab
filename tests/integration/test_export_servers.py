"""The cash letter export against the real local servers (pouchdb-server and s3rver): real check images,
two exports at once, a run that dies after writing its file, a database restart while the deposits are being
marked, and the file read back with the project's reader and compared field by field with the deposits."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openchecks.clients import cloudant_client, cos_client, reset_client_caches
from openchecks.config import Settings
from openchecks.documents import ACCEPTED, DepositDoc, new_deposit
from openchecks.errors import ServiceUnavailable
from openchecks.export import EXPORTED, ExportConfig, ExportDoc, Exporter, ExportStore
from openchecks.provision import EXPORT_INDEXES, ensure_indexes
from openchecks.storage import Storage
from openchecks.store import DepositStore
from openchecks.x9.reader import Record, iter_records
from openchecks.x9.validate import validate_bytes

from tests.conftest import require_shared_data
from tests.fixtures.services import CouchDBServer, S3Server

pytestmark = [pytest.mark.integration, pytest.mark.needs_shared]

NOW = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
CONFIG = ExportConfig(
    origin_routing="063100277",
    destination_routing="061000146",
    origin_name="OPENCHECKS BANK",
    destination_name="FRB ATLANTA",
    bundle_size=2,
    encoding="cp037",
)


class Crash(BaseException):
    pass


class Env:
    def __init__(self, couchdb: CouchDBServer, s3: S3Server, checks: Path) -> None:
        reset_client_caches()
        self.couchdb = couchdb
        self.settings = Settings(
            cloudant_url=couchdb.url,
            cos_endpoint=s3.url,
            cos_access_key_id="S3RVER",
            cos_secret_access_key="S3RVER",
            deposits_db=couchdb.new_db("deposits"),
            claims_db=couchdb.new_db("claims"),
            exports_db=couchdb.new_db("exports"),
            bucket_archive=s3.new_bucket("archive", cors=False),
            bucket_exports=s3.new_bucket("exports", cors=False),
            disable_caches=True,
        )
        client = cloudant_client(self.settings)[0]
        ensure_indexes(client, self.settings.deposits_db)
        ensure_indexes(client, self.settings.exports_db, EXPORT_INDEXES)
        self.client = client
        self.deposits = DepositStore(client, self.settings)
        self.exports = ExportStore(client, self.settings.exports_db)
        self.storage = Storage(cos_client(self.settings)[0], self.settings)
        self.truth = json.loads((checks / "truth.json").read_text())
        self.checks = checks
        self.expected: dict[str, DepositDoc] = {}

    def add_checks(self) -> list[str]:
        ids = []
        named = [(name, t) for name, t in sorted(self.truth.items()) if t.get("routing")]
        for n, (name, truth) in enumerate(named):
            created = NOW - timedelta(hours=3) + timedelta(seconds=n)
            cents = int(round(float(truth["declared_amount"]) * 100))
            doc = new_deposit("c@example.com", f"5550{n:04d}", cents, "image/png", "incoming", created)
            doc["status"] = ACCEPTED
            doc["reading"] = {
                "routing": truth["routing"],
                "account": truth["account"],
                "check_number": truth["check_number"],
            }
            key = f"{doc['_id']}/front{Path(name).suffix}"
            self.storage.put(
                self.settings.bucket_archive, key, (self.checks / name).read_bytes(), "image/png"
            )
            doc["images"] = {"front": {"bucket": self.settings.bucket_archive, "key": key}}
            if n % 2 == 0:  # every other one has a back (another scan stands in for it)
                doc["images"]["back"] = doc["images"]["front"].copy()
            if n == 1:
                doc["corrected"] = {"account": truth["account"]}
            doc["quality"] = {"partial_image": "pass", "excessive_skew": "fail", "out_of_focus": "pass"}
            self.deposits.create(doc)
            self.expected[doc["_id"]] = doc
            ids.append(doc["_id"])
        return ids

    def exporter(self, at: datetime, hook: Any = None) -> Exporter:
        return Exporter(
            self.deposits,
            self.exports,
            self.storage,
            CONFIG,
            self.settings.bucket_exports,
            hook=hook or (lambda point: None),
            clock=lambda: at,
        )

    def file(self, export: ExportDoc) -> bytes:
        return self.storage.get(self.settings.bucket_exports, export["key"])


@pytest.fixture
def env(couchdb: CouchDBServer, s3: S3Server) -> Env:
    checks = require_shared_data() / "checks"
    if not (checks / "truth.json").is_file():
        pytest.skip(f"needs {checks}/truth.json (absent on this checkout)")
    return Env(couchdb, s3, checks)


def _a_dead_run_finished_through_a_restart(env: Env, deposit_ids: list[str]) -> ExportDoc:
    """A run that dies after writing its file, before marking anything; a later one finishes it though the
    database restarts while it marks the deposits. Returns the finished export."""

    def die(point: str) -> None:
        if point == "written":
            raise Crash()

    with pytest.raises(Crash):
        env.exporter(NOW, die).run()
    (dead,) = env.exports.find({"type": "export"})
    assert dead["state"] == "written"
    later = NOW + timedelta(hours=1)
    restarted: list[bool] = []

    def restart(point: str) -> None:
        if point.startswith("marked:") and not restarted:
            restarted.append(True)
            env.couchdb.process.stop()

    with pytest.raises(ServiceUnavailable):
        env.exporter(later, restart).run()
    env.couchdb.process.start_and_wait()
    # Too soon after the interrupted recovery (it may still be alive, as far as anyone can tell): untouched.
    soon = env.exporter(later + timedelta(minutes=1)).run()
    assert soon["state"] == "empty" and env.exports.get(dead["_id"])["state"] == "written"
    done = env.exporter(later + timedelta(hours=1)).run()
    assert done["state"] == "empty"  # nothing new: the dead export's items stay its own
    finished = env.exports.get(dead["_id"])
    assert finished["state"] == "done"
    for deposit_id in deposit_ids:
        doc = env.deposits.get(deposit_id)
        assert doc["status"] == EXPORTED and doc["export"]["id"] == dead["_id"]
    return finished


def _two_exports_at_once(env: Env, at: datetime, deposit_ids: list[str]) -> list[ExportDoc]:
    """Two exports run at once at `at`: between them they take every one of `deposit_ids`, none twice."""
    results: list[ExportDoc] = []
    threads = [threading.Thread(target=lambda: results.append(env.exporter(at).run())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    taken = [i["deposit_id"] for r in results for i in r.get("items", [])]
    assert sorted(taken) == sorted(deposit_ids)  # every one, none twice
    return results


def _assert_item_record(rec: Record, deposit: DepositDoc) -> None:
    """A check detail record (25) says what `deposit` says: MICR fields, amount, corrected or not."""
    reading = deposit["reading"]
    assert rec.value("payor_bank_routing_number") + rec.value("payor_bank_check_digit") == reading["routing"]
    combined = f"{reading['account']}/{reading['check_number']}"
    if len(combined) <= 20:  # a personal check's on-us field
        assert (rec.value("on_us"), rec.value("auxiliary_on_us")) == (combined, "")
    else:  # the serial moves to the auxiliary on-us field
        assert rec.value("on_us") == f"{reading['account']}/"
        assert rec.value("auxiliary_on_us") == reading["check_number"]
    assert int(rec.value("item_amount")) == deposit["amount_cents"]
    corrected = bool(deposit.get("corrected"))
    assert rec.value("micr_valid_indicator") == ("3" if corrected else "1")
    assert rec.value("correction_indicator") == ("3" if corrected else "0")
    assert rec.value("documentation_type_indicator") == "G"
    assert rec.value("bofd_indicator") == "Y"


def _assert_items(env: Env, records: list[Record], export: ExportDoc, business: str) -> list[tuple[str, str]]:
    """Every item's records (25, 26, 50, 54) as its deposit says; returns the image views (deposit, side)."""
    items = {i["sequence_number"]: i for i in export["items"]}
    current: DepositDoc | None = None
    views: list[tuple[str, str]] = []
    for rec in records:
        if rec.type == "25":
            seq = rec.value("ece_institution_item_sequence_number")
            current = env.expected[items[seq]["deposit_id"]]
            _assert_item_record(rec, current)
        elif rec.type == "26":
            assert current is not None
            assert rec.value("bofd_routing_number") == CONFIG.origin_routing
            assert rec.value("bofd_business_date") == business
            assert rec.value("deposit_account_number_at_bofd") == current["to_account"]
            assert rec.value("truncation_indicator") == "Y"
        elif rec.type == "50":
            assert current is not None
            views.append((current["_id"], rec.value("view_side_indicator")))
            assert rec.value("image_view_format_indicator") == "00"
            assert rec.value("image_view_compression_algorithm_identifier") == "00"
        elif rec.type == "54":
            assert rec.value("partial_image") == "2" and rec.value("excessive_image_skew") == "1"
            assert rec.value("global_image_quality") == "1"
    return views


def _assert_file(env: Env, export: ExportDoc) -> None:
    """The export's file: valid, its digest as recorded, and every field of every item as the deposit says."""
    data = env.file(export)
    report = validate_bytes(data)
    assert report.ok, report.problems
    assert hashlib.sha256(data).hexdigest() == export["sha256"]
    records = list(iter_records(io.BytesIO(data)))
    assert [r.type for r in records[:3]] == ["01", "10", "20"] and records[-1].type == "99"
    header = records[0]
    assert header.value("immediate_origin") == CONFIG.origin_routing
    assert header.value("immediate_destination") == CONFIG.destination_routing
    assert header.value("immediate_origin_name") == CONFIG.origin_name
    assert header.value("immediate_destination_name") == CONFIG.destination_name
    business = export["business_date"].replace("-", "")
    assert records[1].value("cash_letter_business_date") == business
    views = _assert_items(env, records, export, business)
    for deposit_id in {d for d, _ in views}:
        sides = [s for d, s in views if d == deposit_id]
        assert sides == (["0", "1"] if "back" in env.expected[deposit_id]["images"] else ["0"])
    assert len({d for d, _ in views}) == export["item_count"]


def test_exactly_once_on_the_real_servers_and_every_field_read_back(env: Env) -> None:
    finished = _a_dead_run_finished_through_a_restart(env, env.add_checks())
    results = _two_exports_at_once(
        env, NOW + timedelta(hours=2, minutes=2), env.add_checks() + env.add_checks()
    )
    for export in [finished, *results]:
        if export["state"] == "done":
            _assert_file(env, export)


def test_the_operations_view_gets_the_newest_exports_from_an_index(env: Env) -> None:
    """`recent` lets the database sort and limit (no 1,000-document window sorted in Python), on an index."""
    for n in range(7):
        at = NOW - timedelta(days=n)
        doc = {"_id": f"export-{n}", "type": "export", "state": "empty", "created": at.isoformat()}
        env.exports.save(doc)  # type: ignore[arg-type]
    newest = env.exports.recent(3)
    assert [d["_id"] for d in newest] == ["export-0", "export-1", "export-2"]
    found = env.client.post_find(
        db=env.settings.exports_db,
        selector={"type": "export", "created": {"$gt": None}},
        sort=[{"type": "desc"}, {"created": "desc"}],
        limit=3,
    ).get_result()
    assert "warning" not in found, found.get("warning")
