"""`openchecks deposit` and `openchecks deposits` through the public deposit API of a deployed stack."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.fixtures.app import App, unique_email
from tests.fixtures.checks import synthetic_check

OPENCHECKS = str(REPO / ".venv" / "bin" / "openchecks")


def _run(*args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENCHECKS_TOKEN": token}
    return subprocess.run([OPENCHECKS, *args], env=env, capture_output=True, text=True, timeout=300)


def test_deposit_waits_for_the_final_document_and_deposits_lists_it(stack_app: App, tmp_path: Path) -> None:
    email = unique_email("cli")
    token = stack_app.token(email)
    check = synthetic_check(1)  # printed amount, endorsed back, photographed
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(check.front)
    back.write_bytes(check.back)
    done = _run(
        "deposit",
        str(front),
        "--back",
        str(back),
        "--to-account",
        "12345678",
        "--amount",
        check.declared,
        "--wait",
        "--api",
        stack_app.api,
        token=token,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "accepted" and doc["reading"]["routing"] == check.routing, doc["reasons"]
    assert set(doc["steps"]) == {"fetch-image", "ocr-check", "parse-check", "record-deposit"}
    assert doc["amount_read"]["cents"] == doc["amount_cents"]
    assert doc["endorsement"]["restrictive"] is True
    assert set(doc["quality"]) == set(doc["back_quality"]) and "fail" not in doc["quality"].values()
    for side in ("front", "back"):  # a customer gets each archived side's URL, not where it is stored
        assert set(doc["images"][side]) == {"dpi", "width", "height", "content_type", "url"}

    listed = _run("deposits", "--json", "--api", stack_app.api, token=token)
    assert listed.returncode == 0, listed.stderr
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [d["id"] for d in lines] == [doc["id"]]  # this customer's only deposit


def test_deposit_reports_the_api_error_as_a_sentence(stack_app: App, tmp_path: Path) -> None:
    image = tmp_path / "note.png"
    image.write_bytes(b"not a picture at all")
    refused = _run(
        "deposit",
        str(image),
        "--to-account",
        "12345678",
        "--amount",
        "-5",
        "--api",
        stack_app.api,
        token=stack_app.token(unique_email("cli")),
    )
    assert refused.returncode == 1
    assert "HTTP 400" in refused.stderr and "Traceback" not in refused.stderr
    expired = _run("deposits", "--api", stack_app.api, token="not-a-token")
    assert expired.returncode == 1 and "HTTP 401" in expired.stderr
