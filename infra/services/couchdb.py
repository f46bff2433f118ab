"""pouchdb-server as the local CouchDB/Cloudant API.

Two ways to run it:
- `couchdb_process`: pouchdb-server alone in "admin party" (no login at all), for tests that need a
  throw-away CouchDB (the `couchdb` fixture). Clients use ibmcloudant's NoAuthAuthenticator.
- `couchdb_gate_process`: what the local stack runs. pouchdb-server with an admin user behind the gate of
  infra/services/couchgate.py, which asks every request for that user and password and answers CORS only
  to the given origins (with an admin, an anonymous request would kill pouchdb-server itself, see
  ../shared/reference/local-services.md). Clients use BasicAuthenticator with the stack's credentials
  (`ensure_credentials`: `<data>/secrets/couchdb_admin`, made at random on first use, 0600).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import requests

from infra.services.process import NODE_BIN, REPO, ManagedProcess

ADMIN_USER = "openchecks"


def _is_couchdb(resp: requests.Response) -> bool:
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and ("couchdb" in body or "express-pouchdb" in body)


def couchdb_process(data_dir: Path, port: int, log_path: Path | None = None) -> ManagedProcess:
    """A pouchdb-server on 127.0.0.1:`port` keeping its databases in `data_dir` (started inside it, since it
    writes config.json and log.txt into its working directory)."""
    data_dir = Path(data_dir)
    url = f"http://127.0.0.1:{port}"
    return ManagedProcess(
        name="couchdb",
        argv=[
            str(NODE_BIN / "pouchdb-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "-n",
        ],
        url=url,
        health_url=f"{url}/",
        log_path=log_path or data_dir / "pouchdb-server.log",
        cwd=data_dir,
        health_expect=_is_couchdb,
    )


def ensure_credentials(path: Path) -> tuple[str, str]:
    """(user, password) of the stack's CouchDB admin, kept in `path` (0600; made at random when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(f"{ADMIN_USER}:{secrets.token_urlsafe(32)}\n")
    os.chmod(path, 0o600)
    user, _, password = path.read_text().strip().partition(":")
    if not user or not password:
        raise ValueError(f"{path} must hold one line 'user:password'; delete it to make a new one")
    return user, password


def couchdb_gate_process(
    data_dir: Path,
    port: int,
    credentials_file: Path,
    log_path: Path | None = None,
    allow_origins: tuple[str, ...] = (),
) -> ManagedProcess:
    """The stack's CouchDB: pouchdb-server (data in `data_dir`) with an admin, behind the login and CORS
    gate on 127.0.0.1:`port` (see the module docstring)."""
    data_dir = Path(data_dir)
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "infra.services.couchgate",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--credentials-file",
        str(credentials_file),
    ]
    for origin in allow_origins:
        argv += ["--allow-origin", origin]
    return ManagedProcess(
        name="couchdb",
        argv=argv,
        url=url,
        health_url=f"{url}/",
        log_path=log_path or data_dir / "pouchdb-server.log",
        cwd=REPO,
        health_expect=_is_couchdb,
    )


def create_database(url: str, name: str, auth: tuple[str, str] | None = None) -> None:
    """Create database `name` on the server at `url` (an existing one is fine)."""
    resp = requests.put(f"{url}/{name}", timeout=10, auth=auth)
    if resp.status_code not in (201, 202, 412):
        raise RuntimeError(f"creating database {name!r} at {url}: HTTP {resp.status_code} {resp.text[:200]}")
