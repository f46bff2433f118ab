"""The export routes of the deposit API and the export-cash-letter action body, on the in-memory fakes
(tests/fixtures/fakes.py, as test_x9_export): reviewer only, download links once written, a run that cannot
start leaves a `failed` export with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from openchecks import tokens
from openchecks.api import Api, Request
from openchecks.config import reset_config_cache
from openchecks.errors import ConfigurationError
from openchecks.export import export_cash_letter
from openchecks.runtime import ActionContext

from tests.unit.test_x9_export import World

pytestmark = pytest.mark.unit

SECRET = "unit-test-secret-abcdefghijklmnop"
EXPORT = {"origin_routing": "063100277", "destination_routing": "061000146", "origin_name": "OPENCHECKS"}


def _ctx(world: World, **args: Any) -> ActionContext:
    return ActionContext(
        {"token_secret": SECRET, "exports_db": "exports", **args},
        "api",
        documents=world.couch,
        objects=world.s3,
    )


def _call(world: World, method: str, path: str, role: str = "reviewer") -> tuple[int, dict[str, Any]]:
    token = tokens.mint("rita@example.com", role, 600, SECRET)
    request = Request(method=method, path=path, headers={"authorization": f"Bearer {token}"})
    response = Api(_ctx(world), fire=lambda name, payload: None).handle(request)
    return response.status, response.body


def _configure(world: World, export: dict[str, Any] | None) -> None:
    reset_config_cache()
    doc: dict[str, Any] = {"type": "config"}
    if export is not None:
        doc["export"] = export
    world.couch.dbs.setdefault("openchecks-config", {})["config"] = {"_id": "config", "_rev": "1-a", **doc}


def test_the_action_exports_and_the_api_lists_it_with_a_download_link() -> None:
    world = World()
    ids = world.add(3)
    _configure(world, EXPORT)
    result = export_cash_letter(_ctx(world), {"trigger": "manual", "by": "rita@example.com"})
    export = result["export"]
    assert export["state"] == "done" and export["deposits"] == ids and export["total"] == "30.06"
    status, body = _call(world, "get", "/exports")
    assert status == 200
    (listed,) = body["exports"]
    assert listed["id"] == export["id"] and listed["download_url"].startswith(
        f"http://s3.fake/openchecks-exports/{export['key']}?"
    )
    status, one = _call(world, "get", f"/exports/{export['id']}")
    assert status == 200 and one["sha256"] == export["sha256"]
    assert _call(world, "get", "/exports/exp-nope")[0] == 404
    assert _call(world, "get", "/exports/../deposits")[0] == 404
    status, body = _call(world, "get", "/exports", role="customer")
    assert status == 403 and body["code"] == "reviewer_only"
    deposit = world.deposits.get(ids[0])
    assert deposit["export"]["key"] == export["key"]


def test_post_exports_starts_the_action_with_a_promised_id(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World()
    calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(name: str, payload: dict[str, Any]) -> str:
        calls.append((name, dict(payload)))
        return "act-1"

    monkeypatch.setattr("openchecks.whisk.invoke_async", invoke)
    status, body = _call(world, "post", "/exports")
    assert status == 202 and body["activation_id"] == "act-1"
    ((name, payload),) = calls
    assert name.endswith("export-cash-letter")
    assert payload == {"trigger": "manual", "by": "rita@example.com", "export_id": body["id"]}
    assert _call(world, "post", "/exports", role="customer")[0] == 403


def test_a_run_without_bank_configuration_leaves_a_failed_export_that_says_why() -> None:
    world = World()
    world.add(1)
    _configure(world, None)
    with pytest.raises(ConfigurationError, match="origin_routing"):
        export_cash_letter(_ctx(world), {"trigger": "manual", "export_id": "exp-20261201T000000Z-abc"})
    status, body = _call(world, "get", "/exports/exp-20261201T000000Z-abc")
    assert status == 200 and body["state"] == "failed" and "origin_routing" in body["error"]
    assert "download_url" not in body


def test_x9_export_without_an_api_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from openchecks.cli import main

    code = main(["x9", "export", "--api", "http://127.0.0.1:9", "--token", "t", "--timeout", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "does not answer" in err and "Traceback" not in err
