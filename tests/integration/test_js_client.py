"""Conformance with a client nobody here wrote: the official OpenWhisk JavaScript client (npm `openwhisk`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.whisk import Whisk

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "infra" / "node_modules"
SCRIPT = Path(__file__).parent / "js" / "client_conformance.js"


def test_official_js_client(whisk: Whisk) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "openwhisk").is_dir():
        pytest.skip("needs node and infra/node_modules/openwhisk (run infra/setup.sh)")
    prefix = whisk.unique("js")
    env = {
        **os.environ,
        "NODE_PATH": str(NODE_MODULES),
        "OW_APIHOST": whisk.api_host,  # explicit http://: the client prepends https:// otherwise
        "OW_AUTH": whisk.auth,
        "OW_PREFIX": prefix,
    }
    for var in ("__OW_API_HOST", "__OW_API_KEY", "__OW_NAMESPACE"):
        env.pop(var, None)
    proc = subprocess.run([node, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["created"] == {"name": f"{prefix}-act", "kind": "python:3.11", "version": "0.0.1"}
    assert out["blockingResult"] == {"greeting": "hello blocking"}
    assert out["blockingStatus"] == "success"
    assert len(out["nonBlockingId"]) == 32
    assert out["nonBlockingResult"] == {"greeting": "hello async"}
    assert out["result"] == {"greeting": "hello async"}
    assert any(line.endswith("stdout: js says async") for line in out["logs"])
    assert out["ruleResult"] == {"greeting": "hello trigger"}
    assert out["listedCount"] >= 4
    assert out["firedWhileDisabled"] is True
    assert out["missingStatus"] == 404
    # API gateway routes through the client's `routes` (whisk.system/apimgmt), and the route served
    if whisk.local:  # the local gateway's URL scheme; a real one has its own host and tenant
        assert out["routeUrl"] == f"{whisk.api_host}/api/guest/{prefix}-api"
    assert out["routeListed"] == {"count": 1, "basePath": f"/{prefix}-api", "action": f"{prefix}-web"}
    assert out["routeGot"] == 1
    assert out["routeServed"] == {"status": 200, "body": {"greeting": "hello route"}}
    assert out["routesAfterDelete"] == 0 and out["routeAfterDelete"] == 404
