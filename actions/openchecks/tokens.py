"""Signed bearer tokens: HMAC-SHA256 over the claims, with the package's TOKEN_SECRET.

Format: `<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, first part))>`. Claims are
`{"iss": "openchecks", "aud": "openchecks-api", "kid": ..., "email": ..., "role": "customer"|"reviewer",
"iat": <epoch seconds>, "exp": <epoch seconds>}`. `verify` accepts a token only when the secret named by
`kid` signs it (constant-time compare), the claims are well formed, issuer and audience are ours and `exp` is
in the future.

Rotation: TOKEN_SECRET may hold several secrets separated by commas, each at least 32 bytes. The first signs
new tokens; every one of them verifies the tokens it signed (picked by `kid`, a fingerprint of the secret
that reveals nothing of it). To rotate: put the new secret first and keep the old one after it for as long
as its tokens live (a day for the demo tokens), then drop it.

Mint one: `python -m openchecks.tokens mint --email E --role customer|reviewer --ttl 3600`
(secret from `--secret`, `--env FILE`, the TOKEN_SECRET environment variable, or with `--local` the local
stack's own, found where `openchecks deposit` finds it: `$OPENCHECKS_DATA/secrets/token_secret`, default
`<repo>/.data/secrets/token_secret`).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from openchecks.config import read_env_file
from openchecks.errors import BadRequest, ConfigurationError, Unauthorized

ROLES = ("customer", "reviewer")
MAX_TOKEN_LENGTH = 2048
MAX_TTL_SECONDS = 30 * 24 * 3600
MIN_SECRET_LENGTH = 32  # bytes; deploy.sh makes 64 hex characters
ISSUER = "openchecks"
AUDIENCE = "openchecks-api"
KID_LENGTH = 12
# Deliberately strict: one @, a dotted domain, no spaces or markup characters, at most 254 characters.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True)
class Claims:
    """Who a verified token speaks for, and until when.

    `email` is the account deposits are filed under: the e-mail of an HMAC token, the provider's `sub` of an
    OpenID Connect token (openchecks.oidc), whose e-mail, when it has one, is `shown`."""

    email: str
    role: str
    exp: int
    shown: str = ""

    @property
    def is_reviewer(self) -> bool:
        return self.role == "reviewer"


def normalize_email(email: str) -> str:
    """Return the e-mail address lower-cased, or raise BadRequest with a sentence saying what is wrong."""
    if not isinstance(email, str):
        raise BadRequest("The e-mail address must be text, like name@example.com.", code="invalid_email")
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email) or not email.isascii():
        raise BadRequest(
            "The e-mail address is not valid; use a form like name@example.com.", code="invalid_email"
        )
    return email


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_keys(secret: str) -> list[tuple[str, bytes]]:
    """(kid, key) of every secret in `secret` (comma-separated, the signing one first); ConfigurationError
    when there is none or one is shorter than MIN_SECRET_LENGTH bytes."""
    parts = [p.strip() for p in secret.split(",")] if isinstance(secret, str) else []
    keys = [p.encode("utf-8") for p in parts if p]
    if not keys or any(len(k) < MIN_SECRET_LENGTH for k in keys):
        raise ConfigurationError(
            f"token_secret is not configured or one of its secrets is shorter than {MIN_SECRET_LENGTH} "
            "bytes; set TOKEN_SECRET (python -c 'import secrets; print(secrets.token_hex(32))' makes one)."
        )
    return [(key_id(k), k) for k in keys]


def key_id(key: bytes) -> str:
    """The `kid` of a secret: an HMAC fingerprint, so the claim tells which secret signed, not the secret."""
    return _b64e(hmac.new(key, b"openchecks token key id", hashlib.sha256).digest())[:KID_LENGTH]


def _sign(secret: bytes, payload: str) -> str:
    return _b64e(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def mint(email: str, role: str, ttl_seconds: int, secret: str, now: float | None = None) -> str:
    """Return a token for `email` with `role`, valid for `ttl_seconds` from `now` (default: the clock),
    signed with the first secret of `secret`."""
    kid, key = signing_keys(secret)[0]
    if role not in ROLES:
        raise BadRequest(f"The role must be one of {', '.join(ROLES)}, not {role!r}.", code="invalid_role")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise BadRequest(
            f"The token lifetime must be between 1 and {MAX_TTL_SECONDS} seconds.", code="invalid_ttl"
        )
    issued = time.time() if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "kid": kid,
        "email": normalize_email(email),
        "role": role,
        "iat": int(issued),
        "exp": int(issued + ttl_seconds),
    }
    payload = _b64e(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_sign(key, payload)}"


def verify(token: str, secret: str, now: float | None = None) -> Claims:
    """Return the claims of a valid token; raise Unauthorized (code `token_invalid` or `token_expired`).

    Any secret of `secret` verifies the tokens it signed (chosen by the token's `kid`)."""
    keys = dict(signing_keys(secret))
    invalid = Unauthorized(
        "The sign-in token is not valid; sign in again to get a new one.", code="token_invalid"
    )
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise invalid
    payload, signature = token.split(".")
    if not payload.isascii() or not signature.isascii():
        raise invalid
    try:
        claims = json.loads(_b64d(payload))  # read only to find the key; nothing is trusted before the check
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(claims, dict) or not isinstance(claims.get("kid"), str):
        raise invalid
    key = keys.get(claims["kid"])
    if key is None or not hmac.compare_digest(_sign(key, payload), signature):
        raise invalid
    if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
        raise invalid
    email, role, exp = claims.get("email"), claims.get("role"), claims.get("exp")
    if not isinstance(email, str) or role not in ROLES or not isinstance(exp, int) or isinstance(exp, bool):
        raise invalid
    current = time.time() if now is None else now
    if exp <= current:
        raise Unauthorized(
            "The sign-in token has expired; sign in again to get a new one.", code="token_expired"
        )
    return Claims(email=email, role=str(role), exp=exp)


def bearer_token(headers: dict[str, str]) -> str:
    """The token from an `Authorization: Bearer …` header (header names are matched case-insensitively)."""
    value = ""
    for name, header in headers.items():
        if name.lower() == "authorization":
            value = str(header)
            break
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Sign in first: send the token as 'Authorization: Bearer <token>'.", code="token_missing"
        )
    return token.strip()


def main(argv: list[str] | None = None) -> int:
    """`mint` prints a token on stdout; errors go to stderr with exit status 2."""
    parser = argparse.ArgumentParser(prog="python -m openchecks.tokens", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mint_cmd = sub.add_parser("mint", help="print a signed token")
    mint_cmd.add_argument("--email", required=True)
    mint_cmd.add_argument("--role", choices=ROLES, default="customer")
    mint_cmd.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    mint_cmd.add_argument(
        "--secret", help="the token secret (default: TOKEN_SECRET from --env or the environment)"
    )
    mint_cmd.add_argument("--env", type=Path, help="a KEY=VALUE file holding TOKEN_SECRET")
    mint_cmd.add_argument(
        "--local",
        action="store_true",
        help="use the running local stack's secret (as `openchecks deposit` finds it)",
    )
    args = parser.parse_args(argv)
    secret = args.secret or ""
    if not secret and args.local:
        from openchecks.apiclient import local_secret_path

        path = local_secret_path()
        if not path.is_file():
            print(f"error: no local stack secret at {path}; run ./deploy.sh local first", file=sys.stderr)
            return 2
        secret = path.read_text().strip()
    if not secret and args.env is not None:
        if not args.env.is_file():
            print(f"error: the env file {args.env} does not exist", file=sys.stderr)
            return 2
        secret = read_env_file(args.env).get("TOKEN_SECRET", "")
    secret = secret or os.environ.get("TOKEN_SECRET", "")
    try:
        print(mint(args.email, args.role, args.ttl, secret))
    except (BadRequest, ConfigurationError) as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
