"""Calls back into OpenWhisk from an action: fire a trigger, invoke an action (non-blocking).

Uses `__OW_API_HOST` and `__OW_API_KEY`, which the platform provides only to actions annotated
`provide-api-key: true`. The key is sent as HTTP basic auth and never logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from openchecks.errors import ConfigurationError, ServiceUnavailable

TIMEOUT = (5, 15)


def _api() -> tuple[str, tuple[str, str]]:
    host = os.environ.get("__OW_API_HOST", "").strip().rstrip("/")
    key = os.environ.get("__OW_API_KEY", "")
    if not host or ":" not in key:
        raise ConfigurationError(
            "This action cannot call OpenWhisk: __OW_API_HOST/__OW_API_KEY are missing "
            "(annotate it with provide-api-key: true).",
            code="no_api_key",
        )
    if "://" not in host:
        host = f"https://{host}"
    user, _, password = key.partition(":")
    return f"{host}/api/v1/namespaces/_", (user, password)


def _path(name: str) -> str:
    """`pkg/action` or `/ns/pkg/action` -> the URL path below the namespace (namespace part dropped)."""
    parts = [p for p in name.split("/") if p]
    if name.startswith("/"):
        parts = parts[1:]
    return "/".join(quote(p, safe="") for p in parts)


def _call(
    method: str,
    path: str,
    what: str,
    code: str,
    *,
    then: str = "",
    params: Mapping[str, str] | None = None,
    payload: Mapping[str, Any] | None = None,
    missing_ok: bool = False,
) -> Any:
    """One call below the namespace; the JSON answer (None for 204, or 404 when `missing_ok`). Failures are
    ServiceUnavailable `<code>_unavailable` (no answer) or `<code>_failed` (an error status), worded with
    `what` (e.g. "listing activations") and `then` (what happens next)."""
    base, auth = _api()
    try:
        resp = requests.request(
            method,
            f"{base}/{path}",
            params=dict(params or {}),
            json=dict(payload) if payload is not None else None,
            auth=auth,
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ServiceUnavailable(
            f"OpenWhisk did not answer while {what}.{then}", code=f"{code}_unavailable"
        ) from exc
    if resp.status_code == 204 or (missing_ok and resp.status_code == 404):
        return None
    if resp.status_code >= 300:
        raise ServiceUnavailable(
            f"OpenWhisk answered HTTP {resp.status_code} while {what}.{then}", code=f"{code}_failed"
        )
    return resp.json() if resp.content else None


def _activation_id(body: Any) -> str | None:
    value = body.get("activationId") if isinstance(body, dict) else None
    return str(value) if value else None


def fire_trigger(name: str, payload: Mapping[str, Any]) -> str | None:
    """Fire trigger `name`; return the activation id (None when no rule is active: HTTP 204)."""
    retried = " It will be retried automatically."
    body = _call(
        "POST", f"triggers/{_path(name)}", "starting the processing", "trigger", then=retried, payload=payload
    )
    return _activation_id(body)


def invoke_async(name: str, payload: Mapping[str, Any]) -> str:
    """Invoke action `name` (e.g. `openchecks/process-check`) without waiting; return the activation id."""
    params = {"blocking": "false"}
    body = _call(
        "POST", f"actions/{_path(name)}", "re-running a deposit", "invoke", params=params, payload=payload
    )
    return _activation_id(body) or ""


def sibling_action(simple_name: str) -> str:
    """The full name of an action in the same package as the running one (from `__OW_ACTION_NAME`)."""
    current = os.environ.get("__OW_ACTION_NAME", "")
    parts = [p for p in current.split("/") if p]
    if len(parts) >= 3:  # /namespace/package/action
        return "/" + "/".join([*parts[:-1], simple_name])
    return f"openchecks/{simple_name}"


def _records(body: Any) -> list[dict[str, Any]]:
    return [a for a in body if isinstance(a, dict)] if isinstance(body, list) else []


def list_activations(limit: int) -> list[dict[str, Any]]:
    """The namespace's newest `limit` (1..200) activation records, with their annotations and results."""
    params = {"docs": "true", "limit": str(limit)}
    return _records(_call("GET", "activations", "listing activations", "activations", params=params))


def get_activation(activation_id: str) -> dict[str, Any] | None:
    """The activation record, or None while there is none (OpenWhisk records an activation when it ends)."""
    path = f"activations/{quote(activation_id, safe='')}"
    body = _call("GET", path, "reading an activation", "activations", missing_ok=True)
    return body if isinstance(body, dict) else None


def activations_named(name: str, since_ms: int, pages: int = 10) -> list[dict[str, Any]]:
    """Records of `name` (a trigger, or `pkg/action`) that started since `since_ms`, newest first, with
    their results and logs: up to `pages` pages of 200."""
    out: list[dict[str, Any]] = []
    for page in range(pages):
        params = {
            "name": name,
            "since": str(since_ms),
            "docs": "true",
            "limit": "200",
            "skip": str(page * 200),
        }
        batch = _records(_call("GET", "activations", "listing activations", "activations", params=params))
        out += batch
        if len(batch) < 200:
            break
    return out


class PlatformRuns:
    """Which process-check runs OpenWhisk started for which deposit, and whether they have ended.

    A run is started either by the `trigger` (its activation record holds the payload, with `deposit_id`, as
    its result, and one log line per rule with the rule activation's id) or by a retry of the `sweeper`
    action (its result's `report.runs` maps deposit ids to the activation ids it started)."""

    def __init__(self, trigger: str, sweeper: str) -> None:
        self.trigger = trigger
        self.sweeper = sweeper.strip("/").split("/", 1)[-1] if sweeper.count("/") >= 2 else sweeper

    def latest(self, since_ms: int) -> dict[str, tuple[str, int]]:
        """deposit id -> (activation id, start ms) of the newest run started since `since_ms`."""
        runs: dict[str, tuple[str, int]] = {}

        def note(deposit_id: Any, activation_id: Any, start: Any) -> None:
            known = isinstance(deposit_id, str) and isinstance(activation_id, str) and isinstance(start, int)
            if known and (deposit_id not in runs or runs[deposit_id][1] < start):
                runs[deposit_id] = (activation_id, start)

        for record in activations_named(self.trigger, since_ms):
            result = (record.get("response") or {}).get("result") or {}
            for line in record.get("logs") or []:
                try:
                    entry = json.loads(line) if isinstance(line, str) else {}
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(result, dict):
                    note(result.get("deposit_id"), entry.get("activationId"), record.get("start"))
        for record in activations_named(self.sweeper, since_ms):
            result = (record.get("response") or {}).get("result") or {}
            started = (result.get("report") or {}).get("runs") if isinstance(result, dict) else None
            for deposit_id, activation_id in (started or {}).items() if isinstance(started, dict) else ():
                note(deposit_id, activation_id, record.get("start"))
        return runs

    def ended(self, activation_id: str) -> bool:
        return get_activation(activation_id) is not None
