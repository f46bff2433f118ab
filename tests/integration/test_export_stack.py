"""The X9 export on the deployed app (manifest.yaml on the local stack): real checks deposited through the
pipeline, `openchecks x9 export` (POST /exports as a reviewer, waiting, downloading through the signed URL),
the file read back with the project's reader and compared field by field with the deposits, and a second
export that finds nothing left to send."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openchecks import images
from openchecks.check.geometry import BUSINESS_IN
from openchecks.check.read import back_size, straighten_side
from openchecks.cli import main
from openchecks.steps import CHECK_DPI
from openchecks.x9.reader import iter_records
from openchecks.x9.validate import validate_bytes

from tests.conftest import require_shared_data
from tests.fixtures.app import App, deploy_app, endorsed_back, undeploy_app, unique_email
from tests.fixtures.stack import LocalStack
from tests.integration.test_pipeline_support import require_micr_models

pytestmark = [pytest.mark.integration, pytest.mark.needs_shared]

EXPORT = {
    "origin_routing": "063100277",
    "destination_routing": "061000146",
    "origin_name": "OPENCHECKS TEST",
    "destination_name": "FRB ATLANTA",
    "encoding": "cp037",
}


@pytest.fixture(scope="module")
def deployed(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    require_micr_models()
    app = deploy_app(stack, tmp_path_factory.mktemp("openchecks-env"), config={"export": EXPORT})
    try:
        yield app
    finally:
        undeploy_app(app)


def _front_size(front: bytes) -> tuple[float, float] | None:
    """The size ocr-check straightens this front to, and so its back (None: the outline was not found)."""
    _, photo = images.decode(front)
    return back_size(straighten_side(photo, CHECK_DPI))


def _accepted(app: App, names: list[str], checks: Path) -> list[str]:
    truth = json.loads((checks / "truth.json").read_text())
    customer = app.headers(unique_email("x9"))
    reviewer = app.headers("rita@example.com", "reviewer")
    ids = []
    for name in names:
        kind = "image/png" if name.endswith(".png") else "image/jpeg"
        front = (checks / name).read_bytes()
        back = endorsed_back(_front_size(front) == BUSINESS_IN)
        ids.append(app.deposit(customer, front, kind, truth[name]["declared_amount"], back=back))
    docs = app.settle(ids, timeout=300)
    for deposit_id, doc in docs.items():
        assert doc is not None
        if doc["status"] in ("needs_review", "duplicate"):  # a reviewer lets it through
            resp = app.call("POST", f"/deposits/{deposit_id}/review", reviewer, json={"action": "approve"})
            assert resp.status_code == 200, resp.text
        else:
            assert doc["status"] == "accepted", doc.get("reasons")
    return ids


def test_x9_export_from_the_deployed_app(
    deployed: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = deployed
    checks = require_shared_data() / "checks"
    ids = _accepted(app, ["silesia-1278.png", "wells-cashiers.jpg"], checks)
    out = tmp_path / "letter.x9"
    token = app.token("rita@example.com", "reviewer")
    code = main(["x9", "export", "--api", app.api, "--token", token, "--out", str(out), "--timeout", "280"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    export: dict[str, Any] = json.loads(captured.out)
    assert export["state"] == "done" and set(ids) <= set(export["deposits"])
    data = out.read_bytes()
    assert len(data) == export["bytes"]
    report = validate_bytes(data)
    assert report.ok, report.problems
    records = list(iter_records(io.BytesIO(data)))
    assert records[0].value("immediate_origin") == EXPORT["origin_routing"]
    assert records[0].value("immediate_origin_name") == EXPORT["origin_name"]
    assert records[0].value("test_file_indicator") == "T"
    docs = app.docs_for(export["deposits"])
    details = [r for r in records if r.type == "25"]
    assert len(details) == export["item_count"] == len(export["deposits"])
    for deposit_id, rec in zip(export["deposits"], details, strict=True):
        doc = docs[deposit_id]
        assert doc is not None
        assert doc["status"] == "exported" and doc["export"]["key"] == export["key"]
        reading = doc["reading"]
        assert (
            rec.value("payor_bank_routing_number") + rec.value("payor_bank_check_digit") == reading["routing"]
        )
        assert int(rec.value("item_amount")) == doc["amount_cents"]
        assert reading["account"] in rec.value("on_us")
        assert reading["check_number"] in rec.value("on_us") + rec.value("auxiliary_on_us")
        assert rec.value("micr_valid_indicator") in ("1", "3")
    fronts = [r for r in records if r.type == "52"]
    assert len(fronts) >= len(details) and all(r.image for r in fronts)
    # The operations view's listing: the export, with a download link.
    listing = app.call("GET", "/exports", app.headers("rita@example.com", "reviewer")).json()
    mine = next(e for e in listing["exports"] if e["id"] == export["id"])
    assert mine["download_url"].startswith("http") and mine["sha256"] == export["sha256"]
    # Nothing is left to send: a second export writes no file.
    code = main(["x9", "export", "--api", app.api, "--token", token, "--out", str(tmp_path / "b.x9")])
    captured = capsys.readouterr()
    assert code == 0 and "no file was written" in captured.err
    assert not (tmp_path / "b.x9").exists()
    assert app.call("GET", "/exports", app.headers(unique_email("c"))).status_code == 403


def test_the_cutoff_alarm_and_its_rule_are_deployed(deployed: App) -> None:
    stack = deployed.stack
    read = stack.feed("READ", "/whisk.system/alarms/alarm", "/guest/cash-letter-cutoff")
    assert read.status_code == 200, read.text
    config = read.json()["config"]
    assert config["cron"] == "0 17 * * 1-5" and config["timezone"] == "America/New_York"
    assert config["payload"] == {"trigger": "alarm"}
    rule = stack.wsk.get(stack.ns_url("rules/export-at-cutoff"), timeout=30).json()
    assert rule["status"] == "active" and rule["action"]["name"] == "export-cash-letter"
