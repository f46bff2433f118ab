"""Signed bearer tokens: HMAC-SHA256 over (email, role, expiry), with the package's TOKEN_SECRET.

Format: `<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, first part))>`. Claims are
`{"email": ..., "role": "customer"|"reviewer", "exp": <epoch seconds>}`. `verify` accepts a token only when
the signature matches (constant-time compare), the claims are well formed and `exp` is in the future.

Mint one: `python -m openchecks.tokens mint --email E --role customer|reviewer --ttl 3600`
(secret from `--secret`, `--env FILE`, or the TOKEN_SECRET environment variable).
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
MIN_SECRET_LENGTH = 16
# Deliberately strict: one @, a dotted domain, no spaces or markup characters, at most 254 characters.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True)
class Claims:
    """Who a verified token speaks for, and until when."""

    email: str
    role: str
    exp: int

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


def _check_secret(secret: str) -> bytes:
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"token_secret is not configured or shorter than {MIN_SECRET_LENGTH} characters; "
            "set TOKEN_SECRET."
        )
    return secret.encode("utf-8")


def _sign(secret: bytes, payload: str) -> str:
    return _b64e(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def mint(email: str, role: str, ttl_seconds: int, secret: str, now: float | None = None) -> str:
    """Return a token for `email` with `role`, valid for `ttl_seconds` from `now` (default: the clock)."""
    key = _check_secret(secret)
    if role not in ROLES:
        raise BadRequest(f"The role must be one of {', '.join(ROLES)}, not {role!r}.", code="invalid_role")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise BadRequest(
            f"The token lifetime must be between 1 and {MAX_TTL_SECONDS} seconds.", code="invalid_ttl"
        )
    issued = time.time() if now is None else now
    claims = {"email": normalize_email(email), "role": role, "exp": int(issued + ttl_seconds)}
    payload = _b64e(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_sign(key, payload)}"


def verify(token: str, secret: str, now: float | None = None) -> Claims:
    """Return the claims of a valid token; raise Unauthorized (code `token_invalid` or `token_expired`)."""
    key = _check_secret(secret)
    invalid = Unauthorized(
        "The sign-in token is not valid; sign in again to get a new one.", code="token_invalid"
    )
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise invalid
    payload, signature = token.split(".")
    if not payload.isascii() or not signature.isascii():
        raise invalid
    if not hmac.compare_digest(_sign(key, payload), signature):
        raise invalid
    try:
        claims = json.loads(_b64d(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(claims, dict):
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
    args = parser.parse_args(argv)
    secret = args.secret or ""
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
