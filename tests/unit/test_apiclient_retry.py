"""The CLI's API client retries like a careful client: the same Idempotency-Key on every try of a create,
connection failures and 429/5xx retried with backoff, anything else returned at once. Against a small local
HTTP server that fails on purpose (the real servers being killed is in tests/integration/test_faults.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from openchecks import apiclient
from openchecks.apiclient import DepositApiError, DepositClient


class Flaky:
    """Answers POST /deposits and PUT /upload; `script` is the status of each request in turn (0 drops the
    connection without an answer), then 201/200."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.seen: list[tuple[str, str, str | None]] = []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, ok: int) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                flaky.seen.append((self.command, self.path, self.headers.get("Idempotency-Key")))
                status = flaky.script.pop(0) if flaky.script else ok
                if status == 0:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = json.dumps({"id": "dep-1", "code": f"c{status}", "error": "e"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self._answer(201)

            def do_PUT(self) -> None:
                self._answer(200)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        forever = {"poll_interval": 0.02}  # a quick shutdown at the end of the test
        serve = threading.Thread(target=self.server.serve_forever, kwargs=forever, daemon=True)
        serve.start()


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flaky]:
    monkeypatch.setattr(apiclient, "FIRST_DELAY_S", 0.01)
    monkeypatch.setattr(apiclient, "MAX_DELAY_S", 0.02)
    server = Flaky()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_a_create_is_retried_with_the_same_idempotency_key(flaky: Flaky) -> None:
    flaky.script = [503, 0, 502, 429]
    client = DepositClient(flaky.url, "token", timeout=5)
    assert client.create("12345678", "1.00", "image/png")["id"] == "dep-1"
    keys = [key for _, _, key in flaky.seen]
    assert len(keys) == 5 and len(set(keys)) == 1 and keys[0]
    assert [r.split(": ")[1] for r in client.retries] == [
        "503 c503",
        "ConnectionError",
        "502 c502",
        "429 c429",
    ]
    # A new deposit gets a new key.
    client.create("12345678", "1.00", "image/png")
    assert flaky.seen[-1][2] not in keys


def test_a_refusal_is_not_retried(flaky: Flaky) -> None:
    flaky.script = [409]
    client = DepositClient(flaky.url, "token", timeout=5)
    with pytest.raises(DepositApiError) as caught:
        client.create("12345678", "1.00", "image/png")
    assert caught.value.status == 409 and len(flaky.seen) == 1 and client.retries == []


def test_the_upload_is_retried(flaky: Flaky) -> None:
    flaky.script = [0, 503]
    client = DepositClient(flaky.url, "token", timeout=5)
    client.upload(
        {"upload_url": flaky.url + "/upload", "upload_headers": {"Content-Type": "image/png"}}, b"x"
    )
    assert [m for m, _, _ in flaky.seen] == ["PUT"] * 3


def test_retries_stop_after_retry_s(flaky: Flaky) -> None:
    flaky.script = [503] * 1000
    client = DepositClient(flaky.url, "token", timeout=5, retry_s=0.3)
    with pytest.raises(DepositApiError) as caught:
        client.create("12345678", "1.00", "image/png")
    assert caught.value.status == 503 and caught.value.code == "c503"
    assert 3 <= len(flaky.seen) < 1000
