"""What the HTTP server checks before a request reaches the controller: the Host, the body, CORS.

- `host_allowed(host_header, allowed)`: DNS rebinding makes a browser send an attacker's name (`Host:
  evil.example`) to 127.0.0.1. Only loopback names and addresses and the names or addresses in `allowed`
  (`--allow-host`, and the address the platform is bound to) pass; anything else is refused with 403
  before routing.
- `read_body(rfile, headers, limit)`: Content-Length or chunked, never both; chunk sizes are strict hex
  (no sign, no spaces, at most 16 digits) and every size is checked against `limit` BEFORE its bytes are
  read, so a `-1` chunk or a huge length costs nothing. Malformed framing raises `BodyError(400)`, too large
  `BodyError(413)`; either way the connection is closed after the reply.
- `needs_key(path)`: the REST API paths answered only with a key; the server reads no body of a request to
  them whose Authorization is not one of the platform's keys (the controller then answers 401).
- `strip_rest_cors(headers)`: with OpenWhisk's well-known keys the REST API must not answer other origins.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_CHUNK_SIZE_RE = re.compile(rb"\A[0-9A-Fa-f]{1,16}\Z")
_LINE_LIMIT = 65537
MAX_TRAILER_LINES = 64


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...
    def readline(self, size: int = ..., /) -> bytes: ...


class BodyError(Exception):
    """The request body cannot be accepted: `status` (400 or 413) and a sentence for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _hostname(host_header: str) -> str:
    """The name part of a Host header value, lower-case, without port or brackets ("" when malformed)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    name, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    if port and not port.isdigit():
        return ""
    return name.rstrip(".")


def host_allowed(host_header: str | None, allowed: Iterable[str] = ()) -> bool:
    """True when a request with this Host header may be served (see the module docstring).

    No Host header at all (HTTP/1.0 tools) is allowed: a browser always sends one.
    """
    if host_header is None:
        return True
    name = _hostname(host_header)
    if not name:
        return False
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        if ipaddress.ip_address(name).is_loopback:
            return True
    except ValueError:
        pass
    return name in {a.strip().lower().rstrip(".") for a in allowed if a.strip()}


def read_body(rfile: Readable, headers: Mapping[str, str], limit: int) -> bytes:
    """The request body (see the module docstring); `headers` with lower-case names."""
    encoding = headers.get("transfer-encoding", "").strip().lower()
    length_header = headers.get("content-length")
    if encoding:
        if length_header is not None:
            raise BodyError(400, "Send either Content-Length or Transfer-Encoding: chunked, not both.")
        if encoding != "chunked":
            raise BodyError(400, f"Transfer-Encoding {encoding!r} is not supported; use chunked.")
        return _read_chunked(rfile, limit)
    if length_header is None or length_header.strip() == "":
        return b""
    raw = length_header.strip()
    if not raw.isdigit() or len(raw) > 19:
        raise BodyError(400, "Content-Length must be a non-negative whole number of bytes.")
    length = int(raw)
    if length > limit:
        raise BodyError(413, f"Request larger than allowed: > {limit} bytes.")
    data = rfile.read(length) if length else b""
    if len(data) != length:
        raise BodyError(400, "The request body ended before Content-Length bytes arrived.")
    return data


def _read_line(rfile: Readable) -> bytes:
    line = rfile.readline(_LINE_LIMIT)
    if not line.endswith(b"\n"):
        raise BodyError(400, "The chunked request body is malformed (a line is missing or too long).")
    return line.rstrip(b"\r\n")


def _read_chunked(rfile: Readable, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_text = _read_line(rfile).split(b";", 1)[0].rstrip(b" \t")
        if not _CHUNK_SIZE_RE.match(size_text):
            raise BodyError(400, "The chunked request body is malformed (a chunk size is not hex digits).")
        size = int(size_text, 16)
        if size == 0:
            for _ in range(MAX_TRAILER_LINES):
                if _read_line(rfile) == b"":
                    return b"".join(chunks)
            raise BodyError(400, "The chunked request body has too many trailer lines.")
        total += size
        if total > limit:
            raise BodyError(413, f"Request larger than allowed: > {limit} bytes.")
        data = rfile.read(size)
        if len(data) != size or _read_line(rfile) != b"":
            raise BodyError(400, "The chunked request body is malformed (a chunk is shorter than its size).")
        chunks.append(data)


def needs_key(path: str) -> bool:
    """True for the paths the controller answers only to a caller with a key."""
    return path.startswith("/api/v1/namespaces") or path.startswith("/local/")


def basic_key(authorization: str | None) -> str | None:
    """The "uuid:key" of a Basic Authorization header value, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def strip_rest_cors(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers without any Access-Control-* one."""
    return [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
