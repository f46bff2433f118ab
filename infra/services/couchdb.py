"""pouchdb-server as the local CouchDB/Cloudant API.

Runs in "admin party" mode (no admin configured): with an admin, an anonymous `PUT /db` or a 401 kills
pouchdb-server (see ../shared/reference/local-services.md), and it only listens on 127.0.0.1 anyway.
Clients use ibmcloudant's NoAuthAuthenticator, or BasicAuthenticator with any name against a real CouchDB.
"""

from __future__ import annotations

from pathlib import Path

import requests

from infra.services.process import NODE_BIN, ManagedProcess


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


def create_database(url: str, name: str) -> None:
    """Create database `name` on the server at `url` (an existing one is fine)."""
    resp = requests.put(f"{url}/{name}", timeout=10)
    if resp.status_code not in (201, 202, 412):
        raise RuntimeError(f"creating database {name!r} at {url}: HTTP {resp.status_code} {resp.text[:200]}")
