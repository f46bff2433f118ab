"""Sign-in through the local stack's real OpenID Provider (oidc-provider), in headless Chromium, with the app
deployed by manifest.yaml configured for it (OIDC_* as ./deploy.sh local sets them).

The customer signs in through the provider's login form and deposits a check; a reload keeps her signed in,
and a lapsed access token is renewed with the refresh token before the first screen;
signing out goes through the provider's sign-out page and comes back signed out, with the refresh token
revoked at the provider; the reviewer signs in and sees the review queue. A cancelled sign-in and a provider
that cannot be reached read as sentences; a wrong password stays on the provider's form.
Screenshots go to test-artifacts/screenshots/oidc/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.services import oidc as local_oidc
from tests.browser.deployed import DeployedApp, deploy_app
from tests.browser.harness import SCREENSHOTS, require_browser, run_script, unexpected_problems
from tests.fixtures.app import endorsed_back, undeploy_app
from tests.fixtures.checks import synthetic_check
from tests.fixtures.oidc import oidc_env
from tests.fixtures.stack import LocalStack


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedApp]:
    require_browser()
    stack = request.getfixturevalue("stack")
    deployed = deploy_app(stack, tmp_path_factory.mktemp("oidc-deploy"), extra_env=oidc_env(stack))
    deployed.stack = stack  # type: ignore[attr-defined]
    try:
        yield deployed
    finally:
        undeploy_app(deployed.app)


def test_sign_in_deposit_reload_sign_out_and_reviewer_in_chromium(app: DeployedApp, tmp_path: Path) -> None:
    stack: LocalStack = app.stack  # type: ignore[attr-defined]
    issuer = local_oidc.issuer(stack.ports["oidc"])
    assert app.namespace == "guest" and app.page_url in local_oidc.page_urls(stack.ports["whisk"])
    accounts = {a["role"]: a for a in local_oidc.ensure_accounts(stack.data_dir / "oidc")}
    check = synthetic_check(4)
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(check.front)
    back.write_bytes(endorsed_back())
    r: dict[str, Any] = run_script(
        "oidc_flow.mjs",
        {
            "url": app.page_url,
            "issuer": issuer,
            "screenshots": str(SCREENSHOTS / "oidc"),
            "customer": {k: accounts["customer"][k] for k in ("username", "password")},
            "reviewer": {k: accounts["reviewer"][k] for k in ("username", "password")},
            "check": {"path": str(front), "back": str(back), "amount": check.declared, "account": "12345678"},
        },
        timeout=420,
    )
    # The sign-in screen: the provider's button first, tokens behind the developer link; the CSP names the
    # provider for connections only.
    assert "For developers" in r["developerLink"] and r["tokenBoxHidden"]
    directives = dict(d.split(" ", 1) for d in r["csp"].split("; "))
    assert issuer in directives["connect-src"] and issuer not in directives["script-src"]
    assert "cannot be reached" in r["providerDown"]
    assert "You cancelled the sign-in" in r["cancelled"]
    assert r["afterCancel"]["session"] == {} and r["afterCancel"]["href"] == app.page_url + "#/signin"
    assert "do not match" in r["wrongPassword"]
    # Signed in: on the deposit form, no trace of the answer in the address, tokens in sessionStorage only.
    assert r["landing"] == "/deposit" and r["who"] == "demo@example.com (customer)"
    after = r["afterSignIn"]
    assert "code=" not in after["href"] and "state=" not in after["href"] and after["local"] == []
    assert set(after["session"]) == {"openchecks.token", "openchecks.claims", "openchecks.provider"}
    assert r["depositId"].startswith("dep-")
    assert r["afterReload"] == {"hash": f"#/deposits/{r['depositId']}", "who": "demo@example.com (customer)"}
    assert r["renewed"] == {"changed": True, "future": True}
    assert r["whoAfterRenewal"] == "demo@example.com (customer)"
    assert r["after401"] == {"hash": "#/deposits", "renewed": True}
    # The deposit is filed under the provider's subject; notifications go to the provider's e-mail.
    deposit = requests.get(
        f"{app.api_url}/deposits/{r['depositId']}",
        headers={"Authorization": f"Bearer {app.token('rita.reviewer@example.com', 'reviewer')}"},
        timeout=30,
    ).json()
    assert (deposit["email"], deposit["contact_email"]) == ("demo-customer", "demo@example.com"), deposit
    # Signed out: nothing left in the tab, and the provider refuses the old refresh token (revoked).
    assert (
        "signed out" in r["signedOut"] and r["afterSignOut"]["session"] == {} and r["whoAfterSignOut"] == ""
    )
    old = r["tokensBeforeSignOut"]
    refreshed = requests.post(
        f"{issuer}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": old["refresh"],
            "client_id": local_oidc.CLIENT_ID,
        },
        timeout=30,
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    # The reviewer: the review queue, no error.
    assert r["reviewerLanding"] == "/review" and r["reviewerWho"] == "reviewer@example.com (reviewer)"
    assert r["reviewerHeading"] == "Review queue" and r["reviewerErrors"] == []
    problems = unexpected_problems(r["problems"], ("Failed to load resource", "net::ERR_FAILED"))
    assert problems == []
    for shot in (
        "01-signin-provider",
        "02-provider-login-form",
        "03-provider-deposit",
        "05-provider-reviewer-queue",
    ):
        assert (SCREENSHOTS / "oidc" / f"{shot}.png").stat().st_size > 3000
