"""The API's verifier (openchecks.oidc) against the real OpenID Provider of the local stack (oidc-provider
run by infra/services/oidc.py), signed in through its login form with the authorization code flow + PKCE.

Real tokens verify and map to roles (access and ID tokens); the deposit API takes them and refuses a
customer on reviewer routes; a token that expired is refused once past the leeway; a revoked refresh token
no longer renews; the provider's keys are private files that survive a restart; the provider down is 503.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openchecks import oidc
from openchecks.api import handle_web
from openchecks.errors import Unauthorized
from openchecks.runtime import ActionContext

from infra.services import oidc as local_oidc
from infra.services.process import ManagedProcess, free_port
from tests.fixtures.oidc import sign_in

REDIRECT = "http://127.0.0.1:3233/api/v1/web/guest/openchecks/ui/"
ACCESS_TTL = 8  # seconds: short, so the expiry test waits little


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    root = tmp_path_factory.mktemp("oidc")
    proc = local_oidc.oidc_process(root / "oidc", free_port(), [REDIRECT], root / "oidc.log", ACCESS_TTL)
    proc.start_and_wait(60)
    try:
        yield proc
    finally:
        proc.stop()


def data_dir(provider: ManagedProcess) -> Path:
    return Path(provider.argv[provider.argv.index("--data-dir") + 1])


def account(provider: ManagedProcess, role: str) -> dict[str, Any]:
    return next(a for a in local_oidc.ensure_accounts(data_dir(provider)) if a["role"] == role)


def login(provider: ManagedProcess, role: str) -> dict[str, Any]:
    who = account(provider, role)
    return sign_in(provider.url, REDIRECT, who["username"], who["password"]).tokens


def config(provider: ManagedProcess, **changes: Any) -> oidc.OidcConfig:
    base: dict[str, Any] = {"issuer": provider.url, "audience": local_oidc.AUDIENCE, "leeway": 0}
    return oidc.OidcConfig(**{**base, **changes})


def test_real_access_and_id_tokens_verify_and_map_roles(provider: ManagedProcess) -> None:
    keys = oidc.KeyCache()  # the real HTTP fetch
    customer = login(provider, "customer")
    got = oidc.verify(customer["access_token"], config(provider), keys)
    assert (got.email, got.shown, got.role) == ("demo-customer", "demo@example.com", "customer")
    id_config = config(provider, audience=local_oidc.CLIENT_ID, token_use="id")
    assert oidc.verify(customer["id_token"], id_config, keys).role == "customer"
    reviewer = login(provider, "reviewer")
    assert oidc.verify(reviewer["access_token"], config(provider), keys).role == "reviewer"
    assert keys.fetches == 1  # discovery + JWKS once for all of them
    # An ID token is not an access token for the API: its audience is the page's client.
    with pytest.raises(Unauthorized) as info:
        oidc.verify(customer["id_token"], config(provider), keys)
    assert info.value.code == "token_wrong_audience"


def api(provider: ManagedProcess, path: str, token: str, method: str = "get") -> tuple[int, dict[str, Any]]:
    args: dict[str, Any] = {
        "token_secret": "integration-test-secret-0123456789",
        "oidc_issuer": provider.url,
        "oidc_audience": local_oidc.AUDIENCE,
        "oidc_role_claim": local_oidc.ROLE_CLAIM,
        "oidc_role_map": local_oidc.ROLE_MAP,
        "__ow_method": method,
        "__ow_path": path,
        "__ow_headers": {"authorization": f"Bearer {token}"},
        "__ow_query": "",
    }
    result = handle_web(args, ActionContext(args, "api"))
    return result["statusCode"], result["body"]


def test_the_api_takes_real_tokens_and_keeps_roles_apart(provider: ManagedProcess) -> None:
    oidc.KEYS.clear()
    customer = login(provider, "customer")["access_token"]
    status, body = api(provider, "/me", customer)
    assert (status, body["email"], body["account"], body["role"]) == (
        200,
        "demo@example.com",
        "demo-customer",
        "customer",
    )
    for method, path in (
        ("get", "/ops/activations"),
        ("post", "/deposits/dep-x/review"),
        ("get", "/exports"),
    ):
        status, body = api(provider, path, customer, method)
        assert (status, body["code"]) == (403, "reviewer_only"), path
    reviewer = login(provider, "reviewer")["access_token"]
    assert api(provider, "/me", reviewer)[1]["role"] == "reviewer"


def test_an_expired_real_token_is_refused(provider: ManagedProcess) -> None:
    token = login(provider, "customer")["access_token"]
    keys = oidc.KeyCache()
    assert oidc.verify(token, config(provider), keys).role == "customer"
    time.sleep(ACCESS_TTL + 1.5)
    with pytest.raises(Unauthorized) as info:
        oidc.verify(token, config(provider), keys)
    assert info.value.code == "token_expired"


def test_a_revoked_refresh_token_no_longer_renews(provider: ManagedProcess) -> None:
    tokens = login(provider, "customer")
    form = {"client_id": local_oidc.CLIENT_ID}
    renewed = requests.post(
        f"{provider.url}/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        timeout=10,
    )
    assert renewed.status_code == 200, renewed.text
    current = renewed.json().get("refresh_token", tokens["refresh_token"])
    revoked = requests.post(f"{provider.url}/token/revocation", data={**form, "token": current}, timeout=10)
    assert revoked.status_code == 200, revoked.text
    again = requests.post(
        f"{provider.url}/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": current},
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_wrong_password_and_public_client_rules(provider: ManagedProcess) -> None:
    with pytest.raises(AssertionError, match="login refused: 401"):
        sign_in(provider.url, REDIRECT, "customer", "wrong-password")
    # PKCE is required and only S256 is offered; no implicit flow.
    discovery = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["response_types_supported"] == ["code"]
    plain = requests.get(
        f"{provider.url}/auth",
        params={
            "client_id": local_oidc.CLIENT_ID,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid",
            "state": "s",
        },  # fmt: skip
        allow_redirects=False,
        timeout=10,
    )
    assert plain.status_code in (302, 303) and "error=invalid_request" in plain.headers["location"]


def test_keys_are_private_and_survive_a_restart(provider: ManagedProcess) -> None:
    folder = data_dir(provider)
    for name in ("signing_keys.json", "cookie_keys.json", "accounts.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    before = requests.get(f"{provider.url}/jwks", timeout=10).json()
    assert {k["kty"] for k in before["keys"]} == {"RSA", "EC"} and all("d" not in k for k in before["keys"])
    private = json.loads((folder / "signing_keys.json").read_text())
    assert {k["kid"] for k in private["keys"]} == {k["kid"] for k in before["keys"]}
    provider.stop()
    provider.start_and_wait(60)
    assert requests.get(f"{provider.url}/jwks", timeout=10).json() == before


def test_provider_down_is_a_503_sentence(provider: ManagedProcess) -> None:
    token = login(provider, "customer")["access_token"]
    provider.stop()
    try:
        oidc.KEYS.clear()
        status, body = api(provider, "/me", token)
        assert (status, body["code"]) == (503, "idp_unavailable") and "try again" in body["error"]
    finally:
        provider.start_and_wait(60)
