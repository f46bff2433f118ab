"""deploy.sh: help, dry runs against unreachable hosts, required variables, the openwhisk target."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures.whisk import REPO, Whisk, free_port

DEPLOY = REPO / "deploy.sh"
FULL = REPO / "tests" / "data" / "manifests" / "full" / "manifest.yaml"
FULL_OPERATIONS = [
    "package  dfull",
    "binding  dfull-bound",
    "action   dfull/hello",
    "action   dfull/upper",
    "action   dfull/bundle",
    "action   dfull/boxed",
    "action   dfull/inline",
    "sequence dfull/greet-seq",
    "trigger  dfull-tick",
    "rule     dfull-on-tick",
    "api      dfull-api",
]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run deploy.sh with a clean deployment environment (no host, key or ~/.wskprops from the caller)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("APIHOST", "AUTH", "NAMESPACE", "CLOUDANT_URL", "COS_ENDPOINT")
    }
    base["WSK_CONFIG_FILE"] = os.devnull
    base.update(env or {})
    return subprocess.run(
        [str(DEPLOY), *args], cwd=REPO, env=base, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.env"
    path.write_text("# variables for the full test manifest\nDFULL_NS=guest\nDFULL_REGION=eu-de\n")
    return path


class Recorder(BaseHTTPRequestHandler):
    """Answers 404 to everything and records each request, to prove which calls were (not) made."""

    calls: list[str] = []

    def _answer(self) -> None:
        Recorder.calls.append(f"{self.command} {self.path}")
        body = json.dumps({"error": "The requested resource does not exist.", "code": "x"}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    """A fake API host on a free port that records requests; yields its URL."""
    Recorder.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_help_documents_targets_and_flags() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in (
        "local",
        "openwhisk",
        "ibmcloud",
        "--dry-run",
        "--uninstall",
        "--env FILE",
        "--manifest FILE",
        "--status",
        "--insecure",
        "--stop",
        "--reset",
        "APIHOST",
        "AUTH",
        "template.local.env",
        "October 2024",
    ):
        assert word in result.stdout, word
    assert "\033[" not in result.stdout  # no colours when stdout is not a terminal


def test_usage_errors() -> None:
    assert run().returncode == 2
    assert "unknown argument" in run("openwhisk", "--bogus").stderr
    wrong = run("openwhisk", "--status")
    assert wrong.returncode == 2 and "local target only" in wrong.stderr
    missing = run("openwhisk", "--env", "/nonexistent/x.env")
    assert missing.returncode == 2 and "/nonexistent/x.env not found" in missing.stderr


def test_openwhisk_dry_run_against_unreachable_host_prints_full_plan(env_file: Path) -> None:
    result = run(
        "openwhisk",
        "--dry-run",
        "--manifest",
        str(FULL),
        "--env",
        str(env_file),
        env={"APIHOST": "http://127.0.0.1:9", "AUTH": "u:k"},
    )
    assert result.returncode == 0, result.stderr
    for line in FULL_OPERATIONS:
        assert line in result.stdout, line
    assert "cannot reach http://127.0.0.1:9" in result.stdout
    assert "nothing was changed" in result.stdout


def test_uninstall_dry_run_lists_removals(env_file: Path) -> None:
    result = run(
        "openwhisk",
        "--dry-run",
        "--uninstall",
        "--manifest",
        str(FULL),
        "--env",
        str(env_file),
        env={"APIHOST": "http://127.0.0.1:9", "AUTH": "u:k"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("remove ") == len(FULL_OPERATIONS) - 1


def test_missing_required_variable_stops_before_any_call(tmp_path: Path, recorder: str) -> None:
    (tmp_path / "a.py").write_text("def main(args):\n    return args\n")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "packages:\n  h4req:\n    inputs:\n      secret:\n        type: string\n"
        "        value: ${H4_REQUIRED_SECRET}\n        required: true\n"
        "    actions:\n      a:\n        function: a.py\n"
    )
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("# nothing\n")
    stopped = run(
        "openwhisk",
        "--manifest",
        str(manifest),
        "--env",
        str(empty_env),
        env={"APIHOST": recorder, "AUTH": "u:k"},
    )
    assert stopped.returncode == 2
    assert "$H4_REQUIRED_SECRET is not set" in stopped.stderr
    assert "package h4req: inputs.secret" in stopped.stderr
    assert Recorder.calls == []  # nothing was contacted
    # the same variable from the env file: the deployer proceeds (and talks to the host)
    filled = tmp_path / "filled.env"
    filled.write_text("H4_REQUIRED_SECRET=s3cret\n")
    dry = run(
        "openwhisk",
        "--dry-run",
        "--manifest",
        str(manifest),
        "--env",
        str(filled),
        env={"APIHOST": recorder, "AUTH": "u:k"},
    )
    assert dry.returncode == 0, dry.stderr
    assert "would create" in dry.stdout and "s3cret" not in dry.stdout
    assert any(call.startswith("GET /api/v1/namespaces") for call in Recorder.calls)
    assert not any(call.startswith(("PUT", "DELETE", "POST")) for call in Recorder.calls)


def test_local_dry_run_needs_no_running_stack(env_file: Path) -> None:
    port = free_port()  # nothing listens there: never the user's stack on 3233
    result = run(
        "local",
        "--dry-run",
        "--manifest",
        str(FULL),
        "--env",
        str(env_file),
        env={"OPENCHECKS_WHISK_PORT": str(port)},
    )
    assert result.returncode == 0, result.stderr
    assert f"http://127.0.0.1:{port}" in result.stdout
    for line in FULL_OPERATIONS:
        assert line in result.stdout, line


def test_ibmcloud_target_explains_end_of_life(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "grep", "id"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    result = run("ibmcloud", "--manifest", str(FULL), env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    assert "end of life in October 2024" in result.stdout
    assert "./deploy.sh openwhisk" in result.stdout
    assert "ibmcloud CLI is not installed" in result.stderr


def test_openwhisk_target_deploys_and_uninstalls(whisk: Whisk, env_file: Path) -> None:
    """The local platform addressed as if it were remote: host and key from the environment only."""
    namespace = whisk.session.get(f"{whisk.api_host}/api/v1/namespaces", timeout=30).json()[0]
    env_file.write_text(f"DFULL_NS={namespace}\nDFULL_REGION=eu-de\n")
    env = {"APIHOST": whisk.api_host, "AUTH": whisk.auth}
    try:
        deployed = run("openwhisk", "--manifest", str(FULL), "--env", str(env_file), env=env)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "databases and buckets not provisioned" in deployed.stdout  # no CLOUDANT_URL/COS_ENDPOINT
        for collection, name in (
            ("packages", "dfull"),
            ("actions", "dfull/greet-seq"),
            ("rules", "dfull-on-tick"),
        ):
            assert whisk.session.get(whisk.url(collection, name), timeout=30).status_code == 200
        result = whisk.invoke("dfull/greet-seq", {}, result=True)
        assert result.json() == {"greeting": "HELLO, WORLD!"}
    finally:
        removed = run("openwhisk", "--uninstall", "--manifest", str(FULL), "--env", str(env_file), env=env)
    assert removed.returncode == 0, removed.stderr
    assert whisk.session.get(whisk.url("packages", "dfull"), timeout=30).status_code == 404
    assert whisk.session.get(whisk.url("actions", "dfull/hello"), timeout=30).status_code == 404


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", str(DEPLOY)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_local_target_starts_stack_deploys_and_stops(tmp_path: Path, env_file: Path) -> None:
    """`./deploy.sh local` end to end, on free ports and a temp data dir (never the user's stack)."""
    ports = {name: str(free_port()) for name in ("WHISK", "COUCHDB", "S3", "FEEDS", "OIDC")}
    env = {f"OPENCHECKS_{name}_PORT": port for name, port in ports.items()}
    env["OPENCHECKS_DATA"] = str(tmp_path / "data")
    env["OPENCHECKS_SKIP_SETUP"] = "1"  # never reinstall the shared .venv while other tests use it
    try:
        up = run("local", "--manifest", str(FULL), "--env", str(env_file), env=env, timeout=600)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "created       sequence dfull/greet-seq" in up.stdout
        assert f"whisk      http://127.0.0.1:{ports['WHISK']}" in up.stdout
        assert "web page" in up.stdout
        # The sign-in: the provider's address and this install's demo passwords.
        assert f"oidc       http://127.0.0.1:{ports['OIDC']}" in up.stdout
        accounts = json.loads((tmp_path / "data" / "oidc" / "accounts.json").read_text())["accounts"]
        for account in accounts:
            assert f"{account['username']}  password: {account['password']}" in up.stdout
        again = run("local", "--manifest", str(FULL), "--env", str(env_file), env=env, timeout=600)
        assert again.returncode == 0 and "created " not in again.stdout, again.stdout
        status = run("local", "--status", env=env)
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
        removed = run("local", "--uninstall", "--manifest", str(FULL), "--env", str(env_file), env=env)
        assert removed.returncode == 0 and "deleted       package  dfull" in removed.stdout, removed.stdout
    finally:
        stopped = run("local", "--stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["stopped"] is True


def test_missing_api_host_stops_before_provisioning(env_file: Path, recorder: str) -> None:
    """Without a host nothing is created anywhere, not even the databases the env file names."""
    result = run(
        "openwhisk",
        "--manifest",
        str(FULL),
        "--env",
        str(env_file),
        env={"CLOUDANT_URL": recorder, "COS_ENDPOINT": recorder},
    )
    assert result.returncode == 2
    assert "no API host" in result.stderr
    assert Recorder.calls == []
