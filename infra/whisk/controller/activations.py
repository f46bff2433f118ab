"""`/api/v1/namespaces/{ns}/activations[/{id}[/logs|/result]]`: activation records (Activations.scala)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.whisk import entities, errors
from infra.whisk.controller.common import bool_param, int_param, list_window, method_not_allowed, own
from infra.whisk.errors import bad_request, not_found
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity, summary

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller

_ACTIVATION_ID_RE = re.compile(r"\A[0-9a-f]{32}\Z")


def handle(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    own(ident, ns)
    if req.method != "GET":
        raise method_not_allowed("GET")
    if not rest or rest == [""]:
        return _list(ctl, req, ns)
    activation_id = rest[0]
    if len(activation_id) != 32:
        raise bad_request(f"ActivationId length is {len(activation_id)} but must be 32.")
    if not _ACTIVATION_ID_RE.match(activation_id):
        raise bad_request(errors.ACTIVATION_ID_ILLEGAL)
    record = ctl.store.get_activation(ns, activation_id)
    if record is None:
        raise not_found()
    if len(rest) == 1:
        return json_response(200, record)
    if rest[1:] == ["logs"]:
        return json_response(200, {"logs": record.get("logs", [])})
    if rest[1:] == ["result"]:
        return json_response(200, record.get("response", {}))
    raise not_found()


def _name_filter(path: str | None) -> str | None:
    if path is None:
        return None
    pieces = path.strip("/").split("/")
    if len(pieces) > 2 or not all(p and entities.NAME_RE.match(p) for p in pieces):
        raise bad_request(f"Parameter may be a 'simple' name or 'package-name/simple' name: {path}")
    return "/".join(pieces)


def _list(ctl: Controller, req: Request, ns: str) -> Response:
    q = req.query
    path = _name_filter(q.get("name") or None)
    since = int_param(q, "since", None, "activations")
    upto = int_param(q, "upto", None, "activations")
    docs = bool_param(q, "docs")
    if bool_param(q, "count"):
        if docs:
            raise bad_request(errors.DOCS_NOT_ALLOWED_WITH_COUNT)
        return json_response(200, {"activations": ctl.store.count_activations(ns, path, since, upto)})
    skip, limit = list_window(req, "activations")
    records = ctl.store.list_activations(ns, path, since, upto, skip, limit)
    return json_response(200, records if docs else [summary(r) for r in records])
