"""API gateway documents: apimgmt's operation ids, endpoints added to and removed from a swagger."""

from __future__ import annotations

import json

import pytest

from infra.whisk.controller.apigateway import (
    RouteError,
    _check_create,
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


ROUTE = {
    "namespace": "guest",
    "gatewayBasePath": "/shop",
    "gatewayPath": "/items",
    "gatewayMethod": "get",
    "action": ACTION,
}
SWAGGER = {"basePath": "/shop", "paths": {"/items": {}}, "info": {"title": "shop"}}


@pytest.mark.parametrize(
    ("apidoc", "sentence"),
    [
        ("{not json", "apidoc field cannot be parsed. Ensure it is valid JSON."),
        ([1], "apidoc field is of type list and should be a JSON object."),
        ({**ROUTE, "namespace": ""}, "apidoc is missing the namespace field"),
        ({"namespace": "guest", "swagger": SWAGGER, "gatewayBasePath": "/x"},
         "swagger and gatewayBasePath are mutually exclusive and cannot be specified together."),
        ({"namespace": "guest", "swagger": "{nope"},
         "swagger field cannot be parsed. Ensure it is valid JSON."),
        ({"namespace": "guest", "swagger": "[1]"}, "swagger field should be an object or a JSON string."),
        ({"namespace": "guest", "swagger": {**SWAGGER, "paths": {}}}, "swagger is missing the paths field."),
        ({**ROUTE, "gatewayPath": ""}, "apidoc is missing the gatewayPath field"),
        ({**ROUTE, "action": {}}, "apidoc is missing the action field."),
        ({**ROUTE, "action": {**ACTION, "authkey": ""}}, "action is missing the authkey field."),
        ({**ROUTE, "gatewayMethod": "fetch"}, "gatewayMethod 'fetch' is not an HTTP verb."),
    ],
)  # fmt: skip
def test_create_api_arguments_are_refused_with_apimgmts_sentences(apidoc: object, sentence: str) -> None:
    with pytest.raises(RouteError) as info:
        _check_create(apidoc)
    assert str(info.value) == sentence


def test_create_api_accepts_a_route_or_swagger_given_as_json() -> None:
    assert _check_create(json.dumps(ROUTE)) == ROUTE
    swagger_doc = _check_create({"namespace": "guest", "swagger": json.dumps(SWAGGER)})
    assert swagger_doc["swagger"] == SWAGGER
