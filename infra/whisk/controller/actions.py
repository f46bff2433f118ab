"""`/api/v1/namespaces/{ns}/actions[/{package}]/{name}`: list, get, put, delete and invoke actions.

As OpenWhisk's Actions.scala: a namespace's list includes the actions in its packages, `GET` of an action
shows the parameters it inherits from its package, a sequence's components must exist and not cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.whisk import entities, errors
from infra.whisk.controller.common import (
    body_object,
    bool_param,
    check_payload_size,
    entity_list,
    method_not_allowed,
    own,
)
from infra.whisk.entities import check_name, parse_json_body, public, split_path
from infra.whisk.errors import ApiError, bad_request, conflict, not_found
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import MAX_BLOCKING_WAIT_MS, Identity, http_status_for

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller


def handle(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    if not rest or rest == [""]:
        if req.method != "GET":
            raise method_not_allowed("GET")
        own(ident, ns)
        # as OpenWhisk: the namespace's actions include those in its packages
        docs = ctl.store.list_entities(ns, "actions", prefix="")
        return entity_list(req, docs, "actions", entities.action_summary)
    if len(rest) == 2 and rest[1] == "" and req.method == "GET":
        return _package_actions(ctl, req, ident, ns, check_name(rest[0]))
    if len(rest) > 2:
        raise not_found()
    pkg = check_name(rest[0]) if len(rest) == 2 else None
    name = check_name(rest[-1])
    if req.method == "PUT":
        return _put(ctl, req, ident, ns, pkg, name)
    if req.method == "GET":
        return _get(ctl, req, ident, ns, pkg, name)
    if req.method == "DELETE":
        return _delete(ctl, ident, ns, pkg, name)
    if req.method == "POST":
        return _invoke(ctl, req, ident, ns, pkg, name, txid)
    raise method_not_allowed("GET", "PUT", "POST", "DELETE")


def _package_actions(ctl: Controller, req: Request, ident: Identity, ns: str, pkg: str) -> Response:
    pdoc = ctl.activator.package(ident.namespace, ns, pkg)
    bound = pdoc.get("binding") or {}
    owner_ns, owner_pkg = (bound["namespace"], bound["name"]) if bound else (ns, pkg)
    docs = ctl.store.list_entities(owner_ns, "actions", prefix=f"{owner_pkg}/")
    return entity_list(req, docs, "actions", entities.action_summary)


def _get(ctl: Controller, req: Request, ident: Identity, ns: str, pkg: str | None, name: str) -> Response:
    resolved = ctl.activator.resolve(ident.namespace, ns, pkg, name)
    doc = public(resolved.doc)
    if doc["exec"]["kind"] != "sequence":
        own_keys = {p["key"] for p in doc["parameters"]}
        inherited = {k: v for k, v in resolved.params.items() if k not in own_keys}
        doc["parameters"] = [{"key": k, "value": v} for k, v in inherited.items()] + doc["parameters"]
    if req.query.get("code", "true").lower() == "false":
        doc["exec"] = {k: v for k, v in doc["exec"].items() if k != "code"}
    return json_response(200, doc)


def _delete(ctl: Controller, ident: Identity, ns: str, pkg: str | None, name: str) -> Response:
    own(ident, ns)
    key = f"{pkg}/{name}" if pkg else name
    if pkg is not None:
        pdoc = ctl.store.get(ns, "packages", pkg)
        if pdoc is not None and pdoc.get("binding"):
            raise bad_request(errors.NOT_ALLOWED_ON_BINDING)
    doc = ctl.store.delete(ns, "actions", key)
    if doc is None:
        raise not_found()
    return json_response(200, public(doc))


def _put(ctl: Controller, req: Request, ident: Identity, ns: str, pkg: str | None, name: str) -> Response:
    own(ident, ns)
    body = body_object(req, required=True)
    if pkg is not None:
        pdoc = ctl.store.get(ns, "packages", pkg)
        if pdoc is None:
            raise not_found()
        if pdoc.get("binding"):
            raise bad_request(errors.NOT_ALLOWED_ON_BINDING)
    key = f"{pkg}/{name}" if pkg else name
    old = ctl.store.get(ns, "actions", key)
    if old is not None and not bool_param(req.query, "overwrite"):
        raise conflict()
    exec_ = entities.check_exec(body["exec"]) if body.get("exec") is not None else None
    if exec_ is not None and exec_["kind"] == "sequence":
        exec_["components"] = check_sequence(ctl, ident, f"/{ns}/{key}", exec_["components"])
    namespace = f"{ns}/{pkg}" if pkg else ns
    doc = entities.new_action(namespace, name, body, old, exec_)
    ctl.store.put(ns, "actions", key, doc)
    return json_response(200, public(doc))


def check_sequence(ctl: Controller, ident: Identity, self_fqn: str, components: list[str]) -> list[str]:
    """Fully qualify components; each must exist; no cycle back to the sequence; at most 50 atoms."""
    out: list[str] = []
    for comp in components:
        ns, pkg, name = split_path(comp, ident.namespace)
        out.append(f"/{ns}/{pkg}/{name}" if pkg else f"/{ns}/{name}")
    atoms = 0
    pending = list(out)
    seen = 0
    while pending:
        seen += 1
        if seen > 10 * entities.SEQUENCE_MAX:
            raise bad_request(errors.SEQUENCE_TOO_LONG)
        fqn = pending.pop(0)
        if fqn == self_fqn:
            raise bad_request(errors.SEQUENCE_CYCLIC)
        parts = fqn.strip("/").split("/")
        try:
            resolved = ctl.activator.resolve(
                ident.namespace, parts[0], parts[1] if len(parts) == 3 else None, parts[-1]
            )
        except ApiError:
            raise bad_request(errors.SEQUENCE_COMPONENT_NOT_FOUND) from None
        if resolved.kind == "sequence":
            pending.extend(resolved.doc["exec"]["components"])
        else:
            atoms += 1
        if atoms > entities.SEQUENCE_MAX:
            raise bad_request(errors.SEQUENCE_TOO_LONG)
    return out


def _blocking_wait_ms(query: dict[str, str]) -> int:
    if "timeout" not in query:
        return MAX_BLOCKING_WAIT_MS
    try:
        wait_ms = int(query["timeout"])
    except ValueError:
        wait_ms = -1
    if not 1 <= wait_ms <= MAX_BLOCKING_WAIT_MS:
        raise bad_request(errors.invalid_timeout(MAX_BLOCKING_WAIT_MS))
    return wait_ms


def _invoke(
    ctl: Controller, req: Request, ident: Identity, ns: str, pkg: str | None, name: str, txid: str
) -> Response:
    check_payload_size(req)
    blocking = bool_param(req.query, "blocking")
    want_result = bool_param(req.query, "result")
    wait_ms = _blocking_wait_ms(req.query)
    payload = parse_json_body(req.body)
    if payload is not None and not isinstance(payload, dict):
        raise bad_request(errors.malformed("Object expected"))  # arrays too, as OpenWhisk
    resolved = ctl.activator.resolve(ident.namespace, ns, pkg, name)
    args = ctl.activator.merge_args(resolved, payload)
    activation_id, record = ctl.activator.invoke(
        ident, resolved, args, blocking, wait_ms, transaction_id=txid
    )
    headers = [("x-openwhisk-activation-id", activation_id)]
    if record is None:
        return json_response(202, {"activationId": activation_id}, headers)
    status = http_status_for(record)
    if want_result:
        return json_response(status, record["response"]["result"], headers)
    return json_response(status, record, headers)
