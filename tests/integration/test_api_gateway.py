"""The API gateway: routes managed through whisk.system/apimgmt (as the clients call it) and served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.whisk import GUEST_AUTH, LocalPlatform, Whisk

pytestmark = [pytest.mark.integration, pytest.mark.local_only]

MGMT = "/api/v1/web/whisk.system/apimgmt"
WEB_ECHO = """
def main(args):
    return {
        "method": args.get("__ow_method"),
        "path": args.get("__ow_path"),
        "q": args.get("q"),
        "body": args.get("n"),
        "auth": args.get("__ow_headers", {}).get("x-require-whisk-auth"),
    }
"""
WEB_HTTP = """
def main(args):
    return {"statusCode": 201, "headers": {"X-Route": "yes"}, "body": {"path": args.get("__ow_path")}}
"""


def apidoc(wsk: Whisk, action: str, basepath: str, relpath: str, verb: str, **extra: Any) -> dict[str, Any]:
    """The createApi body the JavaScript client's routes.create builds."""
    return {
        "apidoc": {
            "namespace": "_",
            "gatewayBasePath": basepath,
            "gatewayPath": relpath,
            "gatewayMethod": verb,
            "id": f"API:_:{basepath}",
            "action": {
                "name": action,
                "namespace": "_",
                "backendMethod": "GET",
                "backendUrl": f"{wsk.api_host}/api/v1/web/_/default/{action}.http",
                "authkey": wsk.auth,
                **extra,
            },
        }
    }


@pytest.fixture
def routes(wsk: Whisk) -> Iterator[list[str]]:
    """Base paths to delete after the test."""
    made: list[str] = []
    yield made
    for basepath in made:
        wsk.session.delete(wsk.api_host + f"{MGMT}/deleteApi", params={"basepath": basepath, "force": "true"})


def create(
    wsk: Whisk, routes: list[str], body: dict[str, Any], responsetype: str = "json"
) -> requests.Response:
    routes.append(body["apidoc"]["gatewayBasePath"])
    return wsk.session.post(
        wsk.api_host + f"{MGMT}/createApi", params={"responsetype": responsetype}, json=body
    )


def test_create_list_serve_and_delete_a_route(wsk: Whisk, routes: list[str]) -> None:
    action, base = wsk.unique("gw"), "/" + wsk.unique("books")
    wsk.put_action(action, WEB_ECHO, annotations=[{"key": "web-export", "value": True}])
    created = create(wsk, routes, apidoc(wsk, action, base, "/list", "POST"))
    assert created.status_code == 200, created.text
    value = created.json()["value"]
    assert value["gwApiUrl"] == f"{wsk.api_host}/api/{wsk.namespace}{base}"
    operation = value["apidoc"]["paths"]["/list"]["post"]
    assert operation["operationId"] == "postList"
    assert operation["x-openwhisk"] == {
        "url": f"{wsk.api_host}/api/v1/web/{wsk.namespace}/default/{action}.json",
        "namespace": wsk.namespace,
        "package": "",
        "action": action,
    }

    listed = wsk.session.get(wsk.api_host + f"{MGMT}/getApi", params={"basepath": base}).json()
    assert len(listed["apis"]) == 1 and listed["apis"][0]["value"]["apidoc"]["basePath"] == base
    everything = wsk.session.get(wsk.api_host + f"{MGMT}/getApi").json()["apis"]
    assert base in [a["value"]["apidoc"]["basePath"] for a in everything]

    served = requests.post(value["gwApiUrl"] + "/list", params={"q": "x"}, json={"n": 5}, timeout=30)
    assert served.status_code == 200, served.text
    assert served.json() == {"method": "post", "path": "", "q": "x", "body": 5, "auth": None}
    assert requests.get(value["gwApiUrl"] + "/list", timeout=30).status_code == 404  # only the POST verb
    preflight = requests.options(value["gwApiUrl"] + "/list", timeout=30)
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Methods"] == "POST"
    assert served.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.post(value["gwApiUrl"] + "/other", timeout=30).status_code == 404

    deleted = wsk.session.delete(
        wsk.api_host + f"{MGMT}/deleteApi", params={"basepath": base, "force": "true"}
    )
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert wsk.session.get(wsk.api_host + f"{MGMT}/getApi", params={"basepath": base}).json() == {"apis": []}
    assert requests.post(value["gwApiUrl"] + "/list", timeout=30).status_code == 404


def test_http_response_type_path_parameters_verbs_and_secure_key(wsk: Whisk, routes: list[str]) -> None:
    action, echo, base = wsk.unique("gwh"), wsk.unique("gwe"), "/" + wsk.unique("shop")
    web = [{"key": "web-export", "value": True}]
    wsk.put_action(action, WEB_HTTP, annotations=web)
    secured = [*web, {"key": "require-whisk-auth", "value": "s3cret"}]
    wsk.put_action(echo, WEB_ECHO, annotations=secured)
    assert create(wsk, routes, apidoc(wsk, action, base, "/items/{id}", "GET"), "http").status_code == 200
    body = apidoc(wsk, echo, base, "/items", "put", secureKey="s3cret")
    assert create(wsk, routes, body).status_code == 200
    api = wsk.session.get(wsk.api_host + f"{MGMT}/getApi", params={"basepath": base}).json()["apis"][0]
    assert set(api["value"]["apidoc"]["paths"]) == {"/items/{id}", "/items"}
    url = api["value"]["gwApiUrl"]

    item = requests.get(url + "/items/42", timeout=30)
    assert item.status_code == 201 and item.headers["X-Route"] == "yes"
    assert item.json() == {"path": "/items/42"}  # the relpath reaches an .http action as __ow_path
    put = requests.put(url + "/items", json={"n": 1}, timeout=30)
    assert put.status_code == 200 and put.json()["auth"] == "s3cret"  # the gateway sends the secure key

    one = wsk.session.delete(
        wsk.api_host + f"{MGMT}/deleteApi", params={"basepath": base, "relpath": "/items", "operation": "PUT"}
    )
    assert one.status_code == 200
    paths = wsk.session.get(wsk.api_host + f"{MGMT}/getApi", params={"basepath": base}).json()["apis"][0]
    assert set(paths["value"]["apidoc"]["paths"]) == {"/items/{id}"}
    assert requests.put(url + "/items", timeout=30).status_code == 404


def test_management_needs_credentials_and_explains_bad_input(wsk: Whisk, routes: list[str]) -> None:
    anonymous = requests.get(wsk.api_host + f"{MGMT}/getApi", timeout=30)
    assert anonymous.status_code == 401
    missing = wsk.session.post(wsk.api_host + f"{MGMT}/createApi", json={})
    assert (missing.status_code, missing.json()) == (
        502,
        {"error": "API creation failure: apidoc is required."},
    )
    body = apidoc(wsk, "x", "/nobase", "/p", "GET")
    del body["apidoc"]["gatewayPath"]
    bad = wsk.session.post(wsk.api_host + f"{MGMT}/createApi", json=body)
    assert bad.json() == {"error": "API creation failure: apidoc is missing the gatewayPath field"}
    gone = wsk.session.delete(wsk.api_host + f"{MGMT}/deleteApi", params={"basepath": "/never-made"})
    assert gone.json() == {"error": "API deletion failure: API '/never-made' does not exist."}


def test_routes_survive_a_restart(tmp_path: Path) -> None:
    platform = LocalPlatform(tmp_path / "whisk").start()
    session = requests.Session()
    user, key = GUEST_AUTH.split(":", 1)
    session.auth = (user, key)
    try:
        base = f"{platform.api_host}/api/v1/namespaces/_"
        code = "def main(args):\n    return {'kept': True}\n"
        web = [{"key": "web-export", "value": True}]
        assert session.put(
            f"{base}/actions/gwkept", json={"exec": {"kind": "python:3.11", "code": code}, "annotations": web}
        ).ok
        wsk = Whisk(platform.api_host, GUEST_AUTH, True, session=session)
        made = session.post(
            platform.api_host + f"{MGMT}/createApi", json=apidoc(wsk, "gwkept", "/kept", "/it", "GET")
        )
        assert made.status_code == 200, made.text
        platform.stop()
        platform.start()
        listed = session.get(platform.api_host + f"{MGMT}/getApi", params={"basepath": "/kept"}).json()[
            "apis"
        ]
        assert len(listed) == 1
        assert requests.get(listed[0]["value"]["gwApiUrl"] + "/it", timeout=30).json() == {"kept": True}
    finally:
        session.close()
        platform.stop()


def test_a_whole_swagger_through_create_api_http_as_wskdeploy_sends_it(wsk: Whisk, routes: list[str]) -> None:
    action, base = wsk.unique("gws"), "/" + wsk.unique("swag")
    wsk.put_action(action, WEB_ECHO, annotations=[{"key": "web-export", "value": True}])
    url = f"{wsk.api_host}/api/v1/web/{wsk.namespace}/default/{action}.json"
    swagger = {
        "swagger": "2.0",
        "info": {"title": "imported", "version": "1.0.0"},
        "basePath": base,
        "paths": {"/s": {"get": {"operationId": "getS", "x-openwhisk": {"url": url, "action": action}}}},
    }
    routes.append(base)
    body = {"apidoc": {"namespace": "_", "swagger": json.dumps(swagger)}}
    made = wsk.session.post(
        wsk.api_host + f"{MGMT}/createApi.http", params={"accesstoken": "t", "spaceguid": "g"}, json=body
    )
    assert made.status_code == 200, made.text
    by_name = wsk.session.get(wsk.api_host + f"{MGMT}/getApi.http", params={"basepath": "imported"}).json()
    assert [a["value"]["apidoc"]["basePath"] for a in by_name["apis"]] == [base]  # an API name finds it too
    served = requests.get(made.json()["value"]["gwApiUrl"] + "/s", params={"q": "swagger"}, timeout=30)
    assert served.status_code == 200 and served.json()["q"] == "swagger"
