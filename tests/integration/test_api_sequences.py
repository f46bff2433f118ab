"""Sequences: components in order, an error stops the chain, cause/causedBy, logs, naming errors."""

from __future__ import annotations

from tests.fixtures.whisk import Whisk, annotation

ADD = "def main(args):\n    return {'n': args.get('n', 0) + args.get('step', 1)}\n"
FAIL = "def main(args):\n    return {'error': 'stop here', 'n': args['n']}\n"


def test_sequence_runs_components_in_order(wsk: Whisk) -> None:
    one, two, seq = wsk.unique("one"), wsk.unique("two"), wsk.unique("seq")
    wsk.put_action(one, ADD)
    wsk.put_action(two, ADD, parameters=[{"key": "step", "value": 10}])
    resp = wsk.put(
        "actions", seq, {"exec": {"kind": "sequence", "components": [f"/_/{one}", f"/{wsk.namespace}/{two}"]}}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["exec"]["components"] == [f"/{wsk.namespace}/{one}", f"/{wsk.namespace}/{two}"]

    resp = wsk.invoke(seq, {"n": 1})
    assert resp.status_code == 200
    record = resp.json()
    assert record["response"]["result"] == {"n": 12}
    assert annotation(record, "kind") == "sequence" and annotation(record, "topmost") is True
    assert len(record["logs"]) == 2
    components = [wsk.wait_activation(i) for i in record["logs"]]
    assert [c["name"] for c in components] == [one, two]
    assert all(c["cause"] == record["activationId"] for c in components)
    assert all(annotation(c, "causedBy") == "sequence" for c in components)
    assert record["duration"] == sum(c["duration"] for c in components)


def test_error_stops_the_chain(wsk: Whisk) -> None:
    fail, add, seq = wsk.unique("fail"), wsk.unique("add"), wsk.unique("seq")
    wsk.put_action(fail, FAIL)
    wsk.put_action(add, ADD)
    wsk.put("actions", seq, {"exec": {"kind": "sequence", "components": [add, fail, add]}})
    resp = wsk.invoke(seq, {"n": 1})
    assert resp.status_code == 502
    record = resp.json()
    assert record["response"]["status"] == "application error"
    assert record["response"]["result"] == {"error": "stop here", "n": 2}
    assert len(record["logs"]) == 2


def test_sequence_naming_errors(wsk: Whisk) -> None:
    add = wsk.unique("add")
    wsk.put_action(add, ADD)
    resp = wsk.put(
        "actions", wsk.unique("seq"), {"exec": {"kind": "sequence", "components": [wsk.unique("gone")]}}
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "Sequence component does not exist."
    resp = wsk.put("actions", wsk.unique("seq"), {"exec": {"kind": "sequence", "components": []}})
    assert resp.status_code == 400
    assert resp.json()["error"] == "No component specified for the sequence."
    seq = wsk.unique("seq")
    assert wsk.put("actions", seq, {"exec": {"kind": "sequence", "components": [add]}}).status_code == 200
    resp = wsk.put("actions", seq, {"exec": {"kind": "sequence", "components": [add, seq]}}, overwrite=True)
    assert resp.status_code == 400
    assert resp.json()["error"] == "Sequence may not refer to itself."


def test_a_sequence_carries_its_components_as_the_actions_parameter(wsk: Whisk) -> None:
    one, seq = wsk.unique("one"), wsk.unique("seq")
    wsk.put_action(one, ADD)
    body = {
        "exec": {"kind": "sequence", "components": [f"/_/{one}"]},
        "parameters": [{"key": "x", "value": 1}],
    }
    doc = wsk.put("actions", seq, body).json()
    expected = [{"key": "_actions", "value": [f"/{wsk.namespace}/{one}"]}]
    assert doc["parameters"] == expected  # given parameters are discarded, as by OpenWhisk
    updated = wsk.put("actions", seq, {"parameters": [{"key": "y", "value": 2}]}, overwrite=True).json()
    assert updated["parameters"] == expected
    assert wsk.invoke(seq, {"n": 1}, result=True).json() == {"n": 2}  # `_actions` is not an argument
