"""The deployer against a live platform: deploy every feature, read it back, redeploy, change, uninstall.

The full manifest (tests/data/manifests/full) is deployed once per module with the real command line
(`python -m infra.deployer`); the tests then read every entity back through the REST API and use it.
The alarm-feed test needs the /whisk.system catalog, so it runs on the `stack` fixture.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.whisk import REPO, Whisk, annotation

FULL = REPO / "tests" / "data" / "manifests" / "full"
FEEDS = REPO / "tests" / "data" / "manifests" / "feeds"
WSK = REPO / "tests" / "data" / "manifests" / "wskdeploy"
ENTITIES = [
    ("packages", "dfull"),
    ("packages", "dfull-bound"),
    ("actions", "dfull/hello"),
    ("actions", "dfull/upper"),
    ("actions", "dfull/bundle"),
    ("actions", "dfull/boxed"),
    ("actions", "dfull/inline"),
    ("actions", "dfull/greet-seq"),
    ("triggers", "dfull-tick"),
    ("rules", "dfull-on-tick"),
]


def deployer(
    api_host: str, auth: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m infra.deployer` as deploy.sh does, with host and key from the environment."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("APIHOST", "AUTH", "NAMESPACE")}
    full_env.update({"APIHOST": api_host, "AUTH": auth, "WSK_CONFIG_FILE": os.devnull, **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "infra.deployer", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def namespace_of(whisk: Whisk) -> str:
    names = whisk.session.get(f"{whisk.api_host}/api/v1/namespaces", timeout=30).json()
    return str(names[0])


def get(whisk: Whisk, collection: str, name: str) -> dict[str, Any]:
    resp = whisk.session.get(whisk.url(collection, name), timeout=30)
    assert resp.status_code == 200, f"{collection}/{name}: {resp.status_code} {resp.text}"
    return dict(resp.json())


def kv(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return {p["key"]: p["value"] for p in pairs}


def versions(whisk: Whisk) -> dict[str, str]:
    return {f"{c}/{n}": str(get(whisk, c, n)["version"]) for c, n in ENTITIES}


@pytest.fixture(scope="module")
def full_env(whisk: Whisk) -> dict[str, str]:
    return {"DFULL_NS": namespace_of(whisk), "DFULL_REGION": "eu-de"}


@pytest.fixture(scope="module")
def deployed(whisk: Whisk, full_env: dict[str, str]) -> Iterator[subprocess.CompletedProcess[str]]:
    """The full manifest deployed once; uninstalled at the end whatever happened."""
    result = deployer(whisk.api_host, whisk.auth, "--manifest", str(FULL / "manifest.yaml"), env=full_env)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        yield result
    finally:
        deployer(
            whisk.api_host, whisk.auth, "--manifest", str(FULL / "manifest.yaml"), "--uninstall", env=full_env
        )


def has_api_gateway(whisk: Whisk) -> bool:
    """What the deployer checks too: a host without a gateway answers 404 on apimgmt/getApi."""
    url = f"{whisk.api_host}/api/v1/web/whisk.system/apimgmt/getApi.http"
    return whisk.session.get(url, timeout=30).status_code != 404


def operations(whisk: Whisk) -> int:
    """The full manifest's operations: its entities, and its API route where the host has a gateway."""
    return len(ENTITIES) + (1 if has_api_gateway(whisk) else 0)


def test_first_deploy_creates_every_entity(deployed: subprocess.CompletedProcess[str], whisk: Whisk) -> None:
    out = deployed.stdout
    for _collection, name in ENTITIES:
        assert f" {name}\n" in out or f" {name}  " in out, out
    if has_api_gateway(whisk):
        assert out.count("created ") == len(ENTITIES) + 1
        assert "created       api      dfull-api GET /dfull/hello" in out
    else:
        assert out.count("created ") == len(ENTITIES)
        assert "skipped       api      dfull-api" in out and "no API gateway on this host" in out


def test_package_and_binding_read_back(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str]
) -> None:
    pkg = get(whisk, "packages", "dfull")
    assert kv(pkg["parameters"]) == {
        "greeting": "Hello",
        "region": "eu-de",
        "retries": 0,
        "settings": {"colour": "blue", "sizes": [1, 2]},
    }
    assert kv(pkg["annotations"])["owner"] == "deployer-tests"
    assert pkg["publish"] is False
    binding = get(whisk, "packages", "dfull-bound")
    assert binding["binding"] == {"namespace": full_env["DFULL_NS"], "name": "dfull"}
    assert kv(binding["parameters"])["greeting"] == "Howdy"


def test_actions_read_back(deployed: subprocess.CompletedProcess[str], whisk: Whisk) -> None:
    hello = get(whisk, "actions", "dfull/hello")
    assert hello["exec"]["kind"].startswith("python:")
    assert hello["exec"]["code"] == (FULL / "src" / "hello.py").read_text()
    assert {k: hello["limits"][k] for k in ("timeout", "memory", "logs")} == {
        "timeout": 5000,
        "memory": 128,
        "logs": 5,
    }
    params = kv(hello["parameters"])
    assert (params["name"], params["punctuation"]) == ("world", "!")
    assert (annotation(hello, "web-export"), annotation(hello, "raw-http"), annotation(hello, "final")) == (
        True,
        False,
        True,
    )
    assert annotation(hello, "description") == "says hello"

    upper = get(whisk, "actions", "dfull/upper")
    assert (upper["exec"]["kind"], upper["exec"]["main"]) == ("python:3.11", "shout")

    bundle = get(whisk, "actions", "dfull/bundle")
    assert bundle["exec"]["binary"] is True and bundle["exec"]["kind"] == "python:3.11"
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(bundle["exec"]["code"]))).namelist()
    assert names == ["__main__.py", "shared/__init__.py", "shared/text.py"]
    assert annotation(bundle, "raw-http") is True
    assert annotation(bundle, "require-whisk-auth") == "dfull-secret-token"

    boxed = get(whisk, "actions", "dfull/boxed")
    assert (boxed["exec"]["kind"], boxed["exec"]["image"]) == ("blackbox", "openwhisk/action-python-v3.11")
    assert boxed["exec"]["code"] == hello["exec"]["code"]

    inline = get(whisk, "actions", "dfull/inline")
    assert "inline" in inline["exec"]["code"] and annotation(inline, "web-export") is True


def test_sequence_trigger_rule_read_back(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str]
) -> None:
    ns = full_env["DFULL_NS"]
    seq = get(whisk, "actions", "dfull/greet-seq")
    assert seq["exec"]["kind"] == "sequence"
    assert seq["exec"]["components"] == [f"/{ns}/dfull/hello", f"/{ns}/dfull/upper"]
    assert annotation(seq, "web-export") is True
    trigger = get(whisk, "triggers", "dfull-tick")
    assert kv(trigger["parameters"]) == {"source": "tests"}
    assert annotation(trigger, "purpose") == "manual firing"
    rule = get(whisk, "rules", "dfull-on-tick")
    assert rule["trigger"]["name"] == "dfull-tick"
    assert (rule["action"]["path"], rule["action"]["name"]) == (f"{ns}/dfull", "hello")
    assert rule["status"] == "active"


def test_deployed_entities_run(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str]
) -> None:
    hello = whisk.invoke("dfull/hello", {}, result=True)
    assert hello.status_code == 200, hello.text
    assert hello.json() == {"greeting": "Hello, world!", "region": "eu-de", "retries": 0}
    seq = whisk.invoke("dfull/greet-seq", {"name": "seq"}, result=True)
    assert seq.json() == {"greeting": "HELLO, SEQ!"}
    bound = whisk.invoke("dfull-bound/hello", {}, result=True)  # binding parameters win over the package's
    assert bound.json()["greeting"] == "Howdy, world!"
    web = f"{whisk.api_host}/api/v1/web/{full_env['DFULL_NS']}/dfull/bundle"
    allowed = requests.get(web, headers={"X-Require-Whisk-Auth": "dfull-secret-token"}, timeout=60)
    assert (allowed.status_code, allowed.text) == (200, "bundled:get")  # the included library was bundled
    assert requests.get(web, timeout=60).status_code == 401


def test_redeploy_unchanged_changes_nothing(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str]
) -> None:
    before = versions(whisk)
    again = deployer(whisk.api_host, whisk.auth, "--manifest", str(FULL / "manifest.yaml"), env=full_env)
    assert again.returncode == 0, again.stderr
    assert versions(whisk) == before
    assert again.stdout.count("unchanged ") == operations(whisk), again.stdout
    dry = deployer(
        whisk.api_host, whisk.auth, "--manifest", str(FULL / "manifest.yaml"), "--dry-run", env=full_env
    )
    assert dry.returncode == 0 and dry.stdout.count("-> unchanged") == operations(whisk), dry.stdout


def test_changed_code_updates_only_that_action(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str], tmp_path: Path
) -> None:
    copy = tmp_path / "full"
    shutil.copytree(FULL, copy)
    upper = copy / "src" / "upper.py"
    upper.write_text(upper.read_text().replace(".upper()", ".upper() + '?'"))
    before = versions(whisk)
    dry = deployer(
        whisk.api_host, whisk.auth, "--manifest", str(copy / "manifest.yaml"), "--dry-run", env=full_env
    )
    assert "dfull/upper  [" in dry.stdout and "-> would update (code)" in dry.stdout
    assert dry.stdout.count("-> would update") == 1
    assert versions(whisk) == before
    changed = deployer(whisk.api_host, whisk.auth, "--manifest", str(copy / "manifest.yaml"), env=full_env)
    assert changed.returncode == 0, changed.stderr
    after = versions(whisk)
    assert {k for k in before if before[k] != after[k]} == {"actions/dfull/upper"}
    assert whisk.invoke("dfull/upper", {"greeting": "a"}, result=True).json() == {"greeting": "A?"}
    restored = deployer(whisk.api_host, whisk.auth, "--manifest", str(FULL / "manifest.yaml"), env=full_env)
    assert "updated       action   dfull/upper  (code)" in restored.stdout


def test_uninstall_removes_everything_declared(
    deployed: subprocess.CompletedProcess[str], whisk: Whisk, full_env: dict[str, str]
) -> None:
    """Only declared entities go; a package holding an undeclared action is kept, with a reason."""
    stranger = f"dfull/{whisk.unique('stranger')}"
    whisk.put_action(stranger, "def main(a):\n    return a\n")  # not in the manifest: must survive
    args = ("--manifest", str(FULL / "manifest.yaml"), "--uninstall")
    result = deployer(whisk.api_host, whisk.auth, *args, env=full_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("deleted ") == operations(whisk) - 1
    assert "kept          package  dfull" in result.stdout and "not declare" in result.stdout
    for collection, name in ENTITIES:
        if name != "dfull":
            assert whisk.session.get(whisk.url(collection, name), timeout=30).status_code == 404, name
    assert whisk.session.get(whisk.url("actions", stranger), timeout=30).status_code == 200
    assert whisk.delete("actions", stranger).status_code == 200
    finish = deployer(whisk.api_host, whisk.auth, *args, env=full_env)
    assert "deleted       package  dfull" in finish.stdout, finish.stdout
    assert whisk.session.get(whisk.url("packages", "dfull"), timeout=30).status_code == 404
    again = deployer(whisk.api_host, whisk.auth, *args, env=full_env)
    assert again.returncode == 0 and again.stdout.count("absent ") == operations(whisk)


def test_alarm_feed_trigger_fires_rule(stack: Any, tmp_path: Path) -> None:
    """Feed trigger: PUT with the `feed` annotation, CREATE on the feed; the rule's action then runs."""
    alarms = stack.wsk.get(f"{stack.api_host}/api/v1/namespaces/whisk.system/packages/alarms", timeout=30)
    if alarms.status_code != 200:
        pytest.skip("/whisk.system/alarms is not installed on this platform (no catalog)")
    manifest = str(FEEDS / "manifest.yaml")
    result = deployer(stack.api_host, stack.auth, "--manifest", manifest)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        trigger = stack.wsk.get(
            f"{stack.api_host}/api/v1/namespaces/_/triggers/dfeed-every-2s", timeout=30
        ).json()
        assert annotation(trigger, "feed") == "/whisk.system/alarms/alarm"
        assert trigger.get("parameters") == []  # the inputs went to the feed, not onto the trigger
        deadline = time.monotonic() + 30
        found: list[Any] = []
        while time.monotonic() < deadline and not found:
            time.sleep(1)
            listing = stack.wsk.get(
                f"{stack.api_host}/api/v1/namespaces/_/activations",
                params={"name": "dfeed/tock", "limit": 5, "docs": "true"},
                timeout=30,
            )
            found = [a for a in listing.json() if a.get("response", {}).get("result", {}).get("greeting")]
        assert found, "the alarm did not fire the rule's action within 30 s"
        assert found[0]["response"]["result"]["greeting"] == "Hi, alarm"
        again = deployer(stack.api_host, stack.auth, "--manifest", manifest)
        assert "unchanged     trigger  dfeed-every-2s" in again.stdout, again.stdout
        # a changed feed input: the old feed is deleted and the trigger recreated; the rule stays active
        copy = tmp_path / "manifests"
        shutil.copytree(FEEDS.parent, copy)
        changed = copy / "feeds" / "manifest.yaml"
        changed.write_text(changed.read_text().replace("*/2 * * * * *", "*/3 * * * * *"))
        updated = deployer(stack.api_host, stack.auth, "--manifest", str(changed))
        assert "updated       trigger  dfeed-every-2s  (annotations)" in updated.stdout, updated.stdout
        rule = stack.wsk.get(f"{stack.api_host}/api/v1/namespaces/_/rules/dfeed-rule", timeout=30).json()
        assert rule["status"] == "active"
        read = stack.feed("READ", "/whisk.system/alarms/alarm", "/guest/dfeed-every-2s")
        assert read.status_code == 200, read.text
        assert read.json()["config"]["cron"] == "*/3 * * * * *"
    finally:
        removed = deployer(stack.api_host, stack.auth, "--manifest", manifest, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert "feed-deleted  trigger  dfeed-every-2s" in removed.stdout
    assert removed.stdout.index("feed-deleted") < removed.stdout.index("deleted       rule")
    read = stack.feed("READ", "/whisk.system/alarms/alarm", "/guest/dfeed-every-2s")
    assert read.status_code != 200, "the feed still knows the trigger after uninstall"


def test_platform_refusal_is_reported_with_status(whisk: Whisk, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def main(args):\n    return args\n")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "packages:\n  drefuse:\n    dependencies:\n      drefuse-bound:\n"
        "        location: /whisk.system/no-such-pkg\n"
        "    actions:\n      a:\n        function: a.py\n"
    )
    try:
        result = deployer(whisk.api_host, whisk.auth, "--manifest", str(manifest))
        assert result.returncode == 1
        assert "error: HTTP 4" in result.stderr and "drefuse-bound" in result.stderr
        assert "created       package  drefuse" in result.stdout  # done in order, stopped at the failure
        assert "action   drefuse/a" not in result.stdout
    finally:
        deployer(whisk.api_host, whisk.auth, "--manifest", str(manifest), "--uninstall")
    assert whisk.session.get(whisk.url("packages", "drefuse"), timeout=30).status_code == 404


def test_dry_run_refuses_kinds_the_host_does_not_offer(whisk: Whisk) -> None:
    """GET /api/v1 lists the host's runtimes; a kind it lacks stops the plan before anything changes."""
    result = deployer(
        whisk.api_host, whisk.auth, "--manifest", str(WSK / "runtimes" / "manifest.yaml"), "--dry-run"
    )
    kinds = whisk.session.get(f"{whisk.api_host}/api/v1", timeout=30).json()["runtimes"]
    offered = sorted(e["kind"] for entries in kinds.values() for e in entries if not e.get("deprecated"))
    if any(k.startswith("nodejs:") for k in offered):
        pytest.skip(f"this host offers nodejs ({', '.join(offered)}); nothing to refuse")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nothing was deployed" in result.stderr
    assert (
        "action runtimes/nodejs-no-version: runtime: nodejs:default: the host has no nodejs runtime"
        in result.stderr
    )
    assert f"it offers {', '.join(offered)}" in result.stderr
    assert "Dry run:" not in result.stdout  # refused before the plan was printed
    assert whisk.session.get(whisk.url("packages", "runtimes"), timeout=30).status_code == 404


def test_versionless_runtime_deploys_with_the_hosts_default_kind(whisk: Whisk, tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("def main(args):\n    return {'hello': args.get('name', 'you')}\n")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(
        "packages:\n  druntime:\n    actions:\n      hello:\n        function: hello.py\n"
        "        runtime: python\n"
    )
    info = whisk.session.get(f"{whisk.api_host}/api/v1", timeout=30).json()
    default = next(e["kind"] for e in info["runtimes"]["python"] if e.get("default"))
    try:
        result = deployer(whisk.api_host, whisk.auth, "--manifest", str(manifest))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "runtime python has no version; using python:default" in result.stderr
        assert get(whisk, "actions", "druntime/hello")["exec"]["kind"] == default
        again = deployer(whisk.api_host, whisk.auth, "--manifest", str(manifest))
        assert "unchanged     action   druntime/hello" in again.stdout
    finally:
        deployer(whisk.api_host, whisk.auth, "--manifest", str(manifest), "--uninstall")


def test_apis_deploy_through_the_api_gateway(whisk: Whisk) -> None:
    """`apis:` go through apimgmt createApi/getApi/deleteApi, as `wsk api` and wskdeploy call them."""
    if not has_api_gateway(whisk):
        pytest.skip(
            "this platform has no API gateway yet (GET /api/v1/web/whisk.system/apimgmt/getApi.http "
            "answers 404); the apis deployment is checked once infra/whisk serves apimgmt"
        )
    manifest = str(WSK / "apis" / "manifest.yaml")
    namespace = namespace_of(whisk)
    getapi = f"{whisk.api_host}/api/v1/web/whisk.system/apimgmt/getApi.http"
    try:
        result = deployer(whisk.api_host, whisk.auth, "--manifest", manifest)
        assert result.returncode == 0, result.stdout + result.stderr
        for route in ("GET /deposits/list", "GET /deposits/{id}", "POST /deposits/formatted"):
            assert f"created       api      deposits-api {route}" in result.stdout
        assert annotation(get(whisk, "actions", "apis/get-deposit"), "web-export") is True
        listed = whisk.session.get(getapi, params={"basepath": "/deposits"}, timeout=30).json()
        paths = listed["apis"][0]["value"]["apidoc"]["paths"]
        assert set(paths) == {"/list", "/{id}", "/formatted"} and "post" in paths["/formatted"]
        assert paths["/{id}"]["get"]["x-openwhisk"]["namespace"] == namespace
        again = deployer(whisk.api_host, whisk.auth, "--manifest", manifest)
        assert again.stdout.count("unchanged     api") == 3, again.stdout
    finally:
        removed = deployer(whisk.api_host, whisk.auth, "--manifest", manifest, "--uninstall")
    assert removed.stdout.count("deleted       api") == 3, removed.stdout
    after = whisk.session.get(getapi, params={"basepath": "/deposits"}, timeout=30)
    assert after.status_code == 404 or not after.json().get("apis")
