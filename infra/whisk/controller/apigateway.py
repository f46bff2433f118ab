"""The API gateway of the local OpenWhisk: managed routes in front of web actions.

OpenWhisk manages routes with the ``whisk.system/apimgmt`` web actions ``createApi``, ``getApi`` and
``deleteApi`` (core/routemgmt, called by ``wsk api``, the JavaScript client's ``routes`` and wskdeploy's
``apis:``) and serves them from its API gateway. Here both live in the platform:

- Management, as the clients call it, with the caller's credentials (the actions require whisk auth):
  ``POST /api/v1/web/whisk.system/apimgmt/createApi[.http]`` with ``{"apidoc": {...}}`` (one endpoint:
  ``gatewayBasePath``, ``gatewayPath``, ``gatewayMethod``, ``action``; or a whole ``swagger``) and
  ``?responsetype=json|http|...``; ``GET .../getApi?basepath=&relpath=&operation=`` and
  ``DELETE .../deleteApi?basepath=&relpath=&operation=``. Answers are the actions' (``{"apis": [...]}``
  of ``{"id", "key", "value": {"namespace", "gwApiActivated", "tenantId", "gwApiUrl", "apidoc"}}``,
  the created API as one such item, ``{}`` after a delete; failures a 502 ``{"error": sentence}``), and
  the stored API documents are the swagger the gateway receives (``x-openwhisk`` per operation).
- Serving: ``<api host>/api/<namespace><basePath><relpath>`` (that is ``gwApiUrl`` + relpath); the verb
  selects the operation, ``{name}`` segments match anything, and the request goes on to the web action
  with the route's response type (``.json``, ``.http`` ...; with ``http`` the request's relpath becomes
  ``__ow_path``, as the gateway's ``$(request.path)``). A route's secure key is sent as
  ``X-Require-Whisk-Auth``.
- APIs are stored with the other entities (collection ``apis``, keyed by base path), so they survive a
  restart.
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.whisk import errors
from infra.whisk.entities import now_ms
from infra.whisk.errors import ApiError, unauthorized
from infra.whisk.http import Request, Response, error_response, json_response
from infra.whisk.invocation import Identity

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller

MGMT_NAMESPACE = "whisk.system"
MGMT_PACKAGE = "apimgmt"
OPERATIONS = ("createApi", "getApi", "deleteApi")
COLLECTION = "apis"
GATEWAY_PREFIX = "/api/"  # <api host>/api/<namespace>/<basePath>/<relpath>
VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
RESPONSE_TYPES = ("json", "http", "html", "svg", "text")
ROUTE_NOT_FOUND = "Error: Route not found"


class StoredApi(TypedDict):
    """One API (base path) of a namespace: the swagger document the gateway serves."""

    namespace: str
    basePath: str
    apidoc: dict[str, Any]
    gwApiUrl: str
    updated: int


class RouteError(Exception):
    """A management failure: the sentence the apimgmt action would answer (as a 502)."""


def operation_id(verb: str, relpath: str) -> str:
    """The swagger operationId apimgmt derives: the verb, then each path word capitalised."""
    words = re.sub(r"[^0-9a-zA-Z_-]", " ", relpath).split()
    return verb.lower() + "".join(word[:1].upper() + word[1:].lower() for word in words)


def split_action_name(fq_name: str) -> tuple[str, str, str]:
    """ "/ns/pkg/act", "pkg/act" or "act" -> (namespace or "", package or "", action)."""
    parts = [p for p in fq_name.strip("/").split("/") if p]
    if len(parts) >= 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return "", "", parts[0] if parts else ""


def base_swagger(basepath: str, api_name: str | None) -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": api_name or basepath, "version": "1.0.0"},
        "basePath": basepath,
        "paths": {},
        "x-ibm-configuration": {"assembly": {}, "cors": {"enabled": True}},
    }


def web_action_url(action: dict[str, Any], response_type: str, target: bool = False) -> str:
    """The web action URL a route invokes, on the host of the action's backendUrl."""
    backend = urlsplit(str(action.get("backendUrl", "")))
    _, pkg, name = split_action_name(str(action["name"]))
    suffix = "$(request.path)" if target and response_type == "http" else ""
    return (
        f"{backend.scheme}://{backend.netloc}/api/v1/web/{action['namespace']}/{pkg or 'default'}/"
        f"{name}.{response_type}{suffix}"
    )


def _cases(swagger: dict[str, Any]) -> list[dict[str, Any]]:
    assembly = swagger.setdefault("x-ibm-configuration", {}).setdefault("assembly", {})
    execute = assembly.setdefault("execute", [{}])
    if not execute:
        execute.append({})
    switch = execute[0].setdefault("operation-switch", {})
    cases: list[dict[str, Any]] = switch.setdefault("case", [])
    return cases


def add_endpoint(swagger: dict[str, Any], endpoint: dict[str, Any], response_type: str) -> None:
    """Add (or replace) one path/verb of ``swagger`` pointing at the endpoint's action."""
    verb = str(endpoint["gatewayMethod"]).lower()
    relpath = str(endpoint["gatewayPath"])
    action = endpoint["action"]
    op_id = operation_id(verb, relpath)
    _, pkg, name = split_action_name(str(action["name"]))
    swagger.setdefault("paths", {}).setdefault(relpath, {})[verb] = {
        "operationId": op_id,
        "parameters": endpoint.get("pathParameters"),
        "x-openwhisk": {
            "url": web_action_url(action, response_type),
            "namespace": action["namespace"],
            "package": pkg,
            "action": name,
        },
        "responses": {"default": {"description": "Default response"}},
    }
    cases = [c for c in _cases(swagger) if c.get("operations") != [op_id]]
    case: dict[str, Any] = {
        "operations": [op_id],
        "execute": [{"invoke": {"target-url": web_action_url(action, response_type, True), "verb": "keep"}}],
    }
    if action.get("secureKey"):
        header = {"set": "message.headers.X-Require-Whisk-Auth", "value": action["secureKey"]}
        case["execute"].append({"set-variable": {"actions": [header]}})
    cases.append(case)
    _cases(swagger)[:] = cases


def remove_endpoint(swagger: dict[str, Any], relpath: str, verb: str | None) -> None:
    """Remove a path (every verb) or one verb of it; RouteError when it is not there."""
    paths = swagger.get("paths", {})
    if relpath not in paths or (verb and verb not in paths[relpath]):
        what = f"path '{relpath}'" + (f" with operation '{verb}'" if verb else "")
        raise RouteError(f"{what} does not exist in the API")
    verbs = [verb] if verb else list(paths[relpath])
    for v in verbs:
        paths[relpath].pop(v, None)
    if not paths[relpath]:
        del paths[relpath]
    gone = {operation_id(v, relpath) for v in verbs}
    _cases(swagger)[:] = [c for c in _cases(swagger) if not gone & set(c.get("operations", []))]


def _parsed(value: Any, field: str) -> Any:
    """A field given as a JSON string, parsed (anything else as it is)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise RouteError(f"{field} field cannot be parsed. Ensure it is valid JSON.") from None


def _require(obj: dict[str, Any], keys: tuple[str, ...], sentence: str) -> None:
    """``sentence`` (with ``{}`` for the key) for the first of ``keys`` that is missing or empty."""
    for key in keys:
        if not obj.get(key):
            raise RouteError(sentence.format(key))


def _check_swagger(apidoc: dict[str, Any]) -> dict[str, Any]:
    """An API given whole as swagger: an object (or its JSON) with basePath, paths and info."""
    if apidoc.get("gatewayBasePath"):
        raise RouteError(
            "swagger and gatewayBasePath are mutually exclusive and cannot be specified together."
        )
    swagger = _parsed(apidoc["swagger"], "swagger")
    if not isinstance(swagger, dict):
        raise RouteError("swagger field should be an object or a JSON string.")
    _require(swagger, ("basePath", "paths", "info"), "swagger is missing the {} field.")
    apidoc["swagger"] = swagger
    return apidoc


def _check_route(apidoc: dict[str, Any]) -> dict[str, Any]:
    """One route: base path, path and verb, and the action that serves it."""
    _require(apidoc, ("gatewayBasePath", "gatewayPath", "gatewayMethod"), "apidoc is missing the {} field")
    action = apidoc.get("action")
    if not isinstance(action, dict) or not action:
        raise RouteError("apidoc is missing the action field.")
    _require(
        action,
        ("backendMethod", "backendUrl", "namespace", "name", "authkey"),
        "action is missing the {} field.",
    )
    if str(apidoc["gatewayMethod"]).lower() not in VERBS:
        raise RouteError(f"gatewayMethod '{apidoc['gatewayMethod']}' is not an HTTP verb.")
    return apidoc


def _check_create(apidoc: Any) -> dict[str, Any]:
    """apimgmt createApi's argument checks, with its sentences."""
    apidoc = _parsed(apidoc, "apidoc")
    if not isinstance(apidoc, dict):
        raise RouteError(f"apidoc field is of type {type(apidoc).__name__} and should be a JSON object.")
    if not apidoc.get("namespace"):
        raise RouteError("apidoc is missing the namespace field")
    return _check_swagger(apidoc) if apidoc.get("swagger") else _check_route(apidoc)


def _path_pattern(relpath: str) -> re.Pattern[str]:
    parts = [("[^/]+" if re.fullmatch(r"\{[^/]+\}", p) else re.escape(p)) for p in relpath.split("/")]
    return re.compile("/".join(parts) + r"/?\Z")


class ApiGateway:
    """Route management (the apimgmt actions) and serving, for one controller."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.store = controller.store

    # ---- management -----------------------------------------------------------------------------------
    @staticmethod
    def is_management(ns: str, pkg: str, action: str) -> bool:
        name = action.rsplit(".", 1)[0] if "." in action else action
        return ns == MGMT_NAMESPACE and pkg == MGMT_PACKAGE and name in OPERATIONS

    def manage(self, req: Request, action: str, txid: str) -> Response:
        """One call of createApi / getApi / deleteApi as a web action (``.http`` unless another extension)."""
        name, _, ext = action.partition(".")
        caller = self.controller.identify(req, required=False)
        if caller is None:  # the apimgmt actions are annotated require-whisk-auth
            raise unauthorized(errors.AUTH_MISSING)
        args = self._arguments(req)
        try:
            if name == "createApi":
                body: Any = self._create(caller, args)
            elif name == "getApi":
                body = self._get(caller, args)
            else:
                body = self._delete(caller, args)
            status = 200
        except RouteError as ex:
            failure = {"createApi": "API creation failure: ", "deleteApi": "API deletion failure: "}.get(
                name, ""
            )
            status, body = 502, {"error": failure + str(ex)}
        if ext and ext != "http":  # the action's own result, through that extension's transcoder
            result = {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}
            return json_response(200 if status == 200 else 502, result)
        return json_response(status, body)

    @staticmethod
    def _arguments(req: Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(req.raw_query, keep_blank_values=True))
        if req.body.strip():
            try:
                body = json.loads(req.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, errors.malformed(str(exc))) from None
            if isinstance(body, dict):
                args.update(body)
        return args

    def gateway_url(self, namespace: str, basepath: str) -> str:
        return f"{self.controller.api_host}{GATEWAY_PREFIX}{namespace}{basepath.rstrip('/')}"

    def _cli_api(self, stored: StoredApi) -> dict[str, Any]:
        return {
            "id": "Not Used",
            "key": "Not Used",
            "value": {
                "namespace": "Not Used",
                "gwApiActivated": True,
                "tenantId": "Not Used",
                "gwApiUrl": stored["gwApiUrl"],
                "apidoc": stored["apidoc"],
            },
        }

    def _find(self, namespace: str, basepath_or_name: str) -> StoredApi | None:
        """By base path ("/x"), or by API name (info.title) when it does not start with a slash."""
        if basepath_or_name.startswith("/"):
            doc = self.store.get(namespace, COLLECTION, basepath_or_name)
            return doc  # type: ignore[return-value]
        for doc in self.store.list_entities(namespace, COLLECTION, prefix=""):
            if doc["apidoc"].get("info", {}).get("title") == basepath_or_name:
                return doc  # type: ignore[return-value]
        return None

    def _save(self, namespace: str, swagger: dict[str, Any]) -> StoredApi:
        basepath = str(swagger["basePath"])
        stored: StoredApi = {
            "namespace": namespace,
            "basePath": basepath,
            "apidoc": swagger,
            "gwApiUrl": self.gateway_url(namespace, basepath),
            "updated": now_ms(),
        }
        self.store.put(namespace, COLLECTION, basepath, dict(stored))
        return stored

    def _create(self, caller: Identity, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("apidoc"):
            raise RouteError("apidoc is required.")
        apidoc = _check_create(copy.deepcopy(args["apidoc"]))
        ns = caller.namespace
        action = apidoc.get("action")
        if isinstance(action, dict) and action.get("namespace") == "_":  # as apimgmt's updateNamespace
            action["namespace"] = ns
            action["backendUrl"] = re.sub(
                r"/api/v1/web/[\w@.-]+/", f"/api/v1/web/{ns}/", action["backendUrl"], count=1
            )
        apidoc["namespace"] = ns
        if apidoc.get("swagger"):
            swagger = apidoc["swagger"]
        else:
            basepath = str(apidoc["gatewayBasePath"])
            if not basepath.startswith("/"):
                basepath = "/" + basepath
            if re.search(r"\{[^/]+\}", basepath):
                raise RouteError(
                    f"The base path ({basepath}) cannot have parameters. Only the relative path supports "
                    "path parameters."
                )
            existing = self._find(ns, basepath)
            swagger = (
                copy.deepcopy(existing["apidoc"])
                if existing
                else base_swagger(basepath, apidoc.get("apiName"))
            )
            response_type = str(args.get("responsetype") or "json").lower()
            if response_type not in RESPONSE_TYPES:
                raise RouteError(f"responsetype '{response_type}' is not one of {', '.join(RESPONSE_TYPES)}.")
            relpath = str(apidoc["gatewayPath"])
            apidoc["gatewayPath"] = relpath if relpath.startswith("/") else "/" + relpath
            if re.search(r"\{[^/]+\}", apidoc["gatewayPath"]) and response_type != "http":
                raise RouteError(
                    "The action must use a response type of '.http' in order to receive the path parameters."
                )
            add_endpoint(swagger, apidoc, response_type)
        return self._cli_api(self._save(ns, swagger))

    def _get(self, caller: Identity, args: dict[str, Any]) -> dict[str, Any]:
        basepath = str(args.get("basepath") or "")
        if basepath:
            found = self._find(caller.namespace, basepath)
            apis = [found] if found else []
        else:
            apis = self.store.list_entities(caller.namespace, COLLECTION, prefix="")  # type: ignore[assignment]
            apis.sort(key=lambda a: a["basePath"])
        relpath, verb = args.get("relpath"), str(args.get("operation") or "").lower()
        out = []
        for api in apis:
            item = self._cli_api(api)
            if relpath:  # only that path (and verb)
                doc = copy.deepcopy(api["apidoc"])
                paths = {relpath: doc["paths"].get(relpath, {})} if relpath in doc["paths"] else {}
                if verb and paths:
                    paths = {relpath: {k: v for k, v in paths[relpath].items() if k == verb}}
                doc["paths"] = {p: ops for p, ops in paths.items() if ops}
                item["value"]["apidoc"] = doc
            out.append(item)
        skip, limit = int(args.get("skip") or 0), int(args.get("limit") or 0)
        out = out[skip:]
        if limit > 0:
            out = out[:limit]
        return {"apis": out}

    def _delete(self, caller: Identity, args: dict[str, Any]) -> dict[str, Any]:
        basepath = str(args.get("basepath") or "")
        if not basepath:
            raise RouteError("basepath is required.")
        relpath = args.get("relpath")
        verb = str(args.get("operation") or "").lower() or None
        if verb and not relpath:
            raise RouteError("When specifying an operation, the path is required.")
        found = self._find(caller.namespace, basepath)
        if found is None:
            raise RouteError(f"API '{basepath}' does not exist.")
        if relpath:
            swagger = copy.deepcopy(found["apidoc"])
            remove_endpoint(swagger, str(relpath), verb)
            if swagger.get("paths"):
                self._save(caller.namespace, swagger)
                return {}
        self.store.delete(caller.namespace, COLLECTION, found["basePath"])
        return {}

    # ---- serving --------------------------------------------------------------------------------------
    @staticmethod
    def is_gateway_path(path: str) -> bool:
        return path.startswith(GATEWAY_PREFIX) and not path.startswith("/api/v1/") and path != "/api/v1"

    def serve(self, req: Request, txid: str) -> Response:
        """A request to ``/api/<namespace><basePath><relpath>``: the route's web action answers it."""
        rest = req.path[len(GATEWAY_PREFIX) :]
        ns, _, tail = rest.partition("/")
        ns = unquote(ns)
        tail = "/" + tail
        route = self._match(ns, tail, req.method.lower())
        if route is None and req.method == "OPTIONS":
            verbs = self._verbs(ns, tail)
            if verbs:  # the API's CORS setting (enabled, as apimgmt creates it) answers the preflight
                allow = req.headers.get("access-control-request-headers", "Authorization, Content-Type")
                return Response(
                    200,
                    b"",
                    [
                        ("Access-Control-Allow-Origin", "*"),
                        ("Access-Control-Allow-Methods", ", ".join(v.upper() for v in verbs)),
                        ("Access-Control-Allow-Headers", allow),
                    ],
                )
        if route is None:
            return json_response(404, {"status": 404, "message": ROUTE_NOT_FOUND})
        swagger, operation, relative = route
        target = operation.get("x-openwhisk", {})
        url = urlsplit(str(target.get("url", "")))
        web_path = url.path[len("/api/v1/web/") :] if url.path.startswith("/api/v1/web/") else ""
        if not web_path:
            return json_response(404, {"status": 404, "message": ROUTE_NOT_FOUND})
        if web_path.endswith(".http"):
            web_path += relative  # the target-url's $(request.path)
        headers = dict(req.headers)
        secure = secure_key(swagger, str(operation.get("operationId", "")))
        if secure is not None:
            headers["x-require-whisk-auth"] = secure
        forwarded = Request(
            method=req.method,
            path="/api/v1/web/" + web_path,
            query=req.query,
            headers=headers,
            body=req.body,
            raw_query=req.raw_query,
        )
        try:
            return self.controller.web.handle(forwarded, web_path, txid)
        except ApiError as exc:
            return error_response(exc.status, exc.message, txid, exc.headers)

    def _verbs(self, ns: str, tail: str) -> list[str]:
        """The verbs routed for a request path (for a CORS preflight)."""
        return [v for v in VERBS if v != "options" and self._match(ns, tail, v) is not None]

    def _match(self, ns: str, tail: str, verb: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
        """The operation for a request path under one of the namespace's base paths, and its relpath."""
        apis: list[dict[str, Any]] = self.store.list_entities(ns, COLLECTION, prefix="")
        for api in sorted(apis, key=lambda a: len(a["basePath"]), reverse=True):  # longest base path first
            base = api["basePath"].rstrip("/")
            if base and not (tail == base or tail.startswith(base + "/")):
                continue
            relative = tail[len(base) :] or "/"
            for relpath, operations in api["apidoc"].get("paths", {}).items():
                if verb in operations and _path_pattern(relpath).match(relative):
                    return api["apidoc"], operations[verb], relative
        return None


def secure_key(swagger: dict[str, Any], op_id: str) -> str | None:
    """The X-Require-Whisk-Auth value the gateway sets for an operation, if its route has a secure key."""
    execute = swagger.get("x-ibm-configuration", {}).get("assembly", {}).get("execute") or [{}]
    for case in execute[0].get("operation-switch", {}).get("case", []):
        if case.get("operations") == [op_id]:
            for step in case.get("execute", []):
                for action in step.get("set-variable", {}).get("actions", []):
                    if action.get("set") == "message.headers.X-Require-Whisk-Auth":
                        return str(action.get("value"))
    return None
