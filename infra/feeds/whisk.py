"""The provider's calls to the OpenWhisk REST API, made with the trigger owner's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests


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


class WhiskClient:
    """Fires, reads and deletes triggers and rules at `api_url` (e.g. http://127.0.0.1:3233)."""

    def __init__(self, api_url: str, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def _url(self, namespace: str, collection: str, name: str) -> str:
        return f"{self.api_url}/api/v1/namespaces/{quote(namespace)}/{collection}/{quote(name, safe='')}"

    def _call(self, method: str, url: str, auth_key: str, body: Any = None) -> FireResult:
        user, _, password = auth_key.partition(":")
        try:
            resp = requests.request(method, url, json=body, auth=(user, password), timeout=self.timeout)
        except requests.RequestException as exc:
            return FireResult(0, f"could not reach OpenWhisk at {self.api_url}: {exc}")
        return FireResult(resp.status_code, resp.text[:500])

    def fire(self, namespace: str, trigger: str, auth_key: str, payload: dict[str, Any]) -> FireResult:
        """POST the payload to the trigger."""
        return self._call("POST", self._url(namespace, "triggers", trigger), auth_key, payload)

    def get_trigger(self, namespace: str, trigger: str, auth_key: str) -> tuple[FireResult, dict[str, Any]]:
        """GET the trigger; the body is {} unless the answer is 200."""
        user, _, password = auth_key.partition(":")
        try:
            resp = requests.get(
                self._url(namespace, "triggers", trigger), auth=(user, password), timeout=self.timeout
            )
        except requests.RequestException as exc:
            return FireResult(0, f"could not reach OpenWhisk at {self.api_url}: {exc}"), {}
        body = resp.json() if resp.status_code == 200 else {}
        return FireResult(resp.status_code, resp.text[:500]), body if isinstance(body, dict) else {}

    def delete_trigger(self, namespace: str, trigger: str, auth_key: str) -> FireResult:
        """DELETE the trigger."""
        return self._call("DELETE", self._url(namespace, "triggers", trigger), auth_key)

    def delete_rule(self, namespace: str, rule: str, auth_key: str) -> FireResult:
        """Disable then DELETE the rule (OpenWhisk refuses to delete an active rule)."""
        url = self._url(namespace, "rules", rule)
        self._call("POST", url, auth_key, {"status": "inactive"})
        return self._call("DELETE", url, auth_key)
