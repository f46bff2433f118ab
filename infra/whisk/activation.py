"""What the controller hands the container pool, and what it gets back.

This is the seam between the REST controller (routes, store, sequences, triggers, web actions) and the
invoker (container processes and their pool). The controller resolves the action, merges parameters and
builds a RunRequest; the pool finds or starts a container, runs the activation and returns a RunResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Activation status codes, as OpenWhisk's ActivationResponse.
SUCCESS = 0
APPLICATION_ERROR = 1
DEVELOPER_ERROR = 2
WHISK_ERROR = 3

STATUS_NAMES = {
    SUCCESS: "success",
    APPLICATION_ERROR: "application error",
    DEVELOPER_ERROR: "action developer error",
    WHISK_ERROR: "whisk internal error",
}


@dataclass(frozen=True)
class Limits:
    timeout_ms: int = 60_000
    memory_mb: int = 256
    logs_mb: int = 10
    concurrency: int = 1


@dataclass(frozen=True)
class ActionCode:
    """The executable part of an action revision. Two revisions never share a container."""

    fqn: str  # "/guest/pkg/name" (the action's own path, not a binding's)
    revision: str  # changes whenever code, main, kind or init parameters change
    kind: str  # "python:3.11" or "blackbox"
    code: str  # source text, or base64 of a zip when binary
    binary: bool
    main: str = "main"
    init_env: dict[str, str] = field(default_factory=dict)  # parameters flagged "init": true, stringified


@dataclass
class RunRequest:
    action: ActionCode
    args: Any  # the merged parameters (dict) or a JSON array
    limits: Limits
    activation_id: str  # 32 hex chars
    namespace: str  # the invoking namespace, e.g. "guest"
    action_version: str = "0.0.1"
    transaction_id: str = ""
    api_key: str | None = None  # only when the action's provide-api-key annotation allows it
    # A caller is waiting for the result (a blocking invoke or a web action): queued ahead of background runs.
    interactive: bool = False


@dataclass
class RunResult:
    status_code: int  # SUCCESS .. WHISK_ERROR
    result: Any  # dict or list; for errors a dict with "error"
    logs: list[str]  # formatted "<timestamp padded to 30> stdout: line"
    start_ms: int  # epoch ms when init (cold) or the run (warm) began, so end_ms - start_ms == duration_ms
    end_ms: int
    duration_ms: int  # run time (+ init time on a cold start)
    wait_time_ms: int  # request received -> container ready
    init_time_ms: int | None  # only when /init ran for this activation (cold or prewarm)
    timed_out: bool = False
    container_id: str = ""
    cold: bool = False
