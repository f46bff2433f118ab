"""The export's claim design, exactly once, on in-memory fakes of CouchDB and S3 (tests/fixtures/fakes.py;
the real DepositStore, ExportStore and Storage code runs on them): two exports at once, a run that dies at
each step, a database that goes away in the middle. The same is run once against the real local servers
in tests/integration/test_export_stack.py."""

from __future__ import annotations

import fnmatch
import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openchecks.config import Settings
from openchecks.documents import ACCEPTED, Status, new_deposit
from openchecks.errors import ConfigurationError, ServiceUnavailable
from openchecks.export import (
    EXPORTED,
    ExportConfig,
    Exporter,
    ExportStore,
    business_date,
    image_sources,
    micr_indicators,
    on_us_fields,
)
from openchecks.storage import Storage
from openchecks.store import DepositStore
from openchecks.x9.reader import iter_records
from openchecks.x9.validate import validate_bytes
from PIL import Image, ImageDraw

from tests.fixtures.fakes import FakeCloudant, FakeS3

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


class Crash(BaseException):
    """The action's container dying at a given point (nothing after it runs, no cleanup)."""


def _png(text: str, size: tuple[int, int] = (1200, 550)) -> bytes:
    im = Image.new("RGB", size, (236, 232, 220))
    draw = ImageDraw.Draw(im)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(40, 40, 40), width=3)
    draw.text((40, 40), text, fill=(0, 0, 0))
    draw.line((60, 450, 1000, 470), fill=(0, 0, 0), width=5)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


FRONT_PNG = _png("FRONT")
BACK_PNG = _png("BACK ENDORSED")
CONFIG = ExportConfig(
    origin_routing="063100277",
    destination_routing="061000146",
    origin_name="OPENCHECKS BANK",
    destination_name="FRB ATLANTA",
    bundle_size=3,
    stale_after_seconds=900,
)


class World:
    """A deposits database, an exports database and the buckets, with accepted deposits in them."""

    def __init__(self) -> None:
        self.couch = FakeCloudant()
        self.s3 = FakeS3()
        self.settings = Settings()
        self.deposits = DepositStore(self.couch, self.settings)
        self.exports = ExportStore(self.couch, "exports")
        self.storage = Storage(self.s3, self.settings)
        self.s3.objects[("openchecks-archive", "front.png")] = FRONT_PNG
        self.s3.objects[("openchecks-archive", "back.png")] = BACK_PNG
        self.s3.objects[("openchecks-archive", "large.jpg")] = FRONT_PNG
        self.count = 0

    def add(
        self, n: int, *, back: bool = True, archive_only: bool = False, status: Status = ACCEPTED
    ) -> list[str]:
        ids = []
        for _ in range(n):
            self.count += 1
            created = NOW - timedelta(hours=5) + timedelta(seconds=self.count)
            doc = new_deposit(
                "c@example.com", "12345678", 1000 + self.count, "image/png", "incoming", created
            )
            doc["status"] = status
            doc["reading"] = {
                "routing": "063100277",
                "account": f"{7000 + self.count}",
                "check_number": "1001",
            }
            if archive_only:
                doc["archive"] = {"bucket": "openchecks-archive", "large": "large.jpg"}
            else:
                doc["images"] = {"front": {"bucket": "openchecks-archive", "key": "front.png", "dpi": 200}}
                if back:
                    doc["images"]["back"] = {"bucket": "openchecks-archive", "key": "back.png", "dpi": 200}
            doc["quality"] = {
                "partial_image": "pass",
                "too_light_or_too_dark": "pass",
                "out_of_focus": "pass",
            }
            self.deposits.create(doc)
            ids.append(doc["_id"])
        return ids

    def exporter(self, hook: Callable[[str], None] | None = None, at: datetime = NOW, **kw: Any) -> Exporter:
        return Exporter(
            self.deposits,
            self.exports,
            self.storage,
            kw.pop("config", CONFIG),
            "openchecks-exports",
            hook=hook or (lambda point: None),
            clock=lambda: at,
            **kw,
        )

    def docs(self, db: str) -> dict[str, dict[str, Any]]:
        return self.couch.dbs.get(db, {})

    def check_exactly_once(self) -> None:
        """Every exported deposit is in exactly one file (its own export's), every file is valid and holds
        exactly the items of its export, and no item is in two files."""
        seen: dict[str, str] = {}
        for export in self.docs("exports").values():
            if export["state"] != "done":
                continue
            data = self.s3.objects[("openchecks-exports", export["key"])]
            assert validate_bytes(data).ok, validate_bytes(data).problems
            sequences = [
                r.value("ece_institution_item_sequence_number")
                for r in iter_records(io.BytesIO(data))
                if r.type == "25"
            ]
            assert sequences == [i["sequence_number"] for i in export["items"]]
            for item in export["items"]:
                assert item["deposit_id"] not in seen, "an item is in two files"
                seen[item["deposit_id"]] = export["_id"]
        for doc in self.docs("deposits").values():
            if doc["status"] == EXPORTED:
                assert seen.get(doc["_id"]) == doc["export"]["id"]
            else:
                assert doc["_id"] not in seen


def _hook_at(point: str, action: Callable[[], None]) -> Callable[[str], None]:
    def hook(at: str) -> None:
        if fnmatch.fnmatch(at, point):
            action()

    return hook


def _die() -> None:
    raise Crash()


def test_an_export_takes_every_accepted_deposit_once() -> None:
    world = World()
    ids = world.add(5) + world.add(1, back=False) + world.add(1, archive_only=True)
    world.add(1, status="needs_review")
    doc = world.exporter(at=NOW).run()
    assert doc["state"] == "done"
    assert doc["item_count"] == 7 and [i["deposit_id"] for i in doc["items"]] == ids
    data = world.s3.objects[("openchecks-exports", doc["key"])]
    import hashlib

    assert hashlib.sha256(data).hexdigest() == doc["sha256"] and len(data) == doc["bytes"]
    assert doc["images"] == 5 * 2 + 1 + 1  # five fronts and backs, a front only, an archive front only
    assert len(doc["warnings"]) == 2
    report = validate_bytes(data)
    assert report.ok, report.problems
    assert len(report.warnings) == 2  # the two items without a back
    types = [r.type for r in iter_records(io.BytesIO(data))]
    assert types.count("20") == 3  # bundles of at most 3
    for deposit_id in ids:
        deposit = world.deposits.get(deposit_id)
        assert deposit["status"] == EXPORTED
        assert deposit["export"]["key"] == doc["key"] and deposit["export"]["id"] == doc["_id"]
        assert deposit["history"][-1]["status"] == EXPORTED
    world.check_exactly_once()
    again = world.exporter(at=NOW + timedelta(minutes=1)).run()
    assert again["state"] == "empty" and ("openchecks-exports", again["key"]) not in world.s3.objects
    later = world.add(2)
    third = world.exporter(at=NOW + timedelta(minutes=2)).run()
    assert [i["deposit_id"] for i in third["items"]] == later
    world.check_exactly_once()


def test_two_exports_at_once_share_no_item() -> None:
    world = World()
    world.add(8)
    inner: list[Any] = []
    # Export A has claimed its first deposit when export B runs from start to end.
    a = world.exporter(
        _hook_at("claimed:*", lambda: inner.append(world.exporter(at=NOW).run()) if not inner else None)
    )
    outer = a.run()
    assert outer["state"] == inner[0]["state"] == "done"
    a_items = {i["deposit_id"] for i in outer["items"]}
    b_items = {i["deposit_id"] for i in inner[0]["items"]}
    assert a_items and b_items and not a_items & b_items
    assert len(a_items | b_items) == 8
    world.check_exactly_once()


def test_two_exports_in_threads_share_no_item() -> None:
    world = World()
    world.add(12)
    results: list[Any] = []
    switch = threading.Event()
    world.couch.on_call = lambda name: None if switch.wait(0.001) else None  # let the other thread in

    def run() -> None:
        results.append(world.exporter(at=NOW).run())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2
    total = sum(r.get("item_count", 0) for r in results)
    assert total == 12
    world.check_exactly_once()


def test_a_run_that_dies_after_writing_the_file_is_finished_by_the_next() -> None:
    world = World()
    ids = world.add(4)
    with pytest.raises(Crash):
        world.exporter(_hook_at("written", _die), at=NOW).run()
    (dead,) = world.docs("exports").values()
    assert dead["state"] == "written"
    first_file = world.s3.objects[("openchecks-exports", dead["key"])]
    assert all(world.deposits.get(i)["status"] == ACCEPTED for i in ids)  # not marked yet
    # Too soon: the run might still be alive; nothing of it is touched, and its items are not taken.
    soon = world.exporter(at=NOW + timedelta(minutes=1)).run()
    assert soon["state"] == "empty"
    assert world.exports.get(dead["_id"])["state"] == "written"
    late = world.exporter(at=NOW + timedelta(hours=1)).run()
    assert late["state"] == "empty"
    finished = world.exports.get(dead["_id"])
    assert finished["state"] == "done"
    assert world.s3.objects[("openchecks-exports", dead["key"])] == first_file
    assert all(world.deposits.get(i)["export"]["id"] == dead["_id"] for i in ids)
    world.check_exactly_once()


def test_a_run_that_dies_between_marking_deposits_is_finished_by_the_next() -> None:
    world = World()
    ids = world.add(4)
    with pytest.raises(Crash):
        world.exporter(_hook_at(f"marked:{ids[1]}", _die), at=NOW).run()
    statuses = [world.deposits.get(i)["status"] for i in ids]
    assert statuses == [EXPORTED, EXPORTED, ACCEPTED, ACCEPTED]
    world.exporter(at=NOW + timedelta(hours=1)).run()
    assert all(world.deposits.get(i)["status"] == EXPORTED for i in ids)
    assert len([e for e in world.docs("exports").values() if e["state"] == "done"]) == 1
    world.check_exactly_once()


def test_a_run_that_dies_before_writing_the_file_is_finished_with_the_same_items() -> None:
    world = World()
    ids = world.add(3)
    with pytest.raises(Crash):
        world.exporter(_hook_at("claimed", _die), at=NOW).run()
    (dead,) = world.docs("exports").values()
    assert dead["state"] == "claimed" and ("openchecks-exports", dead["key"]) not in world.s3.objects
    world.add(2)
    world.exporter(at=NOW + timedelta(hours=1)).run()
    assert [i["deposit_id"] for i in world.exports.get(dead["_id"])["items"]] == ids
    assert world.exports.get(dead["_id"])["state"] == "done"
    world.check_exactly_once()
    assert all(d["status"] == EXPORTED for d in world.docs("deposits").values())


def test_a_run_that_dies_while_claiming_is_rolled_back() -> None:
    world = World()
    ids = world.add(5)
    with pytest.raises(Crash):
        world.exporter(_hook_at(f"claimed:{ids[2]}", _die), at=NOW).run()
    (dead,) = world.docs("exports").values()
    assert dead["state"] == "claiming"
    assert [bool(world.deposits.get(i).get("export_claim")) for i in ids] == [True, True, True, False, False]
    fresh = world.exporter(at=NOW + timedelta(hours=1)).run()
    assert world.exports.get(dead["_id"])["state"] == "rolled_back"
    assert [i["deposit_id"] for i in fresh["items"]] == ids
    world.check_exactly_once()


def test_a_database_restart_in_the_middle_loses_and_doubles_nothing() -> None:
    dry = World()
    dry.add(4)
    before = dry.couch.calls
    dry.exporter(at=NOW).run()
    total = dry.couch.calls - before
    assert total > 20
    for down_at in range(1, total, 3):  # the database goes away before the n-th call of the run
        world = World()
        ids = world.add(4)
        start = world.couch.calls

        def flaky(name: str, world: World = world, start: int = start, down_at: int = down_at) -> None:
            if world.couch.calls - start == down_at:
                world.couch.down = True

        world.couch.on_call = flaky
        with pytest.raises(ServiceUnavailable):
            world.exporter(at=NOW).run()
        assert world.couch.down, down_at
        world.couch.on_call = lambda name: None
        world.couch.down = False  # the database is back
        world.exporter(at=NOW + timedelta(hours=1)).run()
        assert all(world.deposits.get(i)["status"] == EXPORTED for i in ids), down_at
        world.check_exactly_once()


def test_storage_down_while_writing_the_file() -> None:
    world = World()
    ids = world.add(2)
    world.s3.down = True
    with pytest.raises(ServiceUnavailable):
        world.exporter(at=NOW).run()
    world.s3.down = False
    world.exporter(at=NOW + timedelta(hours=1)).run()
    assert all(world.deposits.get(i)["status"] == EXPORTED for i in ids)
    world.check_exactly_once()


def test_two_recovering_runs_finish_a_dead_export_once() -> None:
    world = World()
    world.add(3)
    with pytest.raises(Crash):
        world.exporter(_hook_at("claimed", _die), at=NOW).run()
    later = NOW + timedelta(hours=1)
    second: list[Any] = []
    # While the first recoverer writes the file, a second run recovers too: the take-over stops it.
    first = world.exporter(
        _hook_at("written", lambda: second.append(world.exporter(at=later).recover())), at=later
    )
    first.recover()
    assert second == [[]]
    world.check_exactly_once()


def test_micr_indicators_follow_the_reading_and_the_review() -> None:
    clean = {"reading": {"routing": "063100277", "account": "1234", "check_number": "9"}, "reasons": []}
    assert micr_indicators(clean) == ("1", "0")
    assert micr_indicators({**clean, "corrected": {"account": "1234"}}) == ("3", "3")
    assert micr_indicators({**clean, "reasons": ["low_confidence"]}) == ("3", "0")
    assert micr_indicators({"reading": {"routing": "063100277", "account": "1234"}}) == ("2", "0")
    assert micr_indicators({"reading": {"routing": "063100277"}, "corrected": {"routing": "1"}}) == ("4", "3")


def test_on_us_fields_move_a_long_serial_to_the_auxiliary_field() -> None:
    assert on_us_fields("12345678", "1001") == ("12345678/1001", "")
    assert on_us_fields("4861507788", "0150482880") == ("4861507788/", "0150482880")
    with pytest.raises(ConfigurationError):
        on_us_fields("1234", "1234567890123456")


def test_images_come_from_images_then_archive() -> None:
    both = {"images": {"front": {"bucket": "b", "key": "f", "dpi": 200}, "back": {"bucket": "b", "key": "k"}}}
    assert image_sources(both) == {"front": ("b", "f", 200.0), "back": ("b", "k", None)}
    assert image_sources({"archive": {"bucket": "a", "large": "l.jpg"}}) == {"front": ("a", "l.jpg", None)}
    assert image_sources({}) == {}


def test_business_date_rolls_after_the_cutoff_and_over_weekends() -> None:
    config = ExportConfig(origin_routing="063100277", destination_routing="061000146")
    # 2026-12-01 is a Tuesday; 17:00 New York is 22:00 UTC.
    day = business_date
    assert day(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), config).isoformat() == "2026-12-01"
    assert day(datetime(2026, 12, 1, 22, 0, tzinfo=UTC), config).isoformat() == "2026-12-01"  # the alarm's
    assert day(datetime(2026, 12, 1, 22, 40, tzinfo=UTC), config).isoformat() == "2026-12-01"  # a late alarm
    assert day(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), config).isoformat() == "2026-12-02"
    assert day(datetime(2026, 12, 4, 23, 30, tzinfo=UTC), config).isoformat() == "2026-12-07"  # Fri -> Mon
    assert day(datetime(2026, 12, 5, 15, 0, tzinfo=UTC), config).isoformat() == "2026-12-07"  # Saturday
    summer = ExportConfig(origin_routing="063100277", destination_routing="061000146", cutoff="16:30")
    assert day(datetime(2026, 7, 1, 21, 29, tzinfo=UTC), summer).isoformat() == "2026-07-01"  # EDT: UTC-4
    assert day(datetime(2026, 7, 1, 21, 31, tzinfo=UTC), summer).isoformat() == "2026-07-02"


def test_export_configuration_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="origin_routing"):
        ExportConfig.from_mapping({})
    good = {"origin_routing": "063100277", "destination_routing": "061000146"}
    assert ExportConfig.from_mapping({**good, "bundle_size": "50"}).bundle_size == 50
    for bad in ({"dpi": 300}, {"encoding": "utf8"}, {"timezone": "Mars/Base"}, {"cutoff": "5pm"}):
        with pytest.raises(ConfigurationError):
            ExportConfig.from_mapping({**good, **bad})
