"""`python -m infra.services.couchgate`: the local stack's CouchDB, with a login and a CORS policy.

pouchdb-server alone needs no login for documents (an admin only guards server settings and database
creation), reflects any `Origin` with credentials, and exits on the first anonymous request that an admin
would refuse (see ../shared/reference/local-services.md). So the stack runs it behind this gate:

- pouchdb-server runs as the gate's child on an internal loopback port, with the admin user configured
  (its `config.json` 0600, its own CORS off), and dies with the gate (PR_SET_PDEATHSIG); when it exits the
  gate exits too, and the supervisor restarts both.
- Every request must carry HTTP Basic credentials equal to the admin's (`--credentials-file`, one line
  `user:password`, 0600), compared in constant time, except `GET /` (the welcome document, for health
  checks). Refusals are the gate's own 401: pouchdb-server never sees an anonymous request.
- CORS only for the `--allow-origin` origins (exact match, no credentials mode): the answer names the one
  origin and `Vary: Origin`; any other origin gets no CORS header. pouchdb-server's own are removed.
- Bodies: Content-Length or chunked (strict, see infra/whisk/guard.py), at most `MAX_BODY`; responses are
  streamed (longpoll `_changes` heartbeats go through as they come), keep-alive on both sides.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import hmac
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from infra.services.process import NODE_BIN, free_port, http_ok
from infra.whisk import guard

log = logging.getLogger("infra.couchgate")

MAX_BODY = 64 * 1024 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "authorization",
        "content-length",
        "cookie",
        "origin",
    }
)
CORS_METHODS = "GET, HEAD, POST, PUT, DELETE, COPY"
CORS_HEADERS = "Accept, Authorization, Content-Type, Origin, Referer, If-Match"
READ = 64 * 1024
STALE_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
UPSTREAM_IDLE_S = 2.0  # pouchdb-server (Node) drops keep-alive connections idle 5 s: reopen well before


def read_credentials(path: Path) -> tuple[str, str]:
    """(user, password) from a `user:password` file; ValueError naming the file when it is malformed."""
    user, sep, password = path.read_text().strip().partition(":")
    if not sep or not user or not password:
        raise ValueError(f"{path} must hold one line 'user:password'")
    return user, password


def _pdeathsig() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the gate


def write_pouchdb_config(data_dir: Path, user: str, password: str) -> None:
    """pouchdb-server's config.json (0600): the admin (hashed by pouchdb-server on start), CORS off."""
    path = data_dir / "config.json"
    try:
        config = json.loads(path.read_text())
        if not isinstance(config, dict):
            config = {}
    except (OSError, ValueError):
        config = {}
    config["admins"] = {user: password}
    config.setdefault("httpd", {})["enable_cors"] = False
    config.pop("cors", None)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        json.dump(config, out, indent=2)


class Gate(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], upstream_port: int, user: str, password: str, origins: list[str]
    ) -> None:
        super().__init__(address, _Handler)
        self.upstream_port = upstream_port
        self.expected = f"{user}:{password}".encode()
        self.upstream_auth = "Basic " + base64.b64encode(self.expected).decode()
        self.origins = frozenset(o.rstrip("/") for o in origins)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 600
    server: Gate

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._upstream: http.client.HTTPConnection | None = None
        self._upstream_used = 0.0

    def finish(self) -> None:
        self._drop_upstream()
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # ---- helpers ------------------------------------------------------------------------------------
    def _cors(self) -> list[tuple[str, str]]:
        origin = (self.headers.get("Origin") or "").rstrip("/")
        if origin and origin in self.server.origins:
            return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        return []

    def _authorized(self) -> bool:
        key = guard.basic_key(self.headers.get("Authorization"))
        return key is not None and hmac.compare_digest(key.encode(), self.server.expected)

    def _reply(self, status: int, doc: dict[str, str], extra: list[tuple[str, str]] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        for name, value in [("Content-Type", "application/json"), *self._cors(), *(extra or [])]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop_upstream(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    # ---- the request ----------------------------------------------------------------------------------
    def _handle(self) -> None:
        if self.command == "OPTIONS" and self.headers.get("Access-Control-Request-Method"):
            cors = self._cors()
            if cors:
                cors += [
                    ("Access-Control-Allow-Methods", CORS_METHODS),
                    ("Access-Control-Allow-Headers", CORS_HEADERS),
                    ("Access-Control-Max-Age", "600"),
                ]
            self.send_response(204)
            for name, value in cors:
                self.send_header(name, value)
            self.end_headers()
            return
        public = self.command in ("GET", "HEAD") and self.path == "/"
        if not public and not self._authorized():
            self.close_connection = True  # the body, if any, is never read
            self._reply(
                401,
                {"error": "unauthorized", "reason": "Send the stack's CouchDB user and password (Basic)."},
                [("WWW-Authenticate", 'Basic realm="openchecks local CouchDB"')],
            )
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = guard.read_body(self.rfile, headers, MAX_BODY)
        except guard.BodyError as exc:
            self.close_connection = True
            self._reply(exc.status, {"error": "bad_request", "reason": exc.message})
            return
        forward = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        forward["Authorization"] = self.server.upstream_auth
        forward["Content-Length"] = str(len(body))
        resp = None
        for attempt in (1, 2):
            reused = self._upstream is not None and time.monotonic() - self._upstream_used < UPSTREAM_IDLE_S
            if not reused:
                self._drop_upstream()
                port = self.server.upstream_port
                self._upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            assert self._upstream is not None
            try:
                self._upstream.request(self.command, self.path, body=body, headers=forward)
                resp = self._upstream.getresponse()
                break
            except (OSError, http.client.HTTPException) as exc:
                self._drop_upstream()
                # pouchdb-server closes idle keep-alive connections: a reused one that it closed before our
                # request arrived is retried once on a fresh connection (it never saw the request).
                if reused and isinstance(exc, STALE_ERRORS) and attempt == 1:
                    continue
                log.warning("upstream %s %s failed: %s", self.command, self.path.split("?")[0], exc)
                break
        if resp is None:
            self.close_connection = True
            self._reply(503, {"error": "unavailable", "reason": "CouchDB is restarting; try again shortly."})
            return
        self._relay(resp)
        self._upstream_used = time.monotonic()

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        no_body, chunked = self._relay_head(resp)
        try:
            self._relay_body(resp, no_body, chunked)
        except (OSError, http.client.HTTPException):
            self.close_connection = True
            self._drop_upstream()  # a half-read answer: that upstream connection is unusable
            return
        if resp.will_close:
            self._drop_upstream()

    def _relay_head(self, resp: http.client.HTTPResponse) -> tuple[bool, bool]:
        """Send upstream's status and end-to-end headers with the gate's CORS ones, framed for this client;
        returns whether the answer has no body and whether its body goes chunked (upstream gave no length)."""
        self.send_response(resp.status, resp.reason)
        for name, value in resp.getheaders():
            low = name.lower()
            if low in HOP_BY_HOP or low.startswith("access-control-") or low == "vary":
                continue
            self.send_header(name, value)
        for name, value in self._cors():
            self.send_header(name, value)
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        length = resp.getheader("Content-Length")
        chunked = not no_body and length is None
        if no_body:
            if self.command == "HEAD" and length is not None:
                self.send_header("Content-Length", str(length))
            elif resp.status not in (204, 304) and resp.status >= 200:
                self.send_header("Content-Length", "0")
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        if resp.will_close:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        return no_body, chunked

    def _relay_body(self, resp: http.client.HTTPResponse, no_body: bool, chunked: bool) -> None:
        """Copy upstream's body to the client as it comes (re-chunked if `chunked`), reading it to its end."""
        if no_body:
            resp.read()
        else:
            while True:
                data = resp.read1(READ)
                if not data:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                self.wfile.flush()
            resp.read()  # read1 never marks a Content-Length answer done; this frees the connection
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_COPY = do_PATCH = _handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.services.couchgate", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--credentials-file", type=Path, required=True)
    parser.add_argument("--allow-origin", action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        user, password = read_credentials(args.credentials_file)
    except (OSError, ValueError) as exc:
        print(f"couchgate: {exc}", file=sys.stderr)
        return 2
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    write_pouchdb_config(data_dir, user, password)
    upstream_port = free_port()
    child = subprocess.Popen(
        [
            str(NODE_BIN / "pouchdb-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(upstream_port),
            "--dir",
            str(data_dir),
            "-n",
        ],
        cwd=data_dir,
        stdin=subprocess.DEVNULL,
        umask=0o077,
        preexec_fn=_pdeathsig,
    )
    deadline = time.monotonic() + 30
    while not http_ok(f"http://127.0.0.1:{upstream_port}/", timeout=1.0):
        if child.poll() is not None or time.monotonic() > deadline:
            print("couchgate: pouchdb-server did not start", file=sys.stderr)
            child.kill()
            return 1
        time.sleep(0.1)
    gate = Gate(("127.0.0.1", args.port), upstream_port, user, password, args.allow_origin)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=gate.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    log.info("CouchDB gate on 127.0.0.1:%s (pouchdb-server pid %s)", args.port, child.pid)
    status = 0
    while not stopping.wait(0.5):
        if child.poll() is not None:
            log.error("pouchdb-server exited (status %s); the gate exits to be restarted", child.returncode)
            status = 1
            break
    gate.shutdown()
    gate.server_close()
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
    return status


if __name__ == "__main__":
    sys.exit(main())
