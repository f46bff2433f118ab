"""Entities and activations survive a restart of the platform (a real subprocess, SIGTERM, start again)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import requests

from tests.fixtures.whisk import GUEST_AUTH, LocalPlatform

pytestmark = pytest.mark.local_only


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_state_survives_restart(tmp_path: Path) -> None:
    platform = LocalPlatform(tmp_path / "whisk").start()
    session = requests.Session()
    session.auth = tuple(GUEST_AUTH.split(":", 1))  # type: ignore[assignment]
    base = f"{platform.api_host}/api/v1/namespaces/_"
    try:
        code = "def main(args):\n    return {'hello': args.get('name', 'world')}\n"
        assert session.put(f"{base}/packages/kept", json={"parameters": [{"key": "name", "value": "pkg"}]}).ok
        assert session.put(
            f"{base}/actions/kept/act", json={"exec": {"kind": "python:3.11", "code": code}}
        ).ok
        assert session.put(f"{base}/triggers/trig", json={}).ok
        assert session.put(f"{base}/rules/rule", json={"trigger": "trig", "action": "kept/act"}).ok
        first = session.post(f"{base}/actions/kept/act", params={"blocking": "true"}, json={}).json()
        assert first["response"]["result"] == {"hello": "pkg"}

        # SIGTERM alone must stop every container (the platform's own clean shutdown)
        assert platform.process is not None
        containers = children(platform.process.pid)
        assert containers, "a warm container should be alive before the restart"
        platform.process.send_signal(signal.SIGTERM)
        assert platform.process.wait(15) == 0
        assert [pid for pid in containers if alive(pid)] == []
        platform.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{base}/actions", timeout=2)
        platform.start()

        got = session.get(f"{base}/actions/kept/act")
        assert got.status_code == 200 and got.json()["exec"]["code"] == code
        record = session.get(f"{base}/activations/{first['activationId']}")
        assert record.status_code == 200 and record.json()["response"]["result"] == {"hello": "pkg"}
        assert session.get(f"{base}/rules/rule").json()["status"] == "active"
        again = session.post(
            f"{base}/actions/kept/act", params={"blocking": "true", "result": "true"}, json={}
        )
        assert again.json() == {"hello": "pkg"}
        assert session.post(f"{base}/triggers/trig", json={}).status_code == 202
    finally:
        session.close()
        platform.stop()
