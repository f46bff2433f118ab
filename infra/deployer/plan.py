"""Turn a Model into the ordered REST operations that deploy or uninstall it.

Deploy order is wskdeploy's: packages, dependencies (bindings), actions, sequences, triggers (feed
triggers: PUT the trigger with its ``feed`` annotation, then invoke the feed with CREATE), rules,
then apis (``createApi`` on the API gateway, as ``wsk api create`` and wskdeploy call it). Uninstall
is the reverse, with every feed's DELETE lifecycle first so no feed fires into entities being removed,
then the APIs. Planning does no I/O, so a dry run
is the plan printed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from infra.deployer.model import Action, Api, JsonDict, Model, Sequence, Trigger, key_values

FEED_CONFIG_ANNOTATION = "deployer-feed-config"
Verb = Literal["deploy", "remove", "feed-delete", "api-delete", "skip"]
Kind = Literal["package", "binding", "action", "sequence", "trigger", "rule", "api"]


@dataclass(frozen=True)
class Operation:
    """One step (``verb``: see Verb, ``kind``: see Kind); ``name`` is relative to the
    namespace. feed-delete and api-delete are calls to a feed action or the API gateway, not REST DELETEs."""

    verb: Verb
    kind: Kind
    name: str
    body: JsonDict = field(default_factory=dict)
    feed: str | None = None  # fully qualified feed action, for feed triggers
    feed_params: JsonDict = field(default_factory=dict)
    summary: str = ""  # what the entity is, without parameter values (they may be secrets)
    inherited: JsonDict = field(default_factory=dict)  # package parameters a GET may merge into an action's

    @property
    def collection(self) -> str:
        return {
            "package": "packages",
            "binding": "packages",
            "action": "actions",
            "sequence": "actions",
            "trigger": "triggers",
            "rule": "rules",
            "api": "apis",
        }[self.kind]

    def describe(self) -> str:
        text = f"{self.verb:<11} {self.kind:<8} {self.name}"
        return f"{text}  [{self.summary}]" if self.summary else text


def qualify(name: str, namespace: str) -> str:
    """``pkg/act`` → ``/ns/pkg/act``; an already absolute name is kept."""
    return name if name.startswith("/") else f"/{namespace}/{name}"


def feed_config_hash(feed: str, params: JsonDict) -> str:
    """A short digest of a feed trigger's feed and inputs, stored as an annotation to detect changes."""
    text = json.dumps({"feed": feed, "inputs": params}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _names(values: JsonDict) -> str:
    return ",".join(sorted(values)) if values else "-"


def _action_summary(action: Action) -> str:
    ex = action.exec
    parts = [ex.kind]
    if ex.image:
        parts.append(f"image={ex.image}")
    if ex.code is not None:
        size = len(ex.code) * 3 // 4 if ex.binary else len(ex.code.encode())
        parts.append(f"{'zip' if ex.binary else 'code'} {size} B sha256={ex.code_sha256[:12]}")
    if ex.main:
        parts.append(f"main={ex.main}")
    if action.annotations.get("web-export"):
        parts.append("web=raw" if action.annotations.get("raw-http") else "web=true")
    if action.limits:
        parts.append("limits=" + ",".join(f"{k}:{v}" for k, v in sorted(action.limits.items())))
    parts.append(f"inputs={_names(action.parameters)}")
    return " ".join(parts)


def _action_body(action: Action) -> JsonDict:
    body: JsonDict = {
        "exec": action.exec.to_json(),
        "parameters": key_values(action.parameters),
        "annotations": key_values(action.annotations),
        "publish": False,
    }
    if action.limits:
        body["limits"] = dict(action.limits)
    return body


def _sequence_body(sequence: Sequence, namespace: str) -> JsonDict:
    return {
        "exec": {"kind": "sequence", "components": [qualify(c, namespace) for c in sequence.components]},
        "parameters": [],
        "annotations": key_values(sequence.annotations),
        "publish": False,
    }


def _trigger_operation(trigger: Trigger, namespace: str) -> Operation:
    if trigger.feed is None:
        body = {
            "parameters": key_values(trigger.parameters),
            "annotations": key_values(trigger.annotations),
            "publish": False,
        }
        return Operation(
            "deploy", "trigger", trigger.name, body, summary=f"inputs={_names(trigger.parameters)}"
        )
    feed = qualify(trigger.feed, namespace)
    annotations = dict(trigger.annotations)
    annotations["feed"] = feed
    annotations[FEED_CONFIG_ANNOTATION] = feed_config_hash(feed, trigger.parameters)
    # as `wsk trigger create --feed`: the inputs go to the feed action, not onto the trigger
    body = {"parameters": [], "annotations": key_values(annotations), "publish": False}
    return Operation(
        "deploy",
        "trigger",
        trigger.name,
        body,
        feed=feed,
        feed_params=dict(trigger.parameters),
        summary=f"feed={feed} CREATE inputs={_names(trigger.parameters)}",
    )


def plan_deploy(model: Model, namespace: str) -> list[Operation]:
    """The operations that make the namespace hold what the manifest declares, in wskdeploy's order."""
    ops: list[Operation] = []
    for pkg in model.packages:
        body = {
            "parameters": key_values(pkg.parameters),
            "annotations": key_values(pkg.annotations),
            "publish": pkg.publish,
        }
        ops.append(Operation("deploy", "package", pkg.name, body, summary=f"inputs={_names(pkg.parameters)}"))
    for binding in model.bindings:
        body = {
            "binding": {"namespace": binding.target_namespace, "name": binding.target_package},
            "parameters": key_values(binding.parameters),
            "annotations": key_values(binding.annotations),
            "publish": False,
        }
        ops.append(
            Operation(
                "deploy",
                "binding",
                binding.name,
                body,
                summary=f"binds {binding.target} inputs={_names(binding.parameters)}",
            )
        )
    package_params = {p.name: p.parameters for p in model.packages}
    for action in model.actions:
        inherited = dict(package_params.get(action.package or "", {}))
        body = _action_body(action)
        summary = _action_summary(action)
        ops.append(
            Operation("deploy", "action", action.qualified, body, summary=summary, inherited=inherited)
        )
    for sequence in model.sequences:
        body = _sequence_body(sequence, namespace)
        components = [qualify(c, namespace) for c in sequence.components]
        web = (
            " web=raw"
            if sequence.annotations.get("raw-http")
            else (" web=true" if sequence.annotations.get("web-export") else "")
        )
        ops.append(
            Operation("deploy", "sequence", sequence.qualified, body, summary=" -> ".join(components) + web)
        )
    for trigger in model.triggers:
        ops.append(_trigger_operation(trigger, namespace))
    for rule in model.rules:
        body = {
            "trigger": qualify(rule.trigger, namespace),
            "action": qualify(rule.action, namespace),
            "annotations": key_values(rule.annotations),
        }
        ops.append(Operation("deploy", "rule", rule.name, body, summary=f"{rule.trigger} -> {rule.action}"))
    for api in model.apis:
        ops.append(_api_operation("deploy", api))
    return ops


def _api_operation(verb: Verb, api: Api) -> Operation:
    """An API route; the executor turns ``body`` into the gateway's apidoc (it adds host and key)."""
    body: JsonDict = {
        "apiName": api.name,
        "gatewayBasePath": api.base_path,
        "gatewayPath": api.relative_path,
        "gatewayMethod": api.method,
        "action": api.action,
        "responseType": api.response,
        "pathParameters": list(api.path_params),
    }
    return Operation(
        verb,
        "api",
        f"{api.name} {api.method} {api.route}",
        body,
        summary=f"-> {api.action} response={api.response}",
    )


def plan_uninstall(model: Model, namespace: str) -> list[Operation]:
    """The operations that remove exactly what the manifest declares: feeds first, then in reverse order."""
    ops: list[Operation] = []
    for trigger in model.triggers:
        if trigger.feed is not None:
            feed = qualify(trigger.feed, namespace)
            ops.append(
                Operation("feed-delete", "trigger", trigger.name, feed=feed, summary=f"feed={feed} DELETE")
            )
    for api in model.apis:
        ops.append(_api_operation("api-delete", api))
    ops += [Operation("remove", "rule", r.name) for r in reversed(model.rules)]
    ops += [Operation("remove", "trigger", t.name) for t in reversed(model.triggers)]
    ops += [Operation("remove", "sequence", s.qualified) for s in reversed(model.sequences)]
    ops += [Operation("remove", "action", a.qualified) for a in reversed(model.actions)]
    ops += [Operation("remove", "binding", b.name) for b in reversed(model.bindings)]
    ops += [Operation("remove", "package", p.name) for p in reversed(model.packages)]
    return ops
