"""The `ui` action's Content-Security-Policy on the platform, against tests/hostile/ui.py (issue 13).

The action is deployed as manifest.yaml declares it (the deployer's own zip and annotations, `web: raw`) in a
package whose parameters name the storage origin. A query parameter used to widen the policy
(`?ui_storage_origins=https://*`), and `…/ui.html/index.html` served the page with no policy at all.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.deployer.environment import Variables
from infra.deployer.manifest import load_manifest
from infra.deployer.model import key_values
from tests.fixtures.whisk import Whisk
from tests.hostile.ui import CASES, UiCase

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PUBLIC = "http://127.0.0.1:4999"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' blob: data: {PUBLIC}; connect-src 'self' {PUBLIC}; "
    "font-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)
META_POLICY = POLICY.replace("; frame-ancestors 'none'", "")  # a <meta> policy cannot hold frame-ancestors
META = re.compile(r'<head(?:\s[^>]*)?>\s*<meta http-equiv="Content-Security-Policy" content="([^"]*)">', re.I)


@pytest.fixture(scope="module")
def base_url(whisk: Whisk) -> Iterator[str]:
    """`…/web/<ns>/<package>/`: the manifest's `ui` action in a package of its own."""
    needed = {
        "CLOUDANT_URL": "http://db.invalid",
        "COS_ENDPOINT": "http://cos.invalid",
        "TOKEN_SECRET": "x" * 32,
    }
    model = load_manifest(REPO / "manifest.yaml", variables=Variables(environ=needed))
    (ui,) = [a for a in model.actions if a.name == "ui"]
    package = whisk.unique("uipolicy")
    params = [
        {"key": "cos_public_endpoint", "value": PUBLIC},
        {"key": "cos_endpoint", "value": "http://cos:9000"},
    ]
    resp = whisk.put("packages", package, {"parameters": params})
    assert resp.status_code == 200, resp.text
    body = {"exec": ui.exec.to_json(), "annotations": key_values(ui.annotations), "limits": ui.limits}
    resp = whisk.put("actions", f"{package}/ui", body)
    assert resp.status_code == 200, resp.text
    try:
        yield f"{whisk.api_host}/api/v1/web/{whisk.namespace}/{package}/"
    finally:
        whisk.delete("actions", f"{package}/ui")
        whisk.delete("packages", package)


def _inert_or_policed(resp: requests.Response) -> str:
    """Why this answer is safe; an AssertionError says why it is not."""
    csp = resp.headers.get("Content-Security-Policy")
    if csp is not None:
        assert csp == POLICY, csp
        return "header"
    media = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    text = resp.text
    if media == "text/html":
        meta = META.search(text)
        if meta is None:
            assert "<" not in text, f"an HTML answer with markup and no policy: {text[:200]!r}"
            return "plain sentence"
        assert html.unescape(meta.group(1)) == META_POLICY, meta.group(1)
        assert "<script" not in text[: meta.start()].lower()
        return "meta"
    if media in ("text/plain", "application/json"):
        return "inert type"
    if media == "image/svg+xml":
        with pytest.raises(ET.ParseError):
            ET.fromstring(text)  # a browser shows an XML error, runs nothing
        return "not XML"
    raise AssertionError(f"{media!r} without a policy")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_answer_carries_the_deployed_policy(base_url: str, case: UiCase) -> None:
    resp = requests.request(
        case.method,
        base_url + case.path,
        headers=case.headers,
        data=case.body,
        allow_redirects=False,
        timeout=60,
    )
    assert resp.status_code < 500, resp.text[:300]
    assert resp.headers.get("x-openwhisk-activation-id"), "the platform answered, not the action"
    _inert_or_policed(resp)
    assert "evil.example" not in resp.text and "https://*" not in resp.text


def test_the_page_and_its_files_are_still_served(base_url: str) -> None:
    page = requests.get(base_url + "ui/", timeout=60)
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == POLICY
    assert META.search(page.text) is not None and '<script type="module" src="app.js">' in page.text
    for name, media, dest in (
        ("app.js", "text/javascript", "script"),
        ("styles.css", "text/css", "style"),
        ("icon.svg", "image/svg+xml", "image"),
    ):
        asset = requests.get(base_url + "ui/" + name, headers={"Sec-Fetch-Dest": dest}, timeout=60)
        assert asset.status_code == 200 and asset.headers["Content-Type"].startswith(media), name
        assert asset.headers["Content-Security-Policy"] == POLICY
