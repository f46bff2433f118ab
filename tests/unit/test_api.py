"""The deposit API without servers: request decoding, routing, and the checks made before any service
is touched (authentication, roles, field validation). Every refusal is a 4xx JSON error."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from openchecks import tokens
from openchecks.api import Api, Request, handle_web, request_from_args
from openchecks.runtime import ActionContext

SECRET = "unit-test-secret-abcdefghijklmnop"
# No service URLs: a handler that reached Cloudant or COS would answer 500 "misconfigured".
PARAMS = {"token_secret": SECRET}


def call(
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    raw: bool = True,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    args: dict[str, Any] = {
        **PARAMS,
        "__ow_method": method,
        "__ow_path": path,
        "__ow_headers": dict(headers or {}),
    }
    if token is not None:
        args["__ow_headers"]["authorization"] = f"Bearer {token}"
    if body is not None:
        if raw:
            text = body if isinstance(body, str) else json.dumps(body)
            args["__ow_body"] = base64.b64encode(text.encode()).decode()
        else:
            args.update(body)
    result = handle_web(args, ActionContext(args, "api"))
    return result["statusCode"], result["body"], result["headers"]


def customer() -> str:
    return tokens.mint("carol@example.com", "customer", 600, SECRET)


def test_raw_body_is_decoded_from_base64_or_plain_text() -> None:
    encoded = base64.b64encode(b'{"amount": "5"}').decode()
    assert request_from_args({"__ow_body": encoded, "__ow_method": "POST"}).body == {"amount": "5"}
    assert request_from_args({"__ow_body": '{"amount": "5"}'}).body == {"amount": "5"}
    req = request_from_args(
        {
            "__ow_path": "/deposits/",
            "__ow_query": "status=accepted&limit=3&evil=1",
            "__ow_headers": {"Authorization": "x"},
        }
    )
    assert (req.method, req.path, req.query, req.headers) == (
        "get",
        "/deposits",
        {"status": "accepted", "limit": "3"},
        {"authorization": "x"},
    )


def test_non_raw_arguments_keep_only_the_api_fields() -> None:
    req = request_from_args(
        {
            "__ow_method": "post",
            "amount": "5",
            "to_account": "1234",
            "token_secret": "s",
            "cloudant_url": "u",
            "status": "accepted",
        }
    )
    assert req.body == {"amount": "5", "to_account": "1234"}
    assert req.query == {"status": "accepted"}


@pytest.mark.parametrize(
    "token,code", [(None, "token_missing"), ("garbage", "token_invalid"), ("a.b", "token_invalid")]
)
def test_requests_without_a_valid_token_are_401(token: str | None, code: str) -> None:
    status, body, headers = call("get", "/deposits", token)
    assert status == 401 and body["code"] == code and body["error"]
    assert headers["Content-Type"] == "application/json"


def test_expired_token_is_401_token_expired() -> None:
    expired = tokens.mint("carol@example.com", "customer", 1, SECRET, now=1_000_000)
    status, body, _ = call("get", "/me", expired)
    assert (status, body["code"]) == (401, "token_expired")


def test_me_answers_who_the_token_is_for() -> None:
    status, body, _ = call("get", "/me", customer())
    assert status == 200 and body["email"] == "carol@example.com" and body["role"] == "customer"
    assert body["_meta"]["step"] == "api" and "cold" in body["_meta"]


def test_unknown_route_and_wrong_method() -> None:
    status, body, _ = call("get", "/nothing/here", customer())
    assert (status, body["code"]) == (404, "no_such_route")
    status, body, _ = call("delete", "/deposits", customer())
    assert (status, body["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    "body,code",
    [
        ({"to_account": "12345678", "amount": "-1"}, "invalid_amount"),
        ({"to_account": "12345678", "amount": "NaN"}, "invalid_amount"),
        ({"to_account": "12345678", "amount": "1.999"}, "invalid_amount"),
        ({"to_account": "12345678", "amount": "１２"}, "invalid_amount"),
        ({"to_account": "<script>", "amount": "12"}, "invalid_account"),
        ({"to_account": "1" * 500, "amount": "12"}, "invalid_account"),
        ({"to_account": "12345678", "amount": "12", "content_type": "image/svg+xml"}, "invalid_content_type"),
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
    ],
)
def test_create_refuses_bad_fields_before_storing_anything(body: Any, code: str) -> None:
    status, reply, _ = call("post", "/deposits", customer(), body)
    assert (status, reply["code"]) == (400, code)
    assert reply["error"].endswith(".")


def test_create_without_body_is_400() -> None:
    status, reply, _ = call("post", "/deposits", customer())
    assert (status, reply["code"]) == (400, "missing_body")


def test_oversized_body_is_413() -> None:
    status, reply, _ = call(
        "post", "/deposits", customer(), {"to_account": "1234", "amount": "1", "reason": "x" * 70_000}
    )
    assert (status, reply["code"]) == (413, "body_too_large")


def test_customers_cannot_review() -> None:
    status, reply, _ = call(
        "post", "/deposits/dep-" + "a" * 32 + "/review", customer(), {"action": "approve"}
    )
    assert (status, reply["code"]) == (403, "reviewer_only")


def test_a_missing_service_setting_is_reported_without_secrets() -> None:
    status, reply, _ = call("get", "/deposits", customer())
    assert status == 500 and reply["code"] == "misconfigured" and "cloudant_url" in reply["error"]
    assert SECRET not in json.dumps(reply)


def test_unexpected_failures_become_a_500_json_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Api, request: Request, claims: tokens.Claims, params: list[str]) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(Api, "do_me", explode)
    status, reply, _ = call("get", "/me", customer())
    assert status == 500 and reply["code"] == "internal" and "boom" not in reply["error"]
