"""`./deploy.sh openwhisk` deploys the real manifest.yaml to an OpenWhisk addressed as if it were remote.

The local stack stands in for a user's OpenWhisk, Cloudant and COS: the API host and key come only from the
environment (APIHOST, AUTH), the services only from an env file, as a user's `local.env` would give them.
Every entity the manifest declares must exist afterwards, a deposit must go through the public API, and
`--uninstall` must leave none of them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import requests

from infra.deployer.environment import Variables
from infra.deployer.manifest import load_manifest
from infra.deployer.plan import plan_deploy
from tests.conftest import REPO, require_shared_data, require_shared_models
from tests.fixtures.app import App, app_env_file, require_models, wipe_app_data
from tests.fixtures.checks import synthetic_check
from tests.fixtures.stack import LocalStack

SECRET = "deploy-openwhisk-test-secret-4e7a2b"


def _deploy_sh(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "OPENCHECKS_SKIP_SETUP": "1", **env}
    return subprocess.run(
        ["bash", str(REPO / "deploy.sh"), *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _declared(env_file: Path) -> list[tuple[str, str]]:
    """(collection, name) of every entity manifest.yaml declares, as the deployer plans them."""
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    model = load_manifest(REPO / "manifest.yaml", variables=Variables(environ={}, env_file=values))
    return [(op.collection, op.name) for op in plan_deploy(model, "guest") if op.verb == "deploy"]


def test_deploy_sh_openwhisk_deploys_the_app_a_deposit_goes_through_and_uninstall_removes_it(
    stack: LocalStack, tmp_path: Path
) -> None:
    require_models()
    require_shared_data()
    require_shared_models()
    wipe_app_data(stack)  # the session stack is shared: start with no earlier deposits
    env_file = app_env_file(stack, tmp_path, SECRET, {"RUNTIME_IMAGE": "openchecks/action-python-v3.11:test"})
    remote = {"APIHOST": stack.api_host, "AUTH": stack.auth}
    declared = _declared(env_file)
    assert len(declared) >= 17  # package, binding, 8 actions, 2 sequences, 3 triggers, 3 rules

    deployed = _deploy_sh("openwhisk", "--env", str(env_file), env=remote)
    try:
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "provisioning databases and buckets" in deployed.stdout
        for collection, name in declared:
            resp = stack.wsk.get(stack.ns_url(f"{collection}/{name}"), timeout=30)
            assert resp.status_code == 200, f"{collection}/{name}: {resp.status_code} {resp.text[:200]}"
        action = stack.wsk.get(stack.ns_url("actions/openchecks/ocr-check"), timeout=30).json()
        assert action["exec"]["kind"] == "blackbox"  # the action image, with the code sent along
        assert action["exec"]["image"] == "openchecks/action-python-v3.11:test"

        app = App(stack, env_file, SECRET)
        customer = app.headers("remote-deploy@example.com")
        check = synthetic_check(4)  # a good check: printed amount, endorsed back, photographed
        deposit_id = app.deposit(customer, check.front, "image/jpeg", amount=check.declared, back=check.back)
        doc = app.settle([deposit_id], timeout=180)[deposit_id]
        assert doc is not None and doc["status"] == "accepted", doc
        assert doc["reading"]["routing"] == check.routing
    finally:
        removed = _deploy_sh("openwhisk", "--uninstall", "--env", str(env_file), env=remote)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    for collection, name in declared:
        resp = stack.wsk.get(stack.ns_url(f"{collection}/{name}"), timeout=30)
        assert resp.status_code == 404, f"{collection}/{name} still exists after --uninstall"
    kept = requests.get(f"{stack.couchdb_url}/deposits/{deposit_id}", timeout=10)
    assert kept.status_code == 200  # uninstall removes entities, never data
