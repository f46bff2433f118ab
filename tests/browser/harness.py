"""Running the browser scripts: Debian's Chromium driven by playwright-core under node, from pytest.

A script prints one JSON line `{"results": {...}, "error": str|null}`; `run_script` returns it parsed.
Nothing here downloads a browser: without /usr/bin/chromium, node or playwright-core the tests skip.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BROWSER_DIR = Path(__file__).resolve().parent
NODE_MODULES = REPO / "infra" / "node_modules"
CHROMIUM = Path(os.environ.get("OPENCHECKS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


def require_browser() -> None:
    """Skip the calling test with a clear message when the browser toolchain is absent."""
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium; never downloaded by tests)")
    if shutil.which("node") is None:
        pytest.skip("needs node on PATH to run playwright-core")
    if not (NODE_MODULES / "playwright-core" / "package.json").is_file():
        pytest.skip(f"needs playwright-core in {NODE_MODULES} (run infra/setup.sh)")


def run_script(name: str, config: dict[str, Any], timeout: float = 180) -> dict[str, Any]:
    """Run tests/browser/<name> with `config`; return its results, failing the test on a script error."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    proc = subprocess.run(
        ["node", str(BROWSER_DIR / name), json.dumps({**config, "chromium": str(CHROMIUM)})],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        output = f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        pytest.fail(f"{name} printed no result (exit {proc.returncode}):\n{output}")
    reply = json.loads(lines[-1])
    results: dict[str, Any] = reply.get("results", {})
    if reply.get("error"):
        pytest.fail(
            f"{name} failed: {reply['error']}\nresults so far: {json.dumps(results, indent=1)[:4000]}"
        )
    return results


def ui_action_zip() -> bytes:
    """The `ui` action as the deployer builds it: actions/ui/__main__.py plus ui/** under ui/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(REPO / "actions" / "ui" / "__main__.py", "__main__.py")
        for path in sorted((REPO / "ui").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, "ui/" + path.relative_to(REPO / "ui").as_posix())
    return buffer.getvalue()


def ui_action_code() -> str:
    return base64.b64encode(ui_action_zip()).decode("ascii")


def unexpected_problems(problems: list[str], allowed: tuple[str, ...]) -> list[str]:
    """Console errors and uncaught exceptions, minus those a test provoked on purpose."""
    return [p for p in problems if not any(a in p for a in allowed)]
