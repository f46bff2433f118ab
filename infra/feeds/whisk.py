"""The provider's calls to the OpenWhisk REST API, made with the trigger owner's key (through infra.owclient).

Every answer is a `FireResult` (status 0: the platform could not be reached); nothing here raises or
retries: the provider decides what to fire again and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.owclient import KeyFormatError, WhiskClient, WhiskError

USER_AGENT = "openchecks-feeds"


@dataclass
class FireResult:
    """Outcome of one trigger fire: `ok` (202/204), `retry` (platform unreachable or 5xx/429), else gone."""

    status: int
    message: str

    @property
    def ok(self) -> bool:
        """The platform accepted the fire."""
        return self.status in (200, 202, 204)

    @property
    def retry(self) -> bool:
        """A transient failure: fire again later (0 = could not connect)."""
        return self.status == 0 or self.status == 429 or self.status >= 500


class TriggerClient:
    """Fires, reads and deletes triggers and rules at `api_url` (e.g. http://127.0.0.1:3233)."""

    def __init__(self, api_url: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def _call(
        self, method: str, namespace: str, collection: str, name: str, auth_key: str, body: Any = None
    ) -> tuple[FireResult, dict[str, Any]]:
        """One call, once; the result and (for a 200 with a JSON object) the body, else {}."""
        try:
            client = WhiskClient(
                self.api_url, auth_key, namespace, timeout=self.timeout, attempts=1, user_agent=USER_AGENT
            )
        except KeyFormatError as exc:
            return FireResult(401, str(exc)), {}
        try:
            resp = client.request(method, client.url(collection, name), ok=None, json=body)
        except WhiskError as exc:
            return FireResult(0, f"could not reach OpenWhisk at {self.api_url}: {exc.message}"), {}
        finally:
            client.session.close()
        parsed: Any = {}
        if resp.status_code == 200:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = {}
        return FireResult(resp.status_code, resp.text[:500]), parsed if isinstance(parsed, dict) else {}

    def fire(self, namespace: str, trigger: str, auth_key: str, payload: dict[str, Any]) -> FireResult:
        """POST the payload to the trigger."""
        return self._call("POST", namespace, "triggers", trigger, auth_key, payload)[0]

    def get_trigger(self, namespace: str, trigger: str, auth_key: str) -> tuple[FireResult, dict[str, Any]]:
        """GET the trigger; the body is {} unless the answer is 200."""
        return self._call("GET", namespace, "triggers", trigger, auth_key)

    def delete_trigger(self, namespace: str, trigger: str, auth_key: str) -> FireResult:
        """DELETE the trigger."""
        return self._call("DELETE", namespace, "triggers", trigger, auth_key)[0]

    def delete_rule(self, namespace: str, rule: str, auth_key: str) -> FireResult:
        """Disable then DELETE the rule (OpenWhisk refuses to delete an active rule)."""
        self._call("POST", namespace, "rules", rule, auth_key, {"status": "inactive"})
        return self._call("DELETE", namespace, "rules", rule, auth_key)[0]
