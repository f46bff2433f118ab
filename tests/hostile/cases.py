"""The hostile API corpus: each case is one HTTP request to the deposit API and the answer it must get.

Placeholders in `path`: `{own}` is a `received` deposit of the caller "alice" (created by the test),
`{other}` one of "bob". `auth` names a credential built by `auth_header` (valid, other customer's,
forged, expired, tampered ...; `oidc_*`: JWTs as the deployment's OpenID Provider would sign them, most
with its real private key and one bad claim each). `body` is sent as JSON when it is a dict/list, as raw
bytes otherwise (NO_BODY: no body at all). Every case expects a 4xx with a JSON `{"error", "code"}` unless
`status` is 2xx (then `check` names what the test verifies instead: e.g. injected fields are ignored).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NO_BODY = object()
OWN_ID_HEX = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class ApiCase:
    name: str
    method: str
    path: str
    status: int
    code: str
    what: str
    body: Any = NO_BODY
    auth: str = "alice"
    content_type: str = "application/json"
    check: str = ""


def _create(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"to_account": "12345678", "amount": "12.34", "content_type": "image/png"}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()
D = "/deposits"


def _amount(name: str, value: Any, what: str) -> ApiCase:
    return ApiCase(name, "POST", D, 400, "invalid_amount", what, body=_create(amount=value))


def _raw_amount(name: str, literal: str, what: str) -> ApiCase:
    raw = ('{"to_account": "12345678", "content_type": "image/png", "amount": ' + literal + "}").encode()
    return ApiCase(name, "POST", D, 400, "invalid_amount", what, body=raw)


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'

CASES: tuple[ApiCase, ...] = (
    # ---- amounts
    _amount("amount-negative-number", -5, "negative JSON number"),
    _amount("amount-negative-text", "-5.00", "negative text"),
    _amount("amount-zero", "0.00", "zero"),
    _raw_amount("amount-nan-literal", "NaN", "JSON NaN literal"),
    _amount("amount-nan-text", "NaN", "the text NaN"),
    _raw_amount("amount-infinity-literal", "Infinity", "JSON Infinity literal"),
    _raw_amount("amount-overflow-literal", "1e400", "a number that overflows to infinity"),
    _amount("amount-exponent", "1e3", "exponent notation"),
    _amount("amount-huge", "99999999999999999999999.00", "23 digits"),
    _amount("amount-over-precise", "10.001", "three decimals"),
    _amount("amount-float-noise", 0.30000000000000004, "binary float noise"),
    _amount("amount-fullwidth-digits", "\uff11\uff12.\uff13\uff14", "fullwidth digits 12.34"),
    _amount("amount-arabic-indic", "\u0661\u0662\u066b\u0663\u0664", "Arabic-Indic digits"),
    _amount("amount-devanagari", "\u0967\u0968.\u0969\u096a", "Devanagari digits"),
    _amount("amount-overlong", "1" * 5000, "5000 characters"),
    _amount("amount-object", {"$gt": 0}, "a query object"),
    _amount("amount-bool", True, "true"),
    _amount("amount-null", None, "null"),
    _amount("amount-markup", MARKUP, "markup"),
    _amount("amount-hex", "0x10", "hexadecimal"),
    _amount("amount-misplaced-commas", "1,2,3.00", "commas that are not thousands separators"),
    ApiCase(
        "amount-over-item-limit",
        "POST",
        D,
        422,
        "over_item_limit",
        "$60,000 over the per-check limit",
        body=_create(amount="60000.00"),
    ),
    # ---- account, content type, body
    ApiCase(
        "account-fullwidth",
        "POST",
        D,
        400,
        "invalid_account",
        "fullwidth digits",
        body=_create(to_account="\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"),
    ),
    ApiCase("account-markup", "POST", D, 400, "invalid_account", "markup", body=_create(to_account=MARKUP)),
    ApiCase(
        "account-overlong",
        "POST",
        D,
        400,
        "invalid_account",
        "10000 digits",
        body=_create(to_account="7" * 10000),
    ),
    ApiCase(
        "account-traversal",
        "POST",
        D,
        400,
        "invalid_account",
        "../../etc/passwd",
        body=_create(to_account="../../etc/passwd"),
    ),
    ApiCase(
        "account-missing", "POST", D, 400, "invalid_account", "no to_account", body=_create(to_account=_DROP)
    ),
    ApiCase("amount-missing", "POST", D, 400, "invalid_amount", "no amount", body=_create(amount=_DROP)),
    ApiCase(
        "content-type-svg",
        "POST",
        D,
        400,
        "invalid_content_type",
        "image/svg+xml",
        body=_create(content_type="image/svg+xml"),
    ),
    ApiCase(
        "content-type-html",
        "POST",
        D,
        400,
        "invalid_content_type",
        "text/html",
        body=_create(content_type="text/html"),
    ),
    ApiCase(
        "content-type-header-injection",
        "POST",
        D,
        400,
        "invalid_content_type",
        "CRLF header injection",
        body=_create(content_type="image/png\r\nx-amz-acl: public-read"),
    ),
    ApiCase(
        "content-type-markup",
        "POST",
        D,
        400,
        "invalid_content_type",
        "markup",
        body=_create(content_type=MARKUP),
    ),
    ApiCase(
        "body-malformed-json",
        "POST",
        D,
        400,
        "invalid_json",
        "truncated JSON",
        body=b'{"to_account": "12345678", "amount": ',
    ),
    ApiCase("body-array", "POST", D, 400, "invalid_json", "a JSON array", body=[1, 2, 3]),
    ApiCase("body-string", "POST", D, 400, "invalid_json", "a JSON string", body=b'"12.34"'),
    ApiCase("body-missing", "POST", D, 400, "missing_body", "no body at all"),
    ApiCase("body-empty-object", "POST", D, 400, "invalid_account", "{}", body={}),
    ApiCase("body-too-large", "POST", D, 413, "body_too_large", "70 KB JSON", body=_create(note="x" * 70000)),
    ApiCase(
        "body-deep-nesting",
        "POST",
        D,
        400,
        "invalid_json",
        "20000 nested arrays (recursion bomb)",
        body=b"[" * 20000 + b"]" * 20000,
    ),
    ApiCase(
        "body-invalid-utf8",
        "POST",
        D,
        400,
        "invalid_json",
        "bytes that are not UTF-8",
        body=b'{"to_account": "12345678", "amount": "\xff\xfe12"}',
    ),
    ApiCase(
        "body-duplicate-keys",
        "POST",
        D,
        400,
        "invalid_amount",
        "amount twice, the last one negative",
        body=b'{"to_account": "12345678", "amount": "12.00", "amount": "-12.00"}',
    ),
    ApiCase(
        "body-form-encoded",
        "POST",
        D,
        400,
        "invalid_json",
        "a form post instead of JSON",
        body=b"to_account=12345678&amount=12.34",
        content_type="application/x-www-form-urlencoded",
    ),
    ApiCase(
        "body-text-plain",
        "POST",
        D,
        400,
        "invalid_json",
        "text/plain body",
        body=b"to_account 12345678 amount 12.34",
        content_type="text/plain",
    ),
    ApiCase(
        "body-extra-fields",
        "POST",
        D,
        201,
        "",
        "status/email/_id/reading injected",
        body=_create(
            status="accepted",
            email="mallory@evil.example",
            _id="dep-" + OWN_ID_HEX,
            _rev="1-abc",
            reading={"routing": "063100277"},
            attempts=-1,
            type="config",
        ),
        check="extra_fields_ignored",
    ),
    # ---- tokens
    ApiCase("token-missing", "GET", D, 401, "token_missing", "no Authorization header", auth="none"),
    ApiCase("token-basic-scheme", "GET", D, 401, "token_missing", "Basic credentials", auth="basic"),
    ApiCase("token-garbage", "GET", D, 401, "token_invalid", "not a token", auth="garbage"),
    ApiCase("token-forged", "GET", D, 401, "token_invalid", "signed with another secret", auth="forged"),
    ApiCase("token-expired", "GET", D, 401, "token_expired", "expired an hour ago", auth="expired"),
    ApiCase("token-role-tampered", "GET", D, 401, "token_invalid", "role changed to reviewer", auth="role"),
    ApiCase("token-email-tampered", "GET", D, 401, "token_invalid", "email changed to bob", auth="email"),
    ApiCase("token-exp-tampered", "GET", D, 401, "token_invalid", "expiry pushed a year on", auth="exp"),
    ApiCase("token-alg-none", "GET", D, 401, "token_bad_algorithm", "JWT with alg none", auth="alg_none"),
    ApiCase("token-overlong", "GET", D, 401, "token_invalid", "5000 characters", auth="long"),
    ApiCase("token-doubled", "GET", D, 401, "token_invalid", "two tokens in one header", auth="doubled"),
    # ---- OpenID Provider tokens (openchecks.oidc): each bad claim has its own code
    ApiCase(
        "oidc-valid-customer",
        "GET",
        D,
        200,
        "",
        "the provider's customer token",
        auth="oidc_customer",
        check="ok",
    ),
    ApiCase("oidc-wrong-issuer", "GET", D, 401, "token_wrong_issuer", "another issuer", auth="oidc_iss"),
    ApiCase(
        "oidc-wrong-audience", "GET", D, 401, "token_wrong_audience", "another audience", auth="oidc_aud"
    ),
    ApiCase("oidc-no-audience", "GET", D, 401, "token_invalid", "no aud claim", auth="oidc_no_aud"),
    ApiCase("oidc-expired", "GET", D, 401, "token_expired", "expired ten minutes ago", auth="oidc_expired"),
    ApiCase("oidc-not-yet-valid", "GET", D, 401, "token_not_yet_valid", "nbf in an hour", auth="oidc_nbf"),
    ApiCase(
        "oidc-unknown-kid",
        "GET",
        D,
        401,
        "token_unknown_key",
        "a key the provider never published",
        auth="oidc_kid",
    ),
    ApiCase(
        "oidc-alg-none", "GET", D, 401, "token_bad_algorithm", "alg none with the real kid", auth="oidc_none"
    ),
    ApiCase(
        "oidc-hs256-public-key",
        "GET",
        D,
        401,
        "token_bad_algorithm",
        "HS256 keyed with the provider's public key",
        auth="oidc_hs256",
    ),
    ApiCase(
        "oidc-signature-swapped",
        "GET",
        D,
        401,
        "token_invalid",
        "reviewer claims, customer signature",
        auth="oidc_swapped",
    ),
    ApiCase("oidc-no-role", "GET", D, 403, "no_role", "no openchecks role in the claim", auth="oidc_no_role"),
    ApiCase(
        "oidc-customer-reviews",
        "POST",
        "/deposits/{own}/review",
        403,
        "reviewer_only",
        "a customer's provider token on a reviewer route",
        body={"action": "approve"},
        auth="oidc_customer",
    ),
    ApiCase(
        "oidc-customer-exports",
        "POST",
        "/exports",
        403,
        "reviewer_only",
        "a customer's provider token starting an export",
        body={},
        auth="oidc_customer",
    ),
    # ---- other customers, roles, ids and paths
    ApiCase(
        "other-customer-get",
        "GET",
        "/deposits/{other}",
        404,
        "deposit_not_found",
        "alice reads bob's deposit",
    ),
    ApiCase(
        "other-customer-confirm",
        "POST",
        "/deposits/{other}/uploaded",
        404,
        "deposit_not_found",
        "alice confirms bob's deposit",
    ),
    ApiCase(
        "reviewer-confirm",
        "POST",
        "/deposits/{own}/uploaded",
        404,
        "deposit_not_found",
        "a reviewer confirms a customer's upload",
        auth="reviewer",
    ),
    ApiCase(
        "customer-review",
        "POST",
        "/deposits/{own}/review",
        403,
        "reviewer_only",
        "a customer approves her own deposit",
        body={"action": "approve"},
    ),
    ApiCase(
        "path-traversal-encoded",
        "GET",
        "/deposits/..%2F..%2F_all_docs",
        404,
        "deposit_not_found",
        "encoded ../ in the id",
    ),
    ApiCase(
        "path-all-docs", "GET", "/deposits/_all_docs", 404, "deposit_not_found", "a CouchDB endpoint as id"
    ),
    ApiCase(
        "path-design-doc",
        "GET",
        "/deposits/_design%2Fdeposits",
        404,
        "deposit_not_found",
        "a design document as id",
    ),
    ApiCase(
        "path-id-suffix",
        "GET",
        "/deposits/dep-" + OWN_ID_HEX + "%2F..%2F..%2Fopenchecks-config",
        404,
        "deposit_not_found",
        "an id with a traversal tail",
    ),
    ApiCase(
        "path-dotdot-confirm", "POST", "/deposits/%2e%2e/uploaded", 404, "deposit_not_found", "%2e%2e as id"
    ),
    ApiCase(
        "path-markup-id",
        "GET",
        "/deposits/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        404,
        "deposit_not_found",
        "markup as id",
    ),
    ApiCase("path-unknown-route", "GET", "/admin", 404, "no_such_route", "a route that does not exist"),
    ApiCase("method-delete", "DELETE", "/deposits/{own}", 405, "method_not_allowed", "DELETE a deposit"),
    ApiCase("method-put", "PUT", D, 405, "method_not_allowed", "PUT the collection", body={}),
    ApiCase("query-status-markup", "GET", "/deposits?status=%3Cscript%3E", 400, "invalid_status", "markup"),
    ApiCase(
        "query-status-selector",
        "GET",
        '/deposits?status={"$ne":null}',
        400,
        "invalid_status",
        "a Mango selector",
    ),
    ApiCase("query-limit-negative", "GET", "/deposits?limit=-1", 400, "invalid_limit", "-1"),
    ApiCase(
        "query-limit-fullwidth",
        "GET",
        "/deposits?limit=%EF%BC%91%EF%BC%90",
        400,
        "invalid_limit",
        "fullwidth 10",
    ),
    ApiCase(
        "query-limit-huge", "GET", "/deposits?limit=99999999999999999999", 400, "invalid_limit", "20 digits"
    ),
    # ---- reviewer input
    ApiCase(
        "review-unknown-action",
        "POST",
        "/deposits/{own}/review",
        400,
        "invalid_action",
        "action delete",
        auth="reviewer",
        body={"action": "delete"},
    ),
    ApiCase(
        "review-routing-fullwidth",
        "POST",
        "/deposits/{own}/review",
        400,
        "invalid_routing",
        "fullwidth routing",
        auth="reviewer",
        body={
            "action": "correct",
            "fields": {"routing": "\uff10\uff16\uff13\uff11\uff10\uff10\uff12\uff17\uff17"},
        },
    ),
    ApiCase(
        "review-field-markup",
        "POST",
        "/deposits/{own}/review",
        400,
        "invalid_fields",
        "a field named with markup",
        auth="reviewer",
        body={"action": "correct", "fields": {MARKUP: "1"}},
    ),
    ApiCase(
        "review-reason-overlong",
        "POST",
        "/deposits/{own}/review",
        400,
        "invalid_reason",
        "10000-character reason",
        auth="reviewer",
        body={"action": "reject", "reason": "r" * 10000},
    ),
    ApiCase(
        "review-not-reviewable",
        "POST",
        "/deposits/{own}/review",
        409,
        "not_reviewable",
        "approve a deposit that is not under review",
        auth="reviewer",
        body={"action": "approve"},
    ),
    ApiCase(
        "confirm-before-upload",
        "POST",
        "/deposits/{own}/uploaded",
        409,
        "upload_missing",
        "confirm with no image uploaded",
    ),
)


# ---------------------------------------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tamper(token: str, **claims: Any) -> str:
    payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    return _b64(json.dumps(decoded, separators=(",", ":"), sort_keys=True).encode()) + "." + signature


@dataclass(frozen=True)
class Provider:
    """The deployment's OpenID Provider: its issuer, audience and private signing keys (a JWKS file)."""

    issuer: str
    audience: str
    keys_file: str


def _oidc_token(kind: str, provider: Provider) -> str:
    import hashlib
    import hmac
    from pathlib import Path

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    keys = json.loads(Path(provider.keys_file).read_text())["keys"]
    real = next(k for k in keys if k["kty"] == "RSA")
    private = jwt.PyJWK(real).key
    now = int(time.time())
    claims: dict[str, Any] = {"iss": provider.issuer, "aud": provider.audience, "sub": "hostile-alice"}
    claims.update({"email": "alice@example.com", "roles": ["customer"], "iat": now, "exp": now + 600})
    head = {"kid": real["kid"]}
    all_changes: dict[str, dict[str, Any]] = {
        "oidc_iss": {"iss": "https://idp.evil.example"},
        "oidc_aud": {"aud": "another-api"},
        "oidc_no_aud": {"aud": None},
        "oidc_expired": {"exp": now - 600, "iat": now - 1200},
        "oidc_nbf": {"nbf": now + 3600},
        "oidc_no_role": {"roles": ["auditor"]},
    }
    changes = all_changes.get(kind, {})
    claims = {k: v for k, v in {**claims, **changes}.items() if v is not None}
    if kind == "oidc_kid":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "never-published"})
    if kind in ("oidc_none", "oidc_hs256"):
        alg = "none" if kind == "oidc_none" else "HS256"
        body = _b64(json.dumps({"alg": alg, "typ": "JWT", **head}).encode()) + "."
        body += _b64(json.dumps({**claims, "roles": ["reviewer"]}).encode())
        if kind == "oidc_none":
            return body + "."
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return body + "." + _b64(hmac.new(public, body.encode(), hashlib.sha256).digest())
    token = jwt.encode(claims, private, algorithm="RS256", headers=head)
    if kind == "oidc_swapped":
        head_part, _, signature = token.split(".")
        lifted = _b64(json.dumps({**claims, "roles": ["reviewer"]}).encode())
        return f"{head_part}.{lifted}.{signature}"
    return token


# The valid customers' and reviewer's credentials: (email, role).
_USERS = {
    "alice": ("alice@example.com", "customer"),
    "bob": ("bob@example.com", "customer"),
    "reviewer": ("rita@bank.example", "reviewer"),
}


def _bearer_token(kind: str, secret: str) -> str | None:
    """The bearer token of credential `kind` signed (or not) with the deployment's `secret`; None for a kind
    that is not one of these (none, basic, oidc_*, unknown)."""
    from openchecks import tokens

    if kind in _USERS:
        email, role = _USERS[kind]
        return tokens.mint(email, role, 900, secret)
    alice = tokens.mint("alice@example.com", "customer", 900, secret)
    alg_none = _b64(b'{"alg":"none","typ":"JWT"}') + "."
    alg_none += _b64(b'{"email":"alice@example.com","role":"reviewer","exp":9999999999}') + "."
    makers: dict[str, Callable[[], str]] = {
        "garbage": lambda: "not-a-token",
        "forged": lambda: tokens.mint(
            "alice@example.com", "reviewer", 900, "another-secret-of-sufficient-length"
        ),
        "expired": lambda: tokens.mint("alice@example.com", "customer", 60, secret, now=time.time() - 3600),
        "role": lambda: _tamper(alice, role="reviewer"),
        "email": lambda: _tamper(alice, email="bob@example.com"),
        "exp": lambda: _tamper(alice, exp=int(time.time()) + 365 * 86400),
        "alg_none": lambda: alg_none,
        "long": lambda: "a" * 2500 + "." + "b" * 2500,
        "doubled": lambda: f"{alice} {alice}",
    }
    make = makers.get(kind)
    return make() if make else None


def auth_header(kind: str, secret: str, provider: Provider | None = None) -> dict[str, str]:
    """The Authorization header for credential `kind` (see the module docstring); {} for "none".
    The `oidc_*` kinds need the deployment's `provider`."""
    if kind.startswith("oidc_"):
        if provider is None:
            raise ValueError(f"credential kind {kind!r} needs the deployment's OpenID Provider")
        return {"Authorization": f"Bearer {_oidc_token(kind, provider)}"}
    if kind == "none":
        return {}
    if kind == "basic":
        return {"Authorization": "Basic " + base64.b64encode(b"alice@example.com:password").decode()}
    token = _bearer_token(kind, secret)
    if token is None:
        raise ValueError(f"unknown credential kind {kind!r}")
    return {"Authorization": f"Bearer {token}"}
