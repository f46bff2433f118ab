"""The OpenID Connect verifier with keys made here: every bad token is a 401/403 with its own code and a
sentence; good ones map the role claim; the key cache refetches on an unknown kid, not on every call.

The same verifier runs against the real oidc-provider in tests/integration/test_oidc_provider.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from openchecks import oidc, tokens
from openchecks.api import handle_web
from openchecks.config import Settings
from openchecks.errors import ConfigurationError, Forbidden, Unauthorized
from openchecks.runtime import ActionContext

ISSUER = "https://idp.example.test/realms/bank"
AUDIENCE = "openchecks-api"
SECRET = "unit-test-secret-abcdefghijklmnop"

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, kid: str) -> dict[str, Any]:
    algo = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    data = json.loads(algo.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig"}


class Provider:
    """A fake discovery document + JWKS (the unit tier's stand-in for the real provider)."""

    def __init__(self) -> None:
        self.jwks = {"keys": [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]}
        self.calls: list[str] = []
        self.down = False

    def fetch(self, url: str) -> dict[str, Any]:
        self.calls.append(url)
        if self.down:
            raise oidc.ProviderUnavailable(
                "The sign-in provider could not be reached; try again in a minute."
            )
        if url == ISSUER + "/.well-known/openid-configuration":
            return {"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}
        assert url == ISSUER + "/jwks"
        return self.jwks


CONFIG = oidc.OidcConfig(
    issuer=ISSUER,
    audience=AUDIENCE,
    role_claim="realm_access.roles",
    role_map=(("bank-customer", "customer"), ("bank-reviewer", "reviewer")),
)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f3a9-customer",
        "email": "Carol@Example.com",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "realm_access": {"roles": ["offline_access", "bank-customer"]},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: Any = RSA_KEY, kid: str = "rsa-1", alg: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def keys(provider: Provider) -> oidc.KeyCache:
    return oidc.KeyCache(provider.fetch)


def refused(token: str, keys: oidc.KeyCache) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        oidc.verify(token, CONFIG, keys)
    assert info.value.status == 401 and "sign in again" in info.value.message.lower()
    return info.value


def test_good_rs256_and_es256_tokens_verify_with_sub_as_account(keys: oidc.KeyCache) -> None:
    got = oidc.verify(sign(claims()), CONFIG, keys)
    assert (got.email, got.shown, got.role, got.is_reviewer) == (
        "f3a9-customer",
        "carol@example.com",
        "customer",
        False,
    )
    reviewer = claims(sub="r-1", realm_access={"roles": ["bank-customer", "bank-reviewer"]})
    got = oidc.verify(sign(reviewer, EC_KEY, "ec-1", "ES256"), CONFIG, keys)
    assert (got.email, got.role) == ("r-1", "reviewer")


def test_wrong_issuer(keys: oidc.KeyCache) -> None:
    assert refused(sign(claims(iss="https://evil.example.test")), keys).code == "token_wrong_issuer"


def test_wrong_audience(keys: oidc.KeyCache) -> None:
    assert refused(sign(claims(aud="another-app")), keys).code == "token_wrong_audience"
    assert refused(sign(claims(aud=None)), keys).code == "token_invalid"


def test_expired_beyond_the_leeway(keys: oidc.KeyCache) -> None:
    now = int(time.time())
    assert refused(sign(claims(exp=now - CONFIG.leeway - 5)), keys).code == "token_expired"
    # Within the leeway a just-expired token still passes (clocks differ a little).
    assert oidc.verify(sign(claims(exp=now - CONFIG.leeway + 10)), CONFIG, keys).role == "customer"


def test_not_yet_valid(keys: oidc.KeyCache) -> None:
    future = int(time.time()) + CONFIG.leeway + 120
    assert refused(sign(claims(nbf=future)), keys).code == "token_not_yet_valid"


def test_unknown_kid_refetches_once_then_refuses(provider: Provider, keys: oidc.KeyCache) -> None:
    oidc.verify(sign(claims()), CONFIG, keys)
    assert keys.fetches == 1
    oidc.verify(sign(claims()), CONFIG, keys)
    assert keys.fetches == 1  # cached
    stranger = sign(claims(), OTHER_RSA, "rotated-2")
    keys.clock = lambda: time.monotonic() + oidc.MIN_REFRESH_SECONDS + 1
    assert refused(stranger, keys).code == "token_unknown_key"
    assert keys.fetches == 2
    # The provider rotates: the new kid appears in its JWKS and the next request finds it.
    provider.jwks["keys"].append(jwk(OTHER_RSA, "rotated-2"))
    keys.clock = lambda: time.monotonic() + 2 * oidc.MIN_REFRESH_SECONDS + 2
    assert oidc.verify(stranger, CONFIG, keys).email == "f3a9-customer"
    assert keys.fetches == 3


def test_unknown_kids_do_not_hammer_the_provider(keys: oidc.KeyCache) -> None:
    oidc.verify(sign(claims()), CONFIG, keys)
    for n in range(20):
        refused(sign(claims(), OTHER_RSA, f"random-{n}"), keys)
    assert keys.fetches == 1


def test_alg_none_is_refused(keys: oidc.KeyCache) -> None:
    header = b64(json.dumps({"alg": "none", "kid": "rsa-1", "typ": "JWT"}).encode())
    token = f"{header}.{b64(json.dumps(claims()).encode())}."
    assert refused(token, keys).code == "token_bad_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(keys: oidc.KeyCache) -> None:
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64(json.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims(realm_access={"roles": ["bank-reviewer"]})).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert refused(f"{head}.{body}.{b64(mac)}", keys).code == "token_bad_algorithm"


def test_rs256_header_on_an_ec_key_and_a_forged_signature_are_refused(keys: oidc.KeyCache) -> None:
    assert refused(sign(claims(), EC_KEY, "rsa-1", "ES256"), keys).code == "token_bad_algorithm"
    assert refused(sign(claims(), RSA_KEY, "ec-1", "RS256"), keys).code == "token_bad_algorithm"
    good = sign(claims())
    head, body, sig = good.split(".")
    upgraded = b64(json.dumps(claims(realm_access={"roles": ["bank-reviewer"]})).encode())
    assert refused(f"{head}.{upgraded}.{sig}", keys).code == "token_invalid"


def test_no_mapped_role_is_403(keys: oidc.KeyCache) -> None:
    with pytest.raises(Forbidden) as info:
        oidc.verify(sign(claims(realm_access={"roles": ["offline_access"]})), CONFIG, keys)
    assert info.value.code == "no_role" and "realm_access.roles" in info.value.message


def test_scope_string_roles_and_missing_sub(keys: oidc.KeyCache) -> None:
    scoped = oidc.OidcConfig(issuer=ISSUER, audience=AUDIENCE, role_claim="scope",
                             role_map=(("deposit", "customer"), ("review", "reviewer")))  # fmt: skip
    assert oidc.verify(sign(claims(scope="openid deposit")), scoped, keys).role == "customer"
    assert oidc.verify(sign(claims(scope="openid review")), scoped, keys).role == "reviewer"
    with pytest.raises(Unauthorized) as info:
        oidc.verify(sign(claims(sub=None)), CONFIG, keys)
    assert info.value.code == "token_invalid" and "'sub'" in info.value.message


def test_provider_down_is_503_not_401(provider: Provider, keys: oidc.KeyCache) -> None:
    provider.down = True
    with pytest.raises(oidc.ProviderUnavailable) as info:
        oidc.verify(sign(claims()), CONFIG, keys)
    assert info.value.status == 503 and "try again" in info.value.message


def test_discovery_naming_another_issuer_is_refused(provider: Provider) -> None:
    keys = oidc.KeyCache(lambda url: {"issuer": "https://other.example.test", "jwks_uri": ISSUER + "/jwks"})
    with pytest.raises(oidc.ProviderUnavailable) as info:
        oidc.verify(sign(claims()), CONFIG, keys)
    assert "another issuer" in info.value.message


def test_configuration_from_settings() -> None:
    assert oidc.OidcConfig.from_settings(Settings()) is None
    got = oidc.OidcConfig.from_settings(
        Settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_role_map="a=customer, b=reviewer")
    )
    assert got is not None and got.role_map == (("a", "customer"), ("b", "reviewer"))
    id_tokens = oidc.OidcConfig.from_settings(
        Settings(oidc_issuer=ISSUER, oidc_client_id="web", oidc_token="id")
    )
    assert id_tokens is not None and (id_tokens.audience, id_tokens.token_use) == ("web", "id")
    for bad in (
        Settings(oidc_issuer=ISSUER),  # no audience
        Settings(oidc_issuer="idp.example.test", oidc_audience="x"),
        Settings(oidc_issuer=ISSUER, oidc_audience="x", oidc_token="both"),
        Settings(oidc_issuer=ISSUER, oidc_audience="x", oidc_role_map="admin=root"),
    ):
        with pytest.raises(ConfigurationError):
            oidc.OidcConfig.from_settings(bad)


# ---------------------------------------------------------------------------- through the API's handle


def api_call(path: str, token: str, provider: Provider, method: str = "get", **params: Any) -> Any:
    args: dict[str, Any] = {
        "token_secret": SECRET,
        "oidc_issuer": ISSUER,
        "oidc_audience": AUDIENCE,
        "oidc_role_claim": "realm_access.roles",
        "oidc_role_map": "bank-customer=customer,bank-reviewer=reviewer",
        **params,
        "__ow_method": method,
        "__ow_path": path,
        "__ow_headers": {"authorization": f"Bearer {token}"},
        "__ow_query": "",
    }
    oidc.KEYS.fetch = provider.fetch
    oidc.KEYS.clear()
    try:
        result = handle_web(args, ActionContext(args, "api"))
    finally:
        oidc.KEYS.fetch = oidc.http_get_json
        oidc.KEYS.clear()
    return result["statusCode"], result["body"]


def test_api_me_and_roles_with_provider_tokens(provider: Provider) -> None:
    status, body = api_call("/me", sign(claims()), provider)
    assert (status, body["email"], body["account"], body["role"]) == (
        200,
        "carol@example.com",
        "f3a9-customer",
        "customer",
    )
    status, body = api_call("/ops/activations", sign(claims()), provider)
    assert (status, body["code"]) == (403, "reviewer_only")
    status, body = api_call("/deposits/x/review", sign(claims()), provider, method="post")
    assert (status, body["code"]) == (403, "reviewer_only")
    status, body = api_call("/exports", sign(claims()), provider)
    assert (status, body["code"]) == (403, "reviewer_only")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"iss": "https://evil.example.test"}, "token_wrong_issuer"),
        ({"aud": "x"}, "token_wrong_audience"),
        ({"exp": 1_000_000}, "token_expired"),
    ],
)
def test_api_refuses_bad_provider_tokens_with_401(
    provider: Provider, changes: dict[str, Any], code: str
) -> None:
    status, body = api_call("/me", sign(claims(**changes)), provider)
    assert (status, body["code"]) == (401, code)
    assert body["error"].endswith("sign in again to get a new one.")


def test_hmac_tokens_keep_working_beside_the_provider(provider: Provider) -> None:
    status, body = api_call("/me", tokens.mint("dave@example.com", "reviewer", 60, SECRET), provider)
    assert (status, body["email"], body["role"]) == (200, "dave@example.com", "reviewer")


def test_jwt_without_configured_issuer_is_401(provider: Provider) -> None:
    status, body = api_call("/me", sign(claims()), provider, oidc_issuer="")
    assert (status, body["code"]) == (401, "token_invalid") and "oidc_issuer" in body["error"]


def test_provider_down_through_the_api_is_503_with_a_sentence(provider: Provider) -> None:
    provider.down = True
    status, body = api_call("/me", sign(claims()), provider)
    assert (status, body["code"]) == (503, "idp_unavailable")
