"""The local stack's OpenID Provider: `oidc-provider` (npm, pinned) run by infra/services/oidc_provider.mjs.

It listens on 127.0.0.1 only; its issuer is `http://127.0.0.1:<port>`. One public client (`CLIENT_ID`, no
secret, PKCE required, authorization code + refresh tokens) may redirect to the web page's addresses on the
local platform; its access tokens are RS256 JWTs for the audience `AUDIENCE` with the account's `roles` and
`email`. Two demo accounts, `customer` (role customer) and `reviewer` (role reviewer), get passwords made at
random per data directory (`accounts.json`, 0600, printed by `./deploy.sh local`); the signing keys and
cookie keys are made on the provider's first start in the same directory (0600).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from infra.services.process import REPO, ManagedProcess

CLIENT_ID = "openchecks-web"
AUDIENCE = "urn:openchecks:api"
ROLE_CLAIM = "roles"
ROLE_MAP = "customer=customer,reviewer=reviewer"
SCRIPT = REPO / "infra" / "services" / "oidc_provider.mjs"
DEMO_ACCOUNTS = (
    ("demo-customer", "customer", "demo@example.com", "customer"),
    ("demo-reviewer", "reviewer", "reviewer@example.com", "reviewer"),
)


def issuer(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def page_urls(whisk_port: int, namespace: str = "guest") -> list[str]:
    """The web page's addresses on the local platform: the client's redirect URIs."""
    path = f"/api/v1/web/{namespace}/openchecks/ui/"
    return [f"http://127.0.0.1:{whisk_port}{path}", f"http://localhost:{whisk_port}{path}"]


def ensure_accounts(data_dir: Path) -> list[dict[str, Any]]:
    """The demo accounts (id, username, password, email, role), made once with random passwords (0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    path = data_dir / "accounts.json"
    try:
        accounts = json.loads(path.read_text())["accounts"]
        if isinstance(accounts, list) and accounts:
            return list(accounts)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    accounts = [
        {"id": sub, "username": user, "password": secrets.token_urlsafe(12), "email": email, "role": role}
        for sub, user, email, role in DEMO_ACCOUNTS
    ]
    tmp = path.with_name(".accounts.json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"accounts": accounts}, out)
    os.replace(tmp, path)
    return accounts


def oidc_process(
    data_dir: Path, port: int, redirect_uris: list[str], log_path: Path, access_ttl: int = 600
) -> ManagedProcess:
    """The provider on 127.0.0.1:`port`, its keys and accounts in `data_dir`."""
    ensure_accounts(data_dir)
    url = issuer(port)
    argv = ["node", str(SCRIPT), "--port", str(port), "--data-dir", str(data_dir)]
    argv += ["--client-id", CLIENT_ID, "--audience", AUDIENCE, "--access-ttl", str(access_ttl)]
    for uri in redirect_uris:
        argv += ["--redirect-uri", uri]
    return ManagedProcess(
        name="oidc",
        argv=argv,
        url=url,
        health_url=f"{url}/.well-known/openid-configuration",
        log_path=log_path,
        cwd=REPO / "infra",
        env={"NODE_ENV": "development", "DEBUG": ""},
    )
