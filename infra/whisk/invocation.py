"""Running actions: resolution (packages, bindings, parameter merge), primitive and sequence activations,
blocking waits, trigger firing, and the activation records they leave behind.

The container pool is passed in (anything with `run(RunRequest) -> RunResult`); nothing here knows how
containers work.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.whisk import errors
from infra.whisk.activation import (
    APPLICATION_ERROR,
    DEVELOPER_ERROR,
    STATUS_NAMES,
    SUCCESS,
    WHISK_ERROR,
    ActionCode,
    Limits,
    RunRequest,
    RunResult,
)
from infra.whisk.entities import kv_get, now_ms, truthy
from infra.whisk.errors import ApiError, bad_request, forbidden, not_found
from infra.whisk.records import activation_record
from infra.whisk.store import Store

log = logging.getLogger("infra.whisk")

MAX_BLOCKING_WAIT_MS = 60_000


class Pool(Protocol):
    def run(self, request: RunRequest) -> RunResult: ...


@dataclass(frozen=True)
class Identity:
    """Who is calling: a namespace and its API key ("uuid:key")."""

    namespace: str
    key: str


@dataclass
class Resolved:
    """An action found through its namespace, package or binding, with its merged parameters."""

    doc: dict[str, Any]
    namespace: str  # the action's own namespace
    package: str | None  # the action's own package (after following a binding)
    params: dict[str, Any]  # package < binding < action, without init parameters
    init_env: dict[str, str]
    binding: str | None = None  # "ns/binding" when reached through a binding
    final: set[str] = field(default_factory=set)  # parameter names the invoker may not override

    @property
    def path(self) -> str:
        """ "ns/pkg/name" or "ns/name" (the `path` annotation)."""
        pkg = f"{self.package}/" if self.package else ""
        return f"{self.namespace}/{pkg}{self.doc['name']}"

    @property
    def store_path(self) -> str:
        """The name activations are listed by: "pkg/name" or "name"."""
        return f"{self.package}/{self.doc['name']}" if self.package else self.doc["name"]

    @property
    def kind(self) -> str:
        return str(self.doc["exec"]["kind"])


def default_background_workers() -> int:
    """Non-blocking activations run at once: one per CPU the platform may use, at least 2. More only adds
    containers competing for the same cores: with 200 deposits on 2 cores, 16 workers made 6x more cold
    starts and half the throughput of 2 (bench/bench_load.py)."""
    return max(2, len(os.sched_getaffinity(0)))


def new_activation_id() -> str:
    return uuid.uuid4().hex


def _stringify(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def response_json(status_code: int, result: Any) -> dict[str, Any]:
    size = len(json.dumps(result, separators=(",", ":")).encode()) if result is not None else 0
    return {
        "status": STATUS_NAMES.get(status_code, STATUS_NAMES[WHISK_ERROR]),
        "statusCode": status_code,
        "success": status_code == SUCCESS,
        "result": result,
        "size": size,
    }


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The list view of an activation record."""
    out: dict[str, Any] = {
        k: record[k]
        for k in (
            "namespace",
            "name",
            "version",
            "subject",
            "publish",
            "annotations",
            "activationId",
            "start",
        )
        if k in record
    }
    for key in ("end", "duration"):  # a trigger's activation has neither, as on OpenWhisk
        if key in record:
            out[key] = record[key]
    if "cause" in record:
        out["cause"] = record["cause"]
    out["statusCode"] = record.get("response", {}).get("statusCode", 0)
    return out


@dataclass(frozen=True)
class RunContext:
    """Who runs an activation, and what caused it: shared by a primitive run and a sequence's components."""

    identity: Identity
    activation_id: str
    received_ms: int
    cause: str | None = None  # the trigger or sequence activation that started this one
    caused_by: str | None = None  # "sequence" for a component
    transaction_id: str = ""
    interactive: bool = False  # a caller waits on the result (blocking invoke, web action)
    topmost: bool = True

    def component(self, activation_id: str) -> RunContext:
        """The context of a sequence component run on behalf of this (sequence) activation."""
        return RunContext(
            self.identity,
            activation_id,
            now_ms(),
            self.activation_id,
            "sequence",
            self.transaction_id,
            self.interactive,
            topmost=False,
        )


class Activator:
    """Resolves, runs and records activations. Thread-safe."""

    def __init__(
        self,
        store: Store,
        pool: Pool,
        keys: dict[str, str],
        blocking_workers: int = 64,
        nonblocking_workers: int | None = None,
    ) -> None:
        self.store = store
        self.pool = pool
        self.keys = keys  # namespace -> "uuid:key"
        self._blocking = ThreadPoolExecutor(blocking_workers, thread_name_prefix="whisk-blocking")
        workers = default_background_workers() if nonblocking_workers is None else nonblocking_workers
        self._background = ThreadPoolExecutor(workers, thread_name_prefix="whisk-async")
        self.background_workers = workers
        self._counts_lock = threading.Lock()
        self._background_queued = 0  # accepted non-blocking activations no worker has picked up yet
        self._background_running = 0
        self._closed = threading.Event()

    def shutdown(self) -> None:
        self._closed.set()
        self._blocking.shutdown(wait=False, cancel_futures=True)
        self._background.shutdown(wait=False, cancel_futures=True)

    # ---- resolution -----------------------------------------------------------------------------------
    def package(self, caller: str, ns: str, pkg: str) -> dict[str, Any]:
        """A package the caller may read (own, or published by another namespace); 404/403 otherwise."""
        doc = self.store.get(ns, "packages", pkg)
        if ns != caller and (doc is None or not doc.get("publish")):
            raise forbidden()
        if doc is None:
            raise not_found()
        return doc

    def resolve(self, caller: str, ns: str, pkg: str | None, name: str) -> Resolved:
        """Find an action, following a package binding; merge package < binding < action parameters."""
        if ns != caller and pkg is None:
            raise forbidden()
        binding_path: str | None = None
        pkg_params: list[dict[str, Any]] = []
        binding_params: list[dict[str, Any]] = []
        owner_ns, owner_pkg = ns, pkg
        if pkg is not None:
            pdoc = self.package(caller, ns, pkg)
            bound = pdoc.get("binding") or {}
            if bound:
                binding_path = f"{ns}/{pkg}"
                binding_params = pdoc.get("parameters", [])
                owner_ns, owner_pkg = bound["namespace"], bound["name"]
                target = self.store.get(owner_ns, "packages", owner_pkg)
                if target is None:
                    raise not_found()
                pkg_params = target.get("parameters", [])
            else:
                pkg_params = pdoc.get("parameters", [])
        path = f"{owner_pkg}/{name}" if owner_pkg else name
        doc = self.store.get(owner_ns, "actions", path)
        if doc is None:
            raise not_found()
        params: dict[str, Any] = {}
        init_env: dict[str, str] = {}
        for kv in (*pkg_params, *binding_params):
            params[kv["key"]] = kv.get("value")
        own = [] if doc["exec"]["kind"] == "sequence" else doc.get("parameters", [])  # not its `_actions`
        for kv in own:
            if kv.get("init"):
                init_env[kv["key"]] = _stringify(kv.get("value"))
                params.pop(kv["key"], None)
            else:
                params[kv["key"]] = kv.get("value")
        final: set[str] = set()
        if truthy(kv_get(doc.get("annotations", []), "final", False)):
            final = {k for k, v in params.items() if v is not None} | set(init_env)
        return Resolved(doc, owner_ns, owner_pkg, params, init_env, binding_path, final)

    def merge_args(self, resolved: Resolved, payload: Any) -> Any:
        """Parameters < payload; a payload overriding a final parameter is refused with 400."""
        if payload is None:
            return dict(resolved.params)
        if isinstance(payload, list):
            return payload
        if not isinstance(payload, dict):
            raise bad_request(errors.malformed("the invoke payload must be a JSON object"))
        if resolved.final and resolved.final & payload.keys():
            raise bad_request(errors.PARAMETERS_NOT_ALLOWED)
        args = dict(resolved.params)
        args.update(payload)
        return args

    # ---- invocation -----------------------------------------------------------------------------------
    def invoke(
        self,
        identity: Identity,
        resolved: Resolved,
        args: Any,
        blocking: bool,
        wait_ms: int = MAX_BLOCKING_WAIT_MS,
        cause: str | None = None,
        transaction_id: str = "",
    ) -> tuple[str, dict[str, Any] | None]:
        """Start an activation. Returns (activation id, record) — record None when not (yet) finished."""
        activation_id = new_activation_id()
        received = now_ms()

        context = RunContext(identity, activation_id, received, cause, None, transaction_id, blocking)

        def job() -> dict[str, Any]:
            return self.run(resolved, args, context)

        if not blocking:
            with self._counts_lock:
                self._background_queued += 1
            self._background.submit(self._background_job, job)
            return activation_id, None
        future: Future[dict[str, Any]] = self._blocking.submit(self._guard, job)
        try:
            return activation_id, future.result(timeout=wait_ms / 1000)
        except FutureTimeout:
            return activation_id, None

    def _background_job(self, job: Any) -> dict[str, Any]:
        with self._counts_lock:
            self._background_queued -= 1
            self._background_running += 1
        try:
            return self._guard(job)
        finally:
            with self._counts_lock:
                self._background_running -= 1

    def background_stats(self) -> dict[str, int]:
        """Non-blocking activations: workers, waiting for a worker, running (for GET /local/stats)."""
        with self._counts_lock:
            return {
                "background_workers": self.background_workers,
                "background_queued": self._background_queued,
                "background_running": self._background_running,
            }

    def _guard(self, job: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = job()
            return result
        except Exception:
            log.exception("activation failed inside the platform")
            raise

    def run(self, resolved: Resolved, args: Any, context: RunContext) -> dict[str, Any]:
        """Run an action (primitive or sequence) to completion and store its activation record."""
        if resolved.kind == "sequence":
            return self._run_sequence(resolved, args, context)
        return self._run_primitive(resolved, args, context)

    def _run_primitive(self, resolved: Resolved, args: Any, context: RunContext) -> dict[str, Any]:
        identity = context.identity
        doc = resolved.doc
        lim = doc["limits"]
        limits = Limits(lim["timeout"], lim["memory"], lim["logs"], lim["concurrency"])
        provide_key = kv_get(doc.get("annotations", []), "provide-api-key", True)
        code = ActionCode(
            fqn=f"/{resolved.path}",
            revision=doc.get("_rev", doc["version"]),
            kind=resolved.kind,
            code=doc["exec"].get("code", ""),
            binary=bool(doc["exec"].get("binary")),
            main=doc["exec"].get("main", "main"),
            init_env=resolved.init_env,
        )
        request = RunRequest(
            action=code,
            args=args,
            limits=limits,
            activation_id=context.activation_id,
            namespace=identity.namespace,
            action_version=doc["version"],
            transaction_id=context.transaction_id or context.activation_id,
            api_key=identity.key if truthy(provide_key) else None,
            interactive=context.interactive,
        )
        try:
            result = self.pool.run(request)
        except Exception as exc:  # the pool failing must still leave a record, as a whisk error
            log.exception("container pool failed for %s", resolved.path)
            end = now_ms()
            result = RunResult(
                status_code=WHISK_ERROR,
                result={"error": f"Failed to run the action: {exc}"},
                logs=[],
                start_ms=context.received_ms,
                end_ms=end,
                duration_ms=0,
                wait_time_ms=end - context.received_ms,
                init_time_ms=None,
            )
        annotations: list[dict[str, Any]] = [
            {"key": "path", "value": resolved.path},
            {"key": "waitTime", "value": result.wait_time_ms},
            {"key": "kind", "value": resolved.kind},
            {"key": "timeout", "value": bool(result.timed_out)},
            {"key": "limits", "value": dict(lim)},
        ]
        if result.init_time_ms is not None:
            annotations.append({"key": "initTime", "value": result.init_time_ms})
        if context.caused_by:
            annotations.append({"key": "causedBy", "value": context.caused_by})
        if resolved.binding:
            annotations.append({"key": "binding", "value": resolved.binding})
        record = activation_record(
            namespace=identity.namespace,
            name=doc["name"],
            version=doc["version"],
            activation_id=context.activation_id,
            start=result.start_ms,
            end=result.end_ms,
            duration=result.duration_ms,
            annotations=annotations,
            logs=result.logs,
            response=response_json(result.status_code, result.result),
            cause=context.cause,
        )
        self.store.put_activation(dict(record), resolved.store_path)
        return dict(record)

    def _run_sequence(self, resolved: Resolved, args: Any, context: RunContext) -> dict[str, Any]:
        identity = context.identity
        start = now_ms()
        component_ids: list[str] = []
        duration = 0
        memory = 0
        response: dict[str, Any] = response_json(SUCCESS, args if args is not None else {})
        current = args
        for component in resolved.doc["exec"]["components"]:
            parts = component.strip("/").split("/")
            ns, pkg, name = parts[0], (parts[1] if len(parts) == 3 else None), parts[-1]
            try:
                comp = self.resolve(identity.namespace, ns, pkg, name)
            except ApiError:
                response = response_json(APPLICATION_ERROR, {"error": errors.SEQUENCE_COMPONENT_NOT_FOUND})
                break
            comp_args: Any
            if isinstance(current, dict):
                comp_args = dict(comp.params)
                comp_args.update(current)
            else:
                comp_args = current
            comp_id = new_activation_id()
            record = self.run(comp, comp_args, context.component(comp_id))
            component_ids.append(comp_id)
            duration += int(record.get("duration", 0))
            memory = max(memory, int(comp.doc.get("limits", {}).get("memory", 0)))
            response = record["response"]
            current = response.get("result")
            if not response.get("success") or (isinstance(current, dict) and "error" in current):
                break
        end = now_ms()
        annotations: list[dict[str, Any]] = [
            {"key": "topmost", "value": context.topmost},
            {"key": "path", "value": resolved.path},
            {"key": "waitTime", "value": max(0, start - context.received_ms)},
            {"key": "kind", "value": "sequence"},
            {"key": "limits", "value": {**resolved.doc["limits"], "memory": memory or 256}},
        ]
        if context.caused_by:
            annotations.append({"key": "causedBy", "value": context.caused_by})
        if resolved.binding:
            annotations.append({"key": "binding", "value": resolved.binding})
        sequence_record = activation_record(
            namespace=identity.namespace,
            name=resolved.doc["name"],
            version=resolved.doc["version"],
            activation_id=context.activation_id,
            start=start,
            end=end,
            duration=duration,
            annotations=annotations,
            logs=component_ids,
            response=response,
            cause=context.cause,
        )
        self.store.put_activation(dict(sequence_record), resolved.store_path)
        return dict(sequence_record)

    # ---- triggers -------------------------------------------------------------------------------------
    def fire(
        self, identity: Identity, trigger: dict[str, Any], payload: dict[str, Any], headers: dict[str, str]
    ) -> str | None:
        """Fire a trigger: None without active rules, else the trigger activation id (rules run async)."""
        rules = {name: r for name, r in (trigger.get("rules") or {}).items() if r.get("status") == "active"}
        if not rules:
            return None
        activation_id = new_activation_id()
        start = now_ms()
        args: dict[str, Any] = {kv["key"]: kv.get("value") for kv in trigger.get("parameters", [])}
        args["__ow_headers"] = headers
        args.update(payload)
        owner = Identity(trigger["namespace"], self.keys.get(trigger["namespace"], identity.key))
        logs: list[str] = []
        for rule_name, rule in sorted(rules.items()):
            action = rule["action"]
            action_path = f"{action['path']}/{action['name']}"
            entry: dict[str, Any] = {
                "statusCode": 0,
                "success": True,
                "rule": rule_name,
                "action": action_path,
            }
            try:
                parts = action["path"].split("/")
                resolved = self.resolve(
                    owner.namespace, parts[0], parts[1] if len(parts) > 1 else None, action["name"]
                )
                rule_args = self.merge_args(resolved, args)
                act_id, _ = self.invoke(owner, resolved, rule_args, blocking=False, cause=activation_id)
                entry["activationId"] = act_id
            except ApiError as exc:
                entry.update(
                    {"statusCode": 1 if exc.status < 500 else 3, "success": False, "error": exc.message}
                )
            logs.append(json.dumps(entry, separators=(",", ":")))
        record = activation_record(
            namespace=identity.namespace,
            name=trigger["name"],
            version=trigger.get("version", "0.0.1"),
            activation_id=activation_id,
            start=start,
            annotations=[{"key": "path", "value": f"{trigger['namespace']}/{trigger['name']}"}],
            logs=logs,
            response=response_json(SUCCESS, payload),
        )
        self.store.put_activation(dict(record), trigger["name"])
        return activation_id


def http_status_for(record: dict[str, Any]) -> int:
    """Blocking invoke status: 200 success, 502 application/developer error, 500 whisk error."""
    code = record.get("response", {}).get("statusCode", SUCCESS)
    if code == SUCCESS:
        return 200
    if code in (APPLICATION_ERROR, DEVELOPER_ERROR):
        return 502
    return 500
