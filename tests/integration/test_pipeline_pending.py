"""find-new-checks on the local platform leaves a deposit alone while its run waits in the platform's queue.

Every background worker of the platform is kept busy by a sleeping action, so the process-check run that
confirming a deposit starts has been accepted by OpenWhisk but not begun. The deposit is `processing` and
stale (stale_after_seconds is 1 here), yet the sweep reports it `pending`, counts no attempt and starts
nothing; once the workers are free the one run finishes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.app import FINAL, App, deploy_app, require_models, undeploy_app, unique_email
from tests.fixtures.stack import LocalStack
from tests.integration.test_pipeline_support import png_bytes

pytestmark = pytest.mark.local_only  # fills the local platform's background workers (GET /local/stats)

SLEEPER = """
import time

def main(args):
    time.sleep(float(args.get("sleep", 1)))
    return {"slept": True}
"""


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


def test_a_run_waiting_in_the_platform_queue_is_pending_not_retried(pending_app: App) -> None:
    stack = pending_app.stack
    sleeper = stack.ns_url("actions/pending-sleeper")
    created = stack.wsk.put(
        sleeper,
        params={"overwrite": "true"},
        json={"exec": {"kind": "python:3.11", "code": SLEEPER}, "limits": {"timeout": 60000, "memory": 128}},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    try:
        workers = int(local_stats(stack)["background_workers"])
        for _ in range(workers):
            resp = stack.wsk.post(sleeper, params={"blocking": "false"}, json={"sleep": 12}, timeout=30)
            assert resp.status_code == 202, resp.text
        wait_for(lambda: local_stats(stack)["background_running"] >= workers, 30, "all workers busy")

        deposit_id = pending_app.deposit(pending_app.headers(unique_email("pending")), png_bytes())
        assert local_stats(stack)["background_queued"] >= 1  # the run is accepted, not started
        time.sleep(2)  # stale: no progress for more than stale_after_seconds
        report = pending_app.sweep()
        assert deposit_id in report["pending"], report
        assert deposit_id not in report["retried"] and deposit_id not in report["runs"], report
        (doc,) = pending_app.docs_for([deposit_id]).values()
        assert doc is not None and doc["status"] == "processing" and doc["attempts"] == 1

        docs = pending_app.settle([deposit_id], timeout=180, sweep_after=60)
        doc = docs[deposit_id]
        assert doc is not None and doc["status"] in FINAL, doc
        assert doc["attempts"] == 1
        assert not any(entry["by"] == "find-new-checks" for entry in doc["history"]), doc["history"]
    finally:
        stack.wsk.delete(sleeper, timeout=30)
