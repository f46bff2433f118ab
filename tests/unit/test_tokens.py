"""Signed bearer tokens: what verifies, what does not, and the mint command."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from openchecks import tokens
from openchecks.errors import BadRequest, ConfigurationError, Unauthorized

SECRET = "unit-test-secret-abcdefghijklmnop"
NOW = 1_800_000_000.0


def test_minted_token_verifies_with_its_claims() -> None:
    tok = tokens.mint("Alice@Example.com", "reviewer", 600, SECRET, now=NOW)
    claims = tokens.verify(tok, SECRET, now=NOW + 599)
    assert claims.email == "alice@example.com"
    assert claims.role == "reviewer" and claims.is_reviewer
    assert claims.exp == int(NOW + 600)


def test_expired_token_is_refused_with_its_own_code() -> None:
    tok = tokens.mint("a@example.com", "customer", 60, SECRET, now=NOW)
    with pytest.raises(Unauthorized) as info:
        tokens.verify(tok, SECRET, now=NOW + 60)
    assert info.value.code == "token_expired"
    assert info.value.status == 401


def test_token_signed_with_another_secret_is_invalid() -> None:
    tok = tokens.mint("a@example.com", "customer", 60, "another-secret-of-enough-length", now=NOW)
    with pytest.raises(Unauthorized) as info:
        tokens.verify(tok, SECRET, now=NOW)
    assert info.value.code == "token_invalid"


def _forge(tok: str, **changes: object) -> str:
    payload, signature = tok.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "changes", [{"role": "reviewer"}, {"email": "mallory@example.com"}, {"exp": int(NOW) + 10_000_000}]
)
def test_changing_any_claim_breaks_the_signature(changes: dict[str, object]) -> None:
    tok = tokens.mint("a@example.com", "customer", 60, SECRET, now=NOW)
    with pytest.raises(Unauthorized):
        tokens.verify(_forge(tok, **changes), SECRET, now=NOW)


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "é.é", "x" * 5000, ".", "eyJ9.", 42])
def test_malformed_tokens_are_invalid_not_crashes(bad: object) -> None:
    with pytest.raises(Unauthorized) as info:
        tokens.verify(bad, SECRET, now=NOW)  # type: ignore[arg-type]
    assert info.value.code == "token_invalid"


def test_validly_signed_but_wrong_shaped_claims_are_invalid() -> None:
    payload = (
        base64.urlsafe_b64encode(
            json.dumps({"email": "a@example.com", "role": "admin", "exp": NOW + 99}).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    tok = f"{payload}.{tokens._sign(SECRET.encode(), payload)}"
    with pytest.raises(Unauthorized):
        tokens.verify(tok, SECRET, now=NOW)


def test_missing_or_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        tokens.mint("a@example.com", "customer", 60, "short")
    with pytest.raises(ConfigurationError):
        tokens.verify("a.b", "")


@pytest.mark.parametrize(
    "email",
    [
        "no-at-sign",
        "a@b",
        "<script>@x.com",
        "a b@example.com",
        "a@exa mple.com",
        "ａ@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_bad_emails_are_refused(email: str) -> None:
    with pytest.raises(BadRequest) as info:
        tokens.mint(email, "customer", 60, SECRET)
    assert info.value.code == "invalid_email"


def test_bad_role_and_ttl_are_refused() -> None:
    with pytest.raises(BadRequest):
        tokens.mint("a@example.com", "admin", 60, SECRET)
    with pytest.raises(BadRequest):
        tokens.mint("a@example.com", "customer", 0, SECRET)


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"authorization": "Bearer abc.def"}, "abc.def"),
        ({"Authorization": "bearer  abc.def "}, "abc.def"),
    ],
)
def test_bearer_header_parsing(headers: dict[str, str], expected: str) -> None:
    assert tokens.bearer_token(headers) == expected


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Basic dXNlcjpwYXNz"}, {"authorization": "Bearer "}]
)
def test_missing_bearer_is_unauthorized(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthorized) as info:
        tokens.bearer_token(headers)
    assert info.value.code == "token_missing"


def test_mint_command_prints_a_token_that_verifies(tmp_path) -> None:
    env_file = tmp_path / "local.env"
    env_file.write_text(f"# comment\nTOKEN_SECRET='{SECRET}'\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "openchecks.tokens",
            "mint",
            "--email",
            "bob@example.com",
            "--role",
            "customer",
            "--ttl",
            "120",
            "--env",
            str(env_file),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin"},
        cwd=str(tmp_path),
    )
    claims = tokens.verify(out.stdout.strip(), SECRET)
    assert claims.email == "bob@example.com" and claims.role == "customer"


def test_mint_command_without_secret_fails_with_a_message(tmp_path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openchecks.tokens", "mint", "--email", "bob@example.com"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin"},
        cwd=str(tmp_path),
    )
    assert out.returncode == 2
    assert "TOKEN_SECRET" in out.stderr
