"""`python -m infra.stack up|status|stop|reset|credentials [--data-dir D]`: the local stack on one machine.

`up` starts ONE supervisor daemon (its own session, pid in `<data>/run/supervisor.pid`) that runs, as its
children: pouchdb-server (CouchDB API), s3rver (S3 API), the local OpenWhisk, the feed provider and the
OpenID Provider (oidc-provider, infra/services/oidc.py: the page's "Sign in"). It
health-checks them every second and restarts what died or stopped answering (backoff; logs in
`<data>/logs/<service>.log`), creates the S3 buckets with the upload CORS rule, and records everything in
`<data>/run/state.json`. `up` returns once every service answers, then installs the /whisk.system catalog
(idempotent), and prints the status; run again it changes nothing. `stop` ends the supervisor, which stops
every service (the platform stops its containers). `reset` stops and deletes the data directory.

Data directory: `--data-dir`, else `$OPENCHECKS_DATA`, else `<repo>/.data` (0700, like every subdirectory);
subdirectories `couchdb/ s3/ whisk/ feeds/ oidc/ logs/ run/ secrets/`. Everything there survives `stop` +
`up`.
Secrets, made at random on the first `up` (files 0600): the platform's keys (`whisk/auth.guest`,
`whisk/auth.whisk.system`, and `whisk/.wskprops` for WSK_CONFIG_FILE), the CouchDB admin
(`secrets/couchdb_admin`, `user:password`: CouchDB answers nothing without it, see
infra/services/couchgate.py), the app's token secret (`secrets/token_secret`, made by deploy.sh), the OpenID
Provider's demo accounts (`oidc/accounts.json`, random passwords) and its signing keys (`oidc/*_keys.json`).
`credentials` prints `AUTH=`, `CLOUDANT_USERNAME=`, `CLOUDANT_PASSWORD=`, `WSK_CONFIG_FILE=`, the `OIDC_*`
settings of the local provider and `OIDC_DEMO_<ROLE>=user:password` lines (for deploy.sh), making the
secrets if they are missing.
Ports (127.0.0.1): OpenWhisk 3233, CouchDB 5984, S3 4568, feeds 3235, OpenID Provider 3236; override with
OPENCHECKS_WHISK_PORT, OPENCHECKS_COUCHDB_PORT, OPENCHECKS_S3_PORT, OPENCHECKS_FEEDS_PORT and
OPENCHECKS_OIDC_PORT. The provider's access-token lifetime: OPENCHECKS_OIDC_ACCESS_TTL (seconds, default 600).
Buckets: OPENCHECKS_S3_BUCKETS (comma-separated, default `openchecks-incoming,openchecks-archive`, the
manifest's defaults).
The platform's container memory: OPENCHECKS_WHISK_MEMORY_MB (default 4096); more `python -m infra.whisk`
options (e.g. `--prewarm 2`, `--interactive-reserve-mb 0`): OPENCHECKS_WHISK_ARGS.

Status JSON: {"whisk": {url, pid, status, restarts, log, wskprops}, "couchdb": {..., username,
credentials_file}, "s3": {...}, "feeds": {...}, "oidc": {..., issuer, client_id}, "supervisor": {"pid"},
"data_dir": D, "running": bool, "auth": {"guest": "uuid:key", "system": "uuid:key"}, "ui": {"url",
"deployed": bool}}. The web page is the
`openchecks/ui` web action, so its URL is on the platform's port; `deployed`: does the action exist yet.
Exit status: 0 all up, 1 not running, 3 degraded.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from infra.owclient import WhiskClient, WhiskError
from infra.ports import DEFAULT_PORTS
from infra.services import oidc
from infra.services.couchdb import couchdb_gate_process, ensure_credentials
from infra.services.process import REPO, ManagedProcess
from infra.services.s3 import ensure_bucket, s3_process
from infra.services.supervise import Supervisor
from infra.whisk.keys import load_or_create_keys, private_dir, read_keys, wskprops_path

SERVICES = ("couchdb", "s3", "whisk", "feeds", "oidc")
DEFAULT_BUCKETS = "openchecks-incoming,openchecks-archive"
SUBDIRS = ("couchdb", "s3", "whisk", "feeds", "oidc", "logs", "run", "secrets")

UI_ACTION = "openchecks/ui"

log = logging.getLogger("infra.stack")


class StackError(RuntimeError):
    """The stack could not be brought up or stopped; the message says what to look at."""


@dataclass(frozen=True)
class StackConfig:
    """Where the stack keeps its data and which ports it uses."""

    data_dir: Path
    ports: dict[str, int]

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> StackConfig:
        """Data dir from the argument, $OPENCHECKS_DATA or <repo>/.data; ports from OPENCHECKS_*_PORT."""
        base = data_dir or Path(os.environ.get("OPENCHECKS_DATA") or REPO / ".data")
        ports = {}
        for name, default in DEFAULT_PORTS.items():
            raw = os.environ.get(f"OPENCHECKS_{name.upper()}_PORT", "")
            try:
                ports[name] = int(raw) if raw else default
            except ValueError:
                raise StackError(f"OPENCHECKS_{name.upper()}_PORT={raw!r} is not a port number") from None
        return cls(base.resolve(), ports)

    def url(self, name: str) -> str:
        """http://127.0.0.1:<port> of service `name`."""
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def pid_path(self) -> Path:
        return self.run_dir / "supervisor.pid"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def whisk_dir(self) -> Path:
        return self.data_dir / "whisk"

    @property
    def couchdb_credentials_path(self) -> Path:
        return self.data_dir / "secrets" / "couchdb_admin"

    def make_dirs(self) -> None:
        """The data directory and its subdirectories, 0700 (also when they existed with looser modes)."""
        private_dir(self.data_dir)
        for sub in SUBDIRS:
            private_dir(self.data_dir / sub)

    def ensure_secrets(self) -> tuple[dict[str, str], tuple[str, str]]:
        """The platform's keys and the CouchDB admin (user, password), made at random when missing."""
        self.make_dirs()
        return load_or_create_keys(self.whisk_dir), ensure_credentials(self.couchdb_credentials_path)

    def couchdb_auth(self) -> tuple[str, str] | None:
        """The CouchDB admin (user, password), or None before the first `up`."""
        try:
            user, _, password = self.couchdb_credentials_path.read_text().strip().partition(":")
        except OSError:
            return None
        return (user, password) if user and password else None

    def buckets(self) -> list[str]:
        """The S3 buckets the stack creates."""
        raw = os.environ.get("OPENCHECKS_S3_BUCKETS", DEFAULT_BUCKETS)
        return [b.strip() for b in raw.split(",") if b.strip()]


def build_services(cfg: StackConfig) -> list[ManagedProcess]:
    """The five servers of the stack, in start order."""
    logs = cfg.log_dir
    python = sys.executable
    whisk_url = cfg.url("whisk")
    whisk = ManagedProcess(
        name="whisk",
        argv=[
            python,
            "-m",
            "infra.whisk",
            "--host",
            "127.0.0.1",
            "--port",
            str(cfg.ports["whisk"]),
            "--data-dir",
            str(cfg.data_dir / "whisk"),
            "--memory-budget-mb",
            os.environ.get("OPENCHECKS_WHISK_MEMORY_MB", "4096"),
            *shlex.split(os.environ.get("OPENCHECKS_WHISK_ARGS", "")),
        ],
        url=whisk_url,
        health_url=f"{whisk_url}/api/v1",
        log_path=logs / "whisk.log",
        cwd=REPO,
        start_timeout=60.0,
    )
    feeds_url = cfg.url("feeds")
    feeds = ManagedProcess(
        name="feeds",
        argv=[
            python,
            "-m",
            "infra.feeds",
            "--port",
            str(cfg.ports["feeds"]),
            "--data-dir",
            str(cfg.data_dir / "feeds"),
            "--whisk-api",
            whisk_url,
        ],
        url=feeds_url,
        health_url=f"{feeds_url}/health",
        log_path=logs / "feeds.log",
        cwd=REPO,
    )
    whisk_port = cfg.ports["whisk"]
    page_origins = (f"http://127.0.0.1:{whisk_port}", f"http://localhost:{whisk_port}")  # the web page's
    services = [
        couchdb_gate_process(
            cfg.data_dir / "couchdb",
            cfg.ports["couchdb"],
            cfg.couchdb_credentials_path,
            logs / "couchdb.log",
            allow_origins=page_origins,
        ),
        s3_process(cfg.data_dir / "s3", cfg.ports["s3"], logs / "s3.log"),
        whisk,
        feeds,
        oidc.oidc_process(
            cfg.data_dir / "oidc",
            cfg.ports["oidc"],
            oidc.page_urls(whisk_port),
            logs / "oidc.log",
            access_ttl=int(os.environ.get("OPENCHECKS_OIDC_ACCESS_TTL") or 600),
        ),
    ]
    return services


# ---- the supervisor daemon ------------------------------------------------------------------------
def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _kill_leftovers(cfg: StackConfig) -> bool:
    """Kill services a dead supervisor left running (recognised by their data dir on the command line);
    True when there were any."""
    killed = False
    state = _read_json(cfg.state_path)
    for info in (state.get("services") or {}).values():
        pid = info.get("pid")
        if isinstance(pid, int) and _pid_alive(pid) and str(cfg.data_dir) in _cmdline(pid):
            log.warning("killing leftover process %s", pid)
            killed = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return killed


def supervise(cfg: StackConfig) -> int:
    """Run the supervisor in the foreground (what the daemon does); returns when SIGTERM/SIGINT arrives."""
    cfg.ensure_secrets()
    lock = open(cfg.run_dir / "supervisor.lock", "w")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another supervisor already runs for this data directory", file=sys.stderr)
        return 0
    _kill_leftovers(cfg)
    cfg.state_path.unlink(missing_ok=True)  # a dead supervisor's state must not read as "up"
    cfg.pid_path.write_text(str(os.getpid()))

    def on_ready(name: str) -> None:
        if name == "s3":
            for bucket in cfg.buckets():
                ensure_bucket(cfg.url("s3"), bucket)

    supervisor = Supervisor(build_services(cfg), state_path=cfg.state_path, on_ready=on_ready)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.run()
    finally:
        cfg.pid_path.unlink(missing_ok=True)
    return 0


# ---- the commands -----------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def supervisor_pid(cfg: StackConfig) -> int | None:
    """The running supervisor's pid, or None."""
    try:
        pid = int(cfg.pid_path.read_text().strip())
    except (OSError, ValueError):
        return None
    if _pid_alive(pid) and "infra.stack" in _cmdline(pid):
        return pid
    return None


def ui_status(whisk_url: str, guest_key: str | None) -> dict[str, Any]:
    """Where the web page is, and whether its web action is deployed (asked of the platform, 2 s at most)."""
    url = f"{whisk_url}/api/v1/web/guest/{UI_ACTION}/"
    if not guest_key:
        return {"url": url, "deployed": False}
    try:
        client = WhiskClient(
            whisk_url, guest_key, "guest", timeout=2.0, attempts=1, user_agent="openchecks-stack"
        )
        deployed = client.get("actions", UI_ACTION, params={"code": "false"}) is not None
    except (WhiskError, ValueError):  # ValueError: a key that is not uuid:key, a reply that is not JSON
        deployed = False
    return {"url": url, "deployed": deployed}


def status(cfg: StackConfig) -> dict[str, Any]:
    """The status document (see the module docstring)."""
    pid = supervisor_pid(cfg)
    services = (_read_json(cfg.state_path).get("services") or {}) if pid else {}
    doc: dict[str, Any] = {}
    for name in SERVICES:
        info = services.get(name) or {}
        pid_ = info.get("pid") if _pid_alive(info.get("pid")) else None
        state = info.get("status", "stopped") if pid else "stopped"
        doc[name] = {
            "url": info.get("url", cfg.url(name)),
            "pid": pid_,
            "status": state if pid_ is not None or state != "up" else "down",
            "restarts": info.get("restarts", 0),
            "log": str(cfg.log_dir / f"{name}.log"),
        }
    for name, info in services.items():
        if name not in SERVICES and isinstance(info, dict):
            doc[name] = {**info, "pid": info.get("pid") if _pid_alive(info.get("pid")) else None}
    doc["supervisor"] = {"pid": pid, "log": str(cfg.log_dir / "supervisor.log")}
    doc["data_dir"] = str(cfg.data_dir)
    doc["running"] = pid is not None
    keys = read_keys(cfg.whisk_dir)
    doc["auth"] = {"guest": keys.get("guest"), "system": keys.get("whisk.system")}
    doc["whisk"]["wskprops"] = str(wskprops_path(cfg.whisk_dir))
    couch = cfg.couchdb_auth()
    doc["couchdb"]["username"] = couch[0] if couch else None
    doc["couchdb"]["credentials_file"] = str(cfg.couchdb_credentials_path)
    doc["oidc"]["issuer"] = oidc.issuer(cfg.ports["oidc"])
    doc["oidc"]["client_id"] = oidc.CLIENT_ID
    doc["ui"] = ui_status(doc["whisk"]["url"], keys.get("guest")) if pid else {"url": None, "deployed": False}
    return doc


def _all_up(doc: dict[str, Any]) -> bool:
    return bool(doc["running"]) and all(doc[name]["status"] == "up" for name in SERVICES)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_ports_free(cfg: StackConfig, timeout: float = 5.0) -> None:
    """Raise StackError naming the port and its variable when another program listens on a stack port."""
    deadline = time.monotonic() + timeout
    for name, port in cfg.ports.items():
        while _port_taken(port):
            if time.monotonic() > deadline:
                raise StackError(
                    f"port {port} ({name}) is used by another program: stop it, or choose "
                    f"another port with OPENCHECKS_{name.upper()}_PORT"
                )
            time.sleep(0.1)


def up(cfg: StackConfig, timeout: float = 120.0, catalog: bool = True) -> dict[str, Any]:
    """Start the supervisor unless it runs, wait until every service answers, install the catalog."""
    keys, couchdb_auth = cfg.ensure_secrets()
    if supervisor_pid(cfg) is None:
        # Killed leftovers may take a moment to release their ports.
        _wait_ports_free(cfg, timeout=5.0 if _kill_leftovers(cfg) else 0.0)
        env = dict(os.environ)
        env["OPENCHECKS_DATA"] = str(cfg.data_dir)
        for name, port in cfg.ports.items():
            env[f"OPENCHECKS_{name.upper()}_PORT"] = str(port)
        with open(cfg.log_dir / "supervisor.log", "ab") as out:
            subprocess.Popen(
                [sys.executable, "-m", "infra.stack", "supervise", "--data-dir", str(cfg.data_dir)],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    deadline = time.monotonic() + timeout
    while True:
        doc = status(cfg)
        if _all_up(doc):
            break
        if time.monotonic() > deadline:
            down = [n for n in SERVICES if doc[n]["status"] != "up"]
            details = "\n".join(f"--- {n}: {_tail(cfg.log_dir / f'{n}.log')}" for n in down)
            raise StackError(
                f"not up after {timeout:.0f} s: {', '.join(down)}\n{details}\n"
                f"--- supervisor: {_tail(cfg.log_dir / 'supervisor.log')}"
            )
        time.sleep(0.2)
    if catalog:
        from infra.catalog.install import install

        install(doc["whisk"]["url"], doc["feeds"]["url"], doc["couchdb"]["url"], keys, couchdb_auth)
    return status(cfg)


def stop(cfg: StackConfig, timeout: float = 60.0) -> bool:
    """Stop the supervisor and every service; True when something was running."""
    pid = supervisor_pid(cfg)
    if pid is None:
        _kill_leftovers(cfg)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        log.warning("supervisor %s did not stop in %.0f s; killing it and its services", pid, timeout)
        os.kill(pid, signal.SIGKILL)
        _kill_leftovers(cfg)
    cfg.pid_path.unlink(missing_ok=True)
    return True


def reset(cfg: StackConfig) -> None:
    """Stop, then delete the stack's subdirectories and the data dir itself when it is left empty."""
    stop(cfg)
    for sub in SUBDIRS:
        shutil.rmtree(cfg.data_dir / sub, ignore_errors=True)
    try:
        cfg.data_dir.rmdir()
    except OSError:
        pass  # holds files that are not the stack's: leave them


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["up", "status", "stop", "reset", "credentials", "supervise"])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--no-deploy",
        action="store_true",
        help="accepted for deploy.sh: the stack itself never deploys the app manifest",
    )
    parser.add_argument("--no-catalog", action="store_true", help="do not install the /whisk.system catalog")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds `up` waits for the services")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        cfg = StackConfig.from_env(args.data_dir)
        if args.command == "supervise":
            return supervise(cfg)
        if args.command == "credentials":
            keys, (user, password) = cfg.ensure_secrets()
            print(f"AUTH={keys['guest']}\nCLOUDANT_USERNAME={user}\nCLOUDANT_PASSWORD={password}")
            print(f"WSK_CONFIG_FILE={wskprops_path(cfg.whisk_dir)}")
            print(f"OIDC_ISSUER={oidc.issuer(cfg.ports['oidc'])}\nOIDC_CLIENT_ID={oidc.CLIENT_ID}")
            print(
                f"OIDC_AUDIENCE={oidc.AUDIENCE}\nOIDC_ROLE_CLAIM={oidc.ROLE_CLAIM}\nOIDC_ROLE_MAP={oidc.ROLE_MAP}"
            )
            for account in oidc.ensure_accounts(cfg.data_dir / "oidc"):
                print(f"OIDC_DEMO_{account['role'].upper()}={account['username']}:{account['password']}")
            return 0
        if args.command == "up":
            doc = up(cfg, args.timeout, catalog=not args.no_catalog)
        elif args.command == "stop":
            was_running = stop(cfg)
            print(json.dumps({"stopped": was_running, "data_dir": str(cfg.data_dir)}))
            return 0
        elif args.command == "reset":
            reset(cfg)
            print(json.dumps({"reset": True, "data_dir": str(cfg.data_dir)}))
            return 0
        else:
            doc = status(cfg)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"stack: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(doc, indent=2))
    if not doc["running"]:
        return 1
    return 0 if _all_up(doc) else 3


if __name__ == "__main__":
    sys.exit(main())
