"""find-new-checks on the local platform leaves a deposit alone while its run waits in the platform's queue.

Every background worker of the platform is kept busy by a sleeping action (until the test releases it), so
the process-check run that confirming a deposit starts has been accepted by OpenWhisk but not begun. The
deposit is `processing` and stale (stale_after_seconds is 1 here), yet the sweep reports it `pending`,
counts no attempt and starts nothing; once the workers are free the one run finishes it. The same holds for
a run find-new-checks itself started (a retry of a deposit whose trigger was dropped): the next sweep finds
it in its own last report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fixtures.app import FINAL, App, deploy_app, require_models, undeploy_app, unique_email
from tests.fixtures.stack import LocalStack
from tests.integration.test_pipeline_support import png_bytes

pytestmark = pytest.mark.local_only  # fills the local platform's background workers (GET /local/stats)

SLEEPER = """
import time
import urllib.request

def main(args):
    # Busy until the test releases it (GET `until` answers 200), or `sleep` seconds at most.
    deadline = time.monotonic() + float(args.get("sleep", 1))
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(args["until"], timeout=2) as answer:
                if answer.status == 200:
                    return {"slept": True, "released": True}
        except OSError:
            pass
        time.sleep(0.2)
    return {"slept": True, "released": False}
"""


class Release:
    """A local HTTP server the sleepers poll: 404 until `release()`, then 200."""

    def __init__(self) -> None:
        released = self.released = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if released.is_set() else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/released"
        forever = {"poll_interval": 0.02}  # a quick shutdown at the end of the test
        serve = threading.Thread(target=self.server.serve_forever, kwargs=forever, daemon=True)
        serve.start()

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def pending_app(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_models()
    app = deploy_app(
        stack,
        tmp_path_factory.mktemp("pending-app"),
        stale_after_seconds=1,
        config={"run_lost_after_seconds": 300},
    )
    try:
        yield app
    finally:
        undeploy_app(app)


def local_stats(stack: LocalStack) -> dict[str, Any]:
    stats: dict[str, Any] = stack.wsk.get(f"{stack.api_host}/local/stats", timeout=10).json()
    return stats


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {timeout} s: {what}"
        time.sleep(0.2)


@contextmanager
def busy_workers(stack: LocalStack) -> Iterator[int]:
    """Every background worker of the platform busy until the block ends (60 s at most); yields how many
    there are."""
    sleeper = stack.ns_url("actions/pending-sleeper")
    created = stack.wsk.put(
        sleeper,
        params={"overwrite": "true"},
        json={"exec": {"kind": "python:3.11", "code": SLEEPER}, "limits": {"timeout": 90000, "memory": 128}},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    release = Release()
    try:
        workers = int(local_stats(stack)["background_workers"])
        for _ in range(workers):
            resp = stack.wsk.post(
                sleeper, params={"blocking": "false"}, json={"sleep": 60, "until": release.url}, timeout=30
            )
            assert resp.status_code == 202, resp.text
        wait_for(lambda: local_stats(stack)["background_running"] >= workers, 30, "all workers busy")
        yield workers
        # Still all busy at the end of the block: what it checked happened while every worker was taken.
        assert local_stats(stack)["background_running"] >= workers
    finally:
        release.release()
        wait_for(lambda: local_stats(stack)["background_running"] == 0, 30, "the sleepers released")
        release.close()
        stack.wsk.delete(sleeper, timeout=30)


def settled_once(app: App, deposit_id: str, attempts: int) -> None:
    """The deposit ends in a final status after exactly `attempts` attempts."""
    doc = app.settle([deposit_id], timeout=180, sweep_after=60)[deposit_id]
    assert doc is not None and doc["status"] in FINAL, doc
    assert doc["attempts"] == attempts, doc["history"]


def test_a_run_waiting_in_the_platform_queue_is_pending_not_retried(pending_app: App) -> None:
    with busy_workers(pending_app.stack):
        deposit_id = pending_app.deposit(pending_app.headers(unique_email("pending")), png_bytes())
        assert local_stats(pending_app.stack)["background_queued"] >= 1  # accepted, not started
        time.sleep(2)  # stale: no progress for more than stale_after_seconds
        report = pending_app.sweep()
        assert deposit_id in report["pending"], report
        assert deposit_id not in report["retried"] and deposit_id not in report["runs"], report
        (doc,) = pending_app.docs_for([deposit_id]).values()
        assert doc is not None and doc["status"] == "processing" and doc["attempts"] == 1
    settled_once(pending_app, deposit_id, attempts=1)
    (doc,) = pending_app.docs_for([deposit_id]).values()
    assert doc is not None and not any(entry["by"] == "find-new-checks" for entry in doc["history"])


def test_a_retry_still_queued_is_pending_at_the_next_sweep(pending_app: App) -> None:
    stack = pending_app.stack
    rule = stack.ns_url("rules/process-uploaded-check")
    assert stack.wsk.post(rule, json={"status": "inactive"}, timeout=30).status_code == 200
    try:  # the trigger is dropped: no run at all, so the sweep must retry
        deposit_id = pending_app.deposit(pending_app.headers(unique_email("retry")), png_bytes())
    finally:
        assert stack.wsk.post(rule, json={"status": "active"}, timeout=30).status_code == 200
    time.sleep(2)
    with busy_workers(stack):
        first = pending_app.sweep()
        assert deposit_id in first["retried"] and deposit_id in first["runs"], first
        time.sleep(2)  # stale again, while the retry waits for a worker
        second = pending_app.sweep()
        assert deposit_id in second["pending"] and deposit_id not in second["retried"], second
    settled_once(pending_app, deposit_id, attempts=2)
