"""Shared by the /whisk.system/cloudant actions: the database URL and credentials from the parameters.

The server is `url` (http(s)://host:port, credentials allowed inside), or `host` (+ `port`) with
`protocol` (default https), plus optional `username`/`password` (Basic auth; none in admin party).
This file is inlined into each action's code by the installer (actions are single files).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit


class CouchError(Exception):
    """A failed database call; the message is what the action returns as its error."""


def server(params: dict[str, Any]) -> tuple[str, str | None]:
    """(base URL without credentials, Authorization header value or None)."""
    user = params.get("username") or None
    password = params.get("password") or ""
    if params.get("url"):
        parts = urlsplit(str(params["url"]))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CouchError(f"url parameter {params['url']!r} is not an http(s) URL")
        user = user or parts.username
        password = password or parts.password or ""
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    elif params.get("host"):
        host = str(params["host"])
        if params.get("port") and ":" not in host:
            host += f":{params['port']}"
        base = f"{params.get('protocol') or 'https'}://{host}"
    else:
        raise CouchError("no database server: bind the package with url, or host/username/password")
    auth = None
    if user:
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return base, auth


def call(params: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    """One JSON request to the database server; CouchError with the server's reason on failure."""
    base, auth = server(params)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read())
            reason = f"{detail.get('error')}: {detail.get('reason')}"
        except ValueError:
            reason = f"HTTP {exc.code}"
        raise CouchError(f"{method} {path} failed ({exc.code} {reason})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CouchError(f"could not reach the database server at {base}: {exc}") from None


def db_path(params: dict[str, Any]) -> str:
    """'/<dbname>' (quoted) from the dbname parameter."""
    dbname = params.get("dbname")
    if not isinstance(dbname, str) or not dbname:
        raise CouchError("dbname parameter is required")
    return "/" + quote(dbname, safe="")
