"""Create what the app needs on any target, idempotently: databases, Mango indexes, the duplicates view,
the notification feed's filter, the configuration document, and the buckets with the CORS rule browser
uploads need.

    python -m openchecks.provision --env FILE [--json]

reads the same variables as the manifest (CLOUDANT_URL, COS_ENDPOINT, ...; see `Settings`) from FILE and the
environment (the environment wins), and prints what it created or found. Running it twice changes nothing.
An existing configuration document is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openchecks.config import CONFIG_DOC_ID, AppConfig, Settings, read_env_file
from openchecks.errors import OpenChecksError
from openchecks.services import DocumentClient, ObjectClient

# (design doc and index name, fields): what the deposit queries sort and filter on.
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("by-created", ("created",)),
    ("by-email-created", ("email", "created")),
    ("by-status-created", ("status", "created")),
    ("by-email-status-created", ("email", "status", "created")),
    ("by-email-day-status", ("email", "day", "status")),
    ("by-status-updated", ("status", "updated")),
    ("by-export-claim", ("export_claim",)),
)

# What the export queries use on the exports database: the newest exports first (the operations view) and the
# unfinished ones (the recovery of a run that died).
EXPORT_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("by-type-created", ("type", "created")),
    ("by-type-state", ("type", "state")),
)


def _code(exc: Exception) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def read_config_doc(client: DocumentClient, settings: Settings) -> dict[str, Any] | None:
    """The configuration document, or None when it (or its database) does not exist."""
    try:
        doc: dict[str, Any] = client.get_document(db=settings.config_db, doc_id=CONFIG_DOC_ID).get_result()
    except Exception as exc:
        if _code(exc) == 404:
            return None
        raise
    return doc


def ensure_database(client: DocumentClient, name: str) -> bool:
    """Create database `name`; False when it already existed."""
    try:
        client.put_database(db=name).get_result()
        return True
    except Exception as exc:
        if _code(exc) == 412:
            return False
        raise


def ensure_indexes(
    client: DocumentClient, db: str, indexes: tuple[tuple[str, tuple[str, ...]], ...] = INDEXES
) -> list[str]:
    """Create the Mango `indexes` on `db` (the deposit ones by default); returns their names (creating an
    existing one is a no-op)."""
    from ibmcloudant.cloudant_v1 import IndexDefinition, IndexField

    names = []
    for name, fields in indexes:
        index = IndexDefinition(fields=[IndexField(**{f: "asc"}) for f in fields])
        client.post_index(db=db, index=index, ddoc=name, name=name, type="json").get_result()
        names.append(name)
    return names


def ensure_design(client: DocumentClient, db: str, ddoc: str, part: str, value: dict[str, Any]) -> None:
    """Make `_design/<ddoc>` of `db` hold `value` under `part` ("views", "filters"), keeping the rest of it
    (a concurrent writer's 409 re-reads)."""
    from ibmcloudant.cloudant_v1 import DesignDocument

    for _ in range(5):
        try:
            current: dict[str, Any] = client.get_design_document(db=db, ddoc=ddoc).get_result()
        except Exception as exc:
            if _code(exc) != 404:
                raise
            current = {}
        if current.get(part) == value:
            return
        wanted = {**current, "_id": f"_design/{ddoc}", "language": "javascript", part: value}
        try:
            client.put_design_document(
                db=db, ddoc=ddoc, design_document=DesignDocument.from_dict(wanted)
            ).get_result()
            return
        except Exception as exc:
            if _code(exc) != 409:
                raise
    raise OpenChecksError(f"Could not write _design/{ddoc}: it kept changing.", code="write_conflict")


def ensure_views(client: DocumentClient, db: str) -> list[str]:
    """Create or update the duplicates view on `db` (openchecks.duplicates); returns the view names."""
    from openchecks.duplicates import VIEW_DDOC, VIEW_MAP, VIEW_NAME

    ensure_design(client, db, VIEW_DDOC, "views", {VIEW_NAME: {"map": VIEW_MAP}})
    return [VIEW_NAME]


def ensure_filters(client: DocumentClient, db: str) -> list[str]:
    """Create or update the changes-feed filter of the deposits database `db` that the `deposit-changed`
    trigger names (openchecks.notify.FILTER: only changes into a status a customer may be told about)."""
    from openchecks.notify import FILTER_DDOC, FILTER_JS, FILTER_NAME

    ensure_design(client, db, FILTER_DDOC, "filters", {FILTER_NAME: FILTER_JS})
    return [f"{FILTER_DDOC}/{FILTER_NAME}"]


def ensure_config(client: DocumentClient, settings: Settings, config: AppConfig | None = None) -> bool:
    """Write the configuration document unless one exists; True when written."""
    if read_config_doc(client, settings) is not None:
        return False
    doc = (config or AppConfig()).to_doc()
    doc["_id"] = CONFIG_DOC_ID
    try:
        client.put_document(db=settings.config_db, doc_id=CONFIG_DOC_ID, document=doc).get_result()
    except Exception as exc:
        if _code(exc) == 409:
            return False
        raise
    return True


def provision(
    settings: Settings,
    cloudant: DocumentClient | None = None,
    cos: ObjectClient | None = None,
    config: AppConfig | None = None,
) -> dict[str, Any]:
    """Create everything missing; returns a report of what was created (True) or found (False)."""
    from openchecks.clients import cloudant_client, cos_client
    from openchecks.storage import Storage

    cloudant = cloudant if cloudant is not None else cloudant_client(settings)[0]
    cos = cos if cos is not None else cos_client(settings)[0]
    report: dict[str, Any] = {"databases": {}, "indexes": [], "buckets": {}}
    for db in (settings.deposits_db, settings.claims_db, settings.notifications_db, settings.config_db):
        report["databases"][db] = ensure_database(cloudant, db)
    report["databases"][settings.exports_db] = ensure_database(cloudant, settings.exports_db)
    if report["databases"][settings.deposits_db]:
        # A new deposits database: no deposit predates the ledgers, so none needs seeding (openchecks.ledger).
        from datetime import timedelta

        from openchecks.documents import iso, utc_now
        from openchecks.ledger import start_epoch

        yesterday = iso(utc_now() - timedelta(days=1))[:10]
        report["ledger_epoch"] = yesterday if start_epoch(cloudant, settings.claims_db, yesterday) else None
    report["indexes"] = ensure_indexes(cloudant, settings.deposits_db)
    report["indexes"] += ensure_indexes(cloudant, settings.exports_db, EXPORT_INDEXES)
    report["views"] = ensure_views(cloudant, settings.claims_db)
    report["filters"] = ensure_filters(cloudant, settings.deposits_db)
    report["config_created"] = ensure_config(cloudant, settings, config)
    storage = Storage(cos, settings)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()] or ["*"]
    for bucket in (settings.bucket_incoming, settings.bucket_archive):
        report["buckets"][bucket] = storage.ensure_bucket(bucket)
        storage.put_cors(bucket, origins)
    # The cash letters: downloaded through presigned links only (no CORS rule needed).
    report["buckets"][settings.bucket_exports] = storage.ensure_bucket(settings.bucket_exports)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openchecks.provision",
        description="Create the databases, indexes, configuration document and "
        "buckets openchecks needs (idempotent).",
    )
    parser.add_argument("--env", type=Path, help="a KEY=VALUE file (e.g. local.env); the environment wins")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
    args = parser.parse_args(argv)
    values: dict[str, str] = {}
    if args.env is not None:
        if not args.env.is_file():
            print(f"error: the env file {args.env} does not exist", file=sys.stderr)
            return 2
        values = read_env_file(args.env)
    environ: Mapping[str, str] = {**values, **os.environ}
    settings = Settings.from_params({}, environ)
    try:
        settings.require("cloudant_url", "cos_endpoint")
        report = provision(settings)
    except OpenChecksError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        for db, created in report["databases"].items():
            print(f"database {db}: {'created' if created else 'exists'}")
        print(f"indexes on {settings.deposits_db}: {', '.join(report['indexes'])}")
        print(f"configuration document: {'created' if report['config_created'] else 'exists'}")
        for bucket, created in report["buckets"].items():
            cors = "" if bucket == settings.bucket_exports else " (CORS set)"
            print(f"bucket {bucket}: {'created' if created else 'exists'}{cors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
