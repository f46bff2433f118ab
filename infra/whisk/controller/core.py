"""The `Controller`: the store, the activator and the keys that every route module works with.

Transport-free: `Controller.handle(Request) -> Response`; the HTTP server (server.py) only moves bytes.
Which module answers which path is in routes.py. Status codes and messages follow OpenWhisk's controller
(see ../shared/reference/openwhisk.md, section 2).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import uuid

from infra.whisk import errors
from infra.whisk.controller import routes
from infra.whisk.controller.apigateway import ApiGateway
from infra.whisk.controller.webactions import WebActions
from infra.whisk.errors import ApiError, not_found, unauthorized
from infra.whisk.http import Request, Response, error_response
from infra.whisk.invocation import Activator, Identity, Pool
from infra.whisk.keys import WELL_KNOWN_KEYS
from infra.whisk.store import Store

log = logging.getLogger("infra.whisk")

# OpenWhisk's controller answers browsers on its REST API too (CorsSettings.RestAPIs).
API_CORS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, DELETE, POST, PUT, HEAD"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent",
    ),
)


class Controller:
    """All of `/` and `/api/v1`. Thread-safe; every error becomes an OpenWhisk error reply."""

    def __init__(
        self,
        store: Store,
        pool: Pool,
        api_host: str,
        keys: dict[str, str] | None = None,
        background_workers: int | None = None,  # None: one per CPU (default_background_workers)
    ) -> None:
        self.store = store
        self.api_host = api_host
        self.keys = dict(keys or WELL_KNOWN_KEYS)
        self._by_key = {key: ns for ns, key in self.keys.items()}
        self.activator = Activator(store, pool, self.keys, nonblocking_workers=background_workers)
        self.write_lock = threading.RLock()
        self.web = WebActions(self)
        self.gateway = ApiGateway(self)

    def shutdown(self) -> None:
        self.activator.shutdown()

    def handle(self, req: Request) -> Response:
        """Answer one request; never raises (internal errors become a 500 JSON reply, logged)."""
        txid = uuid.uuid4().hex
        route = routes.find(req.path)
        web = route is not None and route.web
        try:
            if req.method == "OPTIONS" and not web:
                return Response(200, b"", list(API_CORS))
            if route is None:
                raise not_found()
            response = route.handler(self, req, txid)
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
