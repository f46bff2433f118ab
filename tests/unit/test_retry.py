"""openchecks.retry: which failures are transient, and the capped backoff within a deadline."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from ibm_botocore.exceptions import ClientError, EndpointConnectionError
from ibm_cloud_sdk_core import ApiException
from openchecks import retry


def client_error(status: int, code: str) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


@pytest.mark.parametrize(
    "exc,transient",
    [
        (requests.exceptions.ConnectionError("refused"), True),
        (requests.exceptions.ReadTimeout("slow"), True),
        (requests.exceptions.ChunkedEncodingError("cut"), True),
        (ConnectionResetError(104, "reset"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (ApiException(503), True),
        (ApiException(500), True),
        (ApiException(429), True),
        (ApiException(501), False),
        (ApiException(404), False),
        (ApiException(409), False),
        (ApiException(401), False),
        (client_error(503, "SlowDown"), True),
        (client_error(500, "InternalError"), True),
        (client_error(404, "NoSuchKey"), False),
        (client_error(412, "PreconditionFailed"), False),
        (client_error(403, "AccessDenied"), False),
        (ValueError("a bug"), False),
        (KeyError("a bug"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_transient_failures(exc: Exception, transient: bool) -> None:
    assert retry.is_transient(exc) is transient


def flaky(failures: list[Exception], result: str = "ok") -> Any:
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if failures:
            raise failures.pop(0)
        return result

    return fn, calls


def test_outside_a_deadline_a_call_is_tried_once() -> None:
    fn, calls = flaky([ConnectionResetError()])
    with pytest.raises(ConnectionResetError):
        retry.retried(fn, sleep=lambda s: None)
    assert calls["n"] == 1


def test_within_a_deadline_transient_failures_are_retried_with_capped_backoff() -> None:
    pauses: list[float] = []
    fn, calls = flaky([ConnectionResetError()] * 7 + [ApiException(503)])
    with retry.within(60):
        assert retry.retried(fn, sleep=pauses.append) == "ok"
    assert calls["n"] == 9 and len(pauses) == 8
    caps = [min(retry.FIRST_DELAY_S * 2**i, retry.MAX_DELAY_S) for i in range(8)]
    assert all(cap / 2 <= p <= cap for p, cap in zip(pauses, caps, strict=True)), pauses
    assert max(pauses) <= retry.MAX_DELAY_S


def test_a_permanent_failure_is_raised_at_once() -> None:
    fn, calls = flaky([ApiException(409)])
    with retry.within(60), pytest.raises(ApiException):
        retry.retried(fn, sleep=lambda s: None)
    assert calls["n"] == 1


def test_the_deadline_ends_the_retries() -> None:
    def down() -> str:
        raise requests.exceptions.ConnectionError("refused")

    started = time.monotonic()
    with retry.within(0.6), pytest.raises(requests.exceptions.ConnectionError):
        retry.retried(down)
    assert 0.2 < time.monotonic() - started < 0.9
    assert retry.remaining() == 0.0  # the deadline is gone with its block
