"""`/api/v1/namespaces/{ns}/triggers/{name}`: triggers and firing them (as OpenWhisk's Triggers.scala)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.whisk import entities
from infra.whisk.controller.common import (
    body_object,
    bool_param,
    check_payload_size,
    entity_list,
    method_not_allowed,
    own,
)
from infra.whisk.entities import check_name, public
from infra.whisk.errors import conflict, not_found
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller


def handle(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    own(ident, ns)
    if not rest or rest == [""]:
        if req.method != "GET":
            raise method_not_allowed("GET")
        docs = ctl.store.list_entities(ns, "triggers")
        return entity_list(req, docs, "triggers", entities.trigger_summary)
    if len(rest) > 1:
        raise not_found()
    name = check_name(rest[0])
    if req.method == "PUT":
        body = body_object(req, required=True)
        old = ctl.store.get(ns, "triggers", name)
        if old is not None and not bool_param(req.query, "overwrite"):
            raise conflict()
        created = entities.new_trigger(ns, name, body, old)
        ctl.store.put(ns, "triggers", name, created)
        return json_response(200, public(created))
    doc = ctl.store.get(ns, "triggers", name)
    if doc is None:
        raise not_found()
    if req.method == "GET":
        return json_response(200, public(doc))
    if req.method == "DELETE":
        ctl.store.delete(ns, "triggers", name)
        return json_response(200, public(doc))
    if req.method == "POST":
        check_payload_size(req)
        payload = body_object(req)
        headers = {k: v for k, v in req.headers.items() if k != "authorization"}
        activation_id = ctl.activator.fire(ident, doc, payload, headers)
        if activation_id is None:
            return Response(204)
        return json_response(
            202, {"activationId": activation_id}, [("x-openwhisk-activation-id", activation_id)]
        )
    raise method_not_allowed("GET", "PUT", "POST", "DELETE")
