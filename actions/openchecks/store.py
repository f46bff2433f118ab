"""The `deposits` and check-claims databases: every read and write of a deposit document goes through
`DepositStore` (a Cloudant client as `openchecks.services.DocumentClient`, so the unit tier runs it on
`tests/fixtures/fakes.FakeCloudant`). Writes are read-modify-write on the current `_rev`; a 409 re-reads
and re-applies the change; a check is claimed by exactly one deposit through a claim document."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, cast

from openchecks import duplicates
from openchecks.config import Settings
from openchecks.documents import DepositDoc, Status, iso, utc_now
from openchecks.errors import (
    ConfigurationError,
    Conflict,
    NotFound,
    OpenChecksError,
    ServiceUnavailable,
)
from openchecks.fields import check_deposit_id
from openchecks.retry import retried
from openchecks.services import DocumentClient

MAX_WRITE_ATTEMPTS = 8


def status_of(exc: Exception) -> int | None:
    """The HTTP status of an ibmcloudant ApiException (None for anything else)."""
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def database_call(database: str, what: str, fn: Callable[[], Any]) -> Any:
    """`fn()`'s Cloudant result; a 4xx goes to the caller as it is, anything else unexpected becomes a 503
    naming the `database` ("deposit", "exports") and `what` was being done. Transient failures are retried
    within the caller's deadline (`openchecks.retry`)."""
    try:
        return retried(lambda: fn().get_result())
    except OpenChecksError:
        raise
    except Exception as exc:
        status = status_of(exc)
        if status is not None and 400 <= status < 500:
            raise
        raise ServiceUnavailable(
            f"The {database} database did not answer while {what}; try again in a minute.",
            code="database_unavailable",
        ) from exc


def read_document(
    client: DocumentClient, database: str, db: str, doc_id: str, missing: NotFound, what: str
) -> Any:
    """Document `doc_id` of `db` through `database_call`; `missing` is raised on a 404."""
    try:
        return database_call(database, what, lambda: client.get_document(db=db, doc_id=doc_id))
    except Exception as exc:
        if status_of(exc) == 404:
            raise missing from None
        raise


class DepositStore:
    """Reads and writes deposits and check claims through a CloudantV1 client."""

    def __init__(self, client: DocumentClient, settings: Settings) -> None:
        self.client = client
        self.db = settings.deposits_db
        self.claims_db = settings.claims_db

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        return database_call("deposit", what, fn)

    def get(self, deposit_id: str) -> DepositDoc:
        """The deposit document; NotFound when there is none."""
        check_deposit_id(deposit_id)
        missing = NotFound("There is no deposit with that id.", code="deposit_not_found")
        doc: DepositDoc = read_document(
            self.client, "deposit", self.db, deposit_id, missing, "reading a deposit"
        )
        return doc

    def create(self, doc: DepositDoc) -> DepositDoc:
        """Store a new document; returns it with its `_rev` (as `get` would read it). Conflict if the id
        exists."""
        try:
            result = self._call(
                "creating a deposit",
                lambda: self.client.put_document(db=self.db, doc_id=doc["_id"], document=doc),
            )
        except Exception as exc:
            if status_of(exc) == 409:
                raise Conflict("A deposit with that id already exists.", code="deposit_exists") from None
            raise
        stored: DepositDoc = {**doc, "_rev": result["rev"]}
        return stored

    def update(
        self,
        deposit_id: str,
        change: Callable[[DepositDoc], bool],
        current: Mapping[str, Any] | None = None,
    ) -> tuple[DepositDoc, bool]:
        """Apply `change` (which mutates the doc and returns whether it changed anything) to the current
        document and store it; on 409 re-read and re-apply. Returns (document, changed).

        `current`: the document as the caller just read it (with its `_rev`); the first attempt applies
        `change` to a copy of it instead of reading again. The write is a compare-and-set on that `_rev`,
        so a document changed since then is a 409 and is re-read as before. Only a change that declines
        (returns False) on `current` answers from it without reading again: the caller read it itself."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            if attempt == 0 and current is not None and current.get("_rev"):
                doc = cast(DepositDoc, copy.deepcopy(dict(current)))
            else:
                doc = self.get(deposit_id)
            if not change(doc):
                return doc, False
            try:
                result = self._call(
                    "saving a deposit",
                    partial(self.client.put_document, db=self.db, doc_id=deposit_id, document=doc),
                )
            except Exception as exc:
                if status_of(exc) == 409:
                    continue
                raise
            doc["_rev"] = result["rev"]
            return doc, True
        raise ServiceUnavailable(
            "The deposit is being changed by several writers at once; try again.", code="write_conflict"
        )

    def delete(self, deposit_id: str) -> None:
        """Delete the deposit (used only for a draft whose upload was refused)."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            doc = self.get(deposit_id)
            try:
                self._call(
                    "deleting a deposit",
                    partial(self.client.delete_document, db=self.db, doc_id=deposit_id, rev=doc["_rev"]),
                )
                return
            except Exception as exc:
                if status_of(exc) == 409:
                    continue
                if status_of(exc) == 404:
                    return
                raise

    def find(
        self,
        selector: dict[str, Any],
        sort: list[dict[str, str]] | None = None,
        limit: int = 100,
        fields: list[str] | None = None,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """Mango query on the deposits database."""
        kwargs: dict[str, Any] = {"db": self.db, "selector": selector, "limit": limit}
        if skip:
            kwargs["skip"] = skip
        if sort:
            kwargs["sort"] = sort
        if fields:
            kwargs["fields"] = fields
        result = self._call("searching deposits", lambda: self.client.post_find(**kwargs))
        docs: list[dict[str, Any]] = result.get("docs", [])
        return docs

    def list_for(self, email: str | None, status: Status | None, limit: int) -> list[dict[str, Any]]:
        """Newest first: one customer's deposits (email given) or everyone's, optionally one status."""
        selector: dict[str, Any] = {"type": "deposit"}
        if email is not None and status is not None:
            selector.update({"email": email, "status": status, "created": {"$gt": None}})
            sort = [{"email": "desc"}, {"status": "desc"}, {"created": "desc"}]
        elif email is not None:
            selector.update({"email": email, "created": {"$gt": None}})
            sort = [{"email": "desc"}, {"created": "desc"}]
        elif status is not None:
            selector.update({"status": status, "created": {"$gt": None}})
            sort = [{"status": "desc"}, {"created": "desc"}]
        else:
            selector.update({"created": {"$gt": None}})
            sort = [{"created": "desc"}]
        return self.find(selector, sort=sort, limit=limit)

    @staticmethod
    def _image_doc(deposit_id: str, hex_hash: str) -> dict[str, Any]:
        """The deposit's image hash as an `image-<deposit id>` document of the claims database, which the
        duplicates view reads; written once, so a re-run changes nothing."""
        return {
            "_id": f"image-{deposit_id}",
            "type": "image",
            "deposit_id": deposit_id,
            "hex": hex_hash,
            "bands": duplicates.bands(hex_hash),
            "at": iso(utc_now()),
        }

    def image_candidates(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """(deposit id, image hash) of the deposits whose image shares a band with `keys` (the view)."""
        wanted = sorted(set(keys))
        try:
            result = self._call(
                "looking for the same check image",
                partial(
                    self.client.post_view,
                    db=self.claims_db,
                    ddoc=duplicates.VIEW_DDOC,
                    view=duplicates.VIEW_NAME,
                    keys=wanted,
                ),
            )
        except Exception as exc:
            if status_of(exc) == 404:
                raise ConfigurationError(
                    "The duplicates view is missing from the claims database; run the provisioning "
                    "(python -m openchecks.provision) again."
                ) from None
            raise
        out: list[tuple[str, str]] = []
        for row in result.get("rows", []):
            value = row.get("value")
            if isinstance(value, list) and len(value) == 2:
                out.append((str(value[1]), str(value[0])))
        return out

    def statuses(self, deposit_ids: Iterable[str]) -> dict[str, str]:
        """The current status of each existing deposit of `deposit_ids` (one request)."""
        ids = sorted(set(deposit_ids))
        if not ids:
            return {}
        result = self._call(
            "reading deposits",
            partial(self.client.post_all_docs, db=self.db, keys=ids, include_docs=True),
        )
        out: dict[str, str] = {}
        for row in result.get("rows", []):
            doc = row.get("doc")
            if isinstance(doc, dict) and isinstance(doc.get("status"), str):
                out[str(row.get("id"))] = doc["status"]
        return out

    # claims ---------------------------------------------------------------------------------------------

    def claim_check(self, key: str, deposit_id: str) -> str:
        """Claim check `key` for `deposit_id`; return the id of the deposit that owns the claim (this one when
        the claim is new or was already ours)."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                self._call(
                    "claiming a check",
                    lambda: self.client.put_document(
                        db=self.claims_db, doc_id=key, document=self._claim_doc(key, deposit_id)
                    ),
                )
                return deposit_id
            except Exception as exc:
                if status_of(exc) != 409:
                    raise
            existing = self._read_claim(key)
            if existing is None:
                continue  # released between our PUT and GET: try again
            return str(existing.get("deposit_id", ""))
        raise ServiceUnavailable("Could not claim the check; try again.", code="write_conflict")

    @staticmethod
    def _claim_doc(key: str, deposit_id: str) -> dict[str, Any]:
        """The claim document of check (or item) `key` for `deposit_id`."""
        return {"_id": key, "type": "claim", "deposit_id": deposit_id, "at": iso(utc_now())}

    def _read_claim(self, key: str) -> Any:
        """The existing claim `key`, or None when there is none."""
        try:
            return self._call(
                "reading a check claim", lambda: self.client.get_document(db=self.claims_db, doc_id=key)
            )
        except Exception as exc:
            if status_of(exc) == 404:
                return None
            raise

    def claim_checks(
        self, keys: Sequence[str], deposit_id: str, image_hash: str | None = None
    ) -> dict[str, str]:
        """`claim_check` for each of `keys` and, with `image_hash`, the image's index entry (`_image_doc`),
        in one `_bulk_docs` request (CouchDB writes each document on its own and answers for each: a new
        claim is ours, a conflict is an existing claim, whose owner is then read; an image entry already
        there is an earlier run's). Returns each key's owner (this deposit when the claim is new or was
        already ours)."""
        docs = [self._claim_doc(key, deposit_id) for key in keys]
        if image_hash:
            docs.append(self._image_doc(deposit_id, image_hash))
        if not docs:
            return {}
        results = self._call(
            "claiming a check",
            partial(self.client.post_bulk_docs, db=self.claims_db, bulk_docs={"docs": docs}),
        )
        answers = {str(r.get("id")): r for r in results if isinstance(r, Mapping)}
        owners: dict[str, str] = {}
        for doc in docs:
            answer = answers.get(doc["_id"], {})
            if answer.get("error") is None and answer.get("rev"):
                owners[doc["_id"]] = deposit_id
            elif answer.get("error") != "conflict":
                raise ServiceUnavailable(
                    "The deposit database did not store a check claim; try again in a minute.",
                    code="database_unavailable",
                )
            elif doc["type"] == "claim":  # claimed before (by us on a retried request, or by another)
                owners[doc["_id"]] = self._claim_owner(doc["_id"], deposit_id)
        return {key: owners[key] for key in keys}

    def _claim_owner(self, key: str, deposit_id: str) -> str:
        """The deposit that holds the existing claim `key` (claimed afresh if it was released meanwhile)."""
        existing = self._read_claim(key)
        if existing is None:
            return self.claim_check(key, deposit_id)
        return str(existing.get("deposit_id", ""))

    def release_check(self, key: str, deposit_id: str) -> None:
        """Drop the claim on `key` if `deposit_id` holds it (a rejected check may be deposited again)."""
        existing = self._read_claim(key)
        if existing is None or existing.get("deposit_id") != deposit_id:
            return
        try:
            self._call(
                "releasing a check claim",
                lambda: self.client.delete_document(db=self.claims_db, doc_id=key, rev=existing["_rev"]),
            )
        except Exception as exc:
            if status_of(exc) not in (404, 409):
                raise
