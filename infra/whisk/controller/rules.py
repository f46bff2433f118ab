"""`/api/v1/namespaces/{ns}/rules/{name}`: rules and their status (as OpenWhisk's Rules.scala).

A rule's status lives on its trigger's document (`rules: {"ns/rule": {"action", "status"}}`), which is
what firing the trigger reads; the rule document itself holds only its trigger and action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.whisk import entities, errors
from infra.whisk.controller.common import body_object, bool_param, entity_list, method_not_allowed, own
from infra.whisk.entities import check_name, public, split_path
from infra.whisk.errors import ApiError, bad_request, conflict, not_found
from infra.whisk.http import Request, Response, json_response
from infra.whisk.invocation import Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller


def handle(ctl: Controller, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
    own(ident, ns)
    if not rest or rest == [""]:
        if req.method != "GET":
            raise method_not_allowed("GET")
        return entity_list(req, ctl.store.list_entities(ns, "rules"), "rules", lambda d: _view(ctl, d))
    if len(rest) > 1:
        raise not_found()
    name = check_name(rest[0])
    if req.method == "PUT":
        return _put(ctl, req, ident, ns, name)
    doc = ctl.store.get(ns, "rules", name)
    if doc is None:
        raise not_found()
    if req.method == "GET":
        return json_response(200, _view(ctl, doc))
    if req.method == "DELETE":
        _set_on_trigger(ctl, ns, name, doc["trigger"], None, None)
        ctl.store.delete(ns, "rules", name)
        view = public(doc)
        view["status"] = "inactive"
        return json_response(200, view)
    if req.method == "POST":
        return _set_status(ctl, req, ns, name, doc)
    raise method_not_allowed("GET", "PUT", "POST", "DELETE")


def _view(ctl: Controller, doc: dict[str, Any]) -> dict[str, Any]:
    view = public(doc)
    trig = doc["trigger"]
    tdoc = ctl.store.get(trig["path"], "triggers", trig["name"])
    entry = ((tdoc or {}).get("rules") or {}).get(f"{doc['namespace']}/{doc['name']}")
    view["status"] = entry["status"] if entry else "inactive"
    return view


def _set_on_trigger(
    ctl: Controller,
    ns: str,
    rule: str,
    trigger: dict[str, Any],
    action: dict[str, Any] | None,
    status: str | None,
) -> None:
    tdoc = ctl.store.get(trigger["path"], "triggers", trigger["name"])
    if tdoc is None:
        return
    tdoc = dict(tdoc)
    rules = dict(tdoc.get("rules") or {})
    key = f"{ns}/{rule}"
    if action is None or status is None:
        rules.pop(key, None)
    else:
        rules[key] = {"action": action, "status": status}
    tdoc["rules"] = rules
    ctl.store.put(trigger["path"], "triggers", trigger["name"], tdoc)


def _set_status(ctl: Controller, req: Request, ns: str, name: str, doc: dict[str, Any]) -> Response:
    body = body_object(req, required=True)
    status = body.get("status")
    if status not in ("active", "inactive"):
        raise bad_request("Rule status must be either 'active' or 'inactive'.")
    trig = doc["trigger"]
    if ctl.store.get(trig["path"], "triggers", trig["name"]) is None:
        raise not_found(errors.RULE_NEEDS_TRIGGER)
    _set_on_trigger(ctl, ns, name, trig, doc["action"], status)
    return json_response(200, _view(ctl, doc))


def _trigger_ref(ctl: Controller, ident: Identity, ref: Any) -> dict[str, str]:
    tns, tpkg, tname = split_path(ref, ident.namespace)
    if tpkg is not None or tns != ident.namespace or ctl.store.get(tns, "triggers", tname) is None:
        raise bad_request(f"The trigger '{ref}' of the rule does not exist.")
    return {"path": tns, "name": tname}


def _action_ref(ctl: Controller, ident: Identity, ref: Any) -> dict[str, str]:
    ans, apkg, aname = split_path(ref, ident.namespace)
    try:
        ctl.activator.resolve(ident.namespace, ans, apkg, aname)
    except ApiError:
        raise bad_request(f"The action '{ref}' of the rule does not exist.") from None
    return {"path": f"{ans}/{apkg}" if apkg else ans, "name": aname}


def _put(ctl: Controller, req: Request, ident: Identity, ns: str, name: str) -> Response:
    body = body_object(req, required=True)
    old = ctl.store.get(ns, "rules", name)
    if old is not None and not bool_param(req.query, "overwrite"):
        raise conflict()
    trigger_ref, action_ref = body.get("trigger"), body.get("action")
    if old is None and (not trigger_ref or not action_ref):
        raise bad_request("A rule needs both a 'trigger' and an 'action'.")
    trigger = _trigger_ref(ctl, ident, trigger_ref) if trigger_ref else (old or {})["trigger"]
    action = _action_ref(ctl, ident, action_ref) if action_ref else (old or {})["action"]
    annotations = entities.check_keyvalues(body.get("annotations"), "annotations")
    status = "active"
    if old is not None:
        status = _view(ctl, old)["status"]
        _set_on_trigger(ctl, ns, name, old["trigger"], None, None)
    doc = {
        "namespace": ns,
        "name": name,
        "version": "0.0.1" if old is None else entities.bump_version(old.get("version", "0.0.1")),
        "publish": bool(body["publish"] if body.get("publish") is not None else (old or {}).get("publish")),
        "annotations": entities.replaced_annotations(body, annotations, old),
        "trigger": trigger,
        "action": action,
        "updated": entities.now_ms(),
    }
    ctl.store.put(ns, "rules", name, doc)
    _set_on_trigger(ctl, ns, name, trigger, action, status)
    return json_response(200, _view(ctl, doc))
