"""Web actions: __ow_* arguments, extensions, raw-http, require-whisk-auth, binary bodies, CORS, 404."""

from __future__ import annotations

import base64
from typing import Any

import requests

from tests.fixtures.whisk import Whisk

ECHO = "def main(args):\n    return {'body': args}\n"
WEB = [{"key": "web-export", "value": True}]


def web_url(wsk: Whisk, name: str, suffix: str = "", pkg: str = "default") -> str:
    return f"{wsk.api_host}/api/v1/web/{wsk.namespace}/{pkg}/{name}{suffix}"


def _web_action(wsk: Whisk, code: str = ECHO, extra: list[dict[str, Any]] | None = None, **kw: Any) -> str:
    name = wsk.unique("web")
    wsk.put_action(name, code, annotations=WEB + (extra or []), **kw)
    return name


def test_ow_arguments_query_and_json_body(wsk: Whisk) -> None:
    name = _web_action(wsk, parameters=[{"key": "p", "value": "param"}])
    resp = requests.post(
        web_url(
            wsk,
            name,
            ".json",
        )
        + "/some/path?q=1&p=query",
        json={"b": 2},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    args = resp.json()["body"]
    assert args["__ow_method"] == "post" and args["__ow_path"] == "/some/path"
    assert args["__ow_headers"]["content-type"] == "application/json"
    assert args["q"] == "1" and args["b"] == 2
    assert args["p"] == "query"  # query params override action params (not final)
    assert "__ow_user" not in args
    assert len(resp.headers["x-openwhisk-activation-id"]) == 32
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_http_response_shape(wsk: Whisk) -> None:
    code = (
        "def main(args):\n"
        "    return {'statusCode': 201, 'headers': {'Content-Type': 'text/plain', 'X-Multi': ['a', 'b']},"
        " 'body': 'made'}\n"
    )
    name = _web_action(wsk, code)
    resp = requests.get(web_url(wsk, name), timeout=30)
    assert resp.status_code == 201 and resp.text == "made"
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.raw.headers.getlist("X-Multi") == ["a", "b"]


def test_http_empty_body_is_204_and_json_body(wsk: Whisk) -> None:
    empty = _web_action(wsk, "def main(args):\n    return {}\n")
    assert requests.get(web_url(wsk, empty, ".http"), timeout=30).status_code == 204
    js = _web_action(wsk, "def main(args):\n    return {'body': {'k': [1]}}\n")
    resp = requests.get(web_url(wsk, js, ".http"), timeout=30)
    assert resp.status_code == 200 and resp.json() == {"k": [1]}
    bad = _web_action(wsk, "def main(args):\n    return {'statusCode': 'nope'}\n")
    resp = requests.get(web_url(wsk, bad), timeout=30)
    assert resp.status_code == 400 and resp.json()["error"] == "Response is not valid 'message/http'."


def test_binary_request_and_response_bodies(wsk: Whisk) -> None:
    png = bytes(range(256))
    code = (
        "def main(args):\n    return {'headers': {'Content-Type': 'image/png'}, 'body': args['__ow_body']}\n"
    )
    name = _web_action(wsk, code)
    resp = requests.post(web_url(wsk, name), data=png, headers={"Content-Type": "image/png"}, timeout=30)
    assert resp.status_code == 200 and resp.content == png
    assert resp.headers["Content-Type"] == "image/png"


def test_raw_http(wsk: Whisk) -> None:
    name = _web_action(wsk, extra=[{"key": "raw-http", "value": True}])
    resp = requests.post(
        web_url(wsk, name, ".json") + "?a=1&b=2",
        data="plain text",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    args = resp.json()["body"]
    assert args["__ow_query"] == "a=1&b=2" and args["__ow_body"] == "plain text"
    assert "a" not in args
    resp = requests.post(web_url(wsk, name, ".json"), json={"j": 1}, timeout=30)
    assert base64.b64decode(resp.json()["body"]["__ow_body"]) == b'{"j": 1}'


def test_extensions(wsk: Whisk) -> None:
    name = _web_action(
        wsk, "def main(args):\n    return {'html': '<b>hi</b>', 'text': 'hi', 'body': '<b>x</b>'}\n"
    )
    resp = requests.get(web_url(wsk, name, ".html"), timeout=30)
    assert resp.text == "<b>x</b>" and resp.headers["Content-Type"].startswith("text/html")
    resp = requests.get(web_url(wsk, name, ".text"), timeout=30)
    assert resp.text == "<b>x</b>" and resp.headers["Content-Type"].startswith("text/plain")
    resp = requests.get(web_url(wsk, name, ".json"), timeout=30)
    assert resp.json()["text"] == "hi"


def test_not_web_exported_is_404_and_missing_is_404(wsk: Whisk) -> None:
    name = wsk.unique("private")
    wsk.put_action(name, ECHO)
    assert requests.get(web_url(wsk, name), timeout=30).status_code == 404
    assert requests.get(web_url(wsk, wsk.unique("none")), timeout=30).status_code == 404


def test_require_whisk_auth(wsk: Whisk) -> None:
    secret = _web_action(wsk, extra=[{"key": "require-whisk-auth", "value": "s3cret"}])
    assert requests.get(web_url(wsk, secret, ".json"), timeout=30).status_code == 401
    resp = requests.get(web_url(wsk, secret, ".json"), headers={"X-Require-Whisk-Auth": "s3cret"}, timeout=30)
    assert resp.status_code == 200
    authed = _web_action(wsk, extra=[{"key": "require-whisk-auth", "value": True}])
    assert requests.get(web_url(wsk, authed, ".json"), timeout=30).status_code == 401
    resp = requests.get(web_url(wsk, authed, ".json"), auth=wsk.session.auth, timeout=30)
    assert resp.status_code == 200 and resp.json()["body"]["__ow_user"] == wsk.namespace


def test_cors_options_default_and_custom(wsk: Whisk) -> None:
    name = _web_action(wsk)
    resp = requests.options(
        web_url(wsk, name), headers={"Access-Control-Request-Headers": "X-Custom"}, timeout=30
    )
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in resp.headers["Access-Control-Allow-Methods"]
    assert resp.headers["Access-Control-Allow-Headers"] == "X-Custom"
    custom = _web_action(
        wsk,
        "def main(args):\n    return {'statusCode': 200, 'headers': {'X-Own': args['__ow_method']}}\n",
        extra=[{"key": "web-custom-options", "value": True}],
    )
    resp = requests.options(web_url(wsk, custom), timeout=30)
    assert resp.headers["X-Own"] == "options" and "Access-Control-Allow-Origin" not in resp.headers


def test_reserved_and_final_parameters_are_400(wsk: Whisk) -> None:
    name = _web_action(
        wsk, extra=[{"key": "final", "value": True}], parameters=[{"key": "fixed", "value": 1}]
    )
    assert requests.get(web_url(wsk, name, ".json") + "?__ow_method=x", timeout=30).status_code == 400
    resp = requests.get(web_url(wsk, name, ".json") + "?fixed=2", timeout=30)
    assert resp.status_code == 400 and "not allowed" in resp.json()["error"]


def test_application_error_projects_error_field(wsk: Whisk) -> None:
    name = _web_action(wsk, "def main(args):\n    return {'error': {'statusCode': 418, 'body': 'teapot'}}\n")
    resp = requests.get(web_url(wsk, name), timeout=30)
    assert resp.status_code == 418 and resp.text == "teapot"
    crash = _web_action(wsk, "def main(args):\n    return 5\n")
    resp = requests.get(web_url(wsk, crash), timeout=30)
    assert resp.status_code == 400 and resp.json()["error"] == "There was an error processing your request."
