"""The page's exports module under node, as the browser loads it: the operations view's table rows from a
GET /exports answer, and the sentence a deposit's page shows about the file it left in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

MODULE = Path(__file__).resolve().parents[2] / "ui" / "views" / "exports.js"


def run_js(body: str) -> Any:
    if shutil.which("node") is None:
        pytest.skip("needs node on PATH")
    script = (
        f"import * as X from {json.dumps(MODULE.as_uri())};\n"
        f"const out = (() => {{ {body} }})();\nprocess.stdout.write(JSON.stringify(out));"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_export_rows_from_the_api_answer() -> None:
    listing = {
        "exports": [
            {
                "id": "exp-1",
                "state": "done",
                "created": "2026-12-01T22:00:00.000Z",
                "business_date": "2026-12-02",
                "item_count": 3,
                "total": "30.06",
                "key": "exp-1.x9",
                "download_url": "http://s3.local/openchecks-exports/exp-1.x9?X-Amz-Signature=1",
                "warnings": ["deposit dep-1 has no back image"],
            },
            {
                "id": "exp-2",
                "state": "failed",
                "error": "Set export.origin_routing",
                "download_url": "javascript:x",
            },
            "junk",
        ]
    }
    rows = run_js(f"return X.exportRows({json.dumps(listing)});")
    assert rows[0] == {
        "id": "exp-1",
        "created": "2026-12-01T22:00:00.000Z",
        "businessDate": "2026-12-02",
        "items": 3,
        "total": "30.06",
        "state": "sent",
        "url": "http://s3.local/openchecks-exports/exp-1.x9?X-Amz-Signature=1",
        "file": "exp-1.x9",
        "note": "1 warnings",
    }
    assert (
        rows[1]["state"] == "failed" and rows[1]["url"] is None and rows[1]["note"].startswith("Set export")
    )
    assert len(rows) == 2
    assert run_js("return X.exportRows(null);") == []


def test_the_deposit_page_names_the_file() -> None:
    doc = {"export": {"key": "exp-1.x9", "business_date": "2026-12-02"}}
    text = run_js(f"return X.exportText({json.dumps(doc)});")
    assert text == "Sent for clearing in the cash letter exp-1.x9 for the business day 2026-12-02."
    assert run_js("return X.exportText({status: 'accepted'});") is None
