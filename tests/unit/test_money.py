"""Money and duplicates without servers (issue 13, items 1-3): normalised claim keys, the item and image keys,
the per-day ledger under concurrency, and the four-eyes rules of review. The store runs on the in-memory
FakeCloudant (tests/fixtures/fakes.py); tests/integration/test_money.py runs the same paths on the real
pouchdb-server."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from openchecks import duplicates
from openchecks.config import AppConfig, Settings
from openchecks.deposits import dup_key, record_outcome, retry_failed, review
from openchecks.documents import (
    ACCEPTED,
    DUPLICATE,
    NEEDS_REVIEW,
    PROCESSING,
    REJECTED,
    Decision,
    Status,
    new_deposit,
    public_view,
    set_status,
)
from openchecks.errors import BadRequest, Conflict, Forbidden
from openchecks.ledger import Ledger, accept_in, ledger_id, release_in, reserve_in, total_cents
from openchecks.store import DepositStore
from PIL import Image

from tests.conftest import require_shared_data
from tests.fixtures.fakes import FakeCloudant
from tests.hostile.money import (
    DAILY_LIMIT_CENTS,
    EDITED_ACCOUNT,
    PARALLEL_CREATES,
    SILESIA_ACCOUNT,
    edited_silesia,
)

READING = {"routing": "063100277", "account": SILESIA_ACCOUNT, "check_number": "1278", "status": "accepted"}


def store() -> DepositStore:
    return DepositStore(FakeCloudant(), Settings())


def processing(
    s: DepositStore, email: str = "alice@example.com", cents: int = 104_200, hold: int | None = None
) -> str:
    """A `processing` deposit, its amount held in the ledger against `hold` (no hold when None)."""
    doc = new_deposit(email, "12345678", cents, "image/png", "in")
    set_status(doc, PROCESSING, email)
    if hold is not None:
        assert Ledger(s).reserve(email, doc["day"], doc["_id"], cents, hold) == "held"
    s.create(doc)
    return str(doc["_id"])


def _status(s: DepositStore, deposit_id: str, image_hash: str | None, config: AppConfig) -> str:
    """record-deposit's write of an `accepted` decision; the status it leaves."""
    doc, _ = record_outcome(s, deposit_id, Decision(ACCEPTED), None, {}, config, image_hash=image_hash)
    return str(doc["status"])


def _mark(status: Status, doc: dict[str, Any]) -> bool:
    set_status(doc, status, "pipeline")
    return True


def parallel(fns: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run every function at once (released together by a barrier); their results or exceptions."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fns[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --------------------------------------------------------------------------------------------- claim keys


def test_claim_key_normalises_every_field() -> None:
    """The attack of issue 13: `03661702511` read for `003661702511` is the same check."""
    key = dup_key("063100277", SILESIA_ACCOUNT, "1278")
    assert key == "check-063100277-3661702511-1278"
    for routing, account, serial in [
        ("063100277", EDITED_ACCOUNT, "1278"),
        ("63100277", "3661702511", "001278"),
        (" 063100277 ", "0036 6170-2511", "1278"),
        ("⑆063100277⑆", "003661702511⑈", "⑈1278⑈"),
    ]:
        assert dup_key(routing, account, serial) == key, (routing, account, serial)
    assert dup_key("063100277", "003661702512", "1278") != key
    for bad in [(None, "1", "1"), ("0631002771", "1", "1"), ("063100277", "../x", "1"), ("0", "1", "1")]:
        assert dup_key(*bad) is None
    assert dup_key("063100277", "１２３４", "1") is None  # look-alike digits are not digits


def test_item_key_is_routing_serial_and_amount() -> None:
    assert duplicates.item_key("063100277", "001278", 104_200) == "item-063100277-1278-104200"
    assert duplicates.item_key("63100277", "1278", 104_200) == "item-063100277-1278-104200"
    assert duplicates.item_key("063100277", "1278", 104_201) != duplicates.item_key(
        "063100277", "1278", 104_200
    )
    assert duplicates.item_key("063100277", "1278", 0) is None
    assert duplicates.item_key("063100277", None, 5) is None


# --------------------------------------------------------------------------------------------- image key


def _straight(image: Image.Image) -> Image.Image:
    from openchecks.check.geometry import straighten

    result: Image.Image = straighten(image.convert("RGB"), 200).image
    return result


def test_image_hash_matches_the_edited_and_rephotographed_check_and_no_other(tmp_path: Path) -> None:
    from openchecks.check import photo

    checks = require_shared_data() / "checks"
    original = checks / "silesia-1278.png"
    edited_path = tmp_path / "edited.png"
    edited_path.write_bytes(edited_silesia(original))
    base = duplicates.image_hash(_straight(Image.open(original)))
    assert base is not None and len(base) == 64
    edited = duplicates.image_hash(_straight(Image.open(edited_path)))
    rephoto = duplicates.image_hash(_straight(photo.photograph(Image.open(original), random.Random(3))))
    assert edited is not None and rephoto is not None
    assert duplicates.distance(base, edited) <= 12
    assert duplicates.distance(base, rephoto) <= duplicates.IMAGE_MATCH_BITS
    assert any(b == e for b, e in zip(duplicates.bands(base), duplicates.bands(rephoto), strict=True))
    for other in ("stock-annotated-2815.jpg", "wells-cashiers.jpg", "photo-central-bank.jpg"):
        other_hash = duplicates.image_hash(_straight(Image.open(checks / other)))
        assert other_hash is not None
        assert duplicates.distance(base, other_hash) > 2 * duplicates.IMAGE_MATCH_BITS, other


def test_a_featureless_image_has_no_hash_and_near_skips_itself() -> None:
    assert duplicates.image_hash(Image.new("RGB", (640, 280), (240, 240, 240))) is None
    assert duplicates.valid_hash("ab" * 32) == "ab" * 32
    for bad in ("AB" * 32, "ab" * 31, "zz" * 32, None, 12, "ab" * 32 + "\n"):
        assert duplicates.valid_hash(bad) is None
    h = "f" * 64
    close = "e" + "f" * 63  # one bit apart
    far = "0" * 64
    assert duplicates.near(
        h, [("dep-a", h), ("dep-b", close), ("dep-c", far), ("dep-b", close)], "dep-a"
    ) == [("dep-b", 1)]


# ------------------------------------------------------------------------------------------------ ledger


def test_ledger_document_changes() -> None:
    doc: Any = {"_id": ledger_id("Alice@Example.com", "2026-12-02")}
    assert "alice" not in doc["_id"] and doc["_id"] == ledger_id("alice@example.com", "2026-12-02")
    assert reserve_in(doc, "dep-1", 60, 100, "t") == "held"
    assert reserve_in(doc, "dep-1", 60, 100, "t") == "already"  # a retried request holds nothing twice
    assert reserve_in(doc, "dep-2", 41, 100, "t") == "over_limit"
    assert reserve_in(doc, "dep-2", 40, 100, "t") == "held"
    assert total_cents(doc) == 100
    assert accept_in(doc, "dep-1", 60, 100, "t") == "accepted"
    assert accept_in(doc, "dep-1", 60, 100, "t") == "already"
    # The limit lowered since: the second cannot be accepted beside the first; it stays held.
    assert accept_in(doc, "dep-2", 40, 90, "t") == "over_limit" and doc["entries"]["dep-2"]["state"] == "held"
    assert total_cents(doc, state="accepted") == 60
    assert release_in(doc, "dep-1") and not release_in(doc, "dep-1")
    assert accept_in(doc, "dep-2", 40, 90, "t") == "accepted" and total_cents(doc) == 40


def test_twelve_parallel_reservations_of_half_the_limit_hold_two() -> None:
    s = store()
    ledger = Ledger(s)
    half = DAILY_LIMIT_CENTS // 2
    calls = [
        partial(ledger.reserve, "alice@example.com", "2026-12-02", f"dep-{i}", half, DAILY_LIMIT_CENTS)
        for i in range(PARALLEL_CREATES)
    ]
    results = parallel(calls)
    assert sorted(results) == ["held", "held"] + ["over_limit"] * (PARALLEL_CREATES - 2), results
    assert ledger.total("alice@example.com", "2026-12-02") == DAILY_LIMIT_CENTS


def test_a_new_ledger_is_seeded_exactly_past_a_thousand_deposits() -> None:
    """The day's deposits from before the ledger count in full (the old query stopped at 1,000)."""
    s = store()
    for _ in range(1_203):
        doc = new_deposit("bob@example.com", "12345678", 100, "image/png", "in")
        set_status(doc, ACCEPTED, "pipeline")
        s.create(doc)
    day = doc["day"]
    assert Ledger(s).total("bob@example.com", day) == 120_300
    assert Ledger(s).reserve("bob@example.com", day, "dep-new", 100, 120_399) == "over_limit"
    assert Ledger(s).reserve("bob@example.com", day, "dep-new", 100, 120_400) == "held"


def test_two_record_deposit_runs_at_once_cannot_accept_over_the_limit() -> None:
    """Deposits held while the limit was $200,000; the bank lowered it to $100,000 before the pipeline
    recorded them, all at once. What is accepted stays within the limit whatever the interleaving."""
    config = AppConfig(max_item_cents=10_000_000, max_daily_cents=DAILY_LIMIT_CENTS)
    for cents, count, accepted in ((5_500_000, 2, 1), (5_000_000, 2, 2), (3_000_000, 4, 3)):
        s = store()
        ids = [processing(s, cents=cents, hold=2 * DAILY_LIMIT_CENTS) for _ in range(count)]
        results = parallel([partial(_status, s, d, None, config) for d in ids])
        assert results.count(ACCEPTED) == accepted and results.count(NEEDS_REVIEW) == count - accepted, (
            results
        )
        for d in ids:
            doc = s.get(d)
            assert doc["reasons"] == ([] if doc["status"] == ACCEPTED else ["over_daily_limit"])


def test_a_rejected_outcome_releases_its_hold() -> None:
    s = store()
    deposit_id = processing(s, cents=60_000, hold=100_000)
    record_outcome(s, deposit_id, Decision(REJECTED, ("out_of_focus",)), None, {}, AppConfig())
    doc = s.get(deposit_id)
    assert Ledger(s).total(doc["email"], doc["day"]) == 0


# ------------------------------------------------------------------------------------- duplicates in store


def test_the_edited_check_from_another_customer_is_a_duplicate() -> None:
    s = store()
    config = AppConfig()
    first = processing(s, "alice@example.com", hold=config.max_daily_cents)
    assert record_outcome(s, first, Decision(ACCEPTED), READING, {}, config)[0]["status"] == ACCEPTED
    second = processing(s, "mallory@example.com", hold=config.max_daily_cents)
    edited = {**READING, "account": EDITED_ACCOUNT}
    doc = record_outcome(s, second, Decision(ACCEPTED), edited, {}, config)[0]
    assert doc["status"] == DUPLICATE and doc["duplicate_of"] == first
    # Not shown to the customer; shown to reviewers.
    assert "duplicate_of" not in public_view(doc) and public_view(doc, reviewer=True)["duplicate_of"] == first


def test_same_routing_serial_and_amount_or_a_near_image_is_a_possible_duplicate() -> None:
    s = store()
    config = AppConfig()
    image = "a" * 64
    first = processing(s, "alice@example.com", hold=config.max_daily_cents)
    record_outcome(s, first, Decision(ACCEPTED), READING, {}, config, image_hash=image)
    # The account field changed beyond recognition, same bank, serial and amount.
    second = processing(s, "mallory@example.com", hold=config.max_daily_cents)
    doc = record_outcome(s, second, Decision(ACCEPTED), {**READING, "account": "99887766"}, {}, config)[0]
    assert doc["status"] == NEEDS_REVIEW and doc["reasons"] == ["possible_duplicate"]
    assert doc["possible_duplicate_of"] == [first] and "possible_duplicate_of" not in public_view(doc)
    # No MICR line read at all, but the image is within a few bits of the first one.
    third = processing(s, "mallory@example.com", hold=config.max_daily_cents)
    near_image = "b" + "a" * 63  # 1 bit apart
    review_reading = Decision(NEEDS_REVIEW, ("low_confidence",))
    doc = record_outcome(s, third, review_reading, None, {}, config, image_hash=near_image)[0]
    assert doc["reasons"] == ["low_confidence", "possible_duplicate"]
    assert doc["possible_duplicate_of"] == [first]
    # A different check image: nothing.
    fourth = processing(s, "carol@example.com", hold=config.max_daily_cents)
    doc = record_outcome(s, fourth, Decision(ACCEPTED), None, {}, config, image_hash="5" * 64)[0]
    assert doc["status"] == ACCEPTED and "possible_duplicate_of" not in doc


def test_two_deposits_of_one_image_recorded_at_once_do_not_both_pass() -> None:
    s = store()
    config = AppConfig()
    ids = [processing(s, f"user{i}@example.com", hold=config.max_daily_cents) for i in range(2)]
    results = parallel([partial(_status, s, d, "c" * 64, config) for d in ids])
    assert results.count(ACCEPTED) <= 1 and set(results) <= {ACCEPTED, NEEDS_REVIEW}, results


# -------------------------------------------------------------------------------------------- four eyes


def _duplicate_pair(s: DepositStore) -> tuple[str, str]:
    config = AppConfig()
    first = processing(s, "alice@example.com", hold=config.max_daily_cents)
    record_outcome(s, first, Decision(NEEDS_REVIEW, ("amount_unread",)), READING, {}, config)
    second = processing(s, "bob@example.com", hold=config.max_daily_cents)
    assert record_outcome(s, second, Decision(ACCEPTED), READING, {}, config)[0]["status"] == DUPLICATE
    return first, second


def test_a_reviewer_never_acts_on_their_own_deposit() -> None:
    s = store()
    first, _ = _duplicate_pair(s)
    for action, reason in (("approve", None), ("reject", "mine"), ("correct", None)):
        with pytest.raises(Forbidden) as info:
            fields = {"check_number": "1279"} if action == "correct" else None
            review(s, first, action, fields, reason, "Alice@example.com")
        assert info.value.code == "own_deposit" and "another reviewer" in info.value.message
    assert s.get(first)["status"] == NEEDS_REVIEW
    failed = processing(s, "rita@bank.example")
    s.update(failed, partial(_mark, "failed"))
    with pytest.raises(Forbidden):
        retry_failed(s, failed, "rita@bank.example", None)


def test_a_duplicate_is_only_rejected_or_overridden_after_the_other_is_rejected() -> None:
    s = store()
    first, second = _duplicate_pair(s)
    with pytest.raises(Conflict) as info:
        review(s, second, "approve", None, None, "rita@bank.example")
    assert info.value.code == "duplicate_not_approvable"
    with pytest.raises(BadRequest) as bad:
        review(s, second, "override", None, "", "rita@bank.example")
    assert bad.value.code == "reason_required"
    with pytest.raises(Conflict) as info:
        review(s, second, "override", None, "the first photo was unreadable", "rita@bank.example")
    assert info.value.code == "duplicate_still_held"
    assert s.get(second)["status"] == DUPLICATE
    review(s, first, "reject", None, "the customer deposited the check again", "rita@bank.example")
    doc = review(s, second, "override", None, "the first photo was unreadable", "sam@bank.example")
    assert (
        doc["status"] == ACCEPTED
        and doc["override"]["of"] == first
        and doc["override"]["by"] == "sam@bank.example"
    )
    # The claim is the accepted deposit's now: a third deposit of the check is a duplicate of it.
    third = processing(s, "carol@example.com", hold=AppConfig().max_daily_cents)
    assert record_outcome(s, third, Decision(ACCEPTED), READING, {}, AppConfig())[0]["duplicate_of"] == second
    with pytest.raises(Conflict) as info:
        review(s, first, "override", None, "again", "rita@bank.example")
    assert info.value.code == "not_reviewable"


def test_approval_rechecks_the_daily_limit() -> None:
    """$600 and $300 held under a $1,000 limit, both sent to review; the limit is now $800: once the $300 is
    approved, approving the $600 is refused (it stays under review), and allowed when the limit is $900."""
    s = store()
    first, second = processing(s, cents=60_000, hold=100_000), processing(s, cents=30_000, hold=100_000)
    config = AppConfig(max_daily_cents=80_000)
    for d in (first, second):
        record_outcome(s, d, Decision(NEEDS_REVIEW, ("amount_unread",)), None, {}, config)
    assert review(s, second, "approve", None, None, "rita@bank.example", config=config)["status"] == ACCEPTED
    with pytest.raises(Conflict) as info:
        review(s, first, "approve", None, None, "rita@bank.example", config=config)
    assert info.value.code == "over_daily_limit" and "$800.00" in info.value.message
    assert s.get(first)["status"] == NEEDS_REVIEW
    raised = AppConfig(max_daily_cents=90_000)
    assert review(s, first, "approve", None, None, "sam@bank.example", config=raised)["status"] == ACCEPTED
    doc = s.get(first)
    assert Ledger(s).total(doc["email"], doc["day"]) == 90_000


def test_a_rejected_review_releases_its_hold() -> None:
    s = store()
    deposit_id = processing(s, cents=60_000, hold=100_000)
    record_outcome(s, deposit_id, Decision(NEEDS_REVIEW, ("amount_unread",)), None, {}, AppConfig())
    review(s, deposit_id, "reject", None, "not endorsed", "sam@bank.example")
    doc = s.get(deposit_id)
    assert Ledger(s).total(doc["email"], doc["day"]) == 0


def test_a_new_ledger_after_the_epoch_starts_empty_without_a_query() -> None:
    """`ledger-epoch`: the first ledger change writes today; days after it cannot have deposits from before
    the ledger, so their new ledgers are not seeded (no `_find`); the epoch is read once per client."""
    from openchecks.documents import utc_now

    s = store()
    couch = s.client
    assert isinstance(couch, FakeCloudant)
    today = utc_now().strftime("%Y-%m-%d")
    calls: list[str] = []
    couch.on_call = calls.append
    assert Ledger(s).reserve("carol@example.com", today, "dep-1", 100, 1_000) == "held"
    assert calls.count("find") == 1 and couch.dbs[s.claims_db]["ledger-epoch"]["since"] == today
    calls.clear()
    assert Ledger(s).reserve("carol@example.com", "2099-01-01", "dep-2", 100, 1_000) == "held"
    assert calls == ["get", "put"]  # the ledger's read (404) and write: no epoch read, no query
    # A day up to the epoch is still seeded from its deposits.
    assert Ledger(s).total("dan@example.com", "2026-01-01") == 0 and calls.count("find") == 1


def test_an_epoch_written_by_another_first_change_meanwhile_is_read_and_kept() -> None:
    """Two first ledger changes race: the one whose epoch write gets a 409 reads the other's day."""
    s = store()
    couch = s.client
    assert isinstance(couch, FakeCloudant)

    def other_writer_first(name: str) -> None:
        if name == "put" and "ledger-epoch" not in couch.dbs.get(s.claims_db, {}):
            couch.on_call = lambda name: None
            couch.put_document(
                db=s.claims_db,
                doc_id="ledger-epoch",
                document={"type": "ledger-epoch", "since": "2026-01-02"},
            )

    couch.on_call = other_writer_first
    assert Ledger(s).epoch() == "2026-01-02"
    assert couch.dbs[s.claims_db]["ledger-epoch"]["since"] == "2026-01-02"


def test_provisioning_a_new_deposits_database_starts_the_epoch_the_day_before() -> None:
    from openchecks.documents import utc_now
    from openchecks.provision import provision

    from tests.fixtures.fakes import FakeS3

    couch, s3 = FakeCloudant(), FakeS3()
    settings = Settings.from_params({"cos_access_key_id": "k", "cos_secret_access_key": "s"})
    first = provision(settings, couch, s3)
    epoch = couch.dbs[settings.claims_db]["ledger-epoch"]
    assert first["ledger_epoch"] == epoch["since"] < utc_now().strftime("%Y-%m-%d")
    again = provision(settings, couch, s3)
    assert "ledger_epoch" not in again and couch.dbs[settings.claims_db]["ledger-epoch"] == epoch
    s = DepositStore(couch, settings)
    calls: list[str] = []
    couch.on_call = calls.append
    assert Ledger(s).reserve("erin@example.com", utc_now().strftime("%Y-%m-%d"), "d", 1, 10) == "held"
    assert "find" not in calls
