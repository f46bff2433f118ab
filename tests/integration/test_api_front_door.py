"""The front door rides out a bad minute (issue 13): the api action's code, in-process, reaches the real
pouchdb-server and s3rver through a TCP forwarder that refuses connections (nothing listens) or resets them
for a while, as a restarting server does. Within the request's retry deadline the answer is the normal one;
past it, a 503 naming the service, never a 500 `internal`. The whole-stack version (kill -9 of the real
servers while 12 deposits are made) is in test_faults.py."""

from __future__ import annotations

import select
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openchecks import retry
from openchecks.clients import reset_client_caches
from openchecks.config import reset_config_cache

from tests.fixtures.services import free_port
from tests.integration.test_api_idempotency import BODY, deposits_of, web
from tests.integration.test_pipeline_support import (
    BACK,
    app_params,
    call_api,
    png_bytes,
    provisioned,
    token,
    upload,
)


class Forwarder:
    """127.0.0.1:`port` -> `target`, that can be down (refusing: nothing listens) or resetting (accept, then
    close at once), like a server that restarts."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.resets = 0
        self.server: socketserver.ThreadingTCPServer | None = None

    def up(self) -> None:
        forwarder = self

        class Pipe(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                if forwarder.resets > 0:
                    forwarder.resets -= 1
                    # Linger 0: the close sends a RST, as a server killed mid-connection does.
                    self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                with socket.create_connection(forwarder.target) as upstream:
                    ends = [self.request, upstream]
                    while True:
                        ready, _, _ = select.select(ends, [], [], 30)
                        if not ready:
                            return
                        for end in ready:
                            data = end.recv(65536)
                            if not data:
                                return
                            (upstream if end is self.request else self.request).sendall(data)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Pipe)
        self.server.daemon_threads = True
        forever = {"poll_interval": 0.02}  # a quick shutdown at the end of the test
        serve = threading.Thread(target=self.server.serve_forever, kwargs=forever, daemon=True)
        serve.start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def up_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.up)
        timer.start()
        return timer


@pytest.fixture
def base(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


@pytest.fixture
def db_door(base: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Forwarder]]:
    """The app with its database reached through a forwarder (down until a test brings it up)."""
    door = Forwarder(base["cloudant_url"])
    reset_client_caches()
    reset_config_cache()  # the first request reads the configuration through the door
    try:
        yield {**base, "cloudant_url": door.url}, door
    finally:
        door.down()
        reset_client_caches()
        reset_config_cache()


@pytest.fixture
def s3_door(base: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Forwarder]]:
    door = Forwarder(base["cos_endpoint"])
    door.up()
    reset_client_caches()
    try:
        yield {**base, "cos_endpoint": door.url}, door
    finally:
        door.down()
        reset_client_caches()


def test_a_create_waits_out_a_database_restart(
    base: dict[str, Any], db_door: tuple[dict[str, Any], Forwarder]
) -> None:
    app, door = db_door
    timer = door.up_after(2.0)
    started = time.monotonic()
    try:
        answer = web(app, "/deposits", token("gina@example.com"), BODY, str(uuid.uuid4()))
    finally:
        timer.join()
    assert answer["statusCode"] == 201, answer["body"]
    assert time.monotonic() - started >= 2.0
    assert [d["_id"] for d in deposits_of(base, "gina@example.com")] == [answer["body"]["id"]]


def test_connections_reset_by_the_database_are_retried(
    base: dict[str, Any], db_door: tuple[dict[str, Any], Forwarder]
) -> None:
    app, door = db_door
    door.resets = 5
    door.up()
    answer = web(app, "/deposits", token("hana@example.com"), BODY, str(uuid.uuid4()))
    assert answer["statusCode"] == 201, answer["body"]
    assert door.resets == 0
    assert len(deposits_of(base, "hana@example.com")) == 1


def test_a_database_down_past_the_deadline_is_a_503_not_a_500(
    db_door: tuple[dict[str, Any], Forwarder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "API_DEADLINE_S", 1.0)
    app, _door = db_door  # never comes up
    alice = token("ivan@example.com")
    started = time.monotonic()
    answer = web(app, "/deposits", alice, BODY, str(uuid.uuid4()))
    assert time.monotonic() - started < 5
    assert (answer["statusCode"], answer["body"]["code"]) == (503, "database_unavailable"), answer["body"]
    assert "try again" in answer["body"]["error"]
    for method, path in (("get", "/deposits"), ("get", "/deposits/dep-" + "0" * 32), ("get", "/capture")):
        status, body = call_api(app, method, path, alice)
        assert (status, body["code"]) == (503, "database_unavailable"), (path, body)


def test_a_confirm_waits_out_an_object_store_restart(
    base: dict[str, Any], s3_door: tuple[dict[str, Any], Forwarder]
) -> None:
    app, door = s3_door
    alice = token("jack@example.com")
    status, created = call_api(app, "post", "/deposits", alice, BODY)
    assert status == 201
    assert upload(created, png_bytes()).status_code == 200
    assert upload(created, BACK, "back").status_code == 200
    door.down()
    timer = door.up_after(2.0)
    try:
        status, confirmed = call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice)
    finally:
        timer.join()
    assert status == 202, confirmed
    assert confirmed["status"] == "processing"


def test_an_object_store_down_past_the_deadline_is_a_503(
    base: dict[str, Any], s3_door: tuple[dict[str, Any], Forwarder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retry, "API_DEADLINE_S", 1.0)
    app, door = s3_door
    alice = token("kate@example.com")
    status, created = call_api(app, "post", "/deposits", alice, BODY)
    assert upload(created, png_bytes()).status_code == 200
    door.down()
    status, body = call_api(app, "post", f"/deposits/{created['id']}/uploaded", alice)
    assert (status, body["code"]) == (503, "storage_unavailable"), body
    assert call_api(base, "get", f"/deposits/{created['id']}", alice)[1]["status"] == "received"
