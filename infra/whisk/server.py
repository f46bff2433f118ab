"""The HTTP side of the local OpenWhisk: a stdlib ThreadingHTTPServer in front of the Controller.

Each accepted socket gets TCP_NODELAY and each response leaves in ONE write (headers and body together):
otherwise headers and body meet the peer's 44 ms delayed-ACK timer. HTTP/1.1 keep-alive.

`Platform` puts the store, the container pool, the controller and the server together; tests and benches
use `start_in_thread(...)`, users `python -m infra.whisk`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.whisk.controller import Controller, Request, Response, error_response
from infra.whisk.invocation import Pool
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

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _read_body(self) -> bytes | None:
        """The request body; None when it is too large (the connection is then closed after the reply)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BODY:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(error_response(400, "The request body could not be read.", "0" * 32))
            return
        if body is None:
            message = f"Request larger than allowed: > {MAX_REQUEST_BODY} bytes."
            self._send(error_response(413, message, "0" * 32))
            return
        parts = urlsplit(self.path)
        req = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_query=parts.query,
        )
        self._send(self.controller.handle(req))

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

    def bind_controller(self, controller: Controller) -> None:
        self.handler_class.controller = controller


def default_background_workers() -> int:
    """Non-blocking activations run at once: one per CPU the platform may use, at least 2. More only adds
    containers competing for the same cores: with 200 deposits on 2 cores, 16 workers made 6x more cold
    starts and half the throughput of 2 (bench/bench_load.py)."""
    return max(2, len(os.sched_getaffinity(0)))


def default_interactive_reserve(memory_budget_mb: int) -> int:
    """The budget kept for blocking invokes and web actions: an eighth of it, 128 to 512 MB, at most half."""
    return min(memory_budget_mb // 2, max(128, min(512, memory_budget_mb // 8)))


class Platform:
    """The local OpenWhisk: store + container pool + controller + HTTP server, started and stopped as one.

    `pool` may be given (anything with run/shutdown); otherwise the real ContainerPool is created with the
    given budget, idle timeout, prewarm count and interactive reserve (default: see
    default_interactive_reserve), working under `<data_dir>/containers`. `runtime_env` is the
    invoker's extra container variables: only their `__OW_*` names reach actions, as through the proxy.
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 3233,
        pool: Pool | None = None,
        memory_budget_mb: int = 2048,
        idle_timeout_s: float = 600,
        prewarm: int = 0,
        runtime_env: dict[str, str] | None = None,
        interactive_reserve_mb: int | None = None,
        starve_after_s: float = 5.0,
        background_workers: int | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.httpd = WhiskHTTPServer((host, port))
        bound_host = self.httpd.server_address[0]
        self.host = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
        self.port = int(self.httpd.server_address[1])
        self.api_host = f"http://{self.host}:{self.port}"
        self.store = Store(self.data_dir / "whisk.sqlite3")
        if pool is None:
            from infra.whisk.pool import ContainerPool

            pool = ContainerPool(
                self.api_host,
                self.data_dir / "containers",
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
        self.controller = Controller(self.store, pool, self.api_host, background_workers=workers)
        self.httpd.bind_controller(self.controller)
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
        self.store.close()


def start_in_thread(data_dir: Path, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Platform:
    """Start a platform serving from a background thread (port 0 = a free port); call `.stop()` after."""
    return Platform(data_dir, host=host, port=port, **kwargs).start()
