"""`/api/v1/namespaces/{ns}/packages/{name}`: packages and bindings (as OpenWhisk's Packages.scala)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.whisk import entities, errors
from infra.whisk.controller.common import body_object, bool_param, entity_list, method_not_allowed, own
from infra.whisk.entities import check_name, kv_get, public
from infra.whisk.errors import bad_request, conflict, forbidden, not_found
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller


def handle(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    if not rest or rest == [""]:
        if req.method != "GET":
            raise method_not_allowed("GET")
        docs = ctl.store.list_entities(ns, "packages")
        if ns != ident.namespace:
            docs = [d for d in docs if d.get("publish")]
        return entity_list(req, docs, "packages", entities.package_summary)
    if len(rest) > 1 and not (len(rest) == 2 and rest[1] == ""):
        raise not_found()
    name = check_name(rest[0])
    if req.method == "PUT":
        return _put(ctl, req, ident, ns, name)
    if req.method == "GET":
        return json_response(200, _view(ctl, ident, ns, name))
    if req.method == "DELETE":
        return _delete(ctl, req, ident, ns, name)
    raise method_not_allowed("GET", "PUT", "DELETE")


def _delete(ctl: Controller, req: Request, ident: Identity, ns: str, name: str) -> Response:
    own(ident, ns)
    doc = ctl.store.get(ns, "packages", name)
    if doc is None:
        raise not_found()
    contents = [] if doc.get("binding") else ctl.store.list_entities(ns, "actions", prefix=f"{name}/")
    if contents:
        if not bool_param(req.query, "force"):
            raise conflict(
                f"Package not empty (contains {len(contents)} entities). "
                "Set force param or delete package contents."
            )
        for action in contents:
            ctl.store.delete(ns, "actions", f"{name}/{action['name']}")
    ctl.store.delete(ns, "packages", name)
    return json_response(200, public(doc))


def _view(ctl: Controller, ident: Identity, ns: str, name: str) -> dict[str, Any]:
    """The package with its (or its binding's merged) parameters, its actions and its feeds."""
    doc = public(ctl.activator.package(ident.namespace, ns, name))
    bound = doc.get("binding") or {}
    owner_ns, owner_pkg = (bound["namespace"], bound["name"]) if bound else (ns, name)
    if bound:
        target = ctl.store.get(owner_ns, "packages", owner_pkg)
        if target is not None:
            doc["parameters"] = entities.kv_merge(target.get("parameters", []), doc.get("parameters", []))
    acts: list[dict[str, Any]] = []
    feeds: list[dict[str, Any]] = []
    for action in ctl.store.list_entities(owner_ns, "actions", prefix=f"{owner_pkg}/"):
        item = {"name": action["name"], "version": action["version"], "annotations": action["annotations"]}
        (feeds if kv_get(action["annotations"], "feed") is not None else acts).append(item)
    doc["actions"], doc["feeds"] = acts, feeds
    return doc


def _binding(ctl: Controller, ident: Identity, binding: Any, old: dict[str, Any] | None) -> dict[str, str]:
    """The `{"namespace", "name"}` a new binding points at, checked: it exists, is visible, is no binding."""
    if not isinstance(binding, dict) or not isinstance(binding.get("name"), str):
        raise bad_request(errors.malformed('\'binding\' must be {"namespace": ..., "name": ...}'))
    target_ns = binding.get("namespace") or ident.namespace
    target_ns = ident.namespace if target_ns == "_" else target_ns
    target_name = check_name(binding["name"])
    check_name(target_ns)
    if old is not None and not old.get("binding"):
        raise conflict(errors.PACKAGE_CANNOT_BECOME_BINDING)
    target = ctl.store.get(target_ns, "packages", target_name)
    if target is None:
        raise bad_request(errors.BINDING_DOES_NOT_EXIST)
    if target_ns != ident.namespace and not target.get("publish"):
        raise forbidden()
    if target.get("binding"):
        raise bad_request(errors.BINDING_CANNOT_REFERENCE_BINDING)
    return {"namespace": target_ns, "name": target_name}


def _put(ctl: Controller, req: Request, ident: Identity, ns: str, name: str) -> Response:
    own(ident, ns)
    if name == "default":
        raise bad_request(errors.package_name_reserved(name))
    body = body_object(req, required=True)
    old = ctl.store.get(ns, "packages", name)
    if old is not None and not bool_param(req.query, "overwrite"):
        raise conflict()
    doc = entities.new_package(ns, name, body, old)
    binding = body.get("binding")
    if binding:
        doc["binding"] = _binding(ctl, ident, binding, old)
    # the binding annotation is always the controller's: dropped from the PUT, set from the binding
    doc["annotations"] = [kv for kv in doc["annotations"] if kv["key"] != "binding"]
    if doc.get("binding"):
        doc["annotations"] = entities.kv_set(doc["annotations"], "binding", dict(doc["binding"]))
    ctl.store.put(ns, "packages", name, doc)
    return json_response(200, public(doc))
