"""Warm-container caches, shown by the flags every result carries (never by timing), provisioning, and the
call back into OpenWhisk that starts processing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from openchecks import whisk
from openchecks.config import Settings
from openchecks.provision import provision

from tests.integration.test_pipeline_support import (
    action,
    app_params,
    deposit,
    png_bytes,
    provisioned,
    token,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(couchdb: Any, s3: Any, tmp_path: Path) -> dict[str, Any]:
    return provisioned(app_params(couchdb.url, s3.url, str(tmp_path / "images")))


def test_warm_container_reuses_clients_config_and_image(app: dict[str, Any]) -> None:
    payload = deposit(app, token("alice@example.com"), png_bytes())
    fetched = action("fetch_image")({**app, **payload})
    # The gate downloads nothing: ocr-check is where the images are fetched, once per container.
    assert fetched["_meta"]["cache"] == {"clients": "hit"}
    assert set(fetched["sides"]) == {"front", "back"}
    first = action("ocr_check")({**app, **fetched})
    assert "error" not in first, first
    assert first["_meta"]["cache"]["image"] == "miss"
    lookups = first["_meta"]["image_lookups"]
    # Each side downloaded once and straightened once; every later read of it took it from the temp dir.
    assert lookups["miss"] == 4
    again = action("ocr_check")({**app, **fetched})  # a retry on the same warm container
    assert again["_meta"]["cache"]["image"] == "hit" and again["_meta"]["cold"] is False
    assert again["_meta"]["image_lookups"] == {"hit": lookups["hit"] + 4, "miss": 0}
    assert again["images"] == first["images"] and again["quality"] == first["quality"]
    # The process's CPU during each activation: a retry that downloads and straightens nothing costs less.
    assert 0 < again["_meta"]["cpu_ms"] < first["_meta"]["cpu_ms"]
    parsed = action("parse_check")({**app, **first})
    assert parsed["_meta"]["cache"]["config"] in ("hit", "miss")
    parsed_again = action("parse_check")({**app, **first})
    assert parsed_again["_meta"]["cache"]["config"] == "hit"


def test_disabled_caches_report_off_and_still_work(app: dict[str, Any]) -> None:
    payload = deposit(app, token("alice@example.com"), png_bytes())
    cold = {**app, "disable_caches": "1"}
    fetched = action("fetch_image")({**cold, **payload})
    assert fetched["_meta"]["cache"] == {"clients": "off"}
    for result in (action("ocr_check")({**cold, **fetched}), action("ocr_check")({**cold, **fetched})):
        assert "error" not in result, result
        assert result["_meta"]["cache"] == {"clients": "off", "config": "off", "image": "off"}
        assert result["_meta"]["caches_disabled"] is True
        assert result["_meta"]["image_lookups"]["hit"] == 0
        assert result["archive"]["large"] in (
            result["images"]["front"]["key"],
            f"{payload['deposit_id']}/large.jpg",
        )
        assert result["images"]["back"]["key"].endswith("back-200dpi.jpg")


def test_cold_start_is_reported_once_per_container(tmp_path: Path) -> None:
    """A fresh interpreter is a new container: its first activation is cold, the next one warm."""
    secret = "cold-start-test-secret-0123456789"
    script = (
        "import json, sys\n"
        "from openchecks import tokens\n"
        "from api.__main__ import main\n"
        f"tok = tokens.mint('a@example.com', 'customer', 60, {secret!r})\n"
        f"args = {{'token_secret': {secret!r}, '__ow_method': 'get', '__ow_path': '/me',"
        " '__ow_headers': {'authorization': 'Bearer ' + tok}}\n"
        "print(json.dumps([main(dict(args))['body']['_meta']['cold'] for _ in range(2)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(tmp_path),
        env={"PYTHONPATH": f"{REPO / 'actions'}", "PATH": "/usr/bin"},
    )
    assert json.loads(out.stdout) == [True, False]


def test_provisioning_twice_changes_nothing(app: dict[str, Any]) -> None:
    report = provision(Settings.from_params(app, environ={}))
    assert not any(report["databases"].values()) and not any(report["buckets"].values())
    assert report["config_created"] is False


def test_provision_command_reads_an_env_file(couchdb: Any, s3: Any, tmp_path: Path) -> None:
    env = tmp_path / "local.env"
    tag = tmp_path.name[-8:].lower().replace("_", "-")
    env.write_text(
        f"CLOUDANT_URL={couchdb.url}\nCOS_ENDPOINT={s3.url}\nCOS_ACCESS_KEY_ID=S3RVER\n"
        f"COS_SECRET_ACCESS_KEY=S3RVER\nDEPOSITS_DB=dep-{tag}\nCLAIMS_DB=claims-{tag}\n"
        f"NOTIFICATIONS_DB=notes-{tag}\nCONFIG_DB=conf-{tag}\nBUCKET_INCOMING=in-{tag}\n"
        f"BUCKET_ARCHIVE=arch-{tag}\nEXPORTS_DB=exp-{tag}\nBUCKET_EXPORTS=exp-{tag}\n"
    )
    run = [sys.executable, "-m", "openchecks.provision", "--env", str(env), "--json"]
    first = json.loads(
        subprocess.run(
            run, capture_output=True, text=True, check=True, cwd=str(tmp_path), env={"PATH": "/usr/bin"}
        ).stdout
    )
    second = json.loads(
        subprocess.run(
            run, capture_output=True, text=True, check=True, cwd=str(tmp_path), env={"PATH": "/usr/bin"}
        ).stdout
    )
    assert all(first["databases"].values()) and first["config_created"] is True
    assert not any(second["databases"].values()) and second["config_created"] is False


class _Recorder(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Recorder.calls.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": json.loads(body or b"{}")}
        )
        reply = json.dumps({"activationId": "a" * 32}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


def test_firing_the_trigger_and_invoking_the_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("__OW_API_HOST", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("__OW_API_KEY", "user-uuid:secret-key")
        monkeypatch.setenv("__OW_ACTION_NAME", "/guest/openchecks/find-new-checks")
        _Recorder.calls.clear()
        assert whisk.fire_trigger("check-uploaded", {"deposit_id": "dep-1"}) == "a" * 32
        assert whisk.invoke_async(whisk.sibling_action("process-check"), {"deposit_id": "dep-1"}) == "a" * 32
        fire, invoke = _Recorder.calls
        assert fire["path"] == "/api/v1/namespaces/_/triggers/check-uploaded"
        assert fire["auth"] == "Basic dXNlci11dWlkOnNlY3JldC1rZXk=" and fire["body"] == {
            "deposit_id": "dep-1"
        }
        assert invoke["path"] == "/api/v1/namespaces/_/actions/openchecks/process-check?blocking=false"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_without_an_api_key_firing_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("__OW_API_KEY", raising=False)
    from openchecks.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        whisk.fire_trigger("check-uploaded", {})
    assert "provide-api-key" in info.value.message
