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
    tok = tokens.mint("a@example.com", "customer", 60, "another-secret-of-sufficient-length", now=NOW)
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


def _signed(claims: dict[str, object], secret: str = SECRET) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{payload}.{tokens._sign(secret.encode(), payload)}"


GOOD = {
    "iss": tokens.ISSUER,
    "aud": tokens.AUDIENCE,
    "kid": tokens.key_id(SECRET.encode()),
    "email": "a@example.com",
    "role": "customer",
    "iat": int(NOW),
    "exp": int(NOW) + 99,
}


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "admin"},
        {"iss": "someone-else"},
        {"aud": "another-app"},
        {"iss": None},
        {"aud": None},
        {"kid": None},
        {"kid": "unknown-kid1"},
        {"kid": 7},
    ],
)
def test_validly_signed_but_wrong_claims_are_invalid(changes: dict[str, object]) -> None:
    assert tokens.verify(_signed(GOOD), SECRET, now=NOW).email == "a@example.com"  # the control
    claims = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    with pytest.raises(Unauthorized) as info:
        tokens.verify(_signed(claims), SECRET, now=NOW)
    assert info.value.code == "token_invalid"


def test_tokens_carry_issuer_audience_and_key_id() -> None:
    tok = tokens.mint("a@example.com", "customer", 60, SECRET, now=NOW)
    payload = tok.split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == "openchecks" and claims["aud"] == "openchecks-api"
    assert claims["kid"] == tokens.key_id(SECRET.encode()) and SECRET not in json.dumps(claims)
    assert claims["iat"] == int(NOW) and claims["exp"] == int(NOW) + 60


def test_a_token_of_the_old_format_without_kid_is_invalid() -> None:
    old = {"email": "a@example.com", "role": "customer", "exp": int(NOW) + 99}
    with pytest.raises(Unauthorized):
        tokens.verify(_signed(old), SECRET, now=NOW)


NEW_SECRET = "rotated-secret-0123456789abcdefghijkl"


def test_rotation_verifies_old_and_new_tokens_during_the_overlap() -> None:
    old_token = tokens.mint("a@example.com", "customer", 600, SECRET, now=NOW)
    both = f"{NEW_SECRET}, {SECRET}"
    new_token = tokens.mint("b@example.com", "customer", 600, both, now=NOW)
    payload = new_token.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["kid"] == tokens.key_id(
        NEW_SECRET.encode()
    )
    assert tokens.verify(old_token, both, now=NOW).email == "a@example.com"
    assert tokens.verify(new_token, both, now=NOW).email == "b@example.com"
    assert tokens.verify(new_token, NEW_SECRET, now=NOW).email == "b@example.com"
    with pytest.raises(Unauthorized):  # the old secret dropped: its tokens stop working
        tokens.verify(old_token, NEW_SECRET, now=NOW)
    with pytest.raises(Unauthorized):  # and a token of the new secret never verified with the old one
        tokens.verify(new_token, SECRET, now=NOW)


def test_a_token_claiming_one_kid_but_signed_with_the_other_secret_is_invalid() -> None:
    forged = _signed({**GOOD, "kid": tokens.key_id(NEW_SECRET.encode())}, secret=SECRET)
    with pytest.raises(Unauthorized):
        tokens.verify(forged, f"{NEW_SECRET},{SECRET}", now=NOW)


def test_missing_or_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        tokens.mint("a@example.com", "customer", 60, "short")
    with pytest.raises(ConfigurationError):
        tokens.verify("a.b", "")
    with pytest.raises(ConfigurationError) as info:  # 31 bytes: one short of the minimum
        tokens.mint("a@example.com", "customer", 60, "x" * 31)
    assert "32 bytes" in info.value.message
    tokens.mint("a@example.com", "customer", 60, "x" * 32)
    with pytest.raises(ConfigurationError):  # every secret of a rotation list counts
        tokens.verify("a.b", f"{SECRET},short")
    with pytest.raises(ConfigurationError):
        tokens.mint("a@example.com", "customer", 60, " , ")


def test_the_secrets_the_stack_and_deploy_sh_make_are_accepted() -> None:
    import secrets as random_secrets

    tokens.mint("a@example.com", "customer", 60, random_secrets.token_hex(32))  # deploy.sh's local secret


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


def test_mint_local_uses_the_local_stacks_secret(tmp_path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token_secret").write_text(NEW_SECRET + "\n")
    cmd = [sys.executable, "-m", "openchecks.tokens", "mint", "--email", "c@example.com", "--local"]
    env = {"PATH": "/usr/bin", "OPENCHECKS_DATA": str(tmp_path)}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, cwd=str(tmp_path))
    assert tokens.verify(out.stdout.strip(), NEW_SECRET).email == "c@example.com"
    missing = subprocess.run(
        cmd, capture_output=True, text=True, env={**env, "OPENCHECKS_DATA": str(tmp_path / "none")}
    )
    assert missing.returncode == 2 and "./deploy.sh local" in missing.stderr and not missing.stdout


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
