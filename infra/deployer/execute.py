"""Carry out a plan against a live OpenWhisk, changing only what differs.

Before each PUT the entity is read back and compared (exec kind, code, main, image, parameters,
annotations, limits, binding, rule endpoints and status); an unchanged entity is skipped, so a second
deploy of the same manifest creates no new versions. A dry run does the same reads and reports what
would change, or, when the host cannot be reached, just prints the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.deployer.errors import WhiskError
from infra.deployer.model import JsonDict
from infra.deployer.plan import Operation
from infra.owclient import WhiskClient

# annotations the platform adds on its own; ignored when comparing unless the manifest sets them
PLATFORM_ANNOTATIONS = {"exec", "provide-api-key", "binding"}


@dataclass(frozen=True)
class Outcome:
    """What happened to one operation: ``status`` is e.g. created, updated, unchanged, deleted, absent."""

    operation: Operation
    status: str
    detail: str = ""

    def line(self) -> str:
        op = self.operation
        text = f"{self.status:<13} {op.kind:<8} {op.name}"
        return f"{text}  ({self.detail})" if self.detail else text


def as_dict(pairs: Any) -> JsonDict:
    """``[{key, value}]`` → dict (anything else → empty)."""
    if not isinstance(pairs, list):
        return {}
    return {str(p["key"]): p.get("value") for p in pairs if isinstance(p, dict) and "key" in p}


def _entity_path(ref: Any) -> str:
    """A rule's ``{path, name}`` (or a plain string) → ``/path/name``."""
    if isinstance(ref, dict):
        return f"/{str(ref.get('path', '')).strip('/')}/{ref.get('name', '')}"
    return "/" + str(ref).strip("/")


def _same_path(desired: str, current: str) -> bool:
    if desired == current:
        return True
    # "_" is the key's own namespace: compare the rest when the namespace was not resolved
    d, c = desired.strip("/").split("/"), current.strip("/").split("/")
    return d[0] == "_" and d[1:] == c[1:]


def _same_kind(desired: str, current: str) -> bool:
    """``python:default`` matches whatever version the platform resolved it to."""
    if desired.endswith(":default"):
        return current.split(":")[0] == desired.split(":")[0]
    return desired == current


def _annotations_changed(desired: JsonDict, current: JsonDict) -> bool:
    current = {k: v for k, v in current.items() if k not in PLATFORM_ANNOTATIONS or k in desired}
    return desired != current


def _same_main(want: Any, have: Any) -> bool:
    """An absent main and ``main`` are the same entry point."""
    return (want or None) == (have or None) or (want in (None, "main") and have in (None, "main"))


def _exec_changes(op: Operation, current: JsonDict) -> list[str]:
    """An action's or sequence's exec (kind, then components, or code, image and main) and limits."""
    want, have = op.body["exec"], current.get("exec") or {}
    changed = [] if _same_kind(str(want.get("kind")), str(have.get("kind"))) else ["kind"]
    if op.kind == "sequence":
        components = [str(c) for c in have.get("components") or []]
        wanted = want.get("components") or []
        if len(components) != len(wanted) or not all(map(_same_path, wanted, components)):
            changed.append("components")
    else:
        if "code" in want and have.get("code") != want["code"]:
            changed.append("code")
        if want.get("image") != have.get("image"):
            changed.append("image")
        if not _same_main(want.get("main"), have.get("main")):
            changed.append("main")
    have_limits = current.get("limits") or {}
    if any(have_limits.get(k) != v for k, v in (op.body.get("limits") or {}).items()):
        changed.append("limits")
    return changed


def _binding_changes(op: Operation, current: JsonDict) -> list[str]:
    """A package binding: what it binds, and the parameters the manifest sets."""
    binding, have_binding = op.body["binding"], current.get("binding") or {}
    changed = []
    if (binding["namespace"], binding["name"]) != (have_binding.get("namespace"), have_binding.get("name")):
        changed.append("binding")
    # GET merges the bound package's parameters in, so compare only what the manifest sets
    have_params = as_dict(current.get("parameters"))
    if any(have_params.get(k) != v for k, v in as_dict(op.body["parameters"]).items()):
        changed.append("parameters")
    return changed


def _rule_changes(op: Operation, current: JsonDict) -> list[str]:
    """A rule: its trigger, its action, and whether it is active."""
    changed = []
    for end in ("trigger", "action"):
        if not _same_path(op.body[end], _entity_path(current.get(end))):
            changed.append(end)
    if current.get("status") != "active":
        changed.append("status")
    return changed


def _parameter_changes(op: Operation, current: JsonDict) -> list[str]:
    """The parameters of an action, sequence, package or (feedless) trigger."""
    want_params, have_params = as_dict(op.body.get("parameters")), as_dict(current.get("parameters"))
    if op.kind == "sequence":
        # OpenWhisk adds the components as the sequence's `_actions` parameter; it is not the manifest's
        have_params.pop("_actions", None)
    # OpenWhisk's GET of an action in a package shows the package's parameters merged in
    if have_params != want_params and have_params != {**op.inherited, **want_params}:
        return ["parameters"]
    return []


def _package_changes(op: Operation, current: JsonDict) -> list[str]:
    """A package must not have become a binding, and keeps its publish flag."""
    changed = ["binding"] if current.get("binding") else []
    if bool(op.body.get("publish")) != bool(current.get("publish")):
        changed.append("publish")
    return changed


def differences(op: Operation, current: JsonDict) -> list[str]:
    """The names of the fields where the live entity differs from the planned body."""
    changed: list[str] = []
    if op.kind in ("action", "sequence"):
        changed += _exec_changes(op, current)
    if op.kind == "binding":
        changed += _binding_changes(op, current)
    elif op.kind == "rule":
        changed += _rule_changes(op, current)
    elif op.feed is None:
        changed += _parameter_changes(op, current)
    if op.kind == "package":
        changed += _package_changes(op, current)
    if _annotations_changed(as_dict(op.body.get("annotations")), as_dict(current.get("annotations"))):
        changed.append("annotations")
    return changed


class Executor:
    """Runs operations in order through a WhiskClient; ``say`` receives one line per operation."""

    def __init__(self, client: WhiskClient, namespace: str, say: Callable[[str], None] = print) -> None:
        self.client = client
        self.namespace = namespace
        self.say = say

    def run(self, operations: list[Operation], *, dry_run: bool = False) -> list[Outcome]:
        """Apply (or, with ``dry_run``, only compare) each operation; the first failure raises WhiskError."""
        outcomes = []
        for op in operations:
            outcome = self.step(op, dry_run)
            self.say(outcome.line())
            outcomes.append(outcome)
        return outcomes

    def step(self, op: Operation, dry_run: bool) -> Outcome:
        if op.verb == "skip":
            return Outcome(op, "skipped", op.summary)
        if op.kind == "api":
            return self.api_step(op, dry_run)
        if op.verb == "feed-delete":
            return self.feed_delete(op, dry_run)
        if op.verb == "remove":
            return self.remove(op, dry_run)
        current = self.client.get(op.collection, op.name)
        if current is not None:
            changed = differences(op, current)
            if not changed:
                return Outcome(op, "unchanged")
        else:
            changed = []
        if dry_run:
            return Outcome(op, "would update" if current else "would create", ", ".join(changed))
        if op.feed is not None:
            self.replace_feed_trigger(op, current)
        else:
            self.client.put(op.collection, op.name, op.body, overwrite=True)
            if op.kind == "rule":
                self.client.set_rule_state(op.name, "active")
        return Outcome(op, "updated" if current else "created", ", ".join(changed))

    def lifecycle(self, feed: str, trigger: str, event: str, params: JsonDict | None = None) -> None:
        args = dict(params or {})
        args.update(
            {
                "lifecycleEvent": event,
                "triggerName": f"/{self.namespace}/{trigger}",
                "authKey": self.client.auth,
            }
        )
        self.client.invoke(feed, args, blocking=True)

    def replace_feed_trigger(self, op: Operation, current: JsonDict | None) -> None:
        """Feeds do not honour overwrite: delete an existing feed and trigger, then create both anew."""
        assert op.feed is not None
        if current is not None:
            old_feed = as_dict(current.get("annotations")).get("feed")
            if isinstance(old_feed, str) and old_feed:
                try:
                    self.lifecycle(old_feed, op.name, "DELETE")
                except WhiskError as exc:
                    self.say(f"warning: feed {old_feed} DELETE for trigger {op.name} failed: {exc}")
            self.client.delete("triggers", op.name)
        self.client.put("triggers", op.name, op.body, overwrite=True)
        try:
            self.lifecycle(op.feed, op.name, "CREATE", op.feed_params)
        except WhiskError as exc:
            self.client.delete("triggers", op.name)
            raise WhiskError(
                exc.status, f"feed {op.feed} refused trigger {op.name}: {exc.message}", exc.method, exc.url
            ) from exc

    def feed_delete(self, op: Operation, dry_run: bool) -> Outcome:
        current = self.client.get("triggers", op.name)
        if current is None:
            return Outcome(op, "absent")
        feed = as_dict(current.get("annotations")).get("feed") or op.feed
        if dry_run:
            return Outcome(op, "would delete", f"feed {feed}")
        try:
            self.lifecycle(str(feed), op.name, "DELETE")
        except WhiskError as exc:
            return Outcome(op, "feed-failed", f"{feed}: {exc} (the trigger is removed anyway)")
        return Outcome(op, "feed-deleted", str(feed))

    def remove(self, op: Operation, dry_run: bool) -> Outcome:
        if dry_run:
            exists = self.client.get(op.collection, op.name) is not None
            return Outcome(op, "would delete" if exists else "absent")
        try:
            deleted = self.client.delete(op.collection, op.name)
        except WhiskError as exc:
            if exc.status == 409 and op.kind == "rule":
                # older controllers refuse to delete an active rule
                self.client.set_rule_state(op.name, "inactive")
                deleted = self.client.delete(op.collection, op.name)
            elif exc.status == 409 and op.kind in ("package", "binding"):
                return Outcome(op, "kept", f"{exc.message}; it holds entities the manifest does not declare")
            else:
                raise
        return Outcome(op, "deleted" if deleted else "absent")

    # -- API gateway routes ---------------------------------------------------------------------------
    def apidoc(self, op: Operation) -> JsonDict:
        """The ``apidoc`` ``wsk api create`` sends: the route and the web action behind it."""
        body = op.body
        action = str(body["action"]).strip("/")
        package, _, name = action.rpartition("/")
        web_path = f"{package or 'default'}/{name}"
        return {
            "namespace": self.namespace,
            "gatewayBasePath": body["gatewayBasePath"],
            "gatewayPath": body["gatewayPath"],
            "gatewayMethod": body["gatewayMethod"],
            "id": f"API:{self.namespace}:{body['gatewayBasePath']}",
            "apiName": body["apiName"],
            "pathParameters": [
                {
                    "name": p,
                    "in": "path",
                    "description": "Default description for '" + p + "'",
                    "required": True,
                    "type": "string",
                }
                for p in body.get("pathParameters") or []
            ],
            "action": {
                "name": action,
                "namespace": self.namespace,
                "backendMethod": body["gatewayMethod"],
                "backendUrl": f"{self.client.apihost}/api/v1/web/{self.namespace}/{web_path}.http",
                "authkey": self.client.auth,
            },
        }

    def _route_exists(self, op: Operation) -> bool | None:
        """Whether the gateway already routes this path and verb to this action; None without a gateway."""
        body = op.body
        apis = self.client.get_apis(str(body["gatewayBasePath"]))
        if apis is None:
            return None
        action = str(body["action"]).strip("/").rpartition("/")[2]
        for item in apis:
            value = item.get("value") if isinstance(item.get("value"), dict) else {}
            swagger = (value or {}).get("apidoc") or {}
            paths = swagger.get("paths") if isinstance(swagger, dict) else None
            operations = (paths or {}).get(body["gatewayPath"]) if isinstance(paths, dict) else None
            found = (
                (operations or {}).get(str(body["gatewayMethod"]).lower())
                if isinstance(operations, dict)
                else None
            )
            if isinstance(found, dict):
                ext = found.get("x-openwhisk") or {}
                return not isinstance(ext, dict) or ext.get("action") in (None, action)
        return False

    def api_step(self, op: Operation, dry_run: bool) -> Outcome:
        no_gateway = "no API gateway on this host (GET .../apimgmt/getApi.http answers 404); not deployed"
        if op.verb == "api-delete":
            if dry_run:
                exists = self._route_exists(op)
                if exists is None:
                    return Outcome(op, "skipped", no_gateway)
                return Outcome(op, "would delete" if exists else "absent")
            body = op.body
            exists = self._route_exists(op)
            if exists is None:
                return Outcome(op, "skipped", no_gateway)
            if not exists:
                # OpenWhisk's deleteApi fails on a route that is gone; uninstalling twice is not a failure
                return Outcome(op, "absent")
            deleted = self.client.delete_api(
                str(body["gatewayBasePath"]), str(body["gatewayPath"]), str(body["gatewayMethod"])
            )
            return Outcome(op, "deleted" if deleted else "absent")
        exists = self._route_exists(op)
        if exists is None:
            self.say(f"warning: api {op.name}: {no_gateway}")
            return Outcome(op, "skipped", no_gateway)
        if exists:
            return Outcome(op, "unchanged")
        if dry_run:
            return Outcome(op, "would create")
        self.client.create_api(self.apidoc(op), str(op.body.get("responseType") or "json"))
        return Outcome(op, "created")
