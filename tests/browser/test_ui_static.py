"""The page served by the `ui` web action on the local platform, checked in headless Chromium.

No deposit API behind it: this proves the serving (content types, caching, CSP), the sign-in screen, keyboard
use, escaping of hostile strings, the in-browser shrinking and the refusal of non-images, and that an API
failure reads as a sentence. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.harness import (
    SCREENSHOTS,
    require_browser,
    run_script,
    ui_action_code,
    unexpected_problems,
)
from tests.conftest import require_shared_data
from tests.fixtures.whisk import Whisk

STORAGE_ORIGIN = "http://127.0.0.1:4999"
HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def ui_url(whisk: Whisk) -> Iterator[str]:
    """Deploy the `ui` action (zip with ui/) in a package of its own; yield the page's URL (…/ui/)."""
    package = whisk.unique("uitest")
    resp = whisk.put(
        "packages", package, {"parameters": [{"key": "cos_public_endpoint", "value": STORAGE_ORIGIN}]}
    )
    assert resp.status_code == 200, resp.text
    resp = whisk.put(
        "actions",
        f"{package}/ui",
        {
            "exec": {"kind": "python:3.11", "code": ui_action_code(), "binary": True},
            "annotations": [
                {"key": "web-export", "value": True},
                {"key": "raw-http", "value": True},  # as manifest.yaml's `web: raw`
                {"key": "final", "value": True},
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    namespace = whisk.session.get(f"{whisk.api_host}/api/v1/namespaces", timeout=30).json()[0]
    try:
        yield f"{whisk.api_host}/api/v1/web/{namespace}/{package}/ui/"
    finally:
        whisk.delete("actions", f"{package}/ui")
        whisk.delete("packages", package)


def hostile_token() -> str:
    """A token-shaped string whose e-mail claim is markup (unsigned: the page only reads the claims)."""
    claims = {"email": HOSTILE + "@example.com", "role": "customer", "exp": int(time.time()) + 3600}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{payload}.c2lnbmF0dXJl"


def test_serving_headers(ui_url: str) -> None:
    with requests.Session() as http:
        bare = http.get(ui_url.rstrip("/"), allow_redirects=False, timeout=30)
        assert bare.status_code == 302 and bare.headers["Location"] == "ui/"
        index = http.get(ui_url, timeout=30)
        assert index.status_code == 200
        assert index.headers["Content-Type"].startswith("text/html")
        csp = index.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and f"connect-src 'self' {STORAGE_ORIGIN}" in csp
        assert "frame-ancestors 'none'" in csp and index.headers["X-Content-Type-Options"] == "nosniff"
        script = http.get(ui_url + "app.js", timeout=30)
        assert script.headers["Content-Type"].startswith("text/javascript")
        assert "import" in script.text
        again = http.get(ui_url + "app.js", headers={"If-None-Match": script.headers["ETag"]}, timeout=30)
        assert again.status_code == 304 and again.content == b""
        assert http.get(ui_url + "views/../../x", timeout=30).status_code == 404
        assert http.get(ui_url + "nothing.js", timeout=30).status_code == 404
        assert http.post(ui_url, json={}, timeout=30).status_code == 405


def test_page_in_chromium(ui_url: str) -> None:
    require_browser()
    png = require_shared_data() / "checks" / "silesia-1278.png"
    r: dict[str, Any] = run_script(
        "static_page.mjs",
        {
            "url": ui_url,
            "screenshots": str(SCREENSHOTS / "static"),
            "hostileToken": hostile_token(),
            "hostileText": "<script>window.__pwned=2</script>",
            "pngPath": str(png),
        },
    )
    assert r["status"] == 200
    assert "script-src 'self'" in r["headers"]["content-security-policy"]
    assert r["heading"] == "Sign in" and r["tokenLabel"] == "Sign-in token"
    assert r["focusAfterLoad"].startswith("h1")
    # The heading has focus after load; Tab goes to the token box, then to the Sign in button.
    assert r["tabOrder"][0].startswith("textarea#token")
    assert r["tabOrder"][1].startswith("button") and "Sign in" in r["tabOrder"][1]
    assert "Paste the sign-in token" in r["emptyTokenError"]
    assert r["focusAfterEmptySubmit"].startswith("textarea#token") and r["tokenInvalidAttr"] == "true"
    # Hostile strings are shown literally and never become markup.
    assert r["whoText"] == f"{HOSTILE}@example.com (customer)"
    assert r["hostileImages"] == 0 and r["pwned"] is None
    assert r["focusAfterSignIn"].startswith("h1")
    assert (
        "<script>window.__pwned=2</script>.txt" in r["nonImageMessage"]
        and "is not an image" in r["nonImageMessage"]
    )
    assert "is not an image we can read" in r["fakeImageMessage"]
    # The check PNG (1679 x 776) is shrunk in the browser to a 1600 px JPEG.
    assert r["previewSize"] == [1600, 739], r["preparedMessage"]
    assert "1600 × 739 px JPEG" in r["preparedMessage"] and "shrunk from 1679 × 776" in r["preparedMessage"]
    assert '"back-photo.png": 1600 × 800 px JPEG' in r["droppedMessage"]
    assert "shrunk from 2400 × 1200" in r["droppedMessage"]
    assert '"huge.jpg" is 26.0 MB, over the 25 MB limit' in r["hugeMessage"]
    assert (
        r["accountError"] == "The account number may contain digits only." and r["accountErrorAfterFix"] == ""
    )
    assert "dollars and cents" in r["amountError"] and r["amountErrorAfterFix"] == ""
    assert r["inlineScript"] == {"ran": False, "violated": "script-src-elem"}
    for message in (r["submitError"], r["listError"]):
        assert message.strip() and "{" not in message and "Traceback" not in message
    assert r["phoneOverflow"] <= 0
    assert "signed out" in r["phoneSignOutNotice"] and r["tokenAfterSignOut"] is None
    problems = unexpected_problems(r["problems"], ("Failed to load resource", "Content Security Policy"))
    assert problems == []
    for name in ("signin-desktop", "deposit-form-desktop", "deposit-form-phone", "signin-phone"):
        assert (SCREENSHOTS / "static" / f"{name}.png").stat().st_size > 5000
