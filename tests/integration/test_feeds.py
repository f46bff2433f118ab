"""Feeds on the whole local stack: alarms fire rules on time; changes fire once per document, across restarts.

Everything is real: the catalog's feed actions run on the local OpenWhisk, the provider fires triggers over
the REST API, rules invoke actions, and restarts are kill -9 of the real processes (the supervisor revives
them). No fake clocks: a 6-field cron fires every 2 s.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from typing import Any

import pytest
import requests

from infra.feeds.changes import current_seq, fetch_changes, parse_changes
from tests.fixtures.services import CouchDBServer
from tests.fixtures.stack import LocalStack

CHANGES = "/guest/cloudant-local/changes"
ECHO = "import time\n\ndef main(args):\n    return {'got': args, 'at': time.time()}\n"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _wire(
    stack: LocalStack, feed: str, action_code: str = ECHO, sequence_with: str | None = None
) -> tuple[str, str]:
    """Create an action (or sequence `sequence_with -> action`), a trigger annotated with `feed`, a rule."""
    action, trigger, rule = _name("act"), _name("trg"), _name("rule")
    put = stack.wsk.put(
        stack.ns_url(f"actions/{action}"),
        params={"overwrite": "true"},
        json={"exec": {"kind": "python:3.11", "code": action_code}},
        timeout=30,
    )
    assert put.status_code == 200, put.text
    target = action
    if sequence_with:
        target = _name("seq")
        put = stack.wsk.put(
            stack.ns_url(f"actions/{target}"),
            timeout=30,
            json={"exec": {"kind": "sequence", "components": [sequence_with, f"/guest/{action}"]}},
        )
        assert put.status_code == 200, put.text
    put = stack.wsk.put(
        stack.ns_url(f"triggers/{trigger}"),
        timeout=30,
        json={"annotations": [{"key": "feed", "value": feed}]},
    )
    assert put.status_code == 200, put.text
    put = stack.wsk.put(
        stack.ns_url(f"rules/{rule}"), timeout=30, json={"trigger": f"/_/{trigger}", "action": f"/_/{target}"}
    )
    assert put.status_code == 200, put.text
    return action, trigger


def _results(stack: LocalStack, action: str) -> list[dict[str, Any]]:
    resp = stack.wsk.get(
        stack.ns_url("activations"), timeout=30, params={"name": action, "docs": "true", "limit": "200"}
    )
    assert resp.status_code == 200, resp.text
    acts = sorted(resp.json(), key=lambda a: a["start"])
    return [a["response"]["result"] for a in acts]


def _wait_count(
    stack: LocalStack, action: str, count: int, timeout: float = 30, settle: float = 1.5
) -> list[dict[str, Any]]:
    """Wait for `count` activations of `action`, then `settle` seconds more to catch any extra (double) fire
    (0 where a later check of the same activations would see it anyway)."""
    deadline = time.monotonic() + timeout
    while len(_results(stack, action)) < count and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(settle)
    return _results(stack, action)


def _write_docs(stack: LocalStack, db: str, ids: list[str]) -> None:
    for doc_id in ids:
        doc = {"n": doc_id, "kind": "check"}
        resp = requests.put(f"{stack.couchdb_url}/{db}/{doc_id}", json=doc, timeout=10)
        assert resp.status_code == 201, resp.text


def _new_db(stack: LocalStack) -> str:
    db = _name("db")
    assert requests.put(f"{stack.couchdb_url}/{db}", timeout=10).status_code == 201
    return db


def test_cron_with_seconds_fires_the_rule_action_every_two_seconds(stack: LocalStack) -> None:
    action, trigger = _wire(stack, "/whisk.system/alarms/alarm")
    created = stack.feed(
        "CREATE",
        "/whisk.system/alarms/alarm",
        f"/guest/{trigger}",
        cron="*/2 * * * * *",
        trigger_payload="tick",
    )
    assert created.status_code == 200, created.text
    time.sleep(7.2)
    read = stack.feed("READ", "/whisk.system/alarms/alarm", f"/guest/{trigger}")
    assert read.status_code == 200, read.text
    assert read.json()["config"]["cron"] == "*/2 * * * * *" and read.json()["status"]["active"] is True
    assert stack.feed("DELETE", "/whisk.system/alarms/alarm", f"/guest/{trigger}").status_code == 200
    fires = stack.wsk.get(
        stack.ns_url("activations"), timeout=30, params={"name": trigger, "docs": "true", "limit": "50"}
    ).json()
    times = sorted(a["start"] / 1000 for a in fires)
    assert 3 <= len(times) <= 4, times
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(1.5 < gap < 2.5 for gap in gaps), gaps
    # Each fire reaches the platform within half a second after an even second.
    assert all(t % 2 < 0.5 for t in times), times
    results = _wait_count(stack, action, len(times), settle=0)  # an extra fire fails the check after DELETE
    assert len(results) == len(times), results
    assert all(r["got"]["payload"] == "tick" for r in results)
    time.sleep(2.5)
    assert len(_results(stack, action)) == len(results), "fired after DELETE"
    gone = stack.feed("READ", "/whisk.system/alarms/alarm", f"/guest/{trigger}")
    assert gone.status_code == 502 and "no feed exists" in gone.json()["error"]


@pytest.mark.parametrize("delete_after_fire", [True, "rules"])
def test_once_fires_then_deletes_its_trigger(stack: LocalStack, delete_after_fire: object) -> None:
    action, trigger = _wire(stack, "/whisk.system/alarms/once")
    rules = stack.wsk.get(stack.ns_url(f"triggers/{trigger}"), timeout=10).json()["rules"]
    when = int((time.time() + 2) * 1000)
    created = stack.feed(
        "CREATE",
        "/whisk.system/alarms/once",
        f"/guest/{trigger}",
        date=when,
        deleteAfterFire=delete_after_fire,
        trigger_payload={"kind": "reminder"},
    )
    assert created.status_code == 200, created.text
    results = _wait_count(stack, action, 1, timeout=15)
    assert [r["got"]["kind"] for r in results] == ["reminder"]
    assert results[0]["at"] * 1000 >= when
    deadline = time.monotonic() + 10
    while stack.wsk.get(stack.ns_url(f"triggers/{trigger}"), timeout=10).status_code != 404:
        assert time.monotonic() < deadline, "trigger not deleted after firing"
        time.sleep(0.2)
    (rule_path,) = rules
    rule_status = stack.wsk.get(stack.ns_url(f"rules/{rule_path.rsplit('/', 1)[1]}"), timeout=10).status_code
    assert rule_status == (404 if delete_after_fire == "rules" else 200)


def test_changes_fire_once_per_document_across_restarts(stack: LocalStack) -> None:
    db = _new_db(stack)
    action, trigger = _wire(stack, CHANGES, sequence_with="/guest/cloudant-local/read")
    created = stack.feed("CREATE", "/guest/cloudant-local/changes", f"/guest/{trigger}", dbname=db)
    assert created.status_code == 200, created.text
    written: list[str] = []
    restarts = [None, "couchdb", "whisk", "feeds"]
    for round_, restart in enumerate(restarts):
        if restart is not None:
            pid = stack.pid(restart)
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            # Documents written while a service is down or restarting must not be missed.
            if restart != "couchdb":
                batch = [f"r{round_}-early-{i}" for i in range(2)]
                _write_docs(stack, db, batch)
                written += batch
            stack.wait_up()
        batch = [f"r{round_}-doc-{i}" for i in range(4)]
        _write_docs(stack, db, batch)
        written += batch
        # A double fire shows in the next round's exact comparison: only the last round waits for one.
        last = round_ == len(restarts) - 1
        results = _wait_count(stack, action, len(written), timeout=60, settle=1.5 if last else 0)
        ids = [r["got"]["_id"] for r in results]
        assert sorted(ids) == sorted(written), f"after restarting {restart}: {ids}"
        # The read action turned each change into the document itself.
        assert all(r["got"]["n"] == r["got"]["_id"] and r["got"]["_rev"].startswith("1-") for r in results)


def test_filtered_changes_fire_only_for_matching_documents(stack: LocalStack) -> None:
    db = _new_db(stack)
    ddoc = {"filters": {"by_kind": "function(doc, req) { return doc.kind === req.query.kind; }"}}
    assert requests.put(f"{stack.couchdb_url}/{db}/_design/app", json=ddoc, timeout=10).status_code == 201
    action, trigger = _wire(stack, "/guest/cloudant-local/changes")
    created = stack.feed(
        "CREATE",
        "/guest/cloudant-local/changes",
        f"/guest/{trigger}",
        dbname=db,
        filter="app/by_kind",
        query_params={"kind": "check"},
    )
    assert created.status_code == 200, created.text
    _write_docs(stack, db, ["c1", "c2"])
    requests.put(f"{stack.couchdb_url}/{db}/other", json={"kind": "note"}, timeout=10)
    results = _wait_count(stack, action, 2, settle=0)  # a fire for `other` fails the count after DELETE
    assert sorted(r["got"]["id"] for r in results) == ["c1", "c2"]
    assert all(r["got"]["dbname"] == db and r["got"]["changes"][0]["rev"] for r in results)
    assert stack.feed("DELETE", "/guest/cloudant-local/changes", f"/guest/{trigger}").status_code == 200
    _write_docs(stack, db, ["c3"])
    time.sleep(2)
    assert len(_results(stack, action)) == 2, "fired after DELETE"


@pytest.mark.parametrize(("flt", "message"), [("missing/f", "does not exist"), ("_selector", "ddoc/filter")])
def test_a_bad_filter_is_refused_and_the_database_server_stays_up(
    stack: LocalStack, flt: str, message: str
) -> None:
    db = _new_db(stack)
    couch_pid = stack.pid("couchdb")
    _, trigger = _wire(stack, "/guest/cloudant-local/changes")
    refused = stack.feed("CREATE", CHANGES, f"/guest/{trigger}", dbname=db, filter=flt)
    assert refused.status_code == 502
    assert message in refused.json()["error"]
    time.sleep(1)
    assert requests.get(f"{stack.couchdb_url}/{db}", timeout=5).status_code == 200
    assert stack.pid("couchdb") == couch_pid


def test_the_provider_checks_keys_and_triggers(stack: LocalStack) -> None:
    _, trigger = _wire(stack, "/whisk.system/alarms/alarm")
    url = f"{stack.feeds_url}/triggers/guest/{trigger}"
    anon = requests.get(url, timeout=10)
    assert anon.status_code == 401 and "authKey" in anon.json()["error"]
    user, _, key = stack.auth.partition(":")
    owner = (user, key)
    body = {"feed": "alarm", "cron": "0 0 1 1 *"}
    assert requests.post(url, json=body, auth=owner, timeout=10).status_code == 200
    stranger = ("nobody", "nothing")
    assert requests.get(url, auth=stranger, timeout=10).status_code == 401
    nope = f"{stack.feeds_url}/triggers/guest/{_name('nope')}"
    missing = requests.post(nope, json=body, auth=owner, timeout=10)
    assert missing.status_code == 404 and "does not exist" in missing.json()["error"]
    bad = requests.post(url, json={"feed": "alarm", "cron": "nope"}, auth=owner, timeout=10)
    assert bad.status_code == 400 and "cron pattern" in bad.json()["error"]
    change = {"cron": "*/5 * * * *", "trigger_payload": {"v": 2}}
    updated = requests.put(url, json=change, auth=owner, timeout=10)
    assert updated.status_code == 200, updated.text
    read = requests.get(url, auth=owner, timeout=10).json()
    assert read["config"]["cron"] == "*/5 * * * *" and read["config"]["payload"] == {"v": 2}
    assert read["status"]["active"] is True
    assert requests.delete(url, auth=owner, timeout=10).status_code == 200
    assert requests.get(url, auth=owner, timeout=10).status_code == 404


def test_cloudant_write_and_read_actions_through_the_local_binding(stack: LocalStack) -> None:
    db = _new_db(stack)

    def invoke(action: str, **params: Any) -> requests.Response:
        return stack.wsk.post(
            stack.ns_url(f"actions/cloudant-local/{action}"),
            json=params,
            timeout=60,
            params={"blocking": "true", "result": "true"},
        )

    written = invoke("write", dbname=db, doc={"_id": "dep-1", "amount": 42})
    assert written.status_code == 200, written.text
    assert written.json()["id"] == "dep-1" and written.json()["ok"] is True
    again = invoke("write", dbname=db, doc='{"_id": "dep-1", "amount": 43}', overwrite=True)
    assert again.status_code == 200 and again.json()["rev"].startswith("2-"), again.text
    read = invoke("read", dbname=db, id="dep-1")
    assert read.status_code == 200 and read.json()["amount"] == 43
    missing = invoke("read", dbname=db, docid="nope")
    assert missing.status_code == 502 and "404" in missing.json()["error"]
    no_db = invoke("read", id="dep-1")
    assert no_db.status_code == 502 and "dbname" in no_db.json()["error"]


def test_longpoll_keeps_its_own_deadline_and_returns_on_a_change(couchdb: CouchDBServer) -> None:
    db = couchdb.new_db()
    spec = parse_changes({"dbname": db, "url": couchdb.url})
    since = current_seq(spec)
    started = time.monotonic()
    results, last = fetch_changes(spec, since, wait=1.5)
    elapsed = time.monotonic() - started
    # pouchdb-server ignores `timeout` and would hold the request open forever.
    assert results == [] and last == since and 1.4 < elapsed < 4.0, elapsed

    writer = threading.Timer(0.5, lambda: requests.put(f"{couchdb.url}/{db}/late", json={}, timeout=10))
    writer.start()
    started = time.monotonic()
    results, last = fetch_changes(spec, since, wait=10)
    writer.join()
    assert [r["id"] for r in results] == ["late"] and time.monotonic() - started < 3
    assert last != since
