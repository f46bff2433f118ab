"""/whisk.system/cloudant/write: store `doc` (object or JSON text) in database `dbname`.

With `overwrite: true` and a `doc._id` that exists, the current revision is replaced. Returns the
server's answer {ok, id, rev}.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from infra.catalog.actions.couchdb import CouchError, call, db_path


def main(params: dict[str, Any]) -> dict[str, Any]:
    try:
        doc = params.get("doc")
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except ValueError:
                raise CouchError("doc parameter is not valid JSON") from None
        if not isinstance(doc, dict):
            raise CouchError("doc parameter is required (a JSON object)")
        path = db_path(params)
        overwrite = str(params.get("overwrite", "false")).lower() == "true"
        if overwrite and doc.get("_id") and "_rev" not in doc:
            doc_path = f"{path}/{quote(str(doc['_id']), safe='')}"
            try:
                doc["_rev"] = call(params, "GET", doc_path)["_rev"]
            except CouchError:
                pass  # a new document: nothing to overwrite
        result = call(params, "POST", path, doc)
    except CouchError as exc:
        return {"error": str(exc)}
    return result if isinstance(result, dict) else {"result": result}
