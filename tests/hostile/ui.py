"""The hostile corpus against the `ui` web action: requests that try to widen or shed the page's CSP.

Each case is one request below `/api/v1/web/<namespace>/<package>/` (`path` holds the action name with any
extension, the path and the query). By default it is sent as a browser's top-level navigation
(`Sec-Fetch-Dest: document`), which is how an attacker's link or frame reaches it.

    widen      the storage origins set from the query or the body (`ui_storage_origins=https://*`), the
               sign-in provider likewise (`oidc_issuer=https://evil.example`: connect-src, oidc-config.json)
    shed       the extensions whose transcoders drop an action's headers (`ui.html/index.html`, `.svg` ...),
               a script or style sheet opened as a document
    errors     404s, a traversal, a wrong method, the redirect without the slash, HEAD

Whatever comes back must hold the policy made from the deployment's parameters only: the header (exactly),
or, where the platform drops headers, the `<meta>` policy at the top of an HTML page; any other answer
without the header must be inert (plain text, JSON, or "SVG" that is no XML document).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAVIGATION = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Accept": "text/html,*/*"}
WIDE = (
    "ui_storage_origins=https://*&cos_public_endpoint=https://evil.example&cos_endpoint=https://evil.example"
)

OIDC_WIDE = "oidc_issuer=https://evil.example&oidc_client_id=x&oidc_audience=https://evil.example"


@dataclass(frozen=True)
class UiCase:
    name: str
    what: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=lambda: dict(NAVIGATION))
    body: bytes | None = None


CASES: tuple[UiCase, ...] = (
    # ---- widen
    UiCase("query-storage-wildcard", "?ui_storage_origins=https://*", "ui/?ui_storage_origins=https://*"),
    UiCase(
        "query-public-endpoint", "?cos_public_endpoint=evil", "ui/?cos_public_endpoint=https://evil.example"
    ),
    UiCase("query-endpoint", "?cos_endpoint=evil", "ui/app.js?cos_endpoint=https://evil.example"),
    UiCase("query-all", "every origin parameter at once", "ui/index.html?" + WIDE),
    UiCase(
        "body-json",
        "a JSON body naming the origins",
        "ui/",
        method="POST",
        headers={**NAVIGATION, "Content-Type": "application/json"},
        body=b'{"ui_storage_origins": "https://*", "cos_public_endpoint": "https://evil.example"}',
    ),
    UiCase(
        "body-form",
        "a form post naming the origins",
        "ui/",
        method="POST",
        headers={**NAVIGATION, "Content-Type": "application/x-www-form-urlencoded"},
        body=WIDE.encode(),
    ),
    UiCase("query-oidc-issuer", "?oidc_issuer=evil on the page", "ui/?" + OIDC_WIDE),
    UiCase(
        "query-oidc-config",
        "?oidc_issuer=evil on the sign-in configuration",
        "ui/oidc-config.json?" + OIDC_WIDE,
    ),
    UiCase(
        "body-oidc-issuer",
        "a JSON body naming a provider",
        "ui/oidc-config.json",
        method="POST",
        headers={**NAVIGATION, "Content-Type": "application/json"},
        body=b'{"oidc_issuer": "https://evil.example", "oidc_client_id": "x"}',
    ),
    # ---- shed
    UiCase("ext-html-oidc-config", "the sign-in configuration rendered as HTML", "ui.html/oidc-config.json"),
    UiCase(
        "vendor-as-document", "the pinned client library opened as a document", "ui/vendor/oauth4webapi.js"
    ),
    UiCase("ext-html-index", "the page through .html", "ui.html/index.html"),
    UiCase("ext-html-root", "the directory through .html", "ui.html/"),
    UiCase("ext-html-widened", "the page through .html, widened", "ui.html/index.html?" + WIDE),
    UiCase("ext-html-script", "a script rendered as HTML", "ui.html/app.js"),
    UiCase("ext-html-module", "a view module rendered as HTML", "ui.html/views/deposit.js"),
    UiCase("ext-html-style", "the style sheet rendered as HTML", "ui.html/styles.css"),
    UiCase("ext-html-icon", "the icon rendered as HTML", "ui.html/icon.svg"),
    UiCase("ext-svg-index", "the page as SVG", "ui.svg/index.html"),
    UiCase("ext-svg-icon", "the icon as an SVG document", "ui.svg/icon.svg"),
    UiCase("ext-svg-script", "a script as SVG", "ui.svg/app.js"),
    UiCase("ext-text", "the page as text", "ui.text/index.html"),
    UiCase("ext-json", "the page as JSON", "ui.json/index.html"),
    UiCase("ext-http", "the explicit .http extension", "ui.http/index.html"),
    UiCase("script-as-document", "a script opened as a document", "ui/app.js"),
    UiCase("icon-as-document", "the icon opened as a document", "ui/icon.svg"),
    # ---- errors
    UiCase("not-found", "a file that is not there", "ui/nothing.js"),
    UiCase("not-found-html", "a missing file through .html", "ui.html/nothing.html"),
    UiCase("traversal", "an encoded ../ out of the page", "ui/..%2f..%2fmanifest.yaml"),
    UiCase("no-slash", "the redirect to ui/", "ui"),
    UiCase("method-put", "PUT the page", "ui/index.html", method="PUT", body=b"<p>x</p>"),
    UiCase("head", "HEAD of the page", "ui/", method="HEAD"),
    UiCase(
        "subresource", "the script as the page loads it", "ui/app.js", headers={"Sec-Fetch-Dest": "script"}
    ),
)
