"""The local platform's own defences (issue 13, local stack): keys, Host, CORS, request framing, file modes,
and the sandbox of a root platform's actions. Every case of tests/hostile/platform.py is sent raw.

A page opened in the developer's browser used to drive the platform with OpenWhisk's published keys (CORS
`*` with Authorization, any Host): it read a package's token_secret and ran `id` as root. These tests pin
each link of that chain as broken.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.services.process import REPO
from infra.whisk import keys as wkeys
from infra.whisk.server import start_in_thread
from tests.fixtures.whisk import LocalPlatform, Whisk
from tests.hostile.platform import CASES, PlatformCase

pytestmark = [pytest.mark.integration, pytest.mark.local_only]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    running = LocalPlatform(tmp_path_factory.mktemp("sec-platform") / "whisk").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(platform: LocalPlatform) -> Iterator[Whisk]:
    wsk = Whisk(platform.api_host, platform.guest_auth, local=True, platform=platform)
    try:
        yield wsk
    finally:
        wsk.cleanup()


def _status_of(hostport: str, raw: bytes, timeout: float = 5.0) -> int:
    """Send `raw` on a new connection, keep our side open, and return the answer's status code."""
    host, port = hostport.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in data:
            if time.monotonic() > deadline:
                raise AssertionError("no answer: the server is still reading")
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                raise AssertionError("no answer within the timeout: the server is still reading") from None
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split(b" ", 2)[1])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_platform_request(platform: LocalPlatform, case: PlatformCase) -> None:
    hostport = platform.api_host.removeprefix("http://")
    assert _status_of(hostport, case.build(hostport, platform.guest_auth)) == case.status, case.what
    # the platform still answers after the attack
    assert requests.get(platform.api_host + "/api/v1", timeout=10).status_code == 200


def test_keys_are_random_per_data_directory_and_kept_private(tmp_path: Path) -> None:
    first = start_in_thread(tmp_path / "a", pool=_NoPool())
    second = start_in_thread(tmp_path / "b", pool=_NoPool())
    try:
        assert set(first.keys) == {"guest", "whisk.system"}
        assert first.keys["guest"] != second.keys["guest"]
        assert first.keys["whisk.system"] != second.keys["whisk.system"]
        assert not any(wkeys.is_well_known(k) for k in [*first.keys.values(), *second.keys.values()])
        for key in first.keys.values():
            user, _, secret = key.partition(":")
            assert len(user) == 36 and len(secret) == 64
        data = tmp_path / "a"
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        for name in ("auth.guest", "auth.whisk.system", ".wskprops", "whisk.sqlite3"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
        props = dict(
            line.split("=", 1) for line in (data / ".wskprops").read_text().splitlines() if "=" in line
        )
        assert props == {"APIHOST": first.api_host, "AUTH": first.keys["guest"], "NAMESPACE": "guest"}
        ns = requests.get(first.api_host + "/api/v1/namespaces", auth=_pair(first.keys["guest"]), timeout=10)
        assert ns.status_code == 200 and ns.json() == ["guest"]
        assert (
            requests.get(first.api_host + "/api/v1/namespaces", auth=_pair(second.keys["guest"])).status_code
            == 401
        )
    finally:
        first.stop()
        second.stop()
    again = start_in_thread(tmp_path / "a", pool=_NoPool())
    try:
        assert again.keys == first.keys  # the same data directory keeps its keys across restarts
    finally:
        again.stop()


def test_loosened_files_are_made_private_again(tmp_path: Path) -> None:
    first = start_in_thread(tmp_path / "w", pool=_NoPool())
    first.stop()
    for name in ("auth.guest", "whisk.sqlite3"):
        os.chmod(tmp_path / "w" / name, 0o644)
    os.chmod(tmp_path / "w", 0o755)
    again = start_in_thread(tmp_path / "w", pool=_NoPool())
    try:
        assert stat.S_IMODE((tmp_path / "w").stat().st_mode) == 0o700
        for name in ("auth.guest", "whisk.sqlite3"):
            assert stat.S_IMODE((tmp_path / "w" / name).stat().st_mode) == 0o600
    finally:
        again.stop()


def test_a_configured_host_name_is_served(tmp_path: Path) -> None:
    plat = start_in_thread(tmp_path / "w", pool=_NoPool(), allowed_hosts=("whisk.internal",))
    try:
        url = plat.api_host + "/api/v1"
        assert requests.get(url, headers={"Host": "whisk.internal"}, timeout=10).status_code == 200
        refused = requests.get(url, headers={"Host": "evil.example"}, timeout=10)
        assert refused.status_code == 403 and "--allow-host" in refused.json()["error"]
    finally:
        plat.stop()


def test_rest_cors_only_with_the_platforms_own_keys(client: Whisk, tmp_path: Path) -> None:
    # random keys: OpenWhisk's REST CORS stays (a page cannot know the key)
    pre = requests.options(client.url("actions"), timeout=10)
    assert pre.headers.get("Access-Control-Allow-Origin") == "*"
    # the well-known keys, asked for explicitly: they work, but the REST API answers no other origin
    fixed = LocalPlatform(tmp_path / "fixed", extra_args=["--well-known-keys"], keys=wkeys.WELL_KNOWN_KEYS)
    fixed.start()
    try:
        wsk = Whisk(fixed.api_host, wkeys.WELL_KNOWN_KEYS["guest"], local=True)
        preflight = requests.options(
            wsk.url("actions"), headers={"Origin": "http://evil.example"}, timeout=10
        )
        assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]
        listing = wsk.session.get(wsk.url("actions"), headers={"Origin": "http://evil.example"}, timeout=10)
        assert listing.status_code == 200
        assert "Access-Control-Allow-Origin" not in listing.headers
        code = "def main(args):\n    return {'ok': True}\n"
        wsk.put_action("cors-web", code, annotations=[{"key": "web-export", "value": True}])
        web = requests.get(f"{fixed.api_host}/api/v1/web/guest/default/cors-web.json", timeout=60)
        assert web.status_code == 200 and web.headers.get("Access-Control-Allow-Origin") == "*"
    finally:
        fixed.stop()


def test_the_standalone_platform_never_defaults_to_the_well_known_keys(tmp_path: Path) -> None:
    plat = LocalPlatform(tmp_path / "w", keys={}).start()  # nothing seeded: `python -m infra.whisk` alone
    try:
        made = wkeys.read_keys(tmp_path / "w")
        assert plat.keys == made and set(made) == {"guest", "whisk.system"}
        assert not any(map(wkeys.is_well_known, made.values()))
        url = plat.api_host + "/api/v1/namespaces"
        assert requests.get(url, auth=_pair(wkeys.WELL_KNOWN_KEYS["guest"]), timeout=10).status_code == 401
        assert requests.get(url, auth=_pair(made["guest"]), timeout=10).status_code == 200
    finally:
        plat.stop()


def test_a_wsk_style_tool_needs_only_wsk_config_file(platform: LocalPlatform, tmp_path: Path) -> None:
    """The deployer (which reads .wskprops as wsk does) deploys with WSK_CONFIG_FILE and nothing else."""
    (tmp_path / "hello.py").write_text("def main(args):\n    return {'hi': args.get('name', 'you')}\n")
    (tmp_path / "manifest.yaml").write_text(
        "packages:\n  wskprops-probe:\n    actions:\n      hello:\n        function: hello.py\n"
        "        runtime: python:3.11\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("APIHOST", "AUTH", "NAMESPACE")}
    env["WSK_CONFIG_FILE"] = str(wkeys.wskprops_path(platform.data_dir))
    env["HOME"] = str(tmp_path)  # no ~/.wskprops to fall back on
    cmd = [sys.executable, "-m", "infra.deployer", "--manifest", str(tmp_path / "manifest.yaml")]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    wsk = Whisk(platform.api_host, platform.guest_auth, local=True)
    try:
        got = wsk.session.get(wsk.url("actions", "wskprops-probe/hello"), timeout=30)
        assert got.status_code == 200
    finally:
        wsk.session.delete(wsk.url("actions", "wskprops-probe/hello"), timeout=30)
        wsk.session.delete(wsk.url("packages", "wskprops-probe"), timeout=30)


SANDBOX_PROBE = """
import os, subprocess, tempfile

def main(args):
    out = {"uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups()}
    data = args["data_dir"]
    for name, path in (("data_dir", data), ("store", data + "/whisk.sqlite3"), ("key", data + "/auth.guest")):
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                open(path, "rb").read(1)
            out[name] = "READ"
        except OSError as exc:
            out[name] = type(exc).__name__
    try:
        open("/proc/%d/environ" % args["platform_pid"], "rb").read(1)
        out["platform_environ"] = "READ"
    except OSError as exc:
        out["platform_environ"] = type(exc).__name__
    with open(os.path.join(tempfile.gettempdir(), "probe"), "w") as f:
        f.write("tmp ok")
    with open("written-in-cwd", "w") as f:
        f.write("cwd ok")
    out["cwd_files"] = sorted(os.listdir("."))
    out["id_u"] = subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip()
    out["pids"] = len([p for p in os.listdir("/proc") if p.isdigit()])
    return out
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox applies to a platform running as root (CI)")
def test_a_root_platform_runs_actions_unprivileged_and_away_from_its_data(
    client: Whisk, platform: LocalPlatform
) -> None:
    assert platform.process is not None
    client.put_action("sandbox-probe", SANDBOX_PROBE)
    resp = client.invoke(
        "sandbox-probe",
        {"data_dir": str(platform.data_dir), "platform_pid": platform.process.pid},
        result=True,
    )
    assert resp.status_code == 200, resp.text
    out: dict[str, Any] = resp.json()
    assert out["uid"] != 0 and out["euid"] != 0 and out["id_u"] not in ("", "0"), out
    assert out["groups"] in ([], [out["uid"]]), out
    assert out["data_dir"] == "PermissionError" and out["store"] == "PermissionError", out
    assert out["key"] == "PermissionError", out
    # its own /proc (PID namespace): the platform's process is not even there; otherwise not readable
    assert out["platform_environ"] in ("PermissionError", "FileNotFoundError"), out
    assert "written-in-cwd" in out["cwd_files"] and "__main__.py" in out["cwd_files"], out
    second = client.invoke(
        "sandbox-probe",
        {"data_dir": str(platform.data_dir), "platform_pid": platform.process.pid},
        result=True,
    ).json()
    assert second["uid"] == out["uid"]  # a warm container keeps its uid
    if "namespaces" in platform.log_tail(200):
        assert out["pids"] <= 5, out  # its own PID namespace: the platform's processes are invisible


# ---- helpers -------------------------------------------------------------------------------------------
class _NoPool:
    """A pool that runs nothing: these tests only need the HTTP side of the platform."""

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no containers in this test")

    def shutdown(self) -> None:
        pass


def _pair(key: str) -> tuple[str, str]:
    user, _, secret = key.partition(":")
    return (user, secret)
