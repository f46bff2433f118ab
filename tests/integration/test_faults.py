"""Fault injection on a private local stack with manifest.yaml deployed: while a batch of deposits is in
flight, kill CouchDB, stop S3 for 10 s, kill running action containers, make a step exceed its time limit,
restart the local OpenWhisk, drop the check-uploaded trigger. After each fault every deposit of the batch
reaches exactly one final status, no deposit document is duplicated, no image is lost, and the failed
activations carry their reasons.

How the suite drives the system (and why):
- A private stack (not the session one), so its kills disturb no other test; the supervisor restarts what
  is killed. The alarm rule `sweep-stuck-deposits` and the notification rule are switched off: the alarm
  fires once a minute, too slowly for a test, so `App.settle` invokes find-new-checks itself (the same
  action, blocking, with no arguments, exactly as the rule does) whenever nothing moved for a few seconds;
  notifications are not under test and would only add activations to a saturated 2-core machine.
- `stale_after_seconds` is 5 (the configuration document), so a deposit whose run was lost is retried
  5 s later instead of 5 minutes; `run_lost_after_seconds` is 10, so a run the platform accepted but lost
  in a restart is given up on after 10 s instead of 15 minutes. Short is safe here because `App.settle`
  sweeps only when the platform is idle (nothing running or queued) and nothing moved for SWEEP_AFTER_S:
  then no `processing` deposit has a run left that could still finish it.
- Each batch is BATCH deposits of one fresh customer: all are created and uploaded first (so all are in
  flight), then confirmed by CONFIRMERS client threads that retry on connection errors and 5xx (a client
  does that when the service is down); the fault is injected after INJECT_AFTER confirmations, so at
  least BATCH - INJECT_AFTER deposits are certainly not final when it hits (asserted).
- Most images are a blank card (read fast; most end `rejected` by a quality test, the rest
  `needs_review`); CHECKS real synthetic checks ride along in every batch, so claims and duplicates are
  exercised: across all batches no check is accepted twice.
Each fault's figures go to the `fault_rows` table printed at the end (pytest -s) for the README.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from tests.fixtures.app import FINAL, App, deploy_app, endorsed_back, require_models
from tests.fixtures.stack import LocalStack, start_stack

BATCH = 56
INJECT_AFTER = 6
CONFIRMERS = 3
CHECKS = 4
STALE_AFTER_S = 5
RUN_LOST_AFTER_S = 10
SWEEP_AFTER_S = 3
SETTLE_TIMEOUT_S = 240
PIPELINE_STEPS = ("fetch-image", "ocr-check", "parse-check", "record-deposit")

ROWS: list[dict[str, Any]] = []


# ------------------------------------------------------------------------------------------- the stack


def launchers(data_dir: Path) -> dict[int, str]:
    """pid -> action name of every local action container (launcher process) working under `data_dir`."""
    from infra.whisk import sandbox

    found: dict[int, str] = {}
    # A root platform keeps its sandboxed containers outside the data directory (sandbox.work_root).
    roots = (str(data_dir.resolve()), str(sandbox.work_root_path(data_dir / "whisk")))
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"launcher.py" not in cmdline:
                continue
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if not cwd.startswith(roots):
            continue
        try:  # every thin action's first line names it: Action `ocr-check`: ...
            head = (Path(cwd) / "__main__.py").read_text().split("\n", 1)[0]
        except OSError:
            head = ""
        name = head.split("`")[1] if head.count("`") >= 2 else "?"
        found[int(proc.name)] = name
    return found


def _kill(pid: int, sig: signal.Signals = signal.SIGKILL) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture(scope="module")
def fault_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_models()
    data_dir = tmp_path_factory.mktemp("fault-stack")
    stack = start_stack(data_dir)
    try:
        app = deploy_app(
            stack,
            tmp_path_factory.mktemp("fault-app"),
            stale_after_seconds=STALE_AFTER_S,
            config={"run_lost_after_seconds": RUN_LOST_AFTER_S},
        )
        for rule in ("sweep-stuck-deposits", "notify-on-deposit-change"):
            resp = stack.wsk.post(stack.ns_url(f"rules/{rule}"), json={"status": "inactive"}, timeout=30)
            assert resp.status_code == 200, resp.text
        yield app
    finally:
        stack.cli("stop")
        # A platform killed with SIGKILL cannot stop its containers; do not leave them behind.
        for pid in launchers(data_dir):
            _kill(pid)
        print_table()


def print_table() -> None:
    if not ROWS:
        return
    print(
        "\n| fault | deposits | in flight at fault | all final | one final status each | duplicated docs |"
        " lost images | failed activations (with reason) | settle s | outcomes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in ROWS:
        print(
            f"| {r['fault']} | {r['deposits']} | {r['in_flight']} | {r['all_final']} | {r['one_final']} |"
            f" {r['duplicated']} | {r['lost_images']} | {r['failed_activations']} ({r['with_reason']}) |"
            f" {r['settle_s']} | {json.dumps(r['outcomes'], sort_keys=True)} |"
        )
    out = os.environ.get("OPENCHECKS_FAULT_REPORT")
    if out:
        Path(out).write_text(
            json.dumps([{k: v for k, v in r.items() if k not in ("reasons", "ids")} for r in ROWS], indent=1)
        )
    for r in ROWS:
        print(f"{r['fault']}: {r['sample_reasons']}")


@pytest.fixture(scope="module")
def images() -> list[tuple[bytes, str]]:
    """(bytes, content type) for one batch: CHECKS synthetic checks, the rest blank cards."""
    from openchecks.micr.synth import make_check

    rng = random.Random(20261128)
    out: list[tuple[bytes, str]] = []
    for _ in range(CHECKS):
        picture, _truth = make_check(rng, review_rate=0.0, photo_rate=0.0)
        buf = io.BytesIO()
        picture.save(buf, "JPEG", quality=85)
        out.append((buf.getvalue(), "image/jpeg"))
    blank = io.BytesIO()
    Image.new("RGB", (600, 260), (238, 238, 230)).save(blank, "PNG")
    out.extend([(blank.getvalue(), "image/png")] * (BATCH - CHECKS))
    return out


# ------------------------------------------------------------------------------------------- a batch


@dataclass
class Batch:
    """One fault's deposits, all created and uploaded by one fresh customer."""

    app: App
    email: str
    headers: dict[str, str]
    ids: list[str]
    since_ms: int
    confirmed: list[str] = field(default_factory=list)
    confirm_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _retrying(call: Callable[[], requests.Response], give_up: float) -> requests.Response | None:
    """What a client does against a service that is restarting: retry errors and 5xx until `give_up`."""
    while True:
        try:
            resp = call()
            if resp.status_code < 500:
                return resp
        except requests.RequestException:
            pass
        if time.monotonic() > give_up:
            return None
        time.sleep(0.5)


def new_batch(app: App, images: list[tuple[bytes, str]], fault: str) -> Batch:
    slug = "-".join("".join(c if c.isalnum() else " " for c in fault.lower()).split())[:40]
    email = f"{slug}-{uuid.uuid4().hex[:6]}@example.com"
    headers = app.headers(email)
    since_ms = int(time.time() * 1000)
    ids: list[str] = []
    for data, content_type in images:
        created = app.create(headers, content_type, "25.00")
        assert app.upload(created, data).status_code == 200
        assert app.upload(created, endorsed_back(), "back").status_code == 200
        ids.append(str(created["id"]))
    return Batch(app, email, headers, ids, since_ms)


def confirm_all(batch: Batch, ids: list[str] | None = None, threads: int = CONFIRMERS) -> threading.Thread:
    """Confirm `ids` (default: the whole batch) from `threads` client threads, in the background."""
    todo = list(batch.ids if ids is None else ids)

    def worker() -> None:
        while True:
            with batch.lock:
                if not todo:
                    return
                deposit_id = todo.pop(0)
            give_up = time.monotonic() + 180
            resp = _retrying(partial(batch.app.confirm, batch.headers, deposit_id), give_up)
            with batch.lock:
                if resp is not None and resp.status_code in (200, 202):
                    batch.confirmed.append(deposit_id)
                else:
                    batch.confirm_errors.append(f"{deposit_id}: {None if resp is None else resp.text[:200]}")

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()

    def join_all() -> None:
        for w in workers:
            w.join()

    runner = threading.Thread(target=join_all, daemon=True)
    runner.start()
    return runner


def wait_confirmed(batch: Batch, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(batch.confirmed) + len(batch.confirm_errors) < count:
        assert time.monotonic() < deadline, "confirmations did not start"
        time.sleep(0.1)


def in_flight(batch: Batch) -> int:
    docs = batch.app.docs_for(batch.ids)
    return sum(1 for d in docs.values() if d and d.get("status") not in FINAL)


# ----------------------------------------------------------------------------------------- the checks


def check_batch(
    batch: Batch, fault: str, flying: int, started: float, expect_failures: bool
) -> dict[str, Any]:
    """Settle the batch and assert the invariants; returns the table row."""
    app = batch.app
    docs = app.settle(batch.ids, timeout=SETTLE_TIMEOUT_S, sweep_after=SWEEP_AFTER_S)
    settle_s = round(time.monotonic() - started, 1)
    assert not batch.confirm_errors, batch.confirm_errors
    not_final = {i: (d or {}).get("status") for i, d in docs.items() if not d or d.get("status") not in FINAL}
    assert not not_final, f"{fault}: not final after {SETTLE_TIMEOUT_S} s: {not_final}"

    # Exactly one final status each: one outcome entry in the history, never two.
    outcome_entries = {
        i: [h["status"] for h in (d or {}).get("history", []) if h["status"] in FINAL]
        for i, d in docs.items()
    }
    several = {i: s for i, s in outcome_entries.items() if len(s) != 1}
    assert not several, f"{fault}: deposits with more than one outcome: {several}"

    # No duplicated documents: the customer has exactly the deposits the client created.
    mine = [d for d in app.deposit_docs().values() if d.get("email") == batch.email]
    assert sorted(d["_id"] for d in mine) == sorted(batch.ids)

    # No image lost: every upload is still stored with the ETag the deposit recorded, archives too.
    incoming = app.objects(app.incoming)
    archive = app.objects(app.archive)
    lost = []
    for doc in docs.values():
        assert doc is not None
        image = doc["image"]
        if incoming.get(image["key"]) != image.get("etag"):
            lost.append(image["key"])
        for name in ("large", "small"):
            key = (doc.get("archive") or {}).get(name)
            if key and key not in archive:
                lost.append(key)
    assert not lost, f"{fault}: images lost: {lost}"

    # No check accepted twice, over every batch so far.
    accepted: dict[str, str] = {}
    for doc in app.deposit_docs().values():
        key = doc.get("check_key")
        if doc.get("status") == "accepted" and key:
            assert key not in accepted, f"check {key} accepted twice: {accepted[key]} and {doc['_id']}"
            accepted[key] = doc["_id"]

    # The failed activations are visible, each with its reason.
    failed = [a for a in app.activations(batch.since_ms) if not a["response"]["success"]]
    reasons = [str((a["response"].get("result") or {}).get("error") or "") for a in failed]
    assert all(reasons), [a["activationId"] for a, r in zip(failed, reasons, strict=True) if not r]
    if expect_failures:
        assert failed, f"{fault}: the fault left no failed activation to look at"
    outcomes: dict[str, int] = {}
    for doc in docs.values():
        assert doc is not None
        outcomes[doc["status"]] = outcomes.get(doc["status"], 0) + 1
    failed_docs = [d for d in docs.values() if d and d["status"] == "failed"]
    assert all(d["history"][-1].get("reason") for d in failed_docs), "a failed deposit has no reason"
    row = {
        "fault": fault,
        "deposits": len(batch.ids),
        "in_flight": flying,
        "all_final": "yes",
        "one_final": "yes",
        "duplicated": 0,
        "lost_images": 0,
        "failed_activations": len(failed),
        "with_reason": "all" if all(reasons) else "not all",
        "settle_s": settle_s,
        "outcomes": outcomes,
        "sample_reasons": _distinct(reasons),
        "reasons": reasons,
        "ids": list(batch.ids),
    }
    ROWS.append(row)
    return row


def _distinct(reasons: list[str], limit: int = 5) -> list[str]:
    """A few distinct failure reasons (ids and numbers blanked so that one kind counts once)."""
    kinds: dict[str, str] = {}
    for reason in reasons:
        kinds.setdefault(re.sub(r"[0-9a-f]{8,}|[0-9]+", "#", reason)[:100], reason[:160])
    return sorted(kinds.values())[:limit]


def run_fault(
    app: App,
    images: list[tuple[bytes, str]],
    fault: str,
    inject: Callable[[Batch], None],
    expect_failures: bool,
) -> dict[str, Any]:
    batch = new_batch(app, images, fault)
    started = time.monotonic()
    runner = confirm_all(batch)
    wait_confirmed(batch, INJECT_AFTER)
    flying = in_flight(batch)
    assert flying >= BATCH - INJECT_AFTER
    inject(batch)
    runner.join(timeout=240)
    return check_batch(batch, fault, flying, started, expect_failures)


def stack_of(app: App) -> LocalStack:
    return app.stack


# ------------------------------------------------------------------------------------------ the faults


def test_kill_couchdb(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    stack = stack_of(fault_app)

    def inject(batch: Batch) -> None:
        time.sleep(2)
        pid = stack.pid("couchdb")
        assert pid and _kill(pid)
        stack.wait_up()
        assert stack.pid("couchdb") != pid

    # pouchdb-server is back within a second: the clients' retries may hide it, so no failure is required.
    run_fault(fault_app, images, "kill -9 CouchDB", inject, expect_failures=False)


def test_stop_s3_for_10_seconds(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    stack = stack_of(fault_app)

    def inject(batch: Batch) -> None:
        time.sleep(2)
        pid = stack.pid("s3")
        assert pid and _kill(pid, signal.SIGSTOP)
        try:
            time.sleep(10)
        finally:
            _kill(pid, signal.SIGCONT)
        stack.wait_up()

    run_fault(fault_app, images, "SIGSTOP S3 10 s", inject, expect_failures=False)


# ------------------------------------------------------------------------ the front door (issue 13)

CREATORS = 12


def create_while(
    app: App, images: list[tuple[bytes, str]], fault: str, service: str, kill_after_s: float
) -> dict[str, Any]:
    """CREATORS clients (the CLI's DepositClient: it retries connection failures, 429 and 5xx, a create
    with one Idempotency-Key) each create, upload and confirm one deposit, all at once; `service` gets
    kill -9 `kill_after_s` into it (the supervisor restarts it). Every client must finish without an error
    and without ever seeing a 500, and the batch must settle as every fault's batch does (exactly the
    CREATORS deposits, each with one final status)."""
    from openchecks.apiclient import DepositApiError, DepositClient

    slug = "-".join("".join(c if c.isalnum() else " " for c in fault.lower()).split())[:40]
    email = f"{slug}-{uuid.uuid4().hex[:6]}@example.com"
    token = app.token(email)
    since_ms = int(time.time() * 1000)
    ids: dict[int, str] = {}
    finished: dict[int, float] = {}
    errors: list[str] = []
    retries: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(CREATORS + 1)

    def client(index: int) -> None:
        data, content_type = images[index]
        api = DepositClient(app.api, token, timeout=30, retry_s=120)
        go.wait()
        began = time.monotonic()
        try:
            created = api.create("12345678", "25.00", content_type, "image/jpeg")
            with lock:
                ids[index] = str(created["id"])
            api.upload(created, data)
            api.upload(created, endorsed_back(), "back")
            api.confirm(str(created["id"]))
        except DepositApiError as exc:
            with lock:
                errors.append(f"client {index}: {exc}")
        with lock:
            finished[index] = round(time.monotonic() - began, 2)
            retries.extend(api.retries)

    pid = stack_of(app).pid(service)
    assert pid
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CREATORS)]
    for t in threads:
        t.start()
    go.wait()
    started = time.monotonic()
    time.sleep(kill_after_s)
    with lock:
        flying = CREATORS - len(finished)
    assert _kill(pid)
    for t in threads:
        t.join(timeout=180)
    stack_of(app).wait_up()
    assert stack_of(app).pid(service) != pid
    assert not errors, errors
    assert flying >= CREATORS // 2, f"only {flying} deposits were in flight when {service} was killed"
    assert not [r for r in retries if " 500" in r], retries  # never a 500 `internal`
    batch = Batch(app, email, app.headers(email), [ids[i] for i in range(CREATORS)], since_ms)
    row = check_batch(batch, fault, flying, started, expect_failures=False)
    row["client_retries"] = len(retries)
    row["client_5xx"] = sum(1 for r in retries if re.search(r": 5[0-9][0-9]", r))
    row["slowest_client_s"] = max(finished.values())
    kinds: dict[str, int] = {}
    for r in retries:
        kinds[r.split(": ", 1)[1]] = kinds.get(r.split(": ", 1)[1], 0) + 1
    print(
        f"{fault}: {len(retries)} client retries {kinds} ({row['client_5xx']} 5xx), slowest client"
        f" {row['slowest_client_s']} s, settled {row['settle_s']} s"
    )
    return row


def test_kill_couchdb_while_12_deposits_are_created(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    """The API rides out the restart within its deadline: the clients see no 5xx at all."""
    row = create_while(
        fault_app, images, "database killed while 12 deposits are being created", "couchdb", 0.2
    )
    assert row["client_5xx"] == 0, row


def test_kill_s3_while_12_deposits_are_created(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    """The uploads go straight to S3, so the clients retry those themselves (same bytes, same key); the
    API's own calls (the confirmations' checks) ride out the restart."""
    create_while(fault_app, images, "S3 killed while 12 deposits are being created", "s3", 0.5)


def test_kill_running_action_containers(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    stack = stack_of(fault_app)
    killed: list[tuple[int, str]] = []

    def inject(batch: Batch) -> None:
        for _ in range(3):  # three rounds, 3 s apart: every pipeline container alive at that moment
            time.sleep(3)
            for pid, name in launchers(stack.data_dir).items():
                if name in PIPELINE_STEPS and _kill(pid):
                    killed.append((pid, name))
        assert killed, "no pipeline container was running"

    row = run_fault(fault_app, images, "kill -9 action containers", inject, expect_failures=True)
    row["killed"] = len(killed)
    # The local pool reads a SIGKILL (exit 137) as the OOM killer's; either way the reason is on record.
    assert any("exited unexpectedly" in r or "exhausted its memory" in r for r in row["reasons"]), row[
        "sample_reasons"
    ]


def test_step_exceeds_its_time_limit(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    """ocr-check redeployed with a 100 ms limit for the batch: every run times out, find-new-checks retries
    each deposit up to max_attempts and then fails it with the reason; a reviewer's retry, once the limit is
    back, finishes it."""
    stack = stack_of(fault_app)
    action_url = stack.ns_url("actions/openchecks/ocr-check")
    original = stack.wsk.get(action_url, params={"code": "false"}, timeout=30).json()["limits"]["timeout"]

    def set_timeout(ms: int) -> None:
        resp = stack.wsk.put(
            action_url, params={"overwrite": "true"}, json={"limits": {"timeout": ms}}, timeout=60
        )
        assert resp.status_code == 200, resp.text

    set_timeout(100)
    try:
        row = run_fault(
            fault_app, images, "ocr-check over its time limit", lambda batch: None, expect_failures=True
        )
    finally:
        set_timeout(original)
    assert row["outcomes"].get("failed") == BATCH, row["outcomes"]
    assert any("time limit" in r for r in row["reasons"]), row["sample_reasons"]
    # Retryable: a reviewer sends two of them through again, now with the normal limit.
    app = fault_app
    reviewer = app.headers("rita@bank.example", "reviewer")
    retried = row["ids"][:2]
    for deposit_id in retried:
        resp = app.call("POST", f"/deposits/{deposit_id}/review", reviewer, json={"action": "retry"})
        assert resp.status_code == 200, resp.text
    docs = app.settle(retried, timeout=120, sweep_after=SWEEP_AFTER_S)
    assert all(d and d["status"] in FINAL - {"failed"} for d in docs.values()), docs


def test_restart_openwhisk(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    stack = stack_of(fault_app)

    before: dict[int, str] = {}

    def inject(batch: Batch) -> None:
        time.sleep(3)
        pid = stack.pid("whisk")
        before.update(launchers(stack.data_dir))
        assert pid and _kill(pid)
        stack.wait_up(timeout=90)
        assert stack.pid("whisk") != pid

    row = run_fault(fault_app, images, "kill -9 OpenWhisk (restarted)", inject, expect_failures=False)
    # Containers of the killed platform that nobody stops (reported, not asserted: infra/whisk's business).
    row["orphaned_containers"] = sum(1 for pid in before if pid in launchers(stack.data_dir))
    print(f"containers left running by the killed platform: {row['orphaned_containers']} of {len(before)}")


def test_drop_check_uploaded_trigger(fault_app: App, images: list[tuple[bytes, str]]) -> None:
    stack = stack_of(fault_app)
    rule = stack.ns_url("rules/process-uploaded-check")
    batch = new_batch(fault_app, images, "dropped-trigger")
    dropped = batch.ids[: BATCH // 3]
    started = time.monotonic()
    assert stack.wsk.post(rule, json={"status": "inactive"}, timeout=30).status_code == 200
    try:
        confirm_all(batch, dropped).join(timeout=180)
    finally:
        assert stack.wsk.post(rule, json={"status": "active"}, timeout=30).status_code == 200
    flying = in_flight(batch)
    confirm_all(batch, batch.ids[BATCH // 3 :]).join(timeout=240)
    check_batch(batch, "check-uploaded dropped for 1/3", flying, started, expect_failures=False)
    docs = fault_app.docs_for(dropped)
    # The dropped ones were picked up by find-new-checks (a second attempt), the others need not be.
    assert all(d and d["attempts"] >= 2 for d in docs.values()), {
        i: (d or {}).get("attempts") for i, d in docs.items()
    }
    assert all(any(h["by"] == "find-new-checks" for h in (d or {})["history"]) for d in docs.values())
