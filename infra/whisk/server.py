"""The HTTP side of the local OpenWhisk: a stdlib ThreadingHTTPServer in front of the Controller.

Each accepted socket gets TCP_NODELAY and each response leaves in ONE write (headers and body together):
otherwise headers and body meet the peer's 44 ms delayed-ACK timer. HTTP/1.1 keep-alive.

`Platform` puts the store, the container pool, the controller and the server together; tests and benches
use `start_in_thread(...)`, users `python -m infra.whisk`.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra import ports
from infra.whisk import guard, sandbox
from infra.whisk import keys as keys_module
from infra.whisk.controller import Controller
from infra.whisk.http import Request, Response, error_response
from infra.whisk.invocation import Pool, default_background_workers
from infra.whisk.store import Store

log = logging.getLogger("infra.whisk")

MAX_REQUEST_BODY = 64 * 1024 * 1024  # code up to 48 MB (base64) fits; anything larger is refused unread
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 600  # an idle keep-alive connection (or a stalled upload) frees its thread after this
    server_version = "openchecks-whisk"
    sys_version = ""
    controller: Controller  # set on the subclass made by WhiskHTTPServer
    keys: frozenset[str | None] = frozenset()  # every namespace's "uuid:key"
    allowed_hosts: tuple[str, ...] = ()  # names and addresses served besides loopback ones
    rest_cors = True  # False with the well-known keys: the REST API then answers no other origin

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not guard.host_allowed(self.headers.get("Host"), self.allowed_hosts):
            # DNS rebinding: a browser sent a page's name to this loopback server. Nothing is read or routed.
            self.close_connection = True
            message = (
                "This platform answers only loopback names and addresses, its own address and the names "
                "given with --allow-host; the Host header names another."
            )
            self._send(error_response(403, message, "0" * 32))
            return
        body = b""
        has_body = "transfer-encoding" in headers or (headers.get("content-length") or "0").strip() != "0"
        if guard.needs_key(parts.path) and guard.basic_key(headers.get("authorization")) not in self.keys:
            # No body of a caller without a key is read: the controller answers 401 from the headers alone.
            if has_body:
                self.close_connection = True
        else:
            try:
                body = guard.read_body(self.rfile, headers, MAX_REQUEST_BODY)
            except guard.BodyError as exc:
                self.close_connection = True
                self._send(error_response(exc.status, exc.message, "0" * 32))
                return
            except (ValueError, OSError):
                self.close_connection = True
                self._send(error_response(400, "The request body could not be read.", "0" * 32))
                return
        req = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            raw_query=parts.query,
        )
        resp = self.controller.handle(req)
        if not self.rest_cors and not parts.path.startswith("/api/v1/web/"):
            resp.headers = guard.strip_rest_cors(resp.headers)
        self._send(resp)

    def _send(self, resp: Response) -> None:
        body = b"" if self.command == "HEAD" else resp.body
        lines = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in resp.headers]
        if resp.status not in (204, 304):
            lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head + (b"" if resp.status in (204, 304) else body))
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class WhiskHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        handler = type("BoundHandler", (_Handler,), {})
        super().__init__(address, handler)
        self.handler_class: Any = handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that went away mid-reply is routine; anything else goes to the log, not stderr
        log.debug("connection error from %s", client_address, exc_info=True)

    def bind_controller(
        self, controller: Controller, allowed_hosts: tuple[str, ...] = (), rest_cors: bool = True
    ) -> None:
        self.handler_class.controller = controller
        self.handler_class.keys = frozenset(controller.keys.values())
        self.handler_class.allowed_hosts = allowed_hosts
        self.handler_class.rest_cors = rest_cors


def default_interactive_reserve(memory_budget_mb: int) -> int:
    """The budget kept for blocking invokes and web actions: an eighth of it, 128 to 512 MB, at most half."""
    return min(memory_budget_mb // 2, max(128, min(512, memory_budget_mb // 8)))


class Platform:
    """The local OpenWhisk: store + container pool + controller + HTTP server, started and stopped as one.

    `pool` may be given (anything with run/shutdown); otherwise the real ContainerPool is created with the
    given budget, idle timeout, prewarm count and interactive reserve (default: see
    default_interactive_reserve), working under `<data_dir>/containers`. `runtime_env` is the
    invoker's extra container variables: only their `__OW_*` names reach actions, as through the proxy.

    Security (see infra/whisk/keys.py, guard.py, sandbox.py): `data_dir` is made 0700; `keys` (namespace ->
    "uuid:key") default to the random ones kept in `data_dir` (made on first start); `<data_dir>/.wskprops`
    is written for wsk-style tools. Requests whose Host is not loopback, the bound address or one of
    `allowed_hosts` are refused. With OpenWhisk's well-known keys the REST API answers no CORS. `sandboxed`
    (default: when running as root) runs every container as its own unprivileged uid, with its directory
    outside the data directory (`sandbox.work_root`).
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = ports.WHISK,
        pool: Pool | None = None,
        memory_budget_mb: int = 2048,
        idle_timeout_s: float = 600,
        prewarm: int = 0,
        runtime_env: dict[str, str] | None = None,
        interactive_reserve_mb: int | None = None,
        starve_after_s: float = 5.0,
        background_workers: int | None = None,
        keys: dict[str, str] | None = None,
        allowed_hosts: tuple[str, ...] = (),
        sandboxed: bool | None = None,
    ) -> None:
        self.data_dir = keys_module.private_dir(Path(data_dir))
        self.keys = dict(keys) if keys is not None else keys_module.load_or_create_keys(self.data_dir)
        self.httpd = WhiskHTTPServer((host, port))
        bound_host = self.httpd.server_address[0]
        self.host = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
        self.port = int(self.httpd.server_address[1])
        self.api_host = f"http://{self.host}:{self.port}"
        self.store = Store(self.data_dir / "whisk.sqlite3")
        self.sandbox: sandbox.Sandbox | None = None
        self.containers_dir = self.data_dir / "containers"
        if pool is None:
            from infra.whisk.pool import ContainerPool

            if sandbox.needed() if sandboxed is None else sandboxed:
                self.containers_dir = sandbox.work_root(self.data_dir)
                self.sandbox = sandbox.enable(self.containers_dir)
            pool = ContainerPool(
                self.api_host,
                self.containers_dir,
                memory_budget_mb=memory_budget_mb,
                idle_timeout_s=idle_timeout_s,
                prewarm=prewarm,
                extra_env=runtime_env,
                interactive_reserve_mb=(
                    default_interactive_reserve(memory_budget_mb)
                    if interactive_reserve_mb is None
                    else interactive_reserve_mb
                ),
                starve_after_s=starve_after_s,
            )
        self.pool = pool
        workers = default_background_workers() if background_workers is None else background_workers
        self.controller = Controller(
            self.store, pool, self.api_host, keys=self.keys, background_workers=workers
        )
        well_known = any(keys_module.is_well_known(k) for k in self.keys.values())
        served_names = (*allowed_hosts, *([] if self.host in ("0.0.0.0", "::") else [self.host]))
        self.httpd.bind_controller(self.controller, served_names, rest_cors=not well_known)
        self.wskprops = keys_module.write_wskprops(self.data_dir, self.api_host, self.keys["guest"])
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> Platform:
        self._thread = threading.Thread(target=self.serve_forever, name="whisk-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, stop every container, close the store. Safe to call twice."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()
        self.controller.shutdown()
        shutdown = getattr(self.pool, "shutdown", None)
        if callable(shutdown):
            try:
                shutdown()
            except Exception:
                log.exception("container pool shutdown failed")
        if self.sandbox is not None:
            sandbox.disable(self.containers_dir)
        self.store.close()


def start_in_thread(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Platform:
    """Start a platform serving from a background thread (port 0 = a free port); call `.stop()` after."""
    return Platform(data_dir, host=host, port=port, **kwargs).start()
