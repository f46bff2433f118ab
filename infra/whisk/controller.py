"""The REST controller of the local OpenWhisk: routes `/api/v1/...` requests to entity and activation logic.

Transport-free: `Controller.handle(Request) -> Response`. The HTTP server (server.py) only moves bytes.
Status codes and messages follow OpenWhisk's controller (see ../shared/reference/openwhisk.md, section 2).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from infra.whisk import entities, errors
from infra.whisk.entities import check_name, kv_get, parse_json_body, public, split_path, truthy
from infra.whisk.errors import ApiError, bad_request, conflict, forbidden, not_found, unauthorized
from infra.whisk.invocation import (
    MAX_BLOCKING_WAIT_MS,
    Activator,
    Identity,
    Pool,
    http_status_for,
    summary,
)
from infra.whisk.store import COLLECTIONS, Store

log = logging.getLogger("infra.whisk")

# The standard keys of standalone OpenWhisk (ansible/files/auth.guest, auth.whisk.system).
GUEST_KEY = (
    "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"
)
SYSTEM_KEY = (
    "789c46b1-71f6-4ed5-8c54-816aa4f8c502:abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"
)
DEFAULT_KEYS = {"guest": GUEST_KEY, "whisk.system": SYSTEM_KEY}

MAX_PAYLOAD = 1024 * 1024  # invoke / fire payload limit (OpenWhisk: 1 MB)
LIST_DEFAULT, LIST_MAX = 30, 200
# OpenWhisk's controller answers browsers on its REST API too (CorsSettings.RestAPIs).
API_CORS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, DELETE, POST, PUT, HEAD"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent",
    ),
)
_ACTIVATION_ID_RE = re.compile(r"\A[0-9a-f]{32}\Z")
JSON_TYPE = "application/json"


@dataclass
class Request:
    method: str
    path: str  # decoded only per segment by the controller; no query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    raw_query: str = ""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, value: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


def error_response(status: int, message: str, txid: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": message, "code": txid}, list((headers or {}).items()))


def _int_param(query: dict[str, str], name: str, default: int | None, collection: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"The value '{raw}' is not an integer for {collection}.") from None


def _bool_param(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").strip().lower() == "true"


def info_document() -> dict[str, Any]:
    """`GET /`: what wskdeploy and the CLIs read (runtimes by family, limits, api paths)."""
    return {
        "description": "OpenWhisk (openchecks local platform)",
        "api_paths": ["/api/v1"],
        "support": {"github": "/apache/openwhisk/issues", "slack": "http://slack.openwhisk.org"},
        "runtimes": {
            "python": [
                {
                    "kind": kind,
                    "default": kind == entities.DEFAULT_KIND,
                    "deprecated": False,
                    "requireMain": False,
                    "image": f"openwhisk/action-python-v{kind.split(':')[1]}:nightly",
                    "attached": False,
                }
                for kind in entities.PYTHON_KINDS
            ],
        },
        "limits": {
            "actions_per_minute": 60,
            "triggers_per_minute": 60,
            "concurrent_actions": 30,
            "sequence_length": entities.SEQUENCE_MAX,
            "min_action_duration": entities.TIMEOUT_MS[1],
            "max_action_duration": entities.TIMEOUT_MS[2],
            "min_action_memory": entities.MEMORY_MB[1] * 1024 * 1024,
            "max_action_memory": entities.MEMORY_MB[2] * 1024 * 1024,
            "min_action_logs": entities.LOGS_MB[1] * 1024 * 1024,
            "max_action_logs": entities.LOGS_MB[2] * 1024 * 1024,
            "max_action_concurrency": entities.CONCURRENCY[2],
        },
    }


API_INFO = {
    "description": "OpenWhisk API",
    "api_version": "1.0.0",
    "api_version_path": "v1",
    "build": "openchecks-local",
    "buildno": "1",
    "swagger_paths": {"ui": "/docs", "api-docs": "/api-docs"},
}


class Controller:
    """All of `/` and `/api/v1`. Thread-safe; every error becomes an OpenWhisk error reply."""

    def __init__(
        self,
        store: Store,
        pool: Pool,
        api_host: str,
        keys: dict[str, str] | None = None,
        background_workers: int = 16,
    ) -> None:
        self.store = store
        self.api_host = api_host
        self.keys = dict(keys or DEFAULT_KEYS)
        self._by_key = {key: ns for ns, key in self.keys.items()}
        self.activator = Activator(store, pool, self.keys, nonblocking_workers=background_workers)
        self._write_lock = threading.RLock()
        # imported here: webactions depends on this module's Request/Response
        from infra.whisk.apigateway import ApiGateway
        from infra.whisk.webactions import WebActions

        self.web = WebActions(self)
        self.gateway = ApiGateway(self)

    def shutdown(self) -> None:
        self.activator.shutdown()

    # ---- entry point ----------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer one request; never raises (internal errors become a 500 JSON reply, logged)."""
        txid = uuid.uuid4().hex
        web = req.path.startswith("/api/v1/web/") or self.gateway.is_gateway_path(req.path)
        try:
            if req.method == "OPTIONS" and not web:
                return Response(200, b"", list(API_CORS))
            response = self._route(req, txid)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, txid, exc.headers)
        except Exception:
            log.exception("unhandled error on %s %s (transaction %s)", req.method, req.path, txid)
            response = error_response(500, errors.INTERNAL_ERROR, txid)
        if not web:
            response.headers.extend(API_CORS)
        return response

    def identify(self, req: Request, required: bool = True) -> Identity | None:
        """The caller from HTTP Basic auth; 401 when missing or wrong (if required)."""
        header = req.headers.get("authorization", "")
        if not header:
            if required:
                raise unauthorized(errors.AUTH_MISSING)
            return None
        scheme, _, token = header.partition(" ")
        ns: str | None = None
        key = ""
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(token.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                key = ""
            ns = self._by_key.get(key)
        if ns is None:
            if required:
                raise unauthorized(errors.AUTH_INVALID)
            return None
        return Identity(ns, key)

    def _route(self, req: Request, txid: str) -> Response:
        path = req.path
        if path in ("", "/"):
            return json_response(200, info_document())
        if path.startswith("/api/v1/web/"):
            return self.web.handle(req, path[len("/api/v1/web/") :], txid)
        if self.gateway.is_gateway_path(path):
            return self.gateway.serve(req, txid)
        if path in ("/api/v1", "/api/v1/", "/api"):
            return json_response(200, {**info_document(), **API_INFO})
        if path == "/api/v1/api-docs":
            return json_response(200, {"swagger": "2.0", "basePath": "/api/v1", "info": API_INFO})
        if path == "/local/stats":
            # not OpenWhisk: the local container pool's counters, for benches and `deploy.sh local --status`
            self.identify(req)
            stats = getattr(self.activator.pool, "stats", None)
            return json_response(
                200, {**(stats() if callable(stats) else {}), **self.activator.background_stats()}
            )
        if not path.startswith("/api/v1/namespaces"):
            raise not_found()
        ident = self.identify(req)
        assert ident is not None
        parts = [unquote(p) for p in path[len("/api/v1/namespaces") :].split("/")][1:]
        if not parts or parts == [""]:
            if req.method != "GET":
                raise ApiError(405, "HTTP method not allowed, supported methods: GET")
            return json_response(200, [ident.namespace])
        ns = ident.namespace if parts[0] == "_" else parts[0]
        if not ns or not entities.NAME_RE.match(ns):
            raise bad_request(errors.NAMESPACE_ILLEGAL)
        if len(parts) == 1 or parts[1] == "":
            raise not_found()
        collection, rest = parts[1], parts[2:]
        handler = {
            "actions": self._actions,
            "packages": self._packages,
            "triggers": self._triggers,
            "rules": self._rules,
            "activations": self._activations,
            "limits": self._limits,
        }.get(collection)
        if handler is None:
            raise not_found()
        top_level = len(rest) == 1 or (collection != "actions" and rest[1:] == [""])  # not "actions/pkg/"
        if collection in COLLECTIONS and rest and rest[0] and top_level:
            self._conform(ns, collection, rest[0])
        if req.method == "GET" or (req.method == "POST" and collection in ("actions", "triggers")):
            return handler(req, ident, ns, rest, txid)
        with self._write_lock:  # entity writes read-modify-write documents (rule status lives on triggers)
            return handler(req, ident, ns, rest, txid)

    def _conform(self, ns: str, collection: str, name: str) -> None:
        """One name per namespace across actions, packages, triggers and rules (OpenWhisk's document id)."""
        if self.store.get(ns, collection, name) is not None:
            return
        if any(self.store.get(ns, other, name) is not None for other in COLLECTIONS if other != collection):
            raise conflict(errors.CONFORMANCE)

    @staticmethod
    def _own(ident: Identity, ns: str) -> None:
        if ns != ident.namespace:
            raise forbidden()

    @staticmethod
    def _body_object(req: Request, required: bool = False) -> dict[str, Any]:
        value = parse_json_body(req.body)
        if value is None:
            if required:
                raise bad_request(errors.malformed("the request needs a JSON object body"))
            return {}
        if not isinstance(value, dict):
            raise bad_request(errors.malformed("the request body must be a JSON object"))
        return value

    def _list_window(self, req: Request, collection: str) -> tuple[int, int]:
        skip = _int_param(req.query, "skip", 0, collection) or 0
        limit = _int_param(req.query, "limit", LIST_DEFAULT, collection)
        assert limit is not None
        if limit < 0 or limit > LIST_MAX:
            raise bad_request(f"The value '{limit}' is not in the range of 0 to {LIST_MAX} for {collection}.")
        if skip < 0:
            raise bad_request(f"The value '{skip}' is not greater than or equal to 0 for {collection}.")
        return skip, (limit or LIST_MAX)

    def _entity_list(self, req: Request, docs: list[dict[str, Any]], collection: str, view: Any) -> Response:
        skip, limit = self._list_window(req, collection)
        if _bool_param(req.query, "count"):
            return json_response(200, {collection: len(docs)})
        return json_response(200, [view(d) for d in docs[skip : skip + limit]])

    # ---- actions --------------------------------------------------------------------------------------
    def _actions(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        if not rest or rest == [""]:
            if req.method != "GET":
                raise ApiError(405, "HTTP method not allowed, supported methods: GET")
            self._own(ident, ns)
            # as OpenWhisk: the namespace's actions include those in its packages
            return self._entity_list(
                req, self.store.list_entities(ns, "actions", prefix=""), "actions", entities.action_summary
            )
        if len(rest) == 2 and rest[1] == "" and req.method == "GET":
            return self._package_actions(req, ident, ns, check_name(rest[0]))
        if len(rest) > 2:
            raise not_found()
        pkg = check_name(rest[0]) if len(rest) == 2 else None
        name = check_name(rest[-1])
        if req.method == "PUT":
            return self._put_action(req, ident, ns, pkg, name)
        if req.method == "GET":
            return self._get_action(req, ident, ns, pkg, name)
        if req.method == "DELETE":
            self._own(ident, ns)
            key = f"{pkg}/{name}" if pkg else name
            if pkg is not None:
                pdoc = self.store.get(ns, "packages", pkg)
                if pdoc is not None and pdoc.get("binding"):
                    raise bad_request(errors.NOT_ALLOWED_ON_BINDING)
            doc = self.store.delete(ns, "actions", key)
            if doc is None:
                raise not_found()
            return json_response(200, public(doc))
        if req.method == "POST":
            return self._invoke(req, ident, ns, pkg, name, txid)
        raise ApiError(405, "HTTP method not allowed, supported methods: GET, PUT, POST, DELETE")

    def _package_actions(self, req: Request, ident: Identity, ns: str, pkg: str) -> Response:
        pdoc = self.activator.package(ident.namespace, ns, pkg)
        bound = pdoc.get("binding") or {}
        owner_ns, owner_pkg = (bound["namespace"], bound["name"]) if bound else (ns, pkg)
        docs = self.store.list_entities(owner_ns, "actions", prefix=f"{owner_pkg}/")
        return self._entity_list(req, docs, "actions", entities.action_summary)

    def _get_action(self, req: Request, ident: Identity, ns: str, pkg: str | None, name: str) -> Response:
        resolved = self.activator.resolve(ident.namespace, ns, pkg, name)
        doc = public(resolved.doc)
        if doc["exec"]["kind"] != "sequence":
            inherited = {
                k: v for k, v in resolved.params.items() if k not in {p["key"] for p in doc["parameters"]}
            }
            doc["parameters"] = [{"key": k, "value": v} for k, v in inherited.items()] + doc["parameters"]
        if req.query.get("code", "true").lower() == "false":
            doc["exec"] = {k: v for k, v in doc["exec"].items() if k != "code"}
        return json_response(200, doc)

    def _put_action(self, req: Request, ident: Identity, ns: str, pkg: str | None, name: str) -> Response:
        self._own(ident, ns)
        body = self._body_object(req, required=True)
        if pkg is not None:
            pdoc = self.store.get(ns, "packages", pkg)
            if pdoc is None:
                raise not_found()
            if pdoc.get("binding"):
                raise bad_request(errors.NOT_ALLOWED_ON_BINDING)
        key = f"{pkg}/{name}" if pkg else name
        old = self.store.get(ns, "actions", key)
        if old is not None and not _bool_param(req.query, "overwrite"):
            raise conflict()
        exec_ = entities.check_exec(body["exec"]) if body.get("exec") is not None else None
        if exec_ is not None and exec_["kind"] == "sequence":
            exec_["components"] = self._check_sequence(ident, f"/{ns}/{key}", exec_["components"])
        namespace = f"{ns}/{pkg}" if pkg else ns
        doc = entities.new_action(namespace, name, body, old, exec_)
        self.store.put(ns, "actions", key, doc)
        return json_response(200, public(doc))

    def _check_sequence(self, ident: Identity, self_fqn: str, components: list[str]) -> list[str]:
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
                resolved = self.activator.resolve(
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

    def _invoke(
        self, req: Request, ident: Identity, ns: str, pkg: str | None, name: str, txid: str
    ) -> Response:
        if len(req.body) > MAX_PAYLOAD:
            raise ApiError(413, errors.entity_too_big("Request", len(req.body), MAX_PAYLOAD))
        blocking = _bool_param(req.query, "blocking")
        want_result = _bool_param(req.query, "result")
        wait_ms = MAX_BLOCKING_WAIT_MS
        if "timeout" in req.query:
            try:
                wait_ms = int(req.query["timeout"])
            except ValueError:
                wait_ms = -1
            if not 1 <= wait_ms <= MAX_BLOCKING_WAIT_MS:
                raise bad_request(errors.invalid_timeout(MAX_BLOCKING_WAIT_MS))
        payload = parse_json_body(req.body)
        if payload is not None and not isinstance(payload, dict):
            raise bad_request(errors.malformed("Object expected"))  # arrays too, as OpenWhisk
        resolved = self.activator.resolve(ident.namespace, ns, pkg, name)
        args = self.activator.merge_args(resolved, payload)
        activation_id, record = self.activator.invoke(
            ident, resolved, args, blocking, wait_ms, transaction_id=txid
        )
        headers = [("x-openwhisk-activation-id", activation_id)]
        if record is None:
            return json_response(202, {"activationId": activation_id}, headers)
        status = http_status_for(record)
        if want_result:
            return json_response(status, record["response"]["result"], headers)
        return json_response(status, record, headers)

    # ---- packages -------------------------------------------------------------------------------------
    def _packages(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        if not rest or rest == [""]:
            if req.method != "GET":
                raise ApiError(405, "HTTP method not allowed, supported methods: GET")
            docs = self.store.list_entities(ns, "packages")
            if ns != ident.namespace:
                docs = [d for d in docs if d.get("publish")]
            return self._entity_list(req, docs, "packages", entities.package_summary)
        if len(rest) > 1 and not (len(rest) == 2 and rest[1] == ""):
            raise not_found()
        name = check_name(rest[0])
        if req.method == "PUT":
            return self._put_package(req, ident, ns, name)
        if req.method == "GET":
            return json_response(200, self._package_view(ident, ns, name))
        if req.method == "DELETE":
            self._own(ident, ns)
            doc = self.store.get(ns, "packages", name)
            if doc is None:
                raise not_found()
            contents = (
                [] if doc.get("binding") else self.store.list_entities(ns, "actions", prefix=f"{name}/")
            )
            if contents:
                if not _bool_param(req.query, "force"):
                    raise conflict(
                        f"Package not empty (contains {len(contents)} entities). "
                        "Set force param or delete package contents."
                    )
                for action in contents:
                    self.store.delete(ns, "actions", f"{name}/{action['name']}")
            self.store.delete(ns, "packages", name)
            return json_response(200, public(doc))
        raise ApiError(405, "HTTP method not allowed, supported methods: GET, PUT, DELETE")

    def _package_view(self, ident: Identity, ns: str, name: str) -> dict[str, Any]:
        doc = public(self.activator.package(ident.namespace, ns, name))
        bound = doc.get("binding") or {}
        owner_ns, owner_pkg = (bound["namespace"], bound["name"]) if bound else (ns, name)
        if bound:
            target = self.store.get(owner_ns, "packages", owner_pkg)
            if target is not None:
                doc["parameters"] = entities.kv_merge(target.get("parameters", []), doc.get("parameters", []))
        acts: list[dict[str, Any]] = []
        feeds: list[dict[str, Any]] = []
        for action in self.store.list_entities(owner_ns, "actions", prefix=f"{owner_pkg}/"):
            item = {
                "name": action["name"],
                "version": action["version"],
                "annotations": action["annotations"],
            }
            (feeds if kv_get(action["annotations"], "feed") is not None else acts).append(item)
        doc["actions"], doc["feeds"] = acts, feeds
        return doc

    def _put_package(self, req: Request, ident: Identity, ns: str, name: str) -> Response:
        self._own(ident, ns)
        if name == "default":
            raise bad_request(errors.package_name_reserved(name))
        body = self._body_object(req, required=True)
        old = self.store.get(ns, "packages", name)
        if old is not None and not _bool_param(req.query, "overwrite"):
            raise conflict()
        doc = entities.new_package(ns, name, body, old)
        binding = body.get("binding")
        if binding:
            if not isinstance(binding, dict) or not isinstance(binding.get("name"), str):
                raise bad_request(errors.malformed('\'binding\' must be {"namespace": ..., "name": ...}'))
            target_ns = binding.get("namespace") or ident.namespace
            target_ns = ident.namespace if target_ns == "_" else target_ns
            target_name = check_name(binding["name"])
            check_name(target_ns)
            if old is not None and not old.get("binding"):
                raise conflict(errors.PACKAGE_CANNOT_BECOME_BINDING)
            target = self.store.get(target_ns, "packages", target_name)
            if target is None:
                raise bad_request(errors.BINDING_DOES_NOT_EXIST)
            if target_ns != ident.namespace and not target.get("publish"):
                raise forbidden()
            if target.get("binding"):
                raise bad_request(errors.BINDING_CANNOT_REFERENCE_BINDING)
            doc["binding"] = {"namespace": target_ns, "name": target_name}
        # the binding annotation is always the controller's: dropped from the PUT, set from the binding
        doc["annotations"] = [kv for kv in doc["annotations"] if kv["key"] != "binding"]
        if doc.get("binding"):
            doc["annotations"] = entities.kv_set(doc["annotations"], "binding", dict(doc["binding"]))
        self.store.put(ns, "packages", name, doc)
        return json_response(200, public(doc))

    # ---- triggers -------------------------------------------------------------------------------------
    def _triggers(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        self._own(ident, ns)
        if not rest or rest == [""]:
            if req.method != "GET":
                raise ApiError(405, "HTTP method not allowed, supported methods: GET")
            return self._entity_list(
                req, self.store.list_entities(ns, "triggers"), "triggers", entities.trigger_summary
            )
        if len(rest) > 1:
            raise not_found()
        name = check_name(rest[0])
        if req.method == "PUT":
            body = self._body_object(req, required=True)
            old = self.store.get(ns, "triggers", name)
            if old is not None and not _bool_param(req.query, "overwrite"):
                raise conflict()
            created = entities.new_trigger(ns, name, body, old)
            self.store.put(ns, "triggers", name, created)
            return json_response(200, public(created))
        found = self.store.get(ns, "triggers", name)
        if found is None:
            raise not_found()
        doc = found
        if req.method == "GET":
            return json_response(200, public(doc))
        if req.method == "DELETE":
            self.store.delete(ns, "triggers", name)
            return json_response(200, public(doc))
        if req.method == "POST":
            if len(req.body) > MAX_PAYLOAD:
                raise ApiError(413, errors.entity_too_big("Request", len(req.body), MAX_PAYLOAD))
            payload = self._body_object(req)
            headers = {k: v for k, v in req.headers.items() if k != "authorization"}
            activation_id = self.activator.fire(ident, doc, payload, headers)
            if activation_id is None:
                return Response(204)
            return json_response(
                202, {"activationId": activation_id}, [("x-openwhisk-activation-id", activation_id)]
            )
        raise ApiError(405, "HTTP method not allowed, supported methods: GET, PUT, POST, DELETE")

    # ---- rules ----------------------------------------------------------------------------------------
    def _rule_view(self, doc: dict[str, Any]) -> dict[str, Any]:
        view = public(doc)
        trig = doc["trigger"]
        tdoc = self.store.get(trig["path"], "triggers", trig["name"])
        entry = ((tdoc or {}).get("rules") or {}).get(f"{doc['namespace']}/{doc['name']}")
        view["status"] = entry["status"] if entry else "inactive"
        return view

    def _set_rule_on_trigger(
        self, ns: str, rule: str, trigger: dict[str, Any], action: dict[str, Any] | None, status: str | None
    ) -> None:
        tdoc = self.store.get(trigger["path"], "triggers", trigger["name"])
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
        self.store.put(trigger["path"], "triggers", trigger["name"], tdoc)

    def _rules(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        self._own(ident, ns)
        if not rest or rest == [""]:
            if req.method != "GET":
                raise ApiError(405, "HTTP method not allowed, supported methods: GET")
            return self._entity_list(req, self.store.list_entities(ns, "rules"), "rules", self._rule_view)
        if len(rest) > 1:
            raise not_found()
        name = check_name(rest[0])
        if req.method == "PUT":
            return self._put_rule(req, ident, ns, name)
        doc = self.store.get(ns, "rules", name)
        if doc is None:
            raise not_found()
        if req.method == "GET":
            return json_response(200, self._rule_view(doc))
        if req.method == "DELETE":
            self._set_rule_on_trigger(ns, name, doc["trigger"], None, None)
            self.store.delete(ns, "rules", name)
            view = public(doc)
            view["status"] = "inactive"
            return json_response(200, view)
        if req.method == "POST":
            body = self._body_object(req, required=True)
            status = body.get("status")
            if status not in ("active", "inactive"):
                raise bad_request("Rule status must be either 'active' or 'inactive'.")
            trig = doc["trigger"]
            if self.store.get(trig["path"], "triggers", trig["name"]) is None:
                raise not_found(errors.RULE_NEEDS_TRIGGER)
            self._set_rule_on_trigger(ns, name, trig, doc["action"], status)
            return json_response(200, self._rule_view(doc))
        raise ApiError(405, "HTTP method not allowed, supported methods: GET, PUT, POST, DELETE")

    def _put_rule(self, req: Request, ident: Identity, ns: str, name: str) -> Response:
        body = self._body_object(req, required=True)
        old = self.store.get(ns, "rules", name)
        if old is not None and not _bool_param(req.query, "overwrite"):
            raise conflict()
        trigger_ref, action_ref = body.get("trigger"), body.get("action")
        if old is None and (not trigger_ref or not action_ref):
            raise bad_request("A rule needs both a 'trigger' and an 'action'.")
        if trigger_ref:
            tns, tpkg, tname = split_path(trigger_ref, ident.namespace)
            if tpkg is not None or tns != ident.namespace or self.store.get(tns, "triggers", tname) is None:
                raise bad_request(f"The trigger '{trigger_ref}' of the rule does not exist.")
            trigger = {"path": tns, "name": tname}
        else:
            assert old is not None
            trigger = old["trigger"]
        if action_ref:
            ans, apkg, aname = split_path(action_ref, ident.namespace)
            try:
                self.activator.resolve(ident.namespace, ans, apkg, aname)
            except ApiError:
                raise bad_request(f"The action '{action_ref}' of the rule does not exist.") from None
            action = {"path": f"{ans}/{apkg}" if apkg else ans, "name": aname}
        else:
            assert old is not None
            action = old["action"]
        annotations = entities.check_keyvalues(body.get("annotations"), "annotations")
        status = "active"
        if old is not None:
            status = self._rule_view(old)["status"]
            self._set_rule_on_trigger(ns, name, old["trigger"], None, None)
        doc = {
            "namespace": ns,
            "name": name,
            "version": "0.0.1" if old is None else entities.bump_version(old.get("version", "0.0.1")),
            "publish": bool(
                body["publish"] if body.get("publish") is not None else (old or {}).get("publish")
            ),
            "annotations": entities.replaced_annotations(body, annotations, old),
            "trigger": trigger,
            "action": action,
            "updated": entities.now_ms(),
        }
        self.store.put(ns, "rules", name, doc)
        self._set_rule_on_trigger(ns, name, trigger, action, status)
        return json_response(200, self._rule_view(doc))

    # ---- activations ----------------------------------------------------------------------------------
    def _activations(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        self._own(ident, ns)
        if req.method != "GET":
            raise ApiError(405, "HTTP method not allowed, supported methods: GET")
        if not rest or rest == [""]:
            return self._list_activations(req, ns)
        activation_id = rest[0]
        if len(activation_id) != 32:
            raise bad_request(f"ActivationId length is {len(activation_id)} but must be 32.")
        if not _ACTIVATION_ID_RE.match(activation_id):
            raise bad_request(errors.ACTIVATION_ID_ILLEGAL)
        record = self.store.get_activation(ns, activation_id)
        if record is None:
            raise not_found()
        if len(rest) == 1:
            return json_response(200, record)
        if rest[1:] == ["logs"]:
            return json_response(200, {"logs": record.get("logs", [])})
        if rest[1:] == ["result"]:
            return json_response(200, record.get("response", {}))
        raise not_found()

    def _list_activations(self, req: Request, ns: str) -> Response:
        q = req.query
        path = q.get("name") or None
        if path is not None:
            pieces = path.strip("/").split("/")
            if len(pieces) > 2 or not all(p and entities.NAME_RE.match(p) for p in pieces):
                raise bad_request(f"Parameter may be a 'simple' name or 'package-name/simple' name: {path}")
            path = "/".join(pieces)
        since = _int_param(q, "since", None, "activations")
        upto = _int_param(q, "upto", None, "activations")
        docs = _bool_param(q, "docs")
        if _bool_param(q, "count"):
            if docs:
                raise bad_request(errors.DOCS_NOT_ALLOWED_WITH_COUNT)
            return json_response(200, {"activations": self.store.count_activations(ns, path, since, upto)})
        skip, limit = self._list_window(req, "activations")
        records = self.store.list_activations(ns, path, since, upto, skip, limit)
        return json_response(200, records if docs else [summary(r) for r in records])

    def _limits(self, req: Request, ident: Identity, ns: str, rest: list[str], txid: str) -> Response:
        self._own(ident, ns)
        # OpenWhisk's UserLimits as JSON: memory and logs in MB, timeouts in ms, parameter size a ByteSize
        return json_response(
            200,
            {
                "invocationsPerMinute": 60,
                "concurrentInvocations": 30,
                "firesPerMinute": 60,
                "minActionMemory": entities.MEMORY_MB[1],
                "maxActionMemory": entities.MEMORY_MB[2],
                "minActionLogs": entities.LOGS_MB[1],
                "maxActionLogs": entities.LOGS_MB[2],
                "minActionTimeout": entities.TIMEOUT_MS[1],
                "maxActionTimeout": entities.TIMEOUT_MS[2],
                "minActionConcurrency": entities.CONCURRENCY[1],
                "maxActionConcurrency": entities.CONCURRENCY[2],
                "maxParameterSize": f"{MAX_PAYLOAD // (1024 * 1024)} MB",
                "maxActionInstances": 30,
            },
        )


def is_truthy_annotation(doc: dict[str, Any], key: str) -> bool:
    return truthy(kv_get(doc.get("annotations", []), key, False))
