"""Bearer tokens from an OpenID Connect provider: the API as a relying party of any OIDC provider.

A token with two dots is a JWT from the provider; a token with one dot is our own HMAC token
(`openchecks.tokens`, kept for the CLI, scripts and `mint --local`). `authenticate` picks the verifier.

A provider's token is accepted only when:
- its header names RS256 or ES256 (never `none`, never HMAC: a public key used as an HMAC secret forges
  nothing here) and a `kid` found in the provider's JWKS, with a key of the matching type;
- the signature verifies with that key; `iss` is the configured issuer; `aud` holds the configured audience
  (the API's resource for access tokens, the client id for ID tokens); `exp` is in the future and `nbf`/`iat`
  not in it, each with `oidc_leeway_seconds` of leeway;
- it carries a `sub`, and the role claim (`oidc_role_claim`, a dotted path such as `realm_access.roles`; its
  value a list, or a space-separated string like `scope`) holds a value `oidc_role_map` maps to `customer` or
  `reviewer` (reviewer wins when both are present).

The JWKS comes from the issuer's discovery document (`<issuer>/.well-known/openid-configuration`, whose
`issuer` must be the configured one) and is cached in the warm container for `oidc_jwks_ttl_seconds`; an
unknown `kid` fetches it again (at most once every MIN_REFRESH_SECONDS, so random kids cannot make the API
hammer the provider). When the provider cannot be reached the answer is 503 with a sentence, not 401.

Configuration (package parameters, see manifest.yaml / template.local.env): `oidc_issuer` (empty: only HMAC
tokens), `oidc_audience`, `oidc_client_id`, `oidc_token` (`access` or `id`), `oidc_role_claim`,
`oidc_role_map` (`value=role,...`), `oidc_leeway_seconds`, `oidc_jwks_ttl_seconds`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import requests

from openchecks import tokens
from openchecks.config import Settings
from openchecks.errors import ConfigurationError, Forbidden, OpenChecksError, Unauthorized

if TYPE_CHECKING:  # PyJWT (with cryptography) is imported when a provider's token first arrives: a
    import jwt  # deployment with HMAC tokens only does not pay for it on a cold start

ALGORITHMS = ("RS256", "ES256")
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
MAX_JWT_LENGTH = 16 * 1024
MIN_REFRESH_SECONDS = 10.0
FETCH_TIMEOUT = 5.0
MAX_SUBJECT_LENGTH = 255
TokenUse = Literal["access", "id"]
Role = Literal["customer", "reviewer"]

SIGN_IN_AGAIN = "sign in again to get a new one."


class ProviderUnavailable(OpenChecksError):
    """The provider's discovery document or keys could not be fetched (503)."""

    status = 503
    code = "idp_unavailable"


@dataclass(frozen=True)
class OidcConfig:
    """What the API trusts: one issuer, one audience, how roles are read."""

    issuer: str
    audience: str
    role_claim: str = "roles"
    role_map: tuple[tuple[str, Role], ...] = (("customer", "customer"), ("reviewer", "reviewer"))
    token_use: TokenUse = "access"
    leeway: int = 30
    jwks_ttl: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The configuration, or None when no issuer is set (only HMAC tokens are accepted then)."""
        issuer = settings.oidc_issuer.strip()
        if not issuer:
            return None
        if not re.fullmatch(r"https?://[^\s#?]+", issuer):
            raise ConfigurationError("oidc_issuer must be the provider's https:// issuer URL.")
        use = settings.oidc_token.strip().lower() or "access"
        if use not in ("access", "id"):
            raise ConfigurationError("oidc_token must be 'access' or 'id'.")
        audience = (settings.oidc_client_id if use == "id" else settings.oidc_audience).strip()
        if not audience:
            name = "oidc_client_id" if use == "id" else "oidc_audience"
            raise ConfigurationError(f"{name} is not configured; the API cannot check the tokens' audience.")
        return cls(
            issuer=issuer,
            audience=audience,
            role_claim=settings.oidc_role_claim.strip() or "roles",
            role_map=parse_role_map(settings.oidc_role_map),
            token_use="id" if use == "id" else "access",
            leeway=max(0, min(settings.oidc_leeway_seconds, 300)),
            jwks_ttl=max(1.0, settings.oidc_jwks_ttl_seconds),
        )


def parse_role_map(text: str) -> tuple[tuple[str, Role], ...]:
    """`value=role,...` (role: customer or reviewer); empty means customer=customer,reviewer=reviewer."""
    if not text.strip():
        return (("customer", "customer"), ("reviewer", "reviewer"))
    pairs: list[tuple[str, Role]] = []
    for item in text.split(","):
        value, sep, role = (part.strip() for part in item.partition("="))
        if not item.strip():
            continue
        if not sep or not value or role not in tokens.ROLES:
            raise ConfigurationError(
                f"oidc_role_map entry {item.strip()!r} is not 'value=customer' or 'value=reviewer'."
            )
        pairs.append((value, "reviewer" if role == "reviewer" else "customer"))
    return tuple(pairs)


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The strings at dotted `path` in `claims`: a list's strings, or a space-separated string's words."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def role_of(claims: Mapping[str, Any], config: OidcConfig) -> Role | None:
    values = set(claim_values(claims, config.role_claim))
    roles = {role for value, role in config.role_map if value in values}
    if "reviewer" in roles:
        return "reviewer"
    return "customer" if "customer" in roles else None


# ------------------------------------------------------------------------------------- the key cache


def http_get_json(url: str) -> dict[str, Any]:
    """GET a JSON object (5 s); ProviderUnavailable on any failure."""
    try:
        resp = requests.get(url, timeout=FETCH_TIMEOUT, headers={"Accept": "application/json"})
        resp.raise_for_status()
        data = resp.json()
    except (requests.RequestException, ValueError):
        raise ProviderUnavailable(
            "The sign-in provider could not be reached to check the token; try again in a minute."
        ) from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(
            "The sign-in provider answered something that is not JSON; try again later."
        )
    return data


@dataclass
class _Keys:
    keys: dict[str, jwt.PyJWK]
    fetched: float


class KeyCache:
    """The provider's signing keys by `kid`, from its discovery document; shared by a warm container."""

    def __init__(
        self,
        fetch: Callable[[str], dict[str, Any]] = http_get_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch = fetch
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Keys] = {}
        self.fetches = 0

    def _load(self, issuer: str) -> dict[str, jwt.PyJWK]:
        import jwt

        discovery = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if discovery.get("issuer") != issuer:
            raise ProviderUnavailable(
                "The sign-in provider's discovery document names another issuer than the configured "
                "oidc_issuer; fix the configuration (the issuer must match exactly)."
            )
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ProviderUnavailable("The sign-in provider's discovery document has no jwks_uri.")
        self.fetches += 1
        data = self.fetch(jwks_uri)
        found: dict[str, jwt.PyJWK] = {}
        for entry in data.get("keys") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
                continue
            try:
                found[entry["kid"]] = jwt.PyJWK(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue  # a key we cannot use (another curve, a private part missing): skip it
        return found

    def key(self, issuer: str, kid: str, ttl: float) -> jwt.PyJWK | None:
        """The key `kid` of `issuer`: from the cache while younger than `ttl`, else fetched again; an
        unknown kid refetches once the cache is MIN_REFRESH_SECONDS old."""
        with self._lock:
            now = self.clock()
            cached = self._cache.get(issuer)
            stale = cached is None or now - cached.fetched >= ttl
            if not stale and cached is not None and kid not in cached.keys:
                stale = now - cached.fetched >= MIN_REFRESH_SECONDS
            if stale:
                cached = _Keys(self._load(issuer), now)
                self._cache[issuer] = cached
            assert cached is not None
            return cached.keys.get(kid)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


KEYS = KeyCache()  # per warm container


# ------------------------------------------------------------------------------------------ verifying


def _invalid(message: str, code: str) -> Unauthorized:
    return Unauthorized(message, code=code)


def verify(token: str, config: OidcConfig, keys: KeyCache | None = None) -> tokens.Claims:
    """The claims of a valid provider token, or Unauthorized/Forbidden/ProviderUnavailable (see module doc).

    `Claims.email` is the account the API files deposits under: the provider's `sub`; `Claims.shown` is the
    e-mail address (when the token carries one) for people to read."""
    if not isinstance(token, str) or len(token) > MAX_JWT_LENGTH or not token.isascii():
        raise _invalid(f"The sign-in token is not valid; {SIGN_IN_AGAIN}", "token_invalid")
    key, alg = _signing_key(token, config, keys or KEYS)
    return _claims(_decode(token, key, alg, config), config)


def _signing_key(token: str, config: OidcConfig, keys: KeyCache) -> tuple[Any, str]:
    """The provider's key that the token's header names, and the header's algorithm (an allowed one that
    matches the key's type)."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid(f"The sign-in token is not valid; {SIGN_IN_AGAIN}", "token_invalid") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _invalid(
            f"The sign-in token is signed with {str(alg)[:20]!r}; only RS256 and ES256 are accepted. "
            f"{SIGN_IN_AGAIN.capitalize()}",
            "token_bad_algorithm",
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 200:
        raise _invalid(f"The sign-in token names no signing key; {SIGN_IN_AGAIN}", "token_unknown_key")
    key = keys.key(config.issuer, kid, config.jwks_ttl)
    if key is None:
        raise _invalid(
            f"The sign-in token is signed with a key the provider does not publish; {SIGN_IN_AGAIN}",
            "token_unknown_key",
        )
    if key.key_type != KEY_TYPES[alg] or key.algorithm_name != alg:
        raise _invalid(
            f"The sign-in token's algorithm does not match its key; {SIGN_IN_AGAIN}", "token_bad_algorithm"
        )
    return key, str(alg)


def _refusals() -> list[tuple[type[Exception], str, str]]:
    """PyJWT's errors, most specific first, as (error, sentence, code) for the person signing in."""
    import jwt

    return [
        (jwt.ExpiredSignatureError, f"The sign-in token has expired; {SIGN_IN_AGAIN}", "token_expired"),
        (
            jwt.ImmatureSignatureError,
            "The sign-in token is not valid yet (check this computer's clock), or " + SIGN_IN_AGAIN,
            "token_not_yet_valid",
        ),
        (
            jwt.InvalidIssuerError,
            f"The sign-in token comes from another provider than the one this bank uses; {SIGN_IN_AGAIN}",
            "token_wrong_issuer",
        ),
        (
            jwt.InvalidAudienceError,
            f"The sign-in token is meant for another application, not the deposit API; {SIGN_IN_AGAIN}",
            "token_wrong_audience",
        ),
        (
            jwt.InvalidSignatureError,
            f"The sign-in token's signature does not verify; {SIGN_IN_AGAIN}",
            "token_invalid",
        ),
    ]


def _decode(token: str, key: Any, alg: str, config: OidcConfig) -> dict[str, Any]:
    """The token's claims, its signature, issuer, audience and times checked (with the configured leeway)."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[alg],
            audience=config.audience,
            issuer=config.issuer,
            leeway=config.leeway,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_iat": False},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(
            f"The sign-in token lacks the {exc.claim!r} claim; {SIGN_IN_AGAIN}", "token_invalid"
        ) from None
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        for error, sentence, code in _refusals():
            if isinstance(exc, error):
                raise _invalid(sentence, code) from None
        raise _invalid(f"The sign-in token is not valid; {SIGN_IN_AGAIN}", "token_invalid") from None
    return claims


def _claims(claims: Mapping[str, Any], config: OidcConfig) -> tokens.Claims:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUBJECT_LENGTH or not sub.isprintable():
        raise _invalid(f"The sign-in token's subject is not usable; {SIGN_IN_AGAIN}", "token_invalid")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise _invalid(f"The sign-in token is not valid; {SIGN_IN_AGAIN}", "token_invalid")
    role = role_of(claims, config)
    if role is None:
        raise Forbidden(
            f"Your sign-in account has no openchecks role (looked for {config.role_claim!r}); ask the bank "
            "to give it the customer or reviewer role, then sign in again.",
            code="no_role",
        )
    shown = claims.get("email")
    email = ""
    if isinstance(shown, str):
        try:
            email = tokens.normalize_email(shown)
        except OpenChecksError:
            email = ""
    return tokens.Claims(email=sub, role=role, exp=exp, shown=email)


def authenticate(headers: dict[str, str], settings: Settings, keys: KeyCache | None = None) -> tokens.Claims:
    """Verify the bearer token of a request: an HMAC token (one dot) or the provider's JWT (two dots)."""
    token = tokens.bearer_token(headers)
    if token.count(".") != 2:
        return tokens.verify(token, settings.token_secret)
    config = OidcConfig.from_settings(settings)
    if config is None:
        raise _invalid(
            "This deployment accepts no identity-provider tokens (oidc_issuer is not configured); sign in "
            "with an openchecks token.",
            "token_invalid",
        )
    return verify(token, config, keys)
