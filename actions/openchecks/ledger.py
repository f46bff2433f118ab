"""The daily limit: one ledger document per customer and UTC day, changed only by compare-and-set.

The ledger `ledger-<day>-<hash of the email>` (in the claims database) holds one entry per live deposit of
that customer and day: `{"cents", "state": "held" | "accepted"}`. Its total is the exact sum of its entries
(no query, no page limit). Every change is a read, a pure change of the document and a write on the `_rev`
that was read; a 409 (someone else wrote first) re-reads and decides again, so concurrent requests are
serialised by the database and the limit holds whatever their number:

- `reserve` at creation (POST /deposits): the draft's amount is held when the total stays within the limit,
  else the request is refused. A draft, a deposit being processed and one waiting for review all count.
- `accept` at acceptance (the pipeline, or a reviewer's approval): the deposit's entry becomes `accepted`
  when the day's other accepted deposits plus this amount stay within the limit (rechecked against today's
  configuration); otherwise it stays held and the deposit goes (or stays) under review. What is accepted in
  a day therefore never passes the limit, whatever runs at once.
- `release` when a deposit is refused, rejected, or closed without an upload: its entry is removed.

Every operation is idempotent per deposit id (a retried step or request changes nothing twice). A ledger
created for a day that already has deposits (an upgrade) is seeded from an exact, paged query of them. Only
the days up to the ledger's epoch can have such deposits: `ledger-epoch` (in the claims database) names the
UTC day the first ledger change of this deployment ran, written once by that change (or, for a deposits
database the provisioning creates, the day before: `start_epoch`). Every deposit of a
later day was created by code that holds its amount in a ledger first, so a new ledger of a later day starts
empty without the query (the query cost pouchdb-server 6.6 ms of CPU, on nearly every deposit: most are a
customer's first of the day). The epoch never changes once written, so a warm container reads it once.
(A deployment that goes back to a version without ledgers and forward again deletes `ledger-epoch` when it
comes forward, so that the days since are seeded again.)
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal, TypedDict, cast

from openchecks.documents import (
    ACCEPTED,
    DUPLICATE,
    EXPORTED,
    NEEDS_REVIEW,
    PROCESSING,
    RECEIVED,
    iso,
    utc_now,
)
from openchecks.errors import ServiceUnavailable
from openchecks.store import MAX_WRITE_ATTEMPTS, DepositStore, status_of

EntryState = Literal["held", "accepted"]
Outcome = Literal["held", "accepted", "already", "over_limit"]
# Deposit statuses whose amount counts toward the day (seeding a ledger from existing deposits).
LIVE = (RECEIVED, PROCESSING, NEEDS_REVIEW, DUPLICATE, ACCEPTED, EXPORTED)
# Pages of the seeding query.
SEED_PAGE = 500
# Retries of the compare-and-set loop: each 409 means another writer made progress.
MAX_CAS_ATTEMPTS = max(MAX_WRITE_ATTEMPTS, 32)
# The epoch document's id (claims database) and, per client, each claims database's epoch day once read.
EPOCH_ID = "ledger-epoch"
_EPOCHS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


class Entry(TypedDict):
    cents: int
    state: EntryState
    at: str


class LedgerDoc(TypedDict, total=False):
    _id: str
    _rev: str
    type: Literal["ledger"]
    day: str
    email: str
    entries: dict[str, Entry]


def ledger_id(email: str, day: str) -> str:
    """The ledger's document id: the day and a hash of the email (no address in an id)."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"ledger-{day}-{digest}"


def total_cents(doc: Mapping[str, Any], exclude: str | None = None, state: EntryState | None = None) -> int:
    """The exact sum of the ledger's entries (all but `exclude`; only those in `state` when given)."""
    entries: Mapping[str, Any] = doc.get("entries") or {}
    return sum(
        int(e.get("cents", 0))
        for d, e in entries.items()
        if d != exclude and (state is None or e.get("state") == state)
    )


# ------------------------------------------------------------------------ pure changes of one document


def reserve_in(doc: LedgerDoc, deposit_id: str, cents: int, limit_cents: int, at: str) -> Outcome:
    """Hold `cents` for `deposit_id` when the day's total stays within `limit_cents` (mutates `doc`)."""
    entries = doc.setdefault("entries", {})
    if deposit_id in entries:
        return "already"
    if total_cents(doc) + cents > limit_cents:
        return "over_limit"
    entries[deposit_id] = {"cents": cents, "state": "held", "at": at}
    return "held"


def accept_in(doc: LedgerDoc, deposit_id: str, cents: int, limit_cents: int, at: str) -> Outcome:
    """Mark `deposit_id` accepted when the day's other accepted deposits plus `cents` are within the limit;
    a deposit with no entry yet (created before the ledger) is added. Over the limit: unchanged."""
    entries = doc.setdefault("entries", {})
    entry = entries.get(deposit_id)
    if entry is not None and entry["state"] == "accepted":
        return "already"
    if total_cents(doc, exclude=deposit_id, state="accepted") + cents > limit_cents:
        return "over_limit"
    entries[deposit_id] = {"cents": cents, "state": "accepted", "at": at}
    return "accepted"


def release_in(doc: LedgerDoc, deposit_id: str) -> bool:
    """Drop `deposit_id`'s entry; False when it had none."""
    entries = doc.setdefault("entries", {})
    return entries.pop(deposit_id, None) is not None


# ------------------------------------------------------------------------------------------ the store


class Ledger:
    """The ledger documents of one deployment (in the claims database, beside the check claims)."""

    def __init__(self, store: DepositStore) -> None:
        self.store = store
        self.client = store.client
        self.db = store.claims_db

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        return self.store._call(what, fn)

    def read(self, email: str, day: str) -> LedgerDoc | None:
        """The ledger document, or None when the day has none yet."""
        try:
            doc: LedgerDoc = self._call(
                "reading the daily ledger",
                partial(self.client.get_document, db=self.db, doc_id=ledger_id(email, day)),
            )
        except Exception as exc:
            if status_of(exc) == 404:
                return None
            raise
        return doc

    def epoch(self) -> str:
        """The ledger's epoch day (see the module docstring): read once per container, written by the first
        ledger change of the deployment (today, UTC)."""
        try:
            known = _EPOCHS.setdefault(self.client, {})
        except TypeError:  # a client that cannot be weakly referenced: read every time
            known = {}
        if self.db in known:
            return known[self.db]
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                doc = self._call(
                    "reading the ledger's epoch",
                    partial(self.client.get_document, db=self.db, doc_id=EPOCH_ID),
                )
                known[self.db] = str(doc["since"])
                return known[self.db]
            except Exception as exc:
                if status_of(exc) != 404:
                    raise
            today = iso(utc_now())[:10]
            if start_epoch(self.client, self.db, today, partial(self._call, "writing the ledger's epoch")):
                known[self.db] = today
                return today
            # another first change wrote it meanwhile: read it
        raise ServiceUnavailable("Could not read the ledger's epoch; try again.", code="write_conflict")

    def _seeded(self, email: str, day: str) -> LedgerDoc:
        """A new ledger holding the day's existing live deposits (exact: every page of the query); empty
        without a query for a day after the epoch (no deposit of that day can predate the ledger)."""
        doc: LedgerDoc = {"_id": ledger_id(email, day), "type": "ledger", "day": day, "email": email}
        entries: dict[str, Entry] = {}
        if day > self.epoch():
            doc["entries"] = entries
            return doc
        skip = 0
        while True:
            page = self.store.find(
                {"email": email, "day": day, "status": {"$in": sorted(LIVE)}},
                fields=["_id", "amount_cents", "status"],
                limit=SEED_PAGE,
                skip=skip,
            )
            for row in page:
                state: EntryState = "accepted" if row.get("status") in (ACCEPTED, EXPORTED) else "held"
                entries[str(row["_id"])] = {
                    "cents": int(row.get("amount_cents", 0)),
                    "state": state,
                    "at": iso(utc_now()),
                }
            if len(page) < SEED_PAGE:
                break
            skip += len(page)
        doc["entries"] = entries
        return doc

    def change(
        self, email: str, day: str, fn: Callable[[LedgerDoc], Outcome | bool], create: bool = True
    ) -> Outcome | bool:
        """Apply `fn` to the current ledger and write it on the `_rev` read (creating the ledger when there is
        none, unless `create` is false: then nothing happens); a 409 re-reads and re-applies. `fn` returns its
        outcome; "already", "over_limit" and False write nothing."""
        for _ in range(MAX_CAS_ATTEMPTS):
            doc = self.read(email, day)
            if doc is None and not create:
                return False
            current: LedgerDoc = doc if doc is not None else self._seeded(email, day)
            outcome = fn(current)
            if outcome in ("already", "over_limit", False):
                return outcome
            try:
                self._call(
                    "saving the daily ledger",
                    partial(self.client.put_document, db=self.db, doc_id=current["_id"], document=current),
                )
            except Exception as exc:
                if status_of(exc) == 409:
                    continue  # another request changed (or created) the ledger first: decide again
                raise
            return outcome
        raise ServiceUnavailable(
            "Too many deposits are changing your daily total at once; try again in a moment.",
            code="write_conflict",
        )

    def reserve(self, email: str, day: str, deposit_id: str, cents: int, limit_cents: int) -> Outcome:
        """Hold the amount of a new deposit: "held", "already" (held before) or "over_limit"."""
        at = iso(utc_now())
        outcome = self.change(email, day, lambda d: reserve_in(d, deposit_id, cents, limit_cents, at))
        return cast(Outcome, outcome)

    def accept(self, email: str, day: str, deposit_id: str, cents: int, limit_cents: int) -> Outcome:
        """Count a deposit as accepted: "accepted", "already" or "over_limit" (then it stays held)."""
        at = iso(utc_now())
        outcome = self.change(email, day, lambda d: accept_in(d, deposit_id, cents, limit_cents, at))
        return cast(Outcome, outcome)

    def release(self, email: str, day: str, deposit_id: str) -> bool:
        """Drop a deposit's entry; False when the day's ledger did not hold it."""
        return bool(self.change(email, day, lambda d: release_in(d, deposit_id), create=False))

    def total(self, email: str, day: str) -> int:
        """The day's exact total (held and accepted), from the ledger or, before it exists, the deposits."""
        doc = self.read(email, day)
        return total_cents(doc if doc is not None else self._seeded(email, day))


def _epoch_doc(since: str) -> dict[str, str]:
    """The `ledger-epoch` document naming the UTC day `since`."""
    return {"_id": EPOCH_ID, "type": "ledger-epoch", "since": since}


def start_epoch(
    client: Any, db: str, since: str, call: Callable[[Callable[[], Any]], Any] | None = None
) -> bool:
    """Write the epoch `since` (a UTC day) unless there is one: the provisioning of a new deposits database
    (no deposit can predate its ledger) names the day before it, the first ledger change of a deployment
    without one names today. False when an epoch was there already (a 409). `call` runs the request (the
    store's retrying caller); without it the request runs once."""
    put = partial(client.put_document, db=db, doc_id=EPOCH_ID, document=_epoch_doc(since))
    try:
        call(put) if call is not None else put().get_result()
    except Exception as exc:
        if status_of(exc) == 409:
            return False
        raise
    return True


def release_deposit(store: DepositStore, doc: Mapping[str, Any]) -> None:
    """Release a refused, rejected or closed deposit's hold on its day (nothing when it has none)."""
    email, day = doc.get("email"), doc.get("day")
    if isinstance(email, str) and isinstance(day, str):
        Ledger(store).release(email, day, str(doc["_id"]))
