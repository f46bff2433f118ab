"""/whisk.system/cloudant/read: the document `id` (or `docid`) of database `dbname`.

Fed straight by a changes trigger ({id, seq, changes, dbname}) in a `read -> action` sequence; optional
`params` (object) become query parameters (e.g. {"revs_info": true}).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from infra.catalog.actions.couchdb import CouchError, call, db_path


def main(params: dict[str, Any]) -> dict[str, Any]:
    try:
        doc_id = params.get("docid") or params.get("id")
        if not isinstance(doc_id, str) or not doc_id:
            raise CouchError("docid (or id) parameter is required")
        query = params.get("params") or {}
        suffix = (
            "?" + urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in query.items()})
            if isinstance(query, dict) and query
            else ""
        )
        doc = call(params, "GET", f"{db_path(params)}/{quote(doc_id, safe='')}{suffix}")
    except CouchError as exc:
        return {"error": str(exc)}
    return doc if isinstance(doc, dict) else {"error": "the database returned a non-object document"}
