"""The deposit rules in milliseconds: the real API (`handle_web` with an `ActionContext` given the in-memory
FakeCloudant and FakeS3 of tests/fixtures/fakes.py, and a recording `fire`), the real DepositStore, Ledger,
record-deposit and recovery sweep, no server.

Each rule here is also tested once against the real servers (pouchdb-server, s3rver, the local platform):
- create -> upload -> confirm fires the pipeline once; confirming before uploading is a 409:
  tests/integration/test_pipeline_deposits.py (test_sample_checks_reach_the_expected_status,
  test_confirming_before_uploading_is_a_clear_conflict);
- Idempotency-Key replay and 409, six concurrent confirms: tests/integration/test_api_idempotency.py
  (test_the_same_key_and_body_replays_the_first_answer, test_the_same_key_with_another_body_is_409,
  test_six_concurrent_confirms_start_one_pipeline);
- the store's 409 re-read: tests/integration/test_money.py
  (test_record_deposit_runs_at_once_cannot_accept_over_the_limit) and the concurrent confirms above;
- claims: tests/integration/test_pipeline_deposits.py (test_same_check_twice_is_a_duplicate_held_for_review,
  test_rejecting_the_claiming_deposit_frees_the_check);
- the recovery sweep: tests/integration/test_pipeline_recovery.py (test_a_dropped_trigger_is_recovered_and_
  processed_once, test_attempts_are_bounded_then_failed_with_the_reason, test_an_upload_never_confirmed_is_
  picked_up, test_a_deposit_never_uploaded_is_closed_with_a_reason) and test_pipeline_pending.py;
- provisioning twice: tests/integration/test_pipeline_caches.py (test_provisioning_twice_changes_nothing).
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from openchecks import tokens
from openchecks.api import handle_web
from openchecks.documents import DUPLICATE, PROCESSING, RECEIVED, DepositDoc, iso, utc_now
from openchecks.ledger import Ledger
from openchecks.recovery import find_new_checks
from openchecks.runtime import ActionContext
from openchecks.store import DepositStore
from PIL import Image, ImageDraw

from tests.fixtures.fakes import FakeCloudant, FakeS3

pytestmark = pytest.mark.unit

SECRET = "unit-test-secret-abcdefghijklmnop"
EMAIL = "carol@example.com"


def _png(text: str) -> bytes:
    im = Image.new("RGB", (1200, 550), (236, 232, 220))
    draw = ImageDraw.Draw(im)
    draw.rectangle((10, 10, 1190, 540), outline=(40, 40, 40), width=3)
    draw.text((40, 40), text, fill=(0, 0, 0))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


FRONT, BACK = _png("FRONT"), _png("BACK ENDORSED")


class World:
    """One deployment on fakes: the databases, the buckets, and every trigger fire and sequence invoke."""

    def __init__(self) -> None:
        self.couch = FakeCloudant()
        self.s3 = FakeS3()
        # A cloudant_url of its own: the configuration cache (keyed by it) is not shared between tests.
        self.params: dict[str, Any] = {
            "token_secret": SECRET,
            "cloudant_url": f"http://couch-{uuid.uuid4().hex}.fake",
            "cos_access_key_id": "fake-key",
            "cos_secret_access_key": "fake-secret",
        }
        self.lock = threading.Lock()
        self.fired: list[tuple[str, dict[str, Any]]] = []
        self.invoked: list[dict[str, Any]] = []

    def ctx(self, step: str = "api") -> ActionContext:
        return ActionContext(self.params, step, documents=self.couch, objects=self.s3)

    def store(self) -> DepositStore:
        return self.ctx().store()

    def fire(self, name: str, payload: Mapping[str, Any]) -> str:
        with self.lock:
            self.fired.append((name, dict(payload)))
            return f"fire-{len(self.fired)}"

    def invoke(self, payload: Mapping[str, Any]) -> str:
        with self.lock:
            self.invoked.append(dict(payload))
            return f"run-{len(self.invoked)}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        email: str = EMAIL,
        role: str = "customer",
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if role == "reviewer" and email == EMAIL:
            email = "rita@bank.example"
        token = tokens.mint(email, role, 600, SECRET)
        args: dict[str, Any] = {
            **self.params,
            "__ow_method": method,
            "__ow_path": path,
            "__ow_headers": {"authorization": f"Bearer {token}", **dict(headers or {})},
        }
        if body is not None:
            args["__ow_body"] = json.dumps(body)
        result = handle_web(args, self.ctx(), fire=self.fire)
        return result["statusCode"], result["body"], result["headers"]

    def create(self, amount: str = "12.50", key: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"to_account": "12345678", "amount": amount, "content_type": "image/png", **fields}
        status, answer, _ = self.call("post", "/deposits", body, {"idempotency-key": key} if key else None)
        assert status == 201, answer
        return answer

    def upload(self, created: Mapping[str, Any]) -> None:
        self.s3.put_presigned(str(created["upload_url"]), FRONT, "image/png")
        self.s3.put_presigned(str(created["back_upload_url"]), BACK, "image/png")

    def confirm(self, deposit_id: str) -> tuple[int, dict[str, Any]]:
        status, body, _ = self.call("post", f"/deposits/{deposit_id}/uploaded")
        return status, body

    def processing(self) -> str:
        """A deposit created, uploaded and confirmed through the API (the pipeline fired for it)."""
        created = self.create()
        self.upload(created)
        status, body = self.confirm(created["id"])
        assert status == 202 and body["status"] == PROCESSING, body
        return str(created["id"])

    def doc(self, deposit_id: str) -> DepositDoc:
        return self.store().get(deposit_id)


@pytest.fixture
def world() -> World:
    return World()


# ------------------------------------------------------------------------------ create, upload, confirm


def test_create_upload_confirm_fires_the_pipeline_once(world: World) -> None:
    created = world.create()
    deposit_id = created["id"]
    assert created["status"] == RECEIVED and world.doc(deposit_id)["status"] == RECEIVED
    status, body = world.confirm(deposit_id)
    assert (status, body["code"]) == (409, "upload_missing") and world.fired == []
    world.upload(created)
    s3_calls: list[str] = []
    world.s3.on_call = s3_calls.append
    status, body = world.confirm(deposit_id)
    assert status == 202 and body["queued"] is True and body["status"] == PROCESSING
    assert world.fired == [("check-uploaded", {"deposit_id": deposit_id, "attempt": 1})]
    # Each side is one GET: its ETag, size and bytes in one answer, no HEAD first.
    assert s3_calls == ["get_object", "get_object"]
    world.s3.on_call = lambda name: None
    doc = world.doc(deposit_id)
    assert doc["status"] == PROCESSING and doc["image"]["etag"] == FakeS3.etag(FRONT).strip('"')
    status, body = world.confirm(deposit_id)  # a repeated confirmation starts nothing
    assert status == 200 and body["queued"] is False
    assert len(world.fired) == 1
    assert [h["status"] for h in world.doc(deposit_id)["history"]] == [RECEIVED, PROCESSING]


def test_an_upload_url_signs_its_content_type(world: World) -> None:
    created = world.create()
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):
        world.s3.put_presigned(str(created["upload_url"]), FRONT, "image/jpeg")
    assert world.s3.objects == {}


# ----------------------------------------------------------------------------------- Idempotency-Key


def test_the_same_key_and_body_replays_the_first_answer(world: World) -> None:
    first = world.create(key="k-1")
    body = {"to_account": "12345678", "amount": "12.5", "content_type": "image/png"}  # 12.5 is 12.50
    status, again, headers = world.call("post", "/deposits", body, {"idempotency-key": "k-1"})
    assert status == 201 and headers.get("Idempotent-Replayed") == "true"
    assert again["id"] == first["id"] and again["upload_url"]
    assert list(world.couch.dbs["deposits"]) == [first["id"]]
    # The day's ledger holds the amount once.
    ledger = Ledger(world.store()).read(EMAIL, world.doc(first["id"])["day"])
    assert ledger is not None and list(ledger["entries"]) == [first["id"]]


def test_the_same_key_with_another_body_is_409(world: World) -> None:
    first = world.create(key="k-2")
    body = {"to_account": "12345678", "amount": "99.00", "content_type": "image/png"}
    status, answer, answered = world.call("post", "/deposits", body, {"idempotency-key": "k-2"})
    assert (status, answer["code"]) == (409, "idempotency_key_reused")
    assert "Idempotent-Replayed" not in answered
    assert world.doc(first["id"])["amount_cents"] == 1250
    # Another customer's same key is another deposit.
    status, other, _ = world.call(
        "post", "/deposits", body, {"idempotency-key": "k-2"}, email="dan@example.com"
    )
    assert status == 201 and other["id"] != first["id"]


# ------------------------------------------------------------------------------------ concurrency


def give_way(name: str) -> None:
    threading.Event().wait(0.001)


def test_six_concurrent_confirms_fire_once(world: World) -> None:
    created = world.create()
    world.upload(created)
    start = threading.Barrier(6)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()
    # Every database call gives way to the other threads, so the confirms interleave read-change-write.
    world.couch.on_call = give_way

    def confirm() -> None:
        start.wait(5)
        answer = world.confirm(created["id"])
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=confirm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 6 and all(status in (200, 202) for status, _ in answers), answers
    assert sum(1 for _, body in answers if body["queued"]) == 1
    assert len(world.fired) == 1
    assert [h["status"] for h in world.doc(created["id"])["history"]] == [RECEIVED, PROCESSING]


def test_two_updates_racing_on_one_deposit_are_both_applied(world: World) -> None:
    deposit_id = world.create()["id"]
    store = world.store()
    b_done = threading.Event()
    a_calls: list[int] = []

    def change_a(doc: DepositDoc) -> bool:
        a_calls.append(1)
        doc["messages"] = ["a"]
        if len(a_calls) == 1:
            # A has read the document; B writes it now, so A's write meets a newer _rev (409).
            writer = threading.Thread(target=lambda: store.update(deposit_id, change_b))
            writer.start()
            writer.join(5)
            assert b_done.is_set()
        return True

    def change_b(doc: DepositDoc) -> bool:
        doc["reasons"] = ["b"]
        b_done.set()
        return True

    doc, changed = store.update(deposit_id, change_a)
    assert changed and len(a_calls) == 2  # the 409 re-read A and applied its change again
    stored = world.doc(deposit_id)
    assert (stored["messages"], stored["reasons"]) == (["a"], ["b"]) and stored["_rev"] == doc["_rev"]
    assert stored["_rev"].startswith("3-")


def test_an_update_from_the_callers_read_saves_a_read_and_a_stale_one_is_read_again(world: World) -> None:
    deposit_id = world.create()["id"]
    store = world.store()
    current = store.get(deposit_id)
    kept = json.loads(json.dumps(current))
    reads: list[str] = []
    world.couch.on_call = lambda name: reads.append(name) if name == "get" else None

    doc, changed = store.update(deposit_id, lambda d: d.update({"messages": ["first"]}) or True, current)
    assert changed and reads == [] and doc["_rev"].startswith("2-")
    assert current == kept  # the caller's document is not changed: the change ran on a copy

    # `current` is now stale (rev 1): the write is a 409, the document is read again, the change re-applied
    seen: list[list[str]] = []

    def change(d: DepositDoc) -> bool:
        seen.append(list(d.get("messages") or []))
        d["reasons"] = ["second"]
        return True

    doc, changed = store.update(deposit_id, change, current)
    assert changed and reads == ["get"] and seen == [[], ["first"]]
    stored = world.doc(deposit_id)
    assert (stored["messages"], stored["reasons"]) == (["first"], ["second"])
    assert stored["_rev"].startswith("3-")


# ---------------------------------------------------------------------------------------- claims


READING = {"routing": "063100277", "account": "4861507788", "check_number": "1001"}


def _record(world: World, deposit_id: str, status: str = "accepted", **reading: str) -> dict[str, Any]:
    from openchecks.steps import record_deposit

    args = {
        "deposit_id": deposit_id,
        "decision": {"status": status, "reasons": []},
        "reading": READING | reading,
    }
    return record_deposit(world.ctx("record-deposit"), args)


def test_the_same_check_deposited_twice_is_a_duplicate(world: World) -> None:
    first, second = world.processing(), world.processing()
    assert _record(world, first)["status"] == "accepted"
    # The same check with the reading's usual noise (leading zeros on the serial) is the same claim.
    result = _record(world, second, check_number="001001")
    assert result["status"] == DUPLICATE and "duplicate_check" in result["reasons"]
    doc = world.doc(second)
    assert doc["duplicate_of"] == first and doc["check_key"] == world.doc(first)["check_key"]
    # Recording again changes nothing (the pipeline may run a step twice).
    assert _record(world, second)["changed"] is False
    assert _record(world, first)["changed"] is False and world.doc(first)["status"] == "accepted"


def test_rejecting_the_claiming_deposit_frees_the_check(world: World) -> None:
    first, second, third = world.processing(), world.processing(), world.processing()
    assert _record(world, first, status="needs_review")["status"] == "needs_review"
    key = world.doc(first)["check_key"]
    assert world.couch.dbs["deposit-claims"][key]["deposit_id"] == first
    status, body, _ = world.call(
        "post", f"/deposits/{first}/review", {"action": "reject", "reason": "wrong payee"}, role="reviewer"
    )
    assert status == 200 and body["status"] == "rejected"
    assert key not in world.couch.dbs["deposit-claims"]
    assert _record(world, second)["status"] == "accepted"
    assert _record(world, third)["status"] == DUPLICATE and world.doc(third)["duplicate_of"] == second


# ------------------------------------------------------------------------------------ recovery sweep


class Runs:
    """The platform's view of started runs (openchecks.recovery.Runs): these ids are queued, not ended."""

    def __init__(self, queued: dict[str, tuple[str, int]]) -> None:
        self.queued = queued

    def latest(self, since_ms: int) -> dict[str, tuple[str, int]]:
        return dict(self.queued)

    def ended(self, activation_id: str) -> bool:
        return False


def test_the_sweep_closes_an_expired_draft_and_reruns_a_stalled_deposit(world: World) -> None:
    stalled = world.processing()
    draft = world.create(amount="40.00")["id"]
    unconfirmed = world.create(amount="7.00")
    world.upload(unconfirmed)
    fresh = world.processing()
    world.fired.clear()
    later = utc_now() + timedelta(hours=2)
    # `fresh` moved on meanwhile: only what is older than the thresholds at `later` is touched.
    world.store().update(fresh, lambda d: d.update({"updated": iso(later)}) or True)
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=later)["report"]
    assert report["retried"] == [stalled] and report["closed"] == [draft]
    assert report["confirmed"] == [unconfirmed["id"]]
    assert report["failed"] == [] and report["errors"] == []
    assert world.invoked == [
        {"deposit_id": stalled, "attempt": 2},
        {"deposit_id": unconfirmed["id"], "attempt": 1},
    ]
    assert report["runs"] == {stalled: "run-1", unconfirmed["id"]: "run-2"}
    assert world.doc(stalled)["attempts"] == 2 and world.doc(stalled)["status"] == PROCESSING
    closed = world.doc(draft)
    assert closed["status"] == "failed" and closed["reasons"] == ["upload_missing"]
    ledger = Ledger(world.store()).read(EMAIL, closed["day"])
    assert ledger is not None and draft not in ledger["entries"]  # its amount no longer counts today
    assert world.doc(unconfirmed["id"])["status"] == PROCESSING
    # The same sweep again at the same moment: everything it touched is fresh now; nothing runs twice.
    again = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=later)["report"]
    assert (again["retried"], again["closed"], again["confirmed"]) == ([], [], [])
    assert len(world.invoked) == 2 and world.fired == []


def test_the_sweep_fails_a_deposit_after_its_last_attempt(world: World) -> None:
    stalled = world.processing()
    moment = utc_now()
    for attempt in (2, 3):
        moment += timedelta(hours=1)
        report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=moment)["report"]
        assert report["retried"] == [stalled] and world.doc(stalled)["attempts"] == attempt
    moment += timedelta(hours=1)
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=moment)["report"]
    assert report["failed"] == [stalled] and report["retried"] == []
    doc = world.doc(stalled)
    assert doc["status"] == "failed" and doc["reasons"] == ["processing_failed"]
    assert [p["attempt"] for p in world.invoked] == [2, 3]


def test_the_sweep_leaves_a_queued_run_alone(world: World) -> None:
    stalled = world.processing()
    later = utc_now() + timedelta(minutes=10)  # stale (300 s) but its run is not yet presumed lost (900 s)
    queued = Runs({stalled: ("act-1", int(utc_now().timestamp() * 1000))})
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=later, runs=queued)["report"]
    assert report["pending"] == [stalled] and report["retried"] == [] and world.invoked == []
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=later)["report"]
    assert report["retried"] == [stalled]  # without the platform's word it is retried


def test_a_draft_within_its_upload_grace_is_left_open(world: World) -> None:
    draft = world.create()["id"]
    soon = utc_now() + timedelta(minutes=30)  # past the upload URL's expiry, within the hour's grace
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=soon)["report"]
    assert report["closed"] == [] and world.doc(draft)["status"] == RECEIVED
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=soon + timedelta(hours=1))[
        "report"
    ]
    assert report["closed"] == [draft]


def test_a_deposit_that_moves_on_during_the_sweep_is_not_retried(world: World) -> None:
    stalled = world.processing()
    later = utc_now() + timedelta(hours=1)

    def progress(name: str) -> None:
        # The sweep has found the deposit stale; before it reads it to count an attempt, a step reports.
        if name == "get":
            world.couch.on_call = lambda name: None
            world.store().update(stalled, lambda d: d.update({"updated": iso(later)}) or True)

    world.couch.on_call = progress
    report = find_new_checks(world.ctx("find-new-checks"), world.invoke, now=later)["report"]
    assert report["retried"] == [] and world.invoked == []
    assert world.doc(stalled)["attempts"] == 1


# ---------------------------------------------------------------------------------------- provisioning


def test_provisioning_twice_creates_everything_once(world: World) -> None:
    from openchecks.provision import provision

    settings = world.ctx().settings
    first = provision(settings, world.couch, world.s3)
    assert all(first["databases"].values()) and all(first["buckets"].values()) and first["config_created"]
    again = provision(settings, world.couch, world.s3)
    assert not any(again["databases"].values()) and not any(again["buckets"].values())
    assert again["config_created"] is False and again["indexes"] == first["indexes"]
    assert world.couch.dbs[settings.claims_db]["_design/duplicates"]["_rev"].startswith("1-")  # not rewritten
    # The notification feed's filter (openchecks.notify.FILTER), also written once.
    notify_ddoc = world.couch.dbs[settings.deposits_db]["_design/notify"]
    assert notify_ddoc["_rev"].startswith("1-") and "outcomes" in notify_ddoc["filters"]
    assert first["filters"] == again["filters"] == ["notify/outcomes"]
    assert set(world.s3.cors) == {settings.bucket_incoming, settings.bucket_archive}
