"""The one OpenWhisk REST client of infra/ (``/api/v1/namespaces/{ns}/...``): the deployer, the feed
provider, the catalog installer and the stack's status all call OpenWhisk through `WhiskClient`.

Every failure is a WhiskError carrying the HTTP status (0 when the host could not be reached) and
the platform's message; a 404 on GET/DELETE is an answer (None/False), not an error. A caller that
wants every status as an answer (the feed provider decides itself what to retry) passes ``ok=None``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests
import urllib3

JsonDict = dict[str, Any]
_RETRY_STATUSES = {429, 503}
APIGW_PATH = "/api/v1/web/whisk.system/apimgmt"
# wskdeploy sends this placeholder when the manifest or wskprops gives no API gateway token
DUMMY_APIGW_TOKEN = "DUMMY TOKEN"


class WhiskError(Exception):
    """An OpenWhisk REST call failed: ``status`` is the HTTP status (0 when the host was unreachable)."""

    def __init__(self, status: int, message: str, method: str = "", url: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        where = f" ({method} {url})" if method else ""
        super().__init__(f"HTTP {status}: {message}{where}" if status else f"{message}{where}")


class KeyFormatError(ValueError):
    """The API key is not ``uuid:key``."""


def normalize_apihost(apihost: str) -> str:
    """``host:port`` → ``https://host:port`` (as wsk does); ``http://...`` kept; no trailing ``/api/v1``."""
    host = apihost.strip().rstrip("/")
    if "://" not in host:
        host = "https://" + host
    for suffix in ("/api/v1", "/api"):
        if host.endswith(suffix):
            host = host[: -len(suffix)]
    return host


def _path(name: str) -> str:
    return "/".join(quote(part, safe="") for part in name.strip("/").split("/"))


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(body, dict):
        if isinstance(body.get("error"), str):
            return str(body["error"])
        result = (
            (body.get("response") or {}).get("result") if isinstance(body.get("response"), dict) else None
        )
        if isinstance(result, dict) and "error" in result:
            error = result["error"]
            return error if isinstance(error, str) else str(error)
    return str(body)[:300]


class WhiskClient:
    """Calls one API host with one key; ``namespace`` is the default for entity paths."""

    def __init__(
        self,
        apihost: str,
        auth: str,
        namespace: str = "_",
        *,
        insecure: bool = False,
        timeout: float | tuple[float, float] = (10.0, 75.0),
        session: requests.Session | None = None,
        attempts: int = 3,
        user_agent: str = "openchecks",
    ) -> None:
        if ":" not in auth:
            raise KeyFormatError("the API key must look like uuid:key")
        self.apihost = normalize_apihost(apihost)
        self.auth = auth
        self.namespace = namespace
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.session = session or requests.Session()
        user, _, password = auth.partition(":")
        self.session.auth = (user, password)
        self.session.verify = not insecure
        if insecure:
            # the user asked for it explicitly (as `wsk -i`); one warning per request would bury the output
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.session.headers["User-Agent"] = user_agent

    def url(self, collection: str, name: str = "", namespace: str | None = None) -> str:
        ns = quote(namespace or self.namespace, safe="")
        base = f"{self.apihost}/api/v1/namespaces/{ns}/{collection}"
        return f"{base}/{_path(name)}" if name else base

    def request(
        self, method: str, url: str, *, ok: tuple[int, ...] | None = (200,), **kwargs: Any
    ) -> requests.Response:
        """Send, again on 429/503 (``attempts`` in all); a status outside ``ok`` raises WhiskError.

        ``ok=None`` accepts any status; only an unreachable host (status 0) raises then."""
        kwargs.setdefault("timeout", self.timeout)
        last = self.attempts - 1
        for attempt in range(self.attempts):
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                hint = ""
                if isinstance(exc, requests.exceptions.SSLError):
                    hint = "; for a self-signed certificate (e.g. the Helm chart's default) use --insecure"
                raise WhiskError(
                    0, f"cannot reach {self.apihost} ({exc.__class__.__name__}){hint}", method, url
                ) from exc
            if response.status_code in _RETRY_STATUSES and attempt < last:
                time.sleep(1.0 + attempt)
                continue
            break
        if ok is not None and response.status_code not in ok:
            raise WhiskError(response.status_code, _message(response), method, url)
        return response

    def namespaces(self) -> list[str]:
        """The namespaces the key may use (``GET /api/v1/namespaces``)."""
        body = self.request("GET", f"{self.apihost}/api/v1/namespaces").json()
        return [str(n) for n in body] if isinstance(body, list) else []

    def get(
        self, collection: str, name: str, namespace: str | None = None, params: dict[str, str] | None = None
    ) -> JsonDict | None:
        """The entity, or None when it does not exist."""
        response = self.request("GET", self.url(collection, name, namespace), ok=(200, 404), params=params)
        if response.status_code == 404:
            return None
        body = response.json()
        return body if isinstance(body, dict) else None

    def put(
        self,
        collection: str,
        name: str,
        body: JsonDict,
        *,
        overwrite: bool = True,
        namespace: str | None = None,
    ) -> JsonDict:
        response = self.request(
            "PUT",
            self.url(collection, name, namespace),
            json=body,
            params={"overwrite": "true" if overwrite else "false"},
        )
        result = response.json() if response.content else {}
        return result if isinstance(result, dict) else {}

    def delete(self, collection: str, name: str) -> bool:
        """True when deleted, False when it did not exist."""
        response = self.request("DELETE", self.url(collection, name), ok=(200, 202, 204, 404))
        return response.status_code != 404

    def set_rule_state(self, name: str, state: str) -> None:
        self.request("POST", self.url("rules", name), json={"status": state}, ok=(200, 202))

    def invoke(self, action: str, params: JsonDict, *, blocking: bool = True) -> JsonDict:
        """Invoke ``/ns/pkg/action`` (or ``pkg/action`` in the default namespace); 502 raises WhiskError."""
        parts = action.strip("/").split("/")
        if action.startswith("/"):
            namespace, name = parts[0], "/".join(parts[1:])
        else:
            namespace, name = self.namespace, "/".join(parts)
        response = self.request(
            "POST",
            self.url("actions", name, namespace),
            json=params,
            params={"blocking": "true" if blocking else "false"},
            ok=(200, 202),
        )
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}

    def info(self) -> JsonDict:
        """The platform's ``GET /api/v1`` document (``runtimes`` by family, ``limits``...)."""
        body = self.request("GET", f"{self.apihost}/api/v1").json()
        return body if isinstance(body, dict) else {}

    def runtime_kinds(self) -> tuple[set[str], dict[str, str]]:
        """The kinds the host offers (deprecated ones left out) and each family's default kind."""
        runtimes = self.info().get("runtimes")
        kinds: set[str] = set()
        defaults: dict[str, str] = {}
        if isinstance(runtimes, dict):
            for family, entries in runtimes.items():
                for entry in entries if isinstance(entries, list) else []:
                    if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
                        continue
                    if not entry.get("deprecated"):
                        kinds.add(entry["kind"])
                    if entry.get("default"):
                        defaults[str(family)] = entry["kind"]
                        defaults[entry["kind"].split(":")[0]] = entry["kind"]
        return kinds, defaults

    def _apigw(self, method: str, route: str, params: JsonDict, **kwargs: Any) -> requests.Response | None:
        """One call to the API gateway's management actions (``wsk api``'s routes); None on 404, which
        is the answer of a host without a gateway (and, for deleteApi, of a route that does not exist)."""
        query = {
            "spaceguid": self.auth.partition(":")[0],
            "accesstoken": DUMMY_APIGW_TOKEN,
            **{k: v for k, v in params.items() if v not in (None, "")},
        }
        url = f"{self.apihost}{APIGW_PATH}/{route}.http"
        response = self.request(method, url, params=query, ok=(200, 201, 202, 204, 404), **kwargs)
        return None if response.status_code == 404 else response

    def has_api_gateway(self) -> bool:
        """True when ``GET .../apimgmt/getApi.http`` answers (a host without a gateway answers 404)."""
        return self._apigw("GET", "getApi", {}) is not None

    def get_apis(self, base_path: str) -> list[JsonDict] | None:
        """The routes under ``base_path`` (``{id, key, value: {apidoc: swagger}}`` each); None: no gateway."""
        response = self._apigw("GET", "getApi", {"basepath": base_path})
        if response is None:
            return None
        body = response.json() if response.content else {}
        apis = body.get("apis") if isinstance(body, dict) else None
        return [a for a in apis if isinstance(a, dict)] if isinstance(apis, list) else []

    def create_api(self, apidoc: JsonDict, response_type: str) -> JsonDict:
        """``POST .../apimgmt/createApi.http`` with ``{"apidoc": ...}`` as ``wsk api create`` sends it."""
        response = self._apigw("POST", "createApi", {"responsetype": response_type}, json={"apidoc": apidoc})
        if response is None:
            raise WhiskError(
                404, "this host has no API gateway (apimgmt)", "POST", f"{self.apihost}{APIGW_PATH}"
            )
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}

    def delete_api(self, base_path: str, rel_path: str, verb: str) -> bool:
        """``DELETE .../apimgmt/deleteApi.http``; False when there was no gateway or no such route."""
        params = {"basepath": base_path, "relpath": rel_path, "operation": verb}
        response = self._apigw("DELETE", "deleteApi", params)
        return response is not None and response.status_code != 404
