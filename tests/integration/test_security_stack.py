"""The local stack's defences (issue 13), on the session stack: what a web page in the developer's browser,
or another local user, can no longer do.

- The platform's keys are random (status `auth.guest`/`auth.system`, `.wskprops`), the published ones are
  refused, a rebound Host is refused.
- CouchDB answers nothing without the stack's admin credentials (and survives anonymous requests, which
  kill a bare pouchdb-server with an admin), CORS only for the web page's origins, never `*`.
- The catalog's `/guest/cloudant-local` binding carries the credentials: its read action works.
- The data directory is 0700 and every file holding a secret 0600.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
import requests

from infra.whisk.keys import WELL_KNOWN_KEYS, is_well_known
from tests.fixtures.stack import LocalStack
from tests.hostile.platform import CORS_ORIGINS, COUCHDB_ANONYMOUS

pytestmark = [pytest.mark.integration, pytest.mark.local_only]


def _pair(key: str) -> tuple[str, str]:
    user, _, secret = key.partition(":")
    return user, secret


def test_the_stack_serves_its_own_random_keys_only(stack: LocalStack) -> None:
    doc = stack.status()
    guest, system = doc["auth"]["guest"], doc["auth"]["system"]
    assert guest and system and guest != system
    assert not is_well_known(guest) and not is_well_known(system)
    assert guest == stack.auth
    namespaces = f"{stack.api_host}/api/v1/namespaces"
    assert requests.get(namespaces, auth=_pair(guest), timeout=10).json() == ["guest"]
    assert requests.get(namespaces, auth=_pair(system), timeout=10).json() == ["whisk.system"]
    for key in WELL_KNOWN_KEYS.values():
        assert requests.get(namespaces, auth=_pair(key), timeout=10).status_code == 401
    props = Path(doc["whisk"]["wskprops"])
    lines = dict(line.split("=", 1) for line in props.read_text().splitlines() if "=" in line)
    assert lines["AUTH"] == guest and lines["APIHOST"] == stack.api_host
    # the page that read token_secret: a rebound name is refused before anything else
    rebound = requests.get(
        f"{stack.api_host}/api/v1/namespaces/_/packages",
        auth=_pair(guest),
        headers={"Host": f"attacker.example:{stack.ports['whisk']}"},
        timeout=10,
    )
    assert rebound.status_code == 403


def test_couchdb_needs_the_admin_and_survives_anonymous_requests(stack: LocalStack) -> None:
    base = stack.couchdb_base_url
    auth = stack.couchdb_auth
    assert auth is not None and len(auth[1]) >= 32
    assert requests.put(f"{stack.couchdb_url}/sec-probe", timeout=10).status_code in (201, 412)
    assert requests.put(f"{stack.couchdb_url}/sec-probe/doc", json={"x": 1}, timeout=10).status_code in (
        201,
        409,
    )
    pid = stack.pid("couchdb")
    for method, path in COUCHDB_ANONYMOUS:
        resp = requests.request(method, base + path, json={"y": 2}, timeout=10)
        assert resp.status_code == 401, (method, path, resp.text)
    wrong = requests.get(f"{base}/sec-probe/doc", auth=(auth[0], "wrong-password"), timeout=10)
    assert wrong.status_code == 401
    # a request right after the refusals (what kills a bare pouchdb-server) is served, by the same process
    assert requests.get(f"{stack.couchdb_url}/sec-probe/doc", timeout=10).json()["x"] == 1
    assert stack.pid("couchdb") == pid
    assert requests.get(f"{base}/", timeout=10).status_code == 200  # the welcome document, for health checks


def test_couchdb_keeps_connections_alive_through_the_gate(stack: LocalStack) -> None:
    session = requests.Session()
    session.auth = stack.couchdb_auth
    base = stack.couchdb_base_url
    for n in range(3):  # HEAD 404, PUT, PUT doc, GET on ONE connection, again and again
        assert session.head(f"{base}/sec-keepalive-{n}", timeout=10).status_code == 404
        assert session.put(f"{base}/sec-keepalive-{n}", timeout=10).status_code == 201
        assert session.put(f"{base}/sec-keepalive-{n}/d", json={"n": n}, timeout=10).status_code == 201
        assert session.get(f"{base}/sec-keepalive-{n}/d", timeout=10).json()["n"] == n
        assert session.get(f"{base}/sec-keepalive-{n}/_changes", timeout=10).json()["results"]
        assert session.delete(f"{base}/sec-keepalive-{n}", timeout=10).status_code == 200
    time.sleep(6)  # pouchdb-server closes keep-alive connections idle for 5 s; the gate must not answer 503
    assert session.get(f"{base}/_all_dbs", timeout=10).status_code == 200


def test_couchdb_cors_only_for_the_web_page(stack: LocalStack) -> None:
    page = f"http://127.0.0.1:{stack.ports['whisk']}"
    for origin in (*CORS_ORIGINS, f"http://127.0.0.1:{stack.ports['whisk'] + 1}"):
        resp = requests.get(f"{stack.couchdb_url}/", headers={"Origin": origin}, timeout=10)
        assert not [h for h in resp.headers if h.lower().startswith("access-control-")], (
            origin,
            resp.headers,
        )
        pre = requests.options(
            f"{stack.couchdb_base_url}/deposits",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            timeout=10,
        )
        assert "Access-Control-Allow-Origin" not in pre.headers
    resp = requests.get(f"{stack.couchdb_url}/", headers={"Origin": page}, timeout=10)
    assert resp.headers["Access-Control-Allow-Origin"] == page
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_the_cloudant_binding_carries_the_credentials(stack: LocalStack) -> None:
    assert requests.put(f"{stack.couchdb_url}/sec-binding", timeout=10).status_code in (201, 412)
    put = requests.put(f"{stack.couchdb_url}/sec-binding/d1", json={"v": 7}, timeout=10)
    assert put.status_code in (201, 409)
    read = stack.wsk.post(
        stack.ns_url("actions/cloudant-local/read"),
        json={"dbname": "sec-binding", "docid": "d1"},
        params={"blocking": "true", "result": "true"},
        timeout=90,
    )
    assert read.status_code == 200 and read.json()["v"] == 7, read.text


def test_the_data_directory_and_its_secrets_are_private(stack: LocalStack) -> None:
    data = stack.data_dir
    for directory in (
        data,
        *(data / sub for sub in ("couchdb", "s3", "whisk", "feeds", "logs", "run", "secrets")),
    ):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    secret_files = [
        data / "secrets" / "couchdb_admin",
        data / "couchdb" / "config.json",
        data / "whisk" / "auth.guest",
        data / "whisk" / "auth.whisk.system",
        data / "whisk" / ".wskprops",
        data / "whisk" / "whisk.sqlite3",
        data / "feeds" / "feeds.sqlite3",  # the triggers' keys
    ]
    for path in secret_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in (data / "whisk").glob("whisk.sqlite3-*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
