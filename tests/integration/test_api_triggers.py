"""Triggers and rules: fire -> 202 and a trigger activation, rules invoke actions, 204 without rules."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fixtures.whisk import Whisk

ECHO = "def main(args):\n    return args\n"


def _setup(wsk: Whisk) -> tuple[str, str, str]:
    action, trigger, rule = wsk.unique("act"), wsk.unique("trig"), wsk.unique("rule")
    wsk.put_action(action, ECHO, parameters=[{"key": "from_action", "value": 1}])
    resp = wsk.put(
        "triggers", trigger, {"parameters": [{"key": "t", "value": "trigger"}, {"key": "o", "value": 0}]}
    )
    assert resp.status_code == 200, resp.text
    resp = wsk.put("rules", rule, {"trigger": f"/_/{trigger}", "action": f"/_/{action}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "active"
    return action, trigger, rule


def _wait_for_cause(wsk: Whisk, action: str, cause: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = wsk.session.get(wsk.url("activations"), params={"name": action, "docs": "true"}).json()
        for record in listed:
            if record.get("cause") == cause:
                return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"no activation of {action} caused by {cause}")


def test_fire_with_active_rule(wsk: Whisk) -> None:
    action, trigger, rule = _setup(wsk)
    resp = wsk.session.post(wsk.url("triggers", trigger), json={"o": 1, "p": "payload"})
    assert resp.status_code == 202, resp.text
    trigger_id = resp.json()["activationId"]
    record = wsk.wait_activation(trigger_id)
    assert record["name"] == trigger
    assert record["response"]["result"] == {"o": 1, "p": "payload"}
    entries = [json.loads(line) for line in record["logs"]]
    assert len(entries) == 1
    assert (
        entries[0]["rule"] == f"{wsk.namespace}/{rule}"
        and entries[0]["action"] == f"{wsk.namespace}/{action}"
    )
    assert entries[0]["success"] is True and entries[0]["statusCode"] == 0
    action_record = _wait_for_cause(wsk, action, trigger_id)
    assert action_record["activationId"] == entries[0]["activationId"]
    result = action_record["response"]["result"]
    # action params < trigger params < payload
    assert (
        result["from_action"] == 1
        and result["t"] == "trigger"
        and result["o"] == 1
        and result["p"] == "payload"
    )


def test_rule_disable_enable_and_204_without_active_rules(wsk: Whisk) -> None:
    _, trigger, rule = _setup(wsk)
    resp = wsk.session.post(wsk.url("rules", rule), json={"status": "inactive"})
    assert resp.status_code == 200
    assert wsk.session.get(wsk.url("rules", rule)).json()["status"] == "inactive"
    rules = wsk.session.get(wsk.url("triggers", trigger)).json()["rules"]
    assert rules[f"{wsk.namespace}/{rule}"]["status"] == "inactive"
    resp = wsk.session.post(wsk.url("triggers", trigger), json={})
    assert resp.status_code == 204 and resp.content == b""
    assert wsk.session.post(wsk.url("rules", rule), json={"status": "active"}).status_code == 200
    assert wsk.session.post(wsk.url("triggers", trigger), json={}).status_code == 202
    resp = wsk.session.post(wsk.url("rules", rule), json={"status": "sleepy"})
    assert resp.status_code == 400


def test_fire_without_rules_is_204(wsk: Whisk) -> None:
    trigger = wsk.unique("lonely")
    assert wsk.put("triggers", trigger, {}).status_code == 200
    assert wsk.session.post(wsk.url("triggers", trigger), json={"a": 1}).status_code == 204


def test_rule_errors(wsk: Whisk) -> None:
    action, trigger, rule = _setup(wsk)
    assert wsk.put("rules", rule, {"trigger": trigger, "action": action}).status_code == 409
    resp = wsk.put("rules", wsk.unique("r"), {"trigger": wsk.unique("missing"), "action": action})
    assert resp.status_code == 400
    resp = wsk.put("rules", wsk.unique("r"), {"trigger": trigger, "action": wsk.unique("missing")})
    assert resp.status_code == 400
    assert wsk.session.get(wsk.url("rules", wsk.unique("none"))).status_code == 404
    assert wsk.session.post(wsk.url("triggers", wsk.unique("none")), json={}).status_code == 404
    deleted = wsk.session.delete(wsk.url("rules", rule))
    assert deleted.status_code == 200 and deleted.json()["status"] == "inactive"
    assert wsk.session.post(wsk.url("triggers", trigger), json={}).status_code == 204


def test_trigger_activations_have_no_end_nor_duration(wsk: Whisk) -> None:
    _, trigger, _ = _setup(wsk)
    fired = wsk.session.post(wsk.url("triggers", trigger), json={"p": 1}).json()["activationId"]
    record = wsk.wait_activation(fired)
    assert "end" not in record and "duration" not in record
    listed = wsk.session.get(wsk.url("activations"), params={"name": trigger}).json()
    assert listed and all("end" not in a and "duration" not in a for a in listed)


def test_updating_a_trigger_or_rule_replaces_its_annotations(wsk: Whisk) -> None:
    action, trigger, rule = _setup(wsk)
    for collection, name in (("triggers", trigger), ("rules", rule)):
        first = {"annotations": [{"key": "a", "value": 1}]}
        assert wsk.put(collection, name, first, overwrite=True).status_code == 200
        second = {"annotations": [{"key": "b", "value": 2}]}
        doc = wsk.put(collection, name, second, overwrite=True).json()
        assert doc["annotations"] == [{"key": "b", "value": 2}], collection
        kept = wsk.put(collection, name, {}, overwrite=True).json()  # not given: kept
        assert kept["annotations"] == [{"key": "b", "value": 2}], collection
