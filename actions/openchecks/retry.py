"""Riding out a bad minute: transient Cloudant and COS failures retried with capped exponential backoff.

A transient failure is one that a restarting or overloaded server gives: connection refused or reset, a
timeout, HTTP 429 or a 5xx. Anything else (a 404, a 409 on a stale `_rev`, a bad request) goes to the caller
at once, as it is.

Retries happen only inside `within(seconds)`: the deposit API sets one deadline for the whole request
(`API_DEADLINE_S`, well inside the web action's 30 s limit), and every Cloudant or COS call made under it
retries until that deadline is near; then the caller's own mapping answers 503 (`database_unavailable`,
`storage_unavailable`). Outside a deadline (the pipeline steps, whose failures the poller retries), a call is
tried once, as before.

A write retried after its answer was lost may already have happened: the callers are written for that (every
document write is on a `_rev` or a fixed id, so a repeat is a 409 that they re-read, and an object PUT or
DELETE of the same key twice is harmless).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

# The deposit API's retry deadline for one request (the web action may run 30 s).
API_DEADLINE_S = 15.0
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 2.0

_DEADLINE: ContextVar[float | None] = ContextVar("openchecks_retry_deadline", default=None)
# Class names of transport failures in requests, urllib3 and (ibm_)botocore: connection refused or reset,
# timeouts, a response cut short. Matched by name so this module imports neither SDK.
TRANSPORT_ERRORS = frozenset(
    {
        "ConnectionError",
        "ConnectTimeout",
        "ConnectTimeoutError",
        "ReadTimeout",
        "ReadTimeoutError",
        "Timeout",
        "ChunkedEncodingError",
        "ProtocolError",
        "EndpointConnectionError",
        "ConnectionClosedError",
        "HTTPClientError",
        "IncompleteRead",
        "RemoteDisconnected",
    }
)
# S3 error codes that mean "try again" whatever the status says.
TRANSIENT_S3_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException"}
)


def transient_status(status: Any) -> bool:
    """429 and every 5xx but 501 (not implemented never gets better)."""
    return isinstance(status, int) and (status == 429 or (500 <= status <= 599 and status != 501))


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a failure a retry may cure (see the module docstring)."""
    if isinstance(exc, ConnectionError | TimeoutError):  # the builtin OSError family: refused, reset
        return True
    if any(cls.__name__ in TRANSPORT_ERRORS for cls in type(exc).__mro__):
        return True
    status = getattr(exc, "status_code", None)  # ibm_cloud_sdk_core.ApiException
    if isinstance(status, int):
        return transient_status(status)
    response = getattr(exc, "response", None)  # botocore ClientError
    if isinstance(response, dict):
        code = str((response.get("Error") or {}).get("Code", ""))
        http = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return code in TRANSIENT_S3_CODES or transient_status(http)
    return False


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Retry transient failures of the calls made in this block until `seconds` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float:
    """Seconds left before the current deadline (0 when there is none)."""
    deadline = _DEADLINE.get()
    return 0.0 if deadline is None else max(0.0, deadline - time.monotonic())


def retried(
    fn: Callable[[], T],
    transient: Callable[[BaseException], bool] = is_transient,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`fn()`, tried again after each transient failure while the deadline allows (full jitter, capped
    exponential backoff); the last failure is raised when the deadline is reached."""
    delay = FIRST_DELAY_S
    while True:
        try:
            return fn()
        except Exception as exc:
            pause = random.uniform(delay / 2, delay)
            if not transient(exc) or remaining() <= pause:
                raise
        sleep(pause)
        delay = min(delay * 2, MAX_DELAY_S)
