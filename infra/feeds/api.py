"""The provider's HTTP API, called by the catalog's feed actions (and by tests).

Routes (JSON in and out; `Authorization: Basic base64(authKey)` = the trigger owner's "uuid:key"):
- `GET /health` -> 200 {"ok": true, "feeds": n} (no auth)
- `POST /triggers/{ns}/{name}` body {"feed": alarm|interval|once|changes, ...feed params} -> CREATE
- `GET /triggers/{ns}/{name}` -> READ {config, status}
- `PUT /triggers/{ns}/{name}` body {...params to change} -> UPDATE
- `DELETE /triggers/{ns}/{name}` -> DELETE
Errors answer {"error": message} with the status of the FeedError (400 bad parameters, 401 wrong key,
404 no such feed or trigger, 409 feed owned by another key, 503 platform or database unreachable).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from infra.feeds.errors import FeedError
from infra.feeds.provider import Provider

log = logging.getLogger("infra.feeds.api")
MAX_BODY = 1024 * 1024


class ProviderServer(ThreadingHTTPServer):
    """A threading HTTP server bound to `provider`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: Provider) -> None:
        super().__init__(address, _Handler)
        self.provider = provider


def _auth_key(header: str | None) -> str:
    if not header or not header.startswith("Basic "):
        raise FeedError("the request needs the trigger owner's authKey as HTTP Basic authentication", 401)
    try:
        key = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise FeedError("the Authorization header is not valid Basic authentication", 401) from None
    if ":" not in key:
        raise FeedError("the authKey must be uuid:key", 401)
    return key


class _Handler(BaseHTTPRequestHandler):
    server: ProviderServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body in separate writes would otherwise wait on delayed ACKs (about 40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise FeedError("request body too large", 413)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise FeedError("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise FeedError("the request body must be a JSON object")
        return body

    def _handle(self, method: str) -> None:
        try:
            path = self.path.split("?", 1)[0]
            if path == "/health" and method == "GET":
                self._send(200, {"ok": True, "feeds": self.server.provider.count()})
                return
            parts = path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "triggers":
                raise FeedError(f"no route {method} {path}", 404)
            trigger = f"/{unquote(parts[1])}/{unquote(parts[2])}"
            body = self._body() if method in ("POST", "PUT") else {}
            key = _auth_key(self.headers.get("Authorization"))
            provider = self.server.provider
            if method == "POST":
                result = provider.create(str(body.get("feed", "")), trigger, key, body)
            elif method == "GET":
                result = provider.read(trigger, key)
            elif method == "PUT":
                result = provider.update(trigger, key, body)
            else:
                result = provider.delete(trigger, key)
            self._send(200, result)
        except FeedError as exc:
            self._send(exc.status, {"error": exc.message})
        except Exception as exc:  # one bad request must never take the provider down
            log.exception("%s %s failed", method, self.path)
            self._send(500, {"error": f"the feed provider failed: {exc}"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")
