"""API gateway documents: apimgmt's operation ids, endpoints added to and removed from a swagger."""

from __future__ import annotations

import pytest

from infra.whisk.controller.apigateway import (
    RouteError,
    add_endpoint,
    base_swagger,
    operation_id,
    remove_endpoint,
    secure_key,
    split_action_name,
)

pytestmark = pytest.mark.unit

ACTION = {
    "name": "shop/list",
    "namespace": "guest",
    "backendMethod": "GET",
    "backendUrl": "http://127.0.0.1:3233/api/v1/web/guest/shop/list.http",
    "authkey": "uuid:key",
}


@pytest.mark.parametrize(
    ("verb", "relpath", "expected"),
    [
        ("POST", "/foo/bar", "postFooBar"),
        ("get", "/books/{id}", "getBooksId"),
        ("put", "/a-b_c.d", "putA-b_cD"),
    ],
)
def test_operation_ids_are_apimgmts(verb: str, relpath: str, expected: str) -> None:
    assert operation_id(verb, relpath) == expected


def test_action_names_split_like_apimgmt() -> None:
    assert split_action_name("/ns/pkg/act") == ("ns", "pkg", "act")
    assert split_action_name("pkg/act") == ("", "pkg", "act")
    assert split_action_name("act") == ("", "", "act")


def test_endpoints_are_added_replaced_and_removed() -> None:
    swagger = base_swagger("/shop", None)
    add_endpoint(swagger, {"gatewayMethod": "GET", "gatewayPath": "/items", "action": ACTION}, "json")
    add_endpoint(
        swagger,
        {"gatewayMethod": "POST", "gatewayPath": "/items", "action": {**ACTION, "secureKey": "k"}},
        "http",
    )
    get = swagger["paths"]["/items"]["get"]
    assert get["x-openwhisk"] == {
        "url": "http://127.0.0.1:3233/api/v1/web/guest/shop/list.json",
        "namespace": "guest",
        "package": "shop",
        "action": "list",
    }
    assert secure_key(swagger, "postItems") == "k" and secure_key(swagger, "getItems") is None
    add_endpoint(swagger, {"gatewayMethod": "GET", "gatewayPath": "/items", "action": ACTION}, "text")
    assert swagger["paths"]["/items"]["get"]["x-openwhisk"]["url"].endswith("/list.text")  # replaced
    remove_endpoint(swagger, "/items", "post")
    assert set(swagger["paths"]["/items"]) == {"get"} and secure_key(swagger, "postItems") is None
    with pytest.raises(RouteError, match="path '/items' with operation 'post' does not exist in the API"):
        remove_endpoint(swagger, "/items", "post")
    remove_endpoint(swagger, "/items", None)
    assert swagger["paths"] == {}
