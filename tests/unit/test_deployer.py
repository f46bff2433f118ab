"""Deployer parts without a platform: zips, plans, change detection, host and key, the dry run."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from infra.deployer.__main__ import main
from infra.deployer.archive import IncludeEntry, build_zip
from infra.deployer.config import read_wskprops, resolve_target
from infra.deployer.environment import Variables
from infra.deployer.execute import Executor, differences
from infra.deployer.manifest import load_manifest
from infra.deployer.model import Action, Exec, Model, Package, Rule, Trigger
from infra.deployer.plan import FEED_CONFIG_ANNOTATION, plan_deploy, plan_uninstall
from infra.deployer.runtimes import resolve_kinds
from infra.owclient import normalize_apihost

FULL = Path(__file__).resolve().parents[1] / "data" / "manifests" / "full"
FULL_ENV = {"DFULL_NS": "guest", "DFULL_REGION": "eu"}


def full_model() -> Model:
    return load_manifest(FULL / "manifest.yaml", variables=Variables(environ=dict(FULL_ENV)))


# -- zips ---------------------------------------------------------------------------------------------------
@pytest.fixture
def action_tree(tmp_path: Path) -> Path:
    """A copy of the full manifest's directory, with byte-code litter that must never be zipped."""
    root = tmp_path / "full"
    shutil.copytree(FULL, root)
    cache = root / "src" / "bundle" / "__pycache__"
    cache.mkdir()
    (cache / "__main__.cpython-311.pyc").write_bytes(b"junk")
    (root / "lib" / "shared" / "text.pyc").write_bytes(b"junk")
    return root


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_zip_is_deterministic_and_filtered(action_tree: Path) -> None:
    include = [IncludeEntry("lib/shared", "shared")]
    exclude = ["src/bundle/notes.txt", "*.md"]
    first = build_zip(action_tree / "src" / "bundle", action_tree, include, exclude)
    # new timestamps and a different creation order must not change a byte
    for path in sorted(action_tree.rglob("*"), reverse=True):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    second = build_zip(action_tree / "src" / "bundle", action_tree, include, exclude)
    assert first == second
    assert zip_names(first) == ["__main__.py", "shared/__init__.py", "shared/text.py"]
    info = zipfile.ZipFile(io.BytesIO(first)).getinfo("shared/__init__.py")
    assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.file_size == 0  # empty files are kept
    (action_tree / "lib" / "shared" / "text.py").write_text("def tag(t):\n    return t\n")
    assert build_zip(action_tree / "src" / "bundle", action_tree, include, exclude) != first


def test_zip_include_forms(tmp_path: Path) -> None:
    (tmp_path / "act").mkdir()
    (tmp_path / "act" / "__main__.py").write_text("x = 1\n")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "a.py").write_text("a\n")
    (tmp_path / "common" / "b.txt").write_text("b\n")
    (tmp_path / "VERSION").write_text("1\n")
    data = build_zip(
        tmp_path / "act",
        tmp_path,
        [
            IncludeEntry("common/*.py", "lib"),
            IncludeEntry("VERSION"),
            IncludeEntry("../" + tmp_path.name + "/common"),
        ],
        [],
    )
    assert zip_names(data) == ["VERSION", "__main__.py", "common/a.py", "common/b.txt", "lib/a.py"]


# -- plans --------------------------------------------------------------------------------------------------
def test_deploy_plan_follows_wskdeploy_order() -> None:
    ops = plan_deploy(full_model(), "guest")
    assert [(op.verb, op.kind) for op in ops] == [
        ("deploy", "package"),
        ("deploy", "binding"),
        *[("deploy", "action")] * 5,
        ("deploy", "sequence"),
        ("deploy", "trigger"),
        ("deploy", "rule"),
        ("deploy", "api"),  # createApi on the API gateway, as wskdeploy
    ]
    seq = next(op for op in ops if op.kind == "sequence")
    assert seq.body["exec"] == {
        "kind": "sequence",
        "components": ["/guest/dfull/hello", "/guest/dfull/upper"],
    }
    rule = next(op for op in ops if op.kind == "rule")
    assert (rule.body["trigger"], rule.body["action"]) == ("/guest/dfull-tick", "/guest/dfull/hello")
    binding = next(op for op in ops if op.kind == "binding")
    assert binding.body["binding"] == {"namespace": "guest", "name": "dfull"}
    hello = next(op for op in ops if op.name == "dfull/hello")
    assert hello.body["limits"] == {"timeout": 5000, "memory": 128, "logs": 5}
    assert hello.inherited["region"] == "eu"


def feed_model() -> Model:
    return Model(
        manifest_path="m.yaml",
        packages=[Package("p")],
        actions=[Action("p", "a", Exec("python:3.11", "code"))],
        triggers=[
            Trigger("every-minute", "/whisk.system/alarms/interval", {"minutes": 1}, {"purpose": "x"}),
            Trigger("plain", None, {"k": "v"}),
        ],
        rules=[Rule("r", "every-minute", "p/a")],
    )


def test_feed_trigger_plan_sends_inputs_to_the_feed_not_the_trigger() -> None:
    op = next(op for op in plan_deploy(feed_model(), "guest") if op.name == "every-minute")
    assert op.feed == "/whisk.system/alarms/interval"
    assert op.feed_params == {"minutes": 1}
    assert op.body["parameters"] == []
    annotations = {kv["key"]: kv["value"] for kv in op.body["annotations"]}
    assert annotations["feed"] == "/whisk.system/alarms/interval"
    assert annotations["purpose"] == "x" and len(annotations[FEED_CONFIG_ANNOTATION]) == 16
    changed = feed_model()
    changed.triggers[0].parameters["minutes"] = 2
    op2 = next(op for op in plan_deploy(changed, "guest") if op.name == "every-minute")
    assert op2.body["annotations"] != op.body["annotations"]  # a changed feed input is a change


def test_uninstall_plan_is_reversed_with_feeds_first() -> None:
    ops = plan_uninstall(feed_model(), "guest")
    assert [(op.verb, op.kind, op.name) for op in ops] == [
        ("feed-delete", "trigger", "every-minute"),
        ("remove", "rule", "r"),
        ("remove", "trigger", "plain"),
        ("remove", "trigger", "every-minute"),
        ("remove", "action", "p/a"),
        ("remove", "package", "p"),
    ]


# -- change detection ---------------------------------------------------------------------------------------
def live_action(code: str, kind: str = "python:3.11", **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "exec": {"kind": kind, "code": code, "binary": False},
        "parameters": [{"key": "greeting", "value": "Hello"}, {"key": "name", "value": "world"}],
        "annotations": [{"key": "exec", "value": "python:3.11"}, {"key": "provide-api-key", "value": False}],
        "limits": {"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1},
    }
    record.update(extra)
    return record


def test_differences_of_an_action() -> None:
    model = Model(
        manifest_path="m",
        packages=[Package("p", {"greeting": "Hello"})],
        actions=[Action("p", "a", Exec("python:default", "print(1)"), {"name": "world"})],
    )
    op = next(op for op in plan_deploy(model, "guest") if op.kind == "action")
    # python:default resolved by the platform, package parameters merged into the GET, platform annotations
    assert differences(op, live_action("print(1)")) == []
    assert differences(op, live_action("print(2)")) == ["code"]
    assert differences(op, live_action("print(1)", kind="nodejs:20")) == ["kind"]
    other = live_action("print(1)", parameters=[{"key": "name", "value": "moon"}])
    assert differences(op, other) == ["parameters"]
    marked = live_action("print(1)", annotations=[{"key": "web-export", "value": True}])
    assert differences(op, marked) == ["annotations"]


def test_differences_of_a_rule() -> None:
    op = next(op for op in plan_deploy(feed_model(), "guest") if op.kind == "rule")
    live = {
        "trigger": {"path": "guest", "name": "every-minute"},
        "action": {"path": "guest/p", "name": "a"},
        "status": "active",
        "annotations": [],
    }
    assert differences(op, live) == []
    assert differences(op, {**live, "status": "inactive"}) == ["status"]
    assert differences(op, {**live, "action": {"path": "guest/p", "name": "b"}}) == ["action"]


# -- where to deploy ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("openwhisk.example.com", "https://openwhisk.example.com"),
        ("http://127.0.0.1:3233", "http://127.0.0.1:3233"),
        ("https://h:443/api/v1/", "https://h:443"),
    ],
)
def test_normalize_apihost(given: str, expected: str) -> None:
    assert normalize_apihost(given) == expected


def test_target_precedence(tmp_path: Path) -> None:
    props = tmp_path / "wskprops"
    props.write_text("APIHOST=props.example\nAUTH=p:k\nNAMESPACE=propsns\n")
    wsk = read_wskprops(props)
    only_props = resolve_target(Variables(environ={}), wskprops=wsk)
    assert (only_props.apihost, only_props.auth, only_props.namespace) == ("props.example", "p:k", "propsns")
    from_env = resolve_target(Variables(environ={"APIHOST": "env.example", "AUTH": "e:k"}), wskprops=wsk)
    assert (from_env.apihost, from_env.auth) == ("env.example", "e:k")
    flags = resolve_target(
        Variables(environ={"APIHOST": "env.example"}), apihost="flag.example", namespace="ns", wskprops=wsk
    )
    assert (flags.apihost, flags.namespace) == ("flag.example", "ns")
    assert resolve_target(Variables(environ={}), wskprops={}).namespace == "_"


# -- the command line ---------------------------------------------------------------------------------------
def test_dry_run_against_unreachable_host_prints_the_whole_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in FULL_ENV.items():
        monkeypatch.setenv(key, value)
    code = main(
        [
            "--manifest",
            str(FULL / "manifest.yaml"),
            "--dry-run",
            "--apihost",
            "http://127.0.0.1:9",
            "--auth",
            "u:k",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    for name in (
        "package  dfull",
        "binding  dfull-bound",
        "action   dfull/hello",
        "action   dfull/bundle",
        "sequence dfull/greet-seq",
        "trigger  dfull-tick",
        "rule     dfull-on-tick",
        "api      dfull-api",
    ):
        assert name in out
    assert "cannot reach http://127.0.0.1:9" in out
    assert "Dry run: nothing was changed." in out
    assert "eu" not in out.split("inputs=")[1].split("]")[0]  # parameter names only, never values


def test_uninstall_dry_run_without_any_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("WSK_CONFIG_FILE", str(tmp_path / "none"))
    for key in ("APIHOST", "AUTH", "NAMESPACE"):
        monkeypatch.delenv(key, raising=False)
    env = tmp_path / "vars.env"
    env.write_text("DFULL_NS=guest\nDFULL_REGION=eu\n")
    code = main(["--manifest", str(FULL / "manifest.yaml"), "--env", str(env), "--dry-run", "--uninstall"])
    out = capsys.readouterr().out
    assert code == 0
    assert "no API host/key configured" in out
    assert out.index("remove      rule") < out.index("remove      action") < out.index("remove      package")


def test_manifest_problems_exit_2_before_any_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DFULL_REGION", raising=False)
    monkeypatch.setenv("DFULL_NS", "guest")
    code = main(
        ["--manifest", str(FULL / "manifest.yaml"), "--apihost", "http://127.0.0.1:9", "--auth", "u:k"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "package dfull: inputs.region: required, but $DFULL_REGION is not set" in err


def test_missing_host_and_missing_env_file_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("WSK_CONFIG_FILE", str(tmp_path / "none"))
    for key in ("APIHOST", "AUTH"):
        monkeypatch.delenv(key, raising=False)
    for key, value in FULL_ENV.items():
        monkeypatch.setenv(key, value)
    assert main(["--manifest", str(FULL / "manifest.yaml")]) == 2
    assert "no API host" in capsys.readouterr().err
    assert main(["--manifest", str(FULL / "manifest.yaml"), "--env", str(tmp_path / "absent.env")]) == 2
    assert "absent.env not found" in capsys.readouterr().err


def test_defaults_local_env_and_deployment_yaml_are_found(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in FULL_ENV:
        monkeypatch.delenv(key, raising=False)
    shutil.copytree(FULL, tmp_path, dirs_exist_ok=True)
    (tmp_path / "local.env").write_text("DFULL_NS=guest\nDFULL_REGION=eu\n")
    assert main(["--check", "--dry-run"]) == 0  # manifest.yaml and local.env from the current directory
    assert "manifest OK" in capsys.readouterr().out
    (tmp_path / "deployment.yaml").write_text("packages:\n  dfull:\n    inptus: {}\n")
    assert main(["--check", "--dry-run"]) == 2  # deployment.yaml beside the manifest is read (and checked)
    assert "deployment.yaml: package dfull: inptus: unknown key" in capsys.readouterr().err


# -- API routes and runtime kinds ---------------------------------------------------------------------------
WSK = Path(__file__).resolve().parents[1] / "data" / "manifests" / "wskdeploy"


def apis_model() -> Model:
    return load_manifest(WSK / "apis" / "manifest.yaml", variables=Variables(environ={}))


def test_api_routes_are_planned_last_and_removed_first() -> None:
    ops = plan_deploy(apis_model(), "guest")
    assert [op.kind for op in ops][-3:] == ["api", "api", "api"]
    get = next(op for op in ops if op.name == "deposits-api GET /deposits/{id}")
    assert get.body == {
        "apiName": "deposits-api",
        "gatewayBasePath": "/deposits",
        "gatewayPath": "/{id}",
        "gatewayMethod": "GET",
        "action": "apis/get-deposit",
        "responseType": "http",
        "pathParameters": ["id"],
    }
    removal = plan_uninstall(apis_model(), "guest")
    assert [(op.verb, op.kind) for op in removal][:3] == [("api-delete", "api")] * 3


class FakeGateway:
    """The API gateway part of WhiskClient, in memory (the real one is tested in tests/integration)."""

    apihost = "http://whisk.example:3233"
    auth = "uuid-1:secret"

    def __init__(self, present: bool = True) -> None:
        self.present = present
        self.created: list[tuple[dict[str, object], str]] = []
        self.routes: dict[tuple[str, str, str], str] = {}

    def get_apis(self, base_path: str) -> list[dict[str, object]] | None:
        if not self.present:
            return None
        paths: dict[str, dict[str, object]] = {}
        for (base, rel, verb), action in self.routes.items():
            if base == base_path:
                paths.setdefault(rel, {})[verb.lower()] = {"x-openwhisk": {"action": action}}
        return [{"value": {"apidoc": {"basePath": base_path, "paths": paths}}}] if paths else []

    def has_api_gateway(self) -> bool:
        return self.present

    def create_api(self, apidoc: dict[str, object], response_type: str) -> dict[str, object]:
        self.created.append((apidoc, response_type))
        action = apidoc["action"]
        assert isinstance(action, dict)
        key = (str(apidoc["gatewayBasePath"]), str(apidoc["gatewayPath"]), str(apidoc["gatewayMethod"]))
        self.routes[key] = str(action["name"]).rpartition("/")[2]
        return {}

    def delete_api(self, base_path: str, rel_path: str, verb: str) -> bool:
        return self.routes.pop((base_path, rel_path, verb), None) is not None


def test_executor_creates_each_route_once_as_wsk_api_create() -> None:
    gateway = FakeGateway()
    executor = Executor(gateway, "guest", say=lambda _line: None)  # type: ignore[arg-type]
    ops = [op for op in plan_deploy(apis_model(), "guest") if op.kind == "api"]
    assert [executor.step(op, dry_run=True).status for op in ops] == ["would create"] * 3
    assert [executor.step(op, dry_run=False).status for op in ops] == ["created"] * 3
    apidoc, response = gateway.created[1]
    assert response == "http"
    assert apidoc["id"] == "API:guest:/deposits" and apidoc["gatewayPath"] == "/{id}"
    assert apidoc["action"] == {
        "name": "apis/get-deposit",
        "namespace": "guest",
        "backendMethod": "GET",
        "backendUrl": "http://whisk.example:3233/api/v1/web/guest/apis/get-deposit.http",
        "authkey": "uuid-1:secret",
    }
    assert [executor.step(op, dry_run=False).status for op in ops] == ["unchanged"] * 3
    removal = [op for op in plan_uninstall(apis_model(), "guest") if op.kind == "api"]
    assert [executor.step(op, dry_run=False).status for op in removal] == ["deleted"] * 3
    assert [executor.step(op, dry_run=False).status for op in removal] == ["absent"] * 3


def test_executor_skips_routes_where_the_host_has_no_gateway() -> None:
    lines: list[str] = []
    executor = Executor(FakeGateway(present=False), "guest", say=lines.append)  # type: ignore[arg-type]
    op = next(op for op in plan_deploy(apis_model(), "guest") if op.kind == "api")
    outcome = executor.step(op, dry_run=False)
    assert outcome.status == "skipped" and "no API gateway" in outcome.detail
    assert lines and lines[0].startswith("warning: api deposits-api")


def test_kinds_are_resolved_and_checked_against_the_host() -> None:
    model = load_manifest(WSK / "runtimes" / "manifest.yaml", variables=Variables(environ={}))
    problems = resolve_kinds(model, {"python:3.11", "python:3.12"}, {"python": "python:3.11"})
    kinds = {a.name: a.exec.kind for a in model.actions}
    assert kinds["python-no-version"] == "python:3.11" and kinds["explicit"] == "python:3.11"
    refused = {p.entity: p.message for p in problems}
    assert set(refused) == {"action runtimes/nodejs-no-version", "action runtimes/java-jar-no-runtime"}
    assert refused["action runtimes/nodejs-no-version"] == (
        "nodejs:default: the host has no nodejs runtime (it offers python:3.11, python:3.12)"
    )
    exact = Model("m", actions=[Action(None, "a", Exec("python:3.9", "x"))])
    (problem,) = resolve_kinds(exact, {"python:3.11"}, {"python": "python:3.11"})
    assert problem.message == "python:3.9 is not a runtime kind this host offers (it offers python:3.11)"
    assert resolve_kinds(exact, set(), {}) == []  # a host that lists no runtimes is not checked


def test_zip_glob_matching_nothing_warns_and_included_files_beat_exclude(tmp_path: Path) -> None:
    (tmp_path / "act").mkdir()
    (tmp_path / "act" / "index.js").write_text("x\n")
    (tmp_path / "act" / "notes.md").write_text("n\n")
    warnings: list[str] = []
    data = build_zip(
        tmp_path / "act",
        tmp_path,
        [IncludeEntry("nothing/*.js", "lib/"), IncludeEntry("act/notes.md", "docs/notes.md")],
        ["*.md"],
        warnings,
    )
    assert zip_names(data) == ["docs/notes.md", "index.js"]  # excluded in place, included where asked
    assert warnings == ["include[0] 'nothing/*.js' matches nothing; nothing added"]
