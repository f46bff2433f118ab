"""The app deployed on a whole local stack for the browser tests (through tests.fixtures.app.deploy_app),
with where its page and API are, and tokens minted with the deployment's secret."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.fixtures import app as fixtures_app
from tests.fixtures.stack import LocalStack

PACKAGE = "openchecks"


@dataclass
class DeployedApp:
    """Where the page and the API are, and how to mint tokens for them."""

    api_host: str
    namespace: str
    token_secret: str
    s3_url: str
    app: fixtures_app.App  # for undeploy_app

    @property
    def page_url(self) -> str:
        return f"{self.api_host}/api/v1/web/{self.namespace}/{PACKAGE}/ui/"

    @property
    def api_url(self) -> str:
        return f"{self.api_host}/api/v1/web/{self.namespace}/{PACKAGE}/api"

    def token(self, email: str, role: str = "customer", ttl: int = 3600) -> str:
        from openchecks import tokens

        return tokens.mint(email, role, ttl, self.token_secret)


def deploy_app(
    stack: LocalStack,
    work_dir: Path,
    config: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
) -> DeployedApp:
    """Deploy the app on `stack` (fresh data, manifest.yaml with its `ui` action, more configuration-document
    `config` values) with a new token secret, and wait until the deposit API answers; fails (never skips)
    when it does not."""
    secret = secrets.token_hex(24)
    public = {"COS_PUBLIC_ENDPOINT": stack.s3_url, **(extra_env or {})}
    app = fixtures_app.deploy_app(stack, work_dir, secret=secret, extra_env=public, config=config)
    namespaces = stack.wsk.get(f"{stack.api_host}/api/v1/namespaces", timeout=30).json()
    deployed = DeployedApp(stack.api_host, str(namespaces[0]), secret, stack.s3_url, app)
    probe = {"Authorization": f"Bearer {deployed.token('probe@example.com')}"}
    deadline = time.monotonic() + 60
    while True:
        try:
            reply = requests.get(f"{deployed.api_url}/me", headers=probe, timeout=30)
            if reply.status_code == 200:
                return deployed
            detail = f"{reply.status_code} {reply.text[:300]}"
        except requests.RequestException as exc:
            detail = str(exc)
        if time.monotonic() > deadline:
            raise AssertionError(f"the deployed deposit API does not answer GET /me: {detail}")
        time.sleep(1)
