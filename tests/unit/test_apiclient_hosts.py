"""Where the `openchecks` CLI's API client points: a flag, the environment, else the local stack's port."""

from __future__ import annotations

from pathlib import Path

import pytest
from openchecks import apiclient, tokens
from openchecks.apiclient import DepositApiError, api_url, resolve_token

from infra import ports

WEB = "/api/v1/web/guest/openchecks/api"
SECRET = "a-local-stack-secret-of-sufficient-length"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENCHECKS_API",
        "APIHOST",
        "OPENCHECKS_NAMESPACE",
        "OPENCHECKS_TOKEN",
        "OPENCHECKS_WHISK_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_local_stack_is_the_default_and_honours_its_port_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert api_url() == f"http://127.0.0.1:{ports.WHISK}{WEB}"
    monkeypatch.setenv("OPENCHECKS_WHISK_PORT", "4233")
    assert api_url() == f"http://127.0.0.1:4233{WEB}"
    assert api_url("https://api.example/x/") == "https://api.example/x"  # --api wins
    monkeypatch.setenv("APIHOST", "whisk.example")
    assert api_url() == f"https://whisk.example{WEB}"
    monkeypatch.setenv("OPENCHECKS_API", "http://127.0.0.1:9/api/")
    assert api_url() == "http://127.0.0.1:9/api"


@pytest.mark.parametrize("raw", ["port", "0", "70000"])
def test_a_bad_port_variable_is_a_sentence_naming_it(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("OPENCHECKS_WHISK_PORT", raw)
    with pytest.raises(DepositApiError) as info:
        api_url()
    assert f"OPENCHECKS_WHISK_PORT={raw!r} is not a port number" in str(info.value)
    assert info.value.code == "bad_port"


def test_the_token_is_minted_only_for_the_local_stack_on_its_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secrets" / "token_secret"
    secret_file.parent.mkdir()
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("OPENCHECKS_DATA", str(tmp_path))
    monkeypatch.setenv("OPENCHECKS_WHISK_PORT", "4233")
    token = resolve_token(None, "alice@example.com", "customer", api_url())
    assert tokens.verify(token, SECRET).email == "alice@example.com"
    with pytest.raises(DepositApiError) as info:  # the default port is another stack now
        resolve_token(None, "alice@example.com", "customer", f"http://127.0.0.1:{ports.WHISK}{WEB}")
    assert info.value.code == "no_token"
    assert apiclient.local_secret_path() == secret_file


def test_the_port_table_reads_each_services_variable() -> None:
    assert ports.configured_port("s3", {}) == ports.S3
    assert ports.configured_port("s3", {"OPENCHECKS_S3_PORT": "5000"}) == 5000
    assert ports.configured_url("feeds", {"OPENCHECKS_FEEDS_PORT": "3300"}) == "http://127.0.0.1:3300"
    with pytest.raises(ValueError, match="OPENCHECKS_COUCHDB_PORT='x' is not a port number"):
        ports.configured_port("couchdb", {"OPENCHECKS_COUCHDB_PORT": "x"})
