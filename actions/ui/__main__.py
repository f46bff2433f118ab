"""The `openchecks/ui` web action: serves the static page in `ui/` from the action's zip.

`GET <APIHOST>/api/v1/web/<namespace>/openchecks/ui/` answers `index.html`; `/ui/app.js`, `/ui/styles.css`,
… answer the file of that name with its content type, an ETag (a matching If-None-Match gets 304), a
revalidate-every-time Cache-Control, a Content-Security-Policy and the usual hardening headers. `/ui`
without the slash redirects to `ui/` so that the page's relative URLs resolve. Only GET and HEAD are served.

The Content-Security-Policy allows scripts, styles and API calls from the page's own origin only, plus the
object-storage origin the browser uploads to and loads archive images from. That origin comes from the
deployment's parameters (package inputs): `ui_storage_origins` (comma-separated origins) if set, else the
origin of `cos_public_endpoint`, else of `cos_endpoint`. Only exact `http(s)://host[:port]` origins count
(no `*`).

The request must never reach those parameters: the action is a raw web action (`web: raw`), so the query and
body arrive as `__ow_query`/`__ow_body` and cannot override any parameter. Deployed otherwise (no `__ow_query`
in its arguments) it answers 500 and says how to deploy it. The policy is sent on every answer (errors, 304,
redirects too); because OpenWhisk's `.html`/`.svg`/`.text`/`.json` extensions drop an action's headers
(`…/ui.html/index.html`), every HTML file also carries it in a `<meta http-equiv>` at the top of its `<head>`,
and a browser navigation (`Sec-Fetch-Dest: document`, frames) to a file that is not a page (a script, a style
sheet, an image) gets a short refusal instead of the file, so no script is ever rendered as a document.

Sign-in at the bank's OpenID Provider: `/ui/oidc-config.json` answers what the page needs to start it, from
the package parameters `oidc_issuer`, `oidc_client_id`, `oidc_scope`, `oidc_audience` and `oidc_token`
(`{}` when no issuer or client id is set: the page offers only the token box); the issuer's origin joins the
policy's `connect-src` (discovery, token, revocation requests). The client library the page uses,
`oauth4webapi`, is served as `/ui/vendor/oauth4webapi.js`: ui/vendor/oauth4webapi.js is a symbolic link to
the pinned package's file in infra/node_modules, which the deployer follows into the zip.

Deployed by manifest.yaml as a web action of the package `openchecks` whose zip holds this file and the
page under `ui/` (`include: [["ui", "ui"]]`); run from a checkout it serves the repository's `ui/`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Where the page's files are: `ui/` beside this file inside the deployed zip, or the repository's `ui/`
# when this module runs from a checkout (unit tests, a local run).
_HERE = Path(__file__).resolve().parent
UI_DIR_CANDIDATES = (_HERE / "ui", _HERE.parent.parent / "ui")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}
# These are sent base64-encoded; OpenWhisk decodes a web action's body for binary content types.
BINARY_SUFFIXES = frozenset({".png", ".ico"})
MAX_FILE_BYTES = 512 * 1024  # a web action's response must stay well under the 1 MB result limit

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class StaticFile:
    """One file of the page, ready to be sent."""

    body: str  # text, or base64 for binary types
    content_type: str
    etag: str


# The page's files, read once per container (cold start) from the zip; the zip never changes while a
# container lives, so this cache is never refreshed.
_FILES: dict[str, StaticFile] | None = None


def load_files(ui_dir: Path) -> dict[str, StaticFile]:
    """Read every servable file under `ui_dir`, keyed by its URL path ("/index.html", "/views/x.js")."""
    files: dict[str, StaticFile] = {}
    for path in sorted(ui_dir.rglob("*")):
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in CONTENT_TYPES or path.name.startswith("."):
            continue
        data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"{path} is {len(data)} bytes; a web action can serve at most {MAX_FILE_BYTES}")
        body = base64.b64encode(data).decode("ascii") if suffix in BINARY_SUFFIXES else data.decode("utf-8")
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        url_path = "/" + path.relative_to(ui_dir).as_posix()
        files[url_path] = StaticFile(body=body, content_type=CONTENT_TYPES[suffix], etag=etag)
    return files


def find_ui_dir() -> Path:
    """The directory holding index.html, in the zip or in the checkout."""
    for candidate in UI_DIR_CANDIDATES:
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError(
        "the page's files (ui/index.html) are not in this action; deploy it with ui/ included"
    )


# An exact host: DNS labels or an IPv4/IPv6 literal, an optional port; no wildcard, no user info.
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, or None when it is not one (a wildcard is not one)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def storage_origins(args: dict[str, Any]) -> list[str]:
    """The object-storage origins the page may upload to and load images from, from the action parameters."""
    explicit = args.get("ui_storage_origins")
    if isinstance(explicit, str) and explicit.strip():
        candidates = explicit.split(",")
    else:
        # The public endpoint is what presigned URLs point at; the plain endpoint when they are the same.
        configured = [str(args.get(key) or "") for key in ("cos_public_endpoint", "cos_endpoint")]
        candidates = [next((c for c in configured if c), "")]
    origins = [o for o in (origin_of(c) for c in candidates if c) if o]
    return sorted(set(origins))


def oidc_settings(args: dict[str, Any]) -> dict[str, str]:
    """What the page needs to sign in at the OpenID Provider (nothing secret), or {} when not configured."""
    issuer = str(args.get("oidc_issuer") or "").strip()
    client_id = str(args.get("oidc_client_id") or "").strip()
    if origin_of(issuer) is None or not client_id or not client_id.isprintable() or len(client_id) > 200:
        return {}
    use = "id" if str(args.get("oidc_token") or "").strip().lower() == "id" else "access"
    return {
        "issuer": issuer,
        "client_id": client_id,
        "scope": str(args.get("oidc_scope") or "").strip() or "openid email offline_access",
        "resource": str(args.get("oidc_audience") or "").strip() if use == "access" else "",
        "token": use,
    }


def content_security_policy(
    extra_origins: list[str], in_meta: bool = False, connect_origins: list[str] | None = None
) -> str:
    """The page's CSP: its own origin for code and API calls; storage origins for uploads and images; the
    OpenID Provider's origin (`connect_origins`) for its discovery, token and revocation requests.
    `in_meta`: the form for a `<meta>` element, which cannot carry `frame-ancestors`."""
    extra = "".join(" " + o for o in extra_origins)
    connect = extra + "".join(" " + o for o in (connect_origins or []) if o not in extra_origins)
    directives = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' blob: data:{extra}",
        f"connect-src 'self'{connect}",
        "font-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    return "; ".join(d for d in directives if not (in_meta and d.startswith("frame-ancestors")))


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


def with_meta_policy(page: str, policy: str) -> str:
    """`page` with the policy as the first element of its `<head>` (or at its very start without one)."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=True)}">'
    found = _HEAD.search(page)
    if found is None:
        return meta + page
    return page[: found.end()] + "\n  " + meta + page[found.end() :]


# Sec-Fetch-Dest values of a navigation: the answer would be rendered as a document.
NAVIGATIONS = frozenset({"document", "iframe", "frame", "embed", "object"})


def _text_response(status: int, message: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**headers, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
        "body": message + "\n",
    }


def _header(args: dict[str, Any], name: str) -> str:
    headers = args.get("__ow_headers")
    value = headers.get(name, "") if isinstance(headers, dict) else ""
    return value if isinstance(value, str) else ""


NOT_RAW = (
    "The page's action was deployed as a plain web action, so a request could set its parameters; "
    "deploy it with `web: raw` (annotation raw-http true), as manifest.yaml does."
)


def serve(args: dict[str, Any], files: dict[str, StaticFile]) -> dict[str, Any]:
    """Answer one web request (OpenWhisk `.http` result shape) from `files`."""
    if not isinstance(args.get("__ow_query"), str):
        # Not a raw web action: the query and body were merged into `args`, so none of them is trusted.
        strict = {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy([])}
        return _text_response(500, NOT_RAW, strict)
    origins = storage_origins(args)
    sign_in = oidc_settings(args)
    provider = [o for o in [origin_of(sign_in.get("issuer", ""))] if o]
    policy = content_security_policy(origins, connect_origins=provider)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}
    method = str(args.get("__ow_method") or "get").lower()
    if method not in ("get", "head"):
        reply = _text_response(405, f"The page only answers GET and HEAD, not {method.upper()}.", headers)
        reply["headers"]["Allow"] = "GET, HEAD"
        return reply
    path = str(args.get("__ow_path") or "")
    if path == "":
        # Relative to ".../openchecks/ui" this is ".../openchecks/ui/", where the page's relative links work.
        return {
            "statusCode": 302,
            "headers": {**headers, "Location": "ui/", "Cache-Control": "no-store"},
            "body": "",
        }
    if path.endswith("/"):
        path += "index.html"
    if path == "/oidc-config.json":
        return {
            "statusCode": 200,
            "headers": {**headers, "Content-Type": CONTENT_TYPES[".json"], "Cache-Control": "no-store"},
            "body": "" if method == "head" else json.dumps(sign_in, sort_keys=True),
        }
    found = files.get(path)
    if found is None or "\\" in path or "\x00" in path:
        return _text_response(
            404, "There is no such page here. Start from the page's address ending in /ui/.", headers
        )
    page = found.content_type.startswith("text/html")
    if not page and _header(args, "sec-fetch-dest").lower() in NAVIGATIONS:
        return _text_response(
            404, "This file is part of the page, not a page. Open the address ending in /ui/.", headers
        )
    body, etag = found.body, found.etag
    if page:
        body = with_meta_policy(found.body, content_security_policy(origins, True, provider))
        etag = '"' + hashlib.sha256((found.etag + policy).encode()).hexdigest()[:20] + '"'
    headers.update(
        {
            "Content-Type": found.content_type,
            # No build step means no hashed file names: revalidate every time, a 304 is cheap.
            "Cache-Control": "no-cache",
            "ETag": etag,
        }
    )
    if not page:
        headers["Vary"] = "Sec-Fetch-Dest"  # a navigation gets the refusal above, a script load the file
    if etag in [tag.strip() for tag in _header(args, "if-none-match").split(",")]:
        return {"statusCode": 304, "headers": headers, "body": ""}
    return {"statusCode": 200, "headers": headers, "body": "" if method == "head" else body}


def main(args: dict[str, Any]) -> dict[str, Any]:
    """Web action entry point; a failure to read the page is a 500 with the same headers, not a traceback."""
    global _FILES
    if _FILES is None:
        try:
            _FILES = load_files(find_ui_dir())
        except (OSError, ValueError) as exc:
            print(f"ui: cannot load the page's files: {exc}", file=sys.stderr, flush=True)
            strict = {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy([])}
            message = "The page's files are missing or too large in this deployment; redeploy the ui action."
            return _text_response(500, message, strict)
    return serve(args, _FILES)
