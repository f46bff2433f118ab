"""The platform's transport-free HTTP types: `Request`, `Response` and OpenWhisk's JSON error reply.

The server (server.py) turns bytes into a `Request` and a `Response` into bytes; the controller package
answers one with the other. Nothing here imports the rest of the platform, so any module may use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
    """OpenWhisk's error body: `{"error": message, "code": transaction id}`."""
    return json_response(status, {"error": message, "code": txid}, list((headers or {}).items()))
