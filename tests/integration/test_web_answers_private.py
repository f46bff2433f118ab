"""What the web actions tell a stranger (issue 13): no container id, only OpenWhisk's activation id.

The `api` and `ui` actions are deployed as manifest.yaml declares them (the deployer's zips and annotations)
and asked without credentials. Every answer, the 401 included, carries `x-openwhisk-activation-id` (as
OpenWhisk does) and nothing else that names the activation or the container: no such header, and no
container id in the body (the api's `_meta` used to carry `container`, the same in every answer of one
container, so a stranger could count and follow containers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.deployer.environment import Variables
from infra.deployer.manifest import load_manifest
from infra.deployer.model import key_values
from tests.fixtures.whisk import Whisk
from tests.hostile.answers import ALLOWED, REQUESTS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "web-answers-test-secret-0123456789"


@pytest.fixture(scope="module")
def base_url(whisk: Whisk) -> Iterator[str]:
    needed = {
        "CLOUDANT_URL": "http://db.invalid",
        "COS_ENDPOINT": "http://cos.invalid",
        "TOKEN_SECRET": SECRET,
    }
    model = load_manifest(REPO / "manifest.yaml", variables=Variables(environ=needed))
    package = whisk.unique("answers")
    params = [
        {"key": "token_secret", "value": SECRET},
        {"key": "cos_endpoint", "value": "http://cos.invalid"},
    ]
    assert whisk.put("packages", package, {"parameters": params}).status_code == 200
    names = []
    for action in model.actions:
        if action.name not in ("api", "ui"):
            continue
        body = {"exec": action.exec.to_json(), "annotations": key_values(action.annotations)}
        resp = whisk.put("actions", f"{package}/{action.name}", body)
        assert resp.status_code == 200, resp.text
        names.append(action.name)
    assert sorted(names) == ["api", "ui"]
    try:
        yield f"{whisk.api_host}/api/v1/web/{whisk.namespace}/{package}/"
    finally:
        for name in names:
            whisk.delete("actions", f"{package}/{name}")
        whisk.delete("packages", package)


def _container_fields(value: object, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if re.search(r"container|hostname|pid", str(key), re.I):
                found.append(f"{path}.{key}")
            found += _container_fields(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _container_fields(inner, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("method,path,status", REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_answers_name_no_container(base_url: str, method: str, path: str, status: int) -> None:
    resp = requests.request(method, base_url + path, allow_redirects=False, timeout=90)
    assert resp.status_code == status, resp.text[:300]
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers.get("x-openwhisk-activation-id", "")), resp.headers
    extra = {name.lower() for name in resp.headers} - ALLOWED
    assert not extra, f"headers beyond the allowed ones: {extra}"
    if resp.headers.get("Content-Type", "").startswith("application/json"):
        assert _container_fields(resp.json()) == []


def test_two_answers_of_one_warm_container_cannot_be_linked(base_url: str) -> None:
    """Apart from the activation id header, two 401s read the same: an error answer is its sentence and
    code only, with no `_meta` (cold start, timings, activation id) about the activation behind it."""
    first = requests.get(base_url + "api/deposits", timeout=90).json()
    second = requests.get(base_url + "api/deposits", timeout=90).json()
    assert first == second
    assert set(first) == {"error", "code"}
