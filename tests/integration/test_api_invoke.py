"""Invoking actions: blocking / non-blocking / result, status codes, errors, limits, annotations."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.whisk import Whisk, annotation

ECHO = "def main(args):\n    return args\n"
APP_ERROR = "def main(args):\n    return {'error': 'bad input', 'detail': 7}\n"
RAISES = "def main(args):\n    raise ValueError('boom')\n"
NOT_DICT = "def main(args):\n    return 42\n"
SLEEPS = (
    "import time\n\ndef main(args):\n    time.sleep(args.get('s', 1))\n"
    "    return {'slept': args.get('s', 1)}\n"
)
HANGS = "import time\n\ndef main(args):\n    while True:\n        time.sleep(1)\n"
LOGS = (
    "import sys\n\ndef main(args):\n    print('to stdout')\n    print('to stderr', file=sys.stderr)\n"
    "    return {}\n"
)


def test_blocking_invoke_returns_the_activation(wsk: Whisk) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, ECHO, parameters=[{"key": "a", "value": 1}, {"key": "b", "value": 2}])
    resp = wsk.invoke(name, {"b": 3})
    assert resp.status_code == 200
    record = resp.json()
    assert resp.headers["x-openwhisk-activation-id"] == record["activationId"]
    assert len(record["activationId"]) == 32
    assert record["response"]["status"] == "success" and record["response"]["success"] is True
    assert record["response"]["result"] == {"a": 1, "b": 3}  # action params < payload
    assert record["name"] == name and record["namespace"] == wsk.namespace
    assert annotation(record, "path") == f"{wsk.namespace}/{name}"
    assert annotation(record, "kind") == "python:3.11"
    assert annotation(record, "limits")["timeout"] == 60000
    assert annotation(record, "timeout") is False
    assert isinstance(annotation(record, "waitTime"), int)
    assert record["end"] >= record["start"] and record["duration"] >= 0


def test_init_time_only_on_cold_start(wsk: Whisk) -> None:
    name = wsk.unique("cold")
    wsk.put_action(name, ECHO)
    first = wsk.invoke(name).json()
    second = wsk.invoke(name).json()
    assert annotation(first, "initTime") is not None
    assert annotation(second, "initTime") is None


def test_result_only(wsk: Whisk) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, ECHO)
    resp = wsk.invoke(name, {"x": [1, 2]}, result=True)
    assert resp.status_code == 200 and resp.json() == {"x": [1, 2]}
    assert len(resp.headers["x-openwhisk-activation-id"]) == 32


def test_non_blocking_is_202_and_record_appears(wsk: Whisk) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, ECHO)
    resp = wsk.invoke(name, {"n": 1}, blocking=False)
    assert resp.status_code == 202
    activation_id = resp.json()["activationId"]
    assert resp.headers["x-openwhisk-activation-id"] == activation_id
    record = wsk.wait_activation(activation_id)
    assert record["response"]["result"] == {"n": 1}


def test_application_error_is_502(wsk: Whisk) -> None:
    name = wsk.unique("apperr")
    wsk.put_action(name, APP_ERROR)
    resp = wsk.invoke(name)
    assert resp.status_code == 502
    assert resp.json()["response"]["status"] == "application error"
    assert resp.json()["response"]["result"] == {"error": "bad input", "detail": 7}
    resp = wsk.invoke(name, result=True)
    assert resp.status_code == 502 and resp.json() == {"error": "bad input", "detail": 7}


def test_exception_is_application_error_with_traceback_in_logs(wsk: Whisk) -> None:
    name = wsk.unique("raises")
    wsk.put_action(name, RAISES)
    resp = wsk.invoke(name)
    assert resp.status_code == 502
    record = resp.json()
    assert record["response"]["result"] == {"error": "boom"}
    assert any("ValueError" in line and "stderr" in line for line in record["logs"])


def test_non_dict_result_is_developer_error(wsk: Whisk) -> None:
    name = wsk.unique("nodict")
    wsk.put_action(name, NOT_DICT)
    resp = wsk.invoke(name)
    assert resp.status_code == 502
    assert resp.json()["response"]["status"] == "action developer error"


def test_logs_are_captured(wsk: Whisk) -> None:
    name = wsk.unique("logs")
    wsk.put_action(name, LOGS)
    record = wsk.invoke(name).json()
    logs = record["logs"]
    assert any(line.endswith("stdout: to stdout") for line in logs)
    assert any(line.endswith("stderr: to stderr") for line in logs)
    fetched = wsk.session.get(wsk.url("activations", record["activationId"]) + "/logs").json()
    assert fetched == {"logs": logs}


def test_action_that_never_returns_times_out_and_platform_stays_up(wsk: Whisk) -> None:
    name = wsk.unique("hang")
    wsk.put_action(name, HANGS, limits={"timeout": 500})
    started = time.monotonic()
    resp = wsk.invoke(name)
    assert time.monotonic() - started < 20
    assert resp.status_code == 502
    record = resp.json()
    assert record["response"]["status"] == "action developer error"
    assert record["response"]["result"] == {
        "error": "The action exceeded its time limits of 500 milliseconds."
    }
    assert annotation(record, "timeout") is True
    # still up, and the same action runs again in a fresh container
    assert wsk.session.get(f"{wsk.api_host}/api/v1").status_code == 200
    echo = wsk.unique("echo")
    wsk.put_action(echo, ECHO)
    assert wsk.invoke(echo, {"up": True}, result=True).json() == {"up": True}


def test_blocking_wait_expiry_is_202_and_activation_continues(wsk: Whisk) -> None:
    name = wsk.unique("slow")
    wsk.put_action(name, SLEEPS)
    resp = wsk.invoke(name, {"s": 2}, timeout="300")
    assert resp.status_code == 202
    activation_id = resp.json()["activationId"]
    record = wsk.wait_activation(activation_id, timeout=30)
    assert record["response"]["result"] == {"slept": 2}


@pytest.mark.parametrize("value", ["0", "60001", "abc"])
def test_invalid_blocking_timeout_is_400(wsk: Whisk, value: str) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, ECHO)
    resp = wsk.invoke(name, timeout=value)
    assert resp.status_code == 400
    assert resp.json()["error"] == "Timeout must be number of milliseconds up to 60000."


def test_payload_over_1mb_is_413(wsk: Whisk) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, ECHO)
    resp = wsk.invoke(name, {"big": "x" * (1024 * 1024 + 10)})
    assert resp.status_code == 413
    assert "larger than allowed" in resp.json()["error"]


def test_payload_of_900kb_round_trips(wsk: Whisk) -> None:
    name = wsk.unique("echo")
    wsk.put_action(name, "def main(args):\n    return {'n': len(args['big'])}\n")
    resp = wsk.invoke(name, {"big": "y" * 900_000}, result=True)
    assert resp.status_code == 200 and resp.json() == {"n": 900_000}


def test_unknown_action_is_404(wsk: Whisk) -> None:
    resp = wsk.invoke(wsk.unique("missing"))
    assert resp.status_code == 404
    assert resp.json()["error"] == "The requested resource does not exist."


def test_final_parameters_cannot_be_overridden(wsk: Whisk) -> None:
    name = wsk.unique("final")
    wsk.put_action(
        name, ECHO, parameters=[{"key": "fixed", "value": 1}], annotations=[{"key": "final", "value": True}]
    )
    assert wsk.invoke(name, {"other": 2}, result=True).json() == {"fixed": 1, "other": 2}
    resp = wsk.invoke(name, {"fixed": 2})
    assert resp.status_code == 400
    assert "not allowed" in resp.json()["error"]


def test_init_parameters_become_environment(wsk: Whisk) -> None:
    name = wsk.unique("initp")
    code = (
        "import os\n\ndef main(args):\n    return {'env': os.environ.get('SECRET'), 'args': sorted(args)}\n"
    )
    wsk.put_action(name, code, parameters=[{"key": "SECRET", "value": "s3", "init": True}])
    assert wsk.invoke(name, result=True).json() == {"env": "s3", "args": []}


def test_action_that_exits_its_process_is_developer_error(wsk: Whisk) -> None:
    name = wsk.unique("exits")
    wsk.put_action(name, "import os\n\ndef main(args):\n    os._exit(3)\n")
    resp = wsk.invoke(name)
    assert resp.status_code == 502
    assert resp.json()["response"]["status"] == "action developer error"
    assert wsk.invoke(name).status_code == 502  # a fresh container, same outcome, platform still serving


def test_blocking_result_of_an_array_is_the_array(wsk: Whisk) -> None:
    name = wsk.unique("array")
    wsk.put_action(name, "def main(args):\n    return [1, {'two': 2}, 'three']\n")
    resp = wsk.invoke(name, result=True)
    assert (resp.status_code, resp.json()) == (200, [1, {"two": 2}, "three"])


def test_an_array_payload_is_refused(wsk: Whisk) -> None:
    name = wsk.unique("arrayin")
    wsk.put_action(name, "def main(args):\n    return {'got': args}\n")
    resp = wsk.session.post(wsk.url("actions", name), params={"blocking": "true"}, json=[1, 2])
    assert resp.status_code == 400
    assert resp.json()["error"] == "The request content was malformed:\nObject expected"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("return None", "The action did not produce a valid JSON or JSON Array response: null\n"),
        ("return {'o': object()}", "command exited"),
        ("exit()", "command exited"),
    ],
)
def test_none_non_json_and_exit_are_openwhisks_developer_errors(wsk: Whisk, body: str, message: str) -> None:
    name = wsk.unique("deverr")
    wsk.put_action(name, f"def main(args):\n    {body}\n")
    resp = wsk.invoke(name)
    assert resp.status_code == 502
    assert resp.json()["response"]["status"] == "action developer error"
    assert resp.json()["response"]["result"] == {"error": message}


def test_a_main_that_is_not_callable_is_an_application_error_per_run(wsk: Whisk) -> None:
    name = wsk.unique("notcallable")
    wsk.put_action(name, "main = 5\n")
    for _ in range(2):
        record = wsk.invoke(name).json()
        assert record["response"]["status"] == "application error"
        assert record["response"]["result"] == {"error": "'int' object is not callable"}
