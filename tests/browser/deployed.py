"""The app deployed on a whole local stack, for the browser tests: provisioned, manifest deployed, the `ui`
action in place, and tokens minted with the deployment's secret.

Each step that is not ready (no stack fixture, no manifest, a failing deploy, an API that does not answer)
SKIPS the calling test with the reason, so the browser tests show what is missing instead of failing.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.harness import REPO, ui_action_code

PACKAGE = "openchecks"


@dataclass
class DeployedApp:
    """Where the page and the API are, and how to mint tokens for them."""

    api_host: str
    namespace: str
    token_secret: str
    s3_url: str

    @property
    def page_url(self) -> str:
        return f"{self.api_host}/api/v1/web/{self.namespace}/{PACKAGE}/ui/"

    @property
    def api_url(self) -> str:
        return f"{self.api_host}/api/v1/web/{self.namespace}/{PACKAGE}/api"

    def token(self, email: str, role: str = "customer", ttl: int = 3600) -> str:
        from openchecks import tokens

        return tokens.mint(email, role, ttl, self.token_secret)


def _run(cmd: list[str], what: str, timeout: float = 300) -> None:
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.skip(f"{what} failed (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-1500:]}")


def _put_ui_action(stack: Any) -> None:
    """Put the page's action the way the manifest should declare it, for a manifest that does not yet."""
    params = [{"key": "cos_public_endpoint", "value": stack.s3_url}]
    resp = stack.wsk.put(
        stack.ns_url(f"actions/{PACKAGE}/ui"),
        params={"overwrite": "true"},
        json={
            "exec": {"kind": "python:3.11", "code": ui_action_code(), "binary": True},
            "parameters": params,
            "annotations": [{"key": "web-export", "value": True}, {"key": "final", "value": True}],
        },
        timeout=60,
    )
    if resp.status_code != 200:
        pytest.skip(f"could not put the ui action: {resp.status_code} {resp.text[:300]}")


def deploy_app(stack: Any, work_dir: Path) -> DeployedApp:
    """Provision the stack's CouchDB and S3, deploy manifest.yaml and the `ui` action; skip when not ready."""
    manifest = REPO / "manifest.yaml"
    if not manifest.is_file():
        pytest.skip("manifest.yaml is not written yet: nothing to deploy")
    secret = secrets.token_hex(24)
    env_file = work_dir / "browser-test.env"
    values = {
        "CLOUDANT_URL": stack.couchdb_url,
        "COS_ENDPOINT": stack.s3_url,
        "COS_PUBLIC_ENDPOINT": stack.s3_url,
        "COS_ACCESS_KEY_ID": "S3RVER",
        "COS_SECRET_ACCESS_KEY": "S3RVER",
        "COS_HMAC_ACCESS_KEY_ID": "S3RVER",
        "COS_HMAC_SECRET_ACCESS_KEY": "S3RVER",
        "TOKEN_SECRET": secret,
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    _run([sys.executable, "-m", "openchecks.provision", "--env", str(env_file)], "provisioning")
    _run(
        [
            sys.executable,
            "-m",
            "infra.deployer",
            "--manifest",
            str(manifest),
            "--env",
            str(env_file),
            "--apihost",
            stack.api_host,
            "--auth",
            stack.auth,
        ],
        "deploying manifest.yaml",
        timeout=600,
    )
    if stack.wsk.get(stack.ns_url(f"actions/{PACKAGE}/ui"), timeout=30).status_code != 200:
        _put_ui_action(stack)
    namespaces = stack.wsk.get(f"{stack.api_host}/api/v1/namespaces", timeout=30).json()
    app = DeployedApp(stack.api_host, str(namespaces[0]), secret, stack.s3_url)
    # The API answers /me with the token's claims once it is deployed and configured.
    deadline = time.monotonic() + 60
    reply: requests.Response | None = None
    while time.monotonic() < deadline:
        try:
            reply = requests.get(
                f"{app.api_url}/me",
                headers={"Authorization": f"Bearer {app.token('probe@example.com')}"},
                timeout=30,
            )
            if reply.status_code == 200:
                return app
        except requests.RequestException:
            pass
        time.sleep(1)
    detail = f"{reply.status_code} {reply.text[:300]}" if reply is not None else "no answer"
    pytest.skip(f"the deployed deposit API does not answer GET /me: {detail}")
    raise AssertionError("unreachable")
