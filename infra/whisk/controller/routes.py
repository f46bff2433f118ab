"""The route table of the local OpenWhisk: which module answers which path.

`ROUTES` maps top-level paths (in order, first match wins) to handlers `(controller, request, txid)`;
`COLLECTIONS` maps `/api/v1/namespaces/{ns}/{collection}/...` to the entity modules, each with one
`handle(controller, request, identity, namespace, rest, txid)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from infra.whisk import entities, errors
from infra.whisk.controller import actions, activations, info, namespaces, packages, rules, triggers
from infra.whisk.controller.apigateway import ApiGateway
from infra.whisk.errors import bad_request, conflict, not_found
from infra.whisk.http import Request, Response
from infra.whisk.invocation import Identity
from infra.whisk.store import COLLECTIONS as STORED_COLLECTIONS

if TYPE_CHECKING:
    from infra.whisk.controller.core import Controller

PathHandler = Callable[["Controller", Request, str], Response]
EntityHandler = Callable[["Controller", Request, Identity, str, list[str], str], Response]

WEB_PREFIX = "/api/v1/web/"
NAMESPACES_PREFIX = "/api/v1/namespaces"


@dataclass(frozen=True)
class Route:
    name: str
    matches: Callable[[str], bool]
    handler: PathHandler
    web: bool = False  # answers its own CORS and OPTIONS (web actions, API gateway routes)


def _web_action(ctl: Controller, req: Request, txid: str) -> Response:
    return ctl.web.handle(req, req.path[len(WEB_PREFIX) :], txid)


def _gateway(ctl: Controller, req: Request, txid: str) -> Response:
    return ctl.gateway.serve(req, txid)


def _namespaced(ctl: Controller, req: Request, txid: str) -> Response:
    """`/api/v1/namespaces[/{ns}/{collection}/...]`: authenticate, check the names, hand to the entity."""
    ident = ctl.identify(req)
    assert ident is not None
    parts = [unquote(p) for p in req.path[len(NAMESPACES_PREFIX) :].split("/")][1:]
    if not parts or parts == [""]:
        return namespaces.list_namespaces(req, ident)
    ns = ident.namespace if parts[0] == "_" else parts[0]
    if not ns or not entities.NAME_RE.match(ns):
        raise bad_request(errors.NAMESPACE_ILLEGAL)
    if len(parts) == 1 or parts[1] == "":
        raise not_found()
    collection, rest = parts[1], parts[2:]
    handler = COLLECTIONS.get(collection)
    if handler is None:
        raise not_found()
    top_level = len(rest) == 1 or (collection != "actions" and rest[1:] == [""])  # not "actions/pkg/"
    if collection in STORED_COLLECTIONS and rest and rest[0] and top_level:
        _conform(ctl, ns, collection, rest[0])
    if req.method == "GET" or (req.method == "POST" and collection in ("actions", "triggers")):
        return handler(ctl, req, ident, ns, rest, txid)
    with ctl.write_lock:  # entity writes read-modify-write documents (rule status lives on triggers)
        return handler(ctl, req, ident, ns, rest, txid)


def _conform(ctl: Controller, ns: str, collection: str, name: str) -> None:
    """One name per namespace across actions, packages, triggers and rules (OpenWhisk's document id)."""
    if ctl.store.get(ns, collection, name) is not None:
        return
    others = (other for other in STORED_COLLECTIONS if other != collection)
    if any(ctl.store.get(ns, other, name) is not None for other in others):
        raise conflict(errors.CONFORMANCE)


ROUTES: tuple[Route, ...] = (
    Route("info", lambda path: path in ("", "/"), info.root),
    Route("web actions", lambda path: path.startswith(WEB_PREFIX), _web_action, web=True),
    Route("API gateway", ApiGateway.is_gateway_path, _gateway, web=True),
    Route("API info", lambda path: path in ("/api/v1", "/api/v1/", "/api"), info.api),
    Route("API docs", lambda path: path == "/api/v1/api-docs", info.api_docs),
    Route("local stats", lambda path: path == "/local/stats", info.local_stats),
    Route("namespaces", lambda path: path.startswith(NAMESPACES_PREFIX), _namespaced),
)

COLLECTIONS: dict[str, EntityHandler] = {
    "actions": actions.handle,
    "packages": packages.handle,
    "triggers": triggers.handle,
    "rules": rules.handle,
    "activations": activations.handle,
    "limits": namespaces.limits,
}


def find(path: str) -> Route | None:
    return next((route for route in ROUTES if route.matches(path)), None)
