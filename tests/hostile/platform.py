"""The hostile corpus against the local platform itself: raw HTTP requests and the answer each must get.

Each case is the bytes of one request (built for the platform's `host:port` and its real guest key), sent on
a fresh connection WITHOUT closing our side, so a server that waited for more body (or for EOF) shows as a
timeout instead of an answer. `status` is what must come back; `what` says which attack it is.

    DNS rebinding    a page on evil.example resolved to 127.0.0.1 makes the browser send `Host: evil.example`
    well-known keys  OpenWhisk's published guest / whisk.system keys
    request framing  negative, signed or huge chunk sizes, chunked with Content-Length, bad lengths
    unauthenticated  a large body to a REST path without a key: refused from the headers, the body never read

`COUCHDB_ANONYMOUS` are requests without credentials to the stack's CouchDB (each must get 401 from the
gate, and pouchdb-server, which dies on some of them when it sees them itself, must live on);
`CORS_ORIGINS` are origins that must get no CORS header from it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from infra.whisk.keys import WELL_KNOWN_KEYS

MB = 1024 * 1024


@dataclass(frozen=True)
class PlatformCase:
    name: str
    status: int
    what: str
    build: Callable[[str, str], bytes]  # (host:port, guest key) -> request bytes


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(key.encode()).decode()


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def _get_actions(host: str | None, key: str | None, extra: dict[str, str] | None = None) -> Callable:
    def build(hostport: str, guest: str) -> bytes:
        headers = {"Host": hostport if host is None else host.replace("{port}", hostport.split(":")[1])}
        if key is not None:
            headers["Authorization"] = _basic(guest if key == "guest" else key)
        return _request("GET", "/api/v1/namespaces/_/actions", {**headers, **(extra or {})})

    return build


def _put_action(framing: dict[str, str], body: bytes, key: str | None = "guest") -> Callable:
    def build(hostport: str, guest: str) -> bytes:
        headers = {"Host": hostport, "Content-Type": "application/json", **framing}
        if key is not None:
            headers["Authorization"] = _basic(guest if key == "guest" else key)
        return _request("PUT", "/api/v1/namespaces/_/actions/hostile-framing", headers, body)

    return build


def _invoke_web(framing: dict[str, str], body: bytes) -> Callable:
    """A web action path: no key needed, so the body cap is all that protects the platform."""

    def build(hostport: str, guest: str) -> bytes:
        headers = {"Host": hostport, "Content-Type": "application/json", **framing}
        return _request("POST", "/api/v1/web/guest/default/nothing.json", headers, body)

    return build


CHUNKED = {"Transfer-Encoding": "chunked"}

CASES: tuple[PlatformCase, ...] = (
    # ---- DNS rebinding
    PlatformCase(
        "host-evil-name",
        403,
        "DNS rebinding: Host names the attacker's domain",
        _get_actions("evil.example:{port}", "guest"),
    ),
    PlatformCase(
        "host-evil-name-no-port", 403, "DNS rebinding without a port", _get_actions("evil.example", "guest")
    ),
    PlatformCase(
        "host-evil-trailing-dot",
        403,
        "rebinding with a fully qualified name",
        _get_actions("rebind.evil.example.:{port}", "guest"),
    ),
    PlatformCase(
        "host-garbage", 403, "a Host header that is no host at all", _get_actions("a b:c:d", "guest")
    ),
    PlatformCase(
        "host-other-address",
        403,
        "a non-loopback address the platform is not bound to",
        _get_actions("192.0.2.1:{port}", "guest"),
    ),
    PlatformCase("host-localhost", 200, "loopback name is served", _get_actions("localhost:{port}", "guest")),
    PlatformCase(
        "host-ipv4", 200, "the loopback address is served", _get_actions("127.0.0.1:{port}", "guest")
    ),
    # ---- keys
    PlatformCase(
        "well-known-guest-key",
        401,
        "OpenWhisk's published guest key",
        _get_actions(None, WELL_KNOWN_KEYS["guest"]),
    ),
    PlatformCase(
        "well-known-system-key",
        401,
        "OpenWhisk's published whisk.system key",
        _get_actions(None, WELL_KNOWN_KEYS["whisk.system"]),
    ),
    # ---- request framing (with a valid key: the body is read, so the framing must be checked)
    PlatformCase(
        "chunk-size-negative",
        400,
        "chunk size -1 (was: read to EOF, no cap)",
        _put_action(CHUNKED, b"-1\r\n" + b"x" * 4096),
    ),
    PlatformCase("chunk-size-signed", 400, "chunk size +10", _put_action(CHUNKED, b"+10\r\n" + b"x" * 16)),
    PlatformCase("chunk-size-not-hex", 400, "chunk size 0x10", _put_action(CHUNKED, b"0x10\r\n" + b"x" * 16)),
    PlatformCase(
        "chunk-size-huge",
        413,
        "one chunk announcing 1 TB",
        _put_action(CHUNKED, b"10000000000\r\n" + b"x" * 4096),
    ),
    PlatformCase(
        "chunk-size-overflow", 400, "a chunk size of 40 hex digits", _put_action(CHUNKED, b"f" * 40 + b"\r\n")
    ),
    PlatformCase(
        "chunk-just-over-cap",
        413,
        "one chunk a byte over the 64 MB cap",
        _put_action(CHUNKED, b"4000001\r\n" + b"x" * 4096),
    ),
    PlatformCase(
        "chunk-short", 400, "a chunk shorter than its size", _put_action(CHUNKED, b"4\r\nxy\r\n0\r\n\r\n")
    ),
    PlatformCase(
        "chunked-and-length",
        400,
        "Transfer-Encoding and Content-Length together (smuggling)",
        _put_action({**CHUNKED, "Content-Length": "5"}, b"0\r\n\r\n"),
    ),
    PlatformCase(
        "transfer-encoding-gzip",
        400,
        "an encoding the platform does not speak",
        _put_action({"Transfer-Encoding": "gzip, chunked"}, b"0\r\n\r\n"),
    ),
    PlatformCase(
        "content-length-negative",
        400,
        "Content-Length -1",
        _put_action({"Content-Length": "-1"}, b"x" * 4096),
    ),
    PlatformCase(
        "content-length-huge",
        413,
        "Content-Length of 96 MB, refused unread",
        _put_action({"Content-Length": str(96 * MB)}, b"x" * 4096),
    ),
    PlatformCase(
        "content-length-not-number",
        400,
        "Content-Length 12abc",
        _put_action({"Content-Length": "12abc"}, b"x" * 16),
    ),
    # ---- web actions: no key needed, the cap still holds
    PlatformCase(
        "web-chunk-negative",
        400,
        "chunk size -1 on a web action (no key)",
        _invoke_web(CHUNKED, b"-1\r\n" + b"x" * 4096),
    ),
    PlatformCase(
        "web-content-length-huge",
        413,
        "96 MB to a web action (no key)",
        _invoke_web({"Content-Length": str(96 * MB)}, b"x" * 4096),
    ),
    # ---- unauthenticated bodies are never read
    PlatformCase(
        "no-key-big-body",
        401,
        "96 MB announced without a key: 401 from the headers",
        _put_action({"Content-Length": str(60 * MB)}, b"x" * 4096, key=None),
    ),
    PlatformCase(
        "wrong-key-chunked",
        401,
        "a chunked body with a wrong key: 401, body unread",
        _put_action(CHUNKED, b"-1\r\n" + b"x" * 4096, key="nobody:nothing"),
    ),
)


COUCHDB_ANONYMOUS: tuple[tuple[str, str], ...] = (
    ("GET", "/_all_dbs"),  # list every database
    ("GET", "/sec-probe"),
    ("GET", "/sec-probe/doc"),  # read a document (pouchdb-server alone: open to anyone, even with an admin)
    ("PUT", "/sec-probe/doc2"),  # write one
    ("PUT", "/anonymous-db"),  # create a database (pouchdb-server alone: exits on this one)
    ("DELETE", "/sec-probe"),
    ("GET", "/_config"),  # read the server's configuration (the admin's hash)
    ("GET", "/sec-probe/_changes"),
    ("POST", "/sec-probe/_find"),
    ("GET", "/_utils/"),  # Fauxton
)
CORS_ORIGINS: tuple[str, ...] = ("http://evil.example", "null", "http://127.0.0.1.evil.example")
