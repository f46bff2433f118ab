"""The Cloudant and COS requests of one activation, counted by method and kind of path, for `_meta.requests`.

Each client `openchecks.clients` builds gets a hook that counts every HTTP request it sends (retries too):
the CloudantV1 client a `requests` response hook, the S3 client a botocore `before-send` handler. A
container runs one activation at a time, so `ActionContext` starts the count afresh (`reset`) and its
`_meta` reports what the activation sent (`snapshot`); the load benchmark adds them up per deposit.

A path's kind keeps the database or bucket and the kind of document or object, never an id or a key:
`GET deposits/dep`, `PUT claims/ledger`, `POST deposits/_find`, `GET config/config`, `HEAD incoming/front`,
`GET /` (a probe). Counting costs a dict update per request.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

_LOCK = threading.Lock()
_COUNTS: dict[str, int] = {}

# Database and bucket names shortened to their role (deployments prefix or rename them; the tail decides).
_ROLES = (
    ("claims", "claims"),
    ("config", "config"),
    ("export", "exports"),
    ("notification", "notifications"),
    ("incoming", "incoming"),
    ("archive", "archive"),
    ("deposit", "deposits"),
)
_DOC_KIND = re.compile(r"^([a-z_]+?)(?:-|$)")


def _role(name: str) -> str:
    low = name.lower()
    for needle, role in _ROLES:
        if needle in low:
            return role
    return "other"


def path_kind(path: str) -> str:
    """`deposits/dep`, `claims/ledger`, `deposits/_find`, `incoming/front`, `/` for the server root."""
    parts = [unquote(p) for p in path.split("?", 1)[0].split("/") if p]
    if not parts:
        return "/"
    head = _role(parts[0])
    if len(parts) == 1:
        return head
    rest = parts[1:]
    if rest[0].startswith("_design") and len(rest) >= 4:
        return f"{head}/_view"
    if rest[0].startswith("_"):
        return f"{head}/{rest[0]}"
    last = rest[-1].rsplit(".", 1)[0]  # an object key's file name (front.jpg -> front)
    match = _DOC_KIND.match(last.lower())
    return f"{head}/{match.group(1) if match else 'doc'}"


def count(method: str, url: str, service: str = "") -> None:
    """Count one request (`service`: "s3" for the object store, "" for the database)."""
    kind = f"{service} " if service else ""
    key = f"{kind}{method.upper()} {path_kind(urlsplit(url).path)}"
    with _LOCK:
        _COUNTS[key] = _COUNTS.get(key, 0) + 1


def reset() -> None:
    """Start counting afresh (a new activation)."""
    with _LOCK:
        _COUNTS.clear()


def snapshot() -> dict[str, int]:
    """The requests counted since the last `reset`, sorted by name."""
    with _LOCK:
        return dict(sorted(_COUNTS.items()))


def hook_cloudant(client: Any) -> None:
    """Count every request of a CloudantV1 client (its `requests` session's response hook)."""
    session = getattr(client, "http_client", None)
    hooks = getattr(session, "hooks", None)
    if not isinstance(hooks, dict):
        return

    def on_response(response: Any, *args: Any, **kwargs: Any) -> Any:
        request = response.request
        count(str(request.method), str(request.url))
        return response

    hooks.setdefault("response", []).append(on_response)


def hook_s3(client: Any) -> None:
    """Count every request of a boto3 S3 client (botocore's `before-send`, once per attempt)."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return

    def before_send(request: Any, **kwargs: Any) -> None:
        count(str(request.method), str(request.url), "s3")

    events.register("before-send.s3", before_send)
