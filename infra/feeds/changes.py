"""The cloudant `changes` feed: its parameters, and the safe calls to a database's `_changes`.

pouchdb-server (the local stand-in) dies on a `_changes` request whose filter names a missing design
document, and on `filter=_selector`. So the filter is checked to exist (GET of the design document) at
CREATE and before every filtered request, and `_`-prefixed filters are refused outright.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from infra.feeds.errors import FeedError

CHANGES_LIMIT = 100
REQUEST_TIMEOUT = 10.0
# pouchdb-server's longpoll heartbeat is every 6 s; a socket silent for longer than this is a dead one.
HEARTBEAT_GRACE = 8.0


@dataclass
class ChangesSpec:
    """A validated `changes` configuration; `url` has no credentials (they are in username/password)."""

    url: str
    dbname: str
    username: str | None = None
    password: str | None = None
    iamApiKey: str | None = None
    iamUrl: str | None = None
    filter: str | None = None
    query_params: dict[str, Any] = field(default_factory=dict)
    maxTriggers: int = -1

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON object (round-trips through `ChangesSpec(**obj)`)."""
        return asdict(self)

    @property
    def auth(self) -> tuple[str, str] | None:
        """Basic auth for requests, or None in admin party / with only an IAM key."""
        return (self.username, self.password or "") if self.username else None

    @property
    def db_url(self) -> str:
        """The database's URL."""
        return f"{self.url}/{quote(self.dbname, safe='')}"

    def read_config(self, namespace: str, name: str) -> dict[str, Any]:
        """The `config` object of READ (no password)."""
        config: dict[str, Any] = {
            "name": name,
            "namespace": namespace,
            "dbname": self.dbname,
            "host": urlsplit(self.url).netloc,
            "url": self.url,
        }
        if self.username:
            config["username"] = self.username
        if self.filter:
            config["filter"] = self.filter
            config["query_params"] = self.query_params
        if self.iamApiKey:
            config["iamApiKey"] = "***"
        config["maxTriggers"] = self.maxTriggers
        return config


def spec_from_json(obj: dict[str, Any]) -> ChangesSpec:
    """Rebuild a ChangesSpec stored with `to_json` (extra keys such as the raw `_params` are ignored)."""
    return ChangesSpec(**{k: v for k, v in obj.items() if k in ChangesSpec.__dataclass_fields__})


def _server_url(params: dict[str, Any]) -> tuple[str, str | None, str | None]:
    username = params.get("username") or None
    password = params.get("password") or None
    if params.get("url"):
        parts = urlsplit(str(params["url"]))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedError(f"url parameter '{params['url']}' is not an http(s) URL")
        username = username or parts.username
        password = password or parts.password
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), username, password
    host = params.get("host")
    if not host:
        raise FeedError("changes feeds need the database server: a url, or host (with username and password)")
    protocol = str(params.get("protocol") or "https")
    if protocol not in ("http", "https"):
        raise FeedError(f"protocol parameter must be http or https, not {protocol!r}")
    netloc = str(host)
    if params.get("port") and ":" not in netloc:
        netloc += f":{params['port']}"
    return f"{protocol}://{netloc}", username, password


def parse_changes(params: dict[str, Any]) -> ChangesSpec:
    """Validate `changes` parameters (no network); FeedError with the parameter at fault."""
    dbname = params.get("dbname")
    if not isinstance(dbname, str) or not dbname:
        raise FeedError("cloudant trigger feeds must include a dbname parameter")
    url, username, password = _server_url(params)
    spec = ChangesSpec(
        url=url,
        dbname=dbname,
        username=username,
        password=password,
        iamApiKey=params.get("iamApiKey") or None,
        iamUrl=params.get("iamUrl") or None,
    )
    flt = params.get("filter")
    if flt not in (None, ""):
        if not isinstance(flt, str) or flt.startswith("_") or flt.count("/") != 1 or flt.endswith("/"):
            raise FeedError(
                f"filter parameter {flt!r} must name a design document filter as 'ddoc/filter' "
                "(built-in filters such as _selector are not supported)"
            )
        spec.filter = flt
    query = params.get("query_params")
    if query not in (None, "", {}):
        if spec.filter is None:
            raise FeedError("query_params parameter is only allowed together with filter")
        if isinstance(query, str):
            try:
                query = json.loads(query)
            except ValueError:
                raise FeedError("query_params parameter must be a JSON object") from None
        if not isinstance(query, dict):
            raise FeedError("query_params parameter must be a JSON object")
        spec.query_params = query
    max_triggers = params.get("maxTriggers", -1)
    try:
        spec.maxTriggers = int(max_triggers)
    except (TypeError, ValueError):
        raise FeedError(f"maxTriggers parameter must be an integer, not {max_triggers!r}") from None
    return spec


def check_filter(spec: ChangesSpec) -> None:
    """Raise FeedError unless the design document and its filter exist (pouchdb dies on a missing one)."""
    if spec.filter is None:
        return
    ddoc, name = spec.filter.split("/")
    try:
        resp = requests.get(
            f"{spec.db_url}/_design/{quote(ddoc, safe='')}", auth=spec.auth, timeout=REQUEST_TIMEOUT
        )
    except requests.RequestException as exc:
        raise FeedError(f"could not reach the database server at {spec.url}: {exc}", 503) from None
    if resp.status_code == 404:
        raise FeedError(
            f"filter '{spec.filter}': design document _design/{ddoc} does not exist in database {spec.dbname}"
        )
    if resp.status_code != 200:
        raise FeedError(
            f"filter '{spec.filter}': reading _design/{ddoc} answered HTTP {resp.status_code}", 502
        )
    filters = resp.json().get("filters") or {}
    if name not in filters:
        raise FeedError(f"filter '{spec.filter}': design document _design/{ddoc} has no filter {name!r}")


def current_seq(spec: ChangesSpec) -> Any:
    """The database's update_seq (where a new feed starts); FeedError if the database is unreachable."""
    try:
        resp = requests.get(spec.db_url, auth=spec.auth, timeout=REQUEST_TIMEOUT)
    except requests.RequestException as exc:
        raise FeedError(f"could not reach the database server at {spec.url}: {exc}", 503) from None
    if resp.status_code == 404:
        raise FeedError(f"database {spec.dbname} does not exist at {spec.url}")
    if resp.status_code in (401, 403):
        raise FeedError(
            f"the database server refused the credentials for {spec.dbname} (HTTP {resp.status_code})"
        )
    if resp.status_code != 200:
        raise FeedError(f"reading database {spec.dbname} answered HTTP {resp.status_code}", 502)
    return resp.json().get("update_seq", 0)


def fetch_changes(
    spec: ChangesSpec, since: Any, wait: float = 0.0, cancel: threading.Event | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """The changes after `since`: (results, last_seq); at most CHANGES_LIMIT of them.

    `wait` > 0 makes it a longpoll that returns as soon as there is a change, or with no results after
    `wait` seconds of OUR clock: pouchdb-server ignores `timeout` and sends a newline every 6 s forever,
    so the response is read chunk by chunk against a deadline. `cancel` set ends the wait early.
    Raises FeedError (status 503 when unreachable) on failure; checks the filter first.
    """
    check_filter(spec)
    params: dict[str, Any] = {
        "feed": "longpoll" if wait > 0 else "normal",
        "since": since if since is not None else 0,
        "limit": CHANGES_LIMIT,
    }
    if wait > 0:
        params["timeout"] = int(wait * 1000)  # honoured by CouchDB and Cloudant, ignored by pouchdb-server
    if spec.filter:
        params["filter"] = spec.filter
        for key, value in spec.query_params.items():
            params[key] = value if isinstance(value, str) else json.dumps(value)
    deadline = time.monotonic() + wait
    try:
        # The read timeout bounds each silent stretch: past the deadline, silence just means "no change".
        resp = requests.get(
            f"{spec.db_url}/_changes",
            params=params,
            auth=spec.auth,
            stream=True,
            timeout=(REQUEST_TIMEOUT, min(wait + 1.0, HEARTBEAT_GRACE) if wait > 0 else REQUEST_TIMEOUT),
        )
    except requests.RequestException as exc:
        raise FeedError(f"could not reach the database server at {spec.url}: {exc}", 503) from None
    with resp:
        if resp.status_code != 200:
            raise FeedError(
                f"_changes of {spec.dbname} answered HTTP {resp.status_code}: {resp.text[:200]}",
                resp.status_code,
            )
        body = bytearray()
        try:
            for chunk in resp.iter_content(chunk_size=None):
                body += chunk
                if body.strip() and _complete_json(body):
                    break
                if (cancel is not None and cancel.is_set()) or time.monotonic() > deadline:
                    return [], since
        except requests.RequestException as exc:
            if wait > 0 and not body.strip() and time.monotonic() >= deadline:
                return [], since
            raise FeedError(f"reading _changes of {spec.dbname} failed: {exc}", 503) from None
    try:
        doc = json.loads(bytes(body))
    except ValueError:
        raise FeedError(f"_changes of {spec.dbname} answered with invalid JSON", 502) from None
    return list(doc.get("results") or []), doc.get("last_seq", since)


def _complete_json(body: bytearray) -> bool:
    try:
        json.loads(bytes(body))
    except ValueError:
        return False
    return True


def change_event(change: dict[str, Any], dbname: str) -> dict[str, Any]:
    """The trigger payload for one change: {id, seq, changes, dbname}."""
    return {
        "id": change.get("id"),
        "seq": change.get("seq"),
        "changes": change.get("changes", []),
        "dbname": dbname,
    }
