"""The manifest loader: every feature of the wskdeploy format we support, and every mistake it reports."""

from __future__ import annotations

import base64
import io
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.deployer.environment import Variables, read_env_file
from infra.deployer.errors import ManifestError
from infra.deployer.manifest import load_manifest, parse_cli_value
from infra.deployer.model import Model

FULL = Path(__file__).resolve().parents[1] / "data" / "manifests" / "full"
FULL_VARS = {"DFULL_NS": "guest", "DFULL_REGION": "eu-de"}


def load_full(**kwargs: Any) -> Model:
    variables = kwargs.pop("variables", Variables(environ=dict(FULL_VARS)))
    return load_manifest(FULL / "manifest.yaml", variables=variables, **kwargs)


def write(tmp_path: Path, text: str, name: str = "manifest.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def hello_py(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("def main(args):\n    return {}\n")


def problems_of(path: Path, env: dict[str, str] | None = None, **kwargs: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ManifestError) as info:
        load_manifest(path, variables=Variables(environ=env or {}), **kwargs)
    return [(p.entity, p.key, p.message) for p in info.value.problems]


# -- the full test manifest ---------------------------------------------------------------------------------
def test_full_manifest_packages_and_typed_inputs() -> None:
    model = load_full()
    assert [p.name for p in model.packages] == ["dfull"]
    pkg = model.packages[0]
    assert pkg.parameters == {
        "greeting": "Hello",
        "region": "eu-de",
        "retries": 0,  # `retries: integer` declares an integer with its zero value
        "settings": {"colour": "blue", "sizes": [1, 2]},
    }
    assert pkg.annotations == {"owner": "deployer-tests"}


def test_full_manifest_binding_from_dependency() -> None:
    model = load_full()
    assert len(model.bindings) == 1
    binding = model.bindings[0]
    assert (binding.name, binding.target_namespace, binding.target_package) == (
        "dfull-bound",
        "guest",
        "dfull",
    )
    assert binding.parameters == {"greeting": "Howdy"}


def test_full_manifest_actions() -> None:
    actions = {a.name: a for a in load_full().actions}
    assert set(actions) == {"hello", "upper", "bundle", "boxed", "inline"}
    hello = actions["hello"]
    assert hello.qualified == "dfull/hello"
    assert hello.exec.kind == "python:default"  # inferred from .py
    assert hello.exec.code == (FULL / "src" / "hello.py").read_text()
    assert hello.exec.binary is False
    assert hello.limits == {"timeout": 5000, "memory": 128, "logs": 5}
    assert hello.parameters == {"name": "world", "punctuation": "!"}  # multi-line `default` used
    assert hello.annotations == {
        "description": "says hello",
        "web-export": True,
        "raw-http": False,
        "final": True,
    }

    upper = actions["upper"]
    assert (upper.exec.kind, upper.exec.main) == ("python:3.11", "shout")

    bundle = actions["bundle"]
    assert bundle.exec.binary is True and bundle.exec.kind == "python:3.11"
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(bundle.exec.code or ""))).namelist()
    assert names == ["__main__.py", "shared/__init__.py", "shared/text.py"]
    assert bundle.annotations == {
        "require-whisk-auth": "dfull-secret-token",
        "web-export": True,
        "raw-http": True,
        "final": True,
    }

    boxed = actions["boxed"]
    assert (boxed.exec.kind, boxed.exec.image) == ("blackbox", "openwhisk/action-python-v3.11")
    assert boxed.exec.code == hello.exec.code  # docker + function: the code is still sent

    inline = actions["inline"]
    assert inline.exec.code is not None and "inline" in inline.exec.code
    assert inline.annotations["web-export"] is True  # web-export: yes


def test_full_manifest_sequences_triggers_rules_apis() -> None:
    model = load_full()
    (seq,) = model.sequences
    assert seq.qualified == "dfull/greet-seq"
    assert seq.components == ["dfull/hello", "dfull/upper"]  # bare names get the package prefix
    assert seq.annotations == {"web-export": True, "raw-http": False, "final": True}
    (trigger,) = model.triggers
    assert (trigger.name, trigger.feed, trigger.parameters) == ("dfull-tick", None, {"source": "tests"})
    (rule,) = model.rules
    assert (rule.name, rule.trigger, rule.action) == ("dfull-on-tick", "dfull-tick", "dfull/hello")
    (api,) = model.apis
    assert (api.base_path, api.relative_path, api.action, api.method) == (
        "/dfull",
        "/hello",
        "dfull/hello",
        "GET",
    )


def test_deployment_overlay_wins_and_keeps_manifest_only_keys() -> None:
    model = load_full(deployment=FULL / "overlay-deployment.yaml")
    pkg = model.packages[0]
    assert pkg.parameters["greeting"] == "Bonjour"
    assert pkg.parameters["region"] == "eu-de"
    hello = next(a for a in model.actions if a.name == "hello")
    assert hello.parameters == {"name": "monde", "punctuation": "!"}
    assert hello.annotations["overlay"] == "applied"
    assert hello.annotations["description"] == "says hello"


def test_cli_param_overrides_manifest_and_deployment() -> None:
    model = load_full(deployment=FULL / "overlay-deployment.yaml", params={"greeting": "Hej", "name": "du"})
    assert model.packages[0].parameters["greeting"] == "Hej"
    assert next(a for a in model.actions if a.name == "hello").parameters["name"] == "du"


def test_parse_cli_value_reads_json_else_string() -> None:
    assert parse_cli_value("3") == 3
    assert parse_cli_value('{"a": [1]}') == {"a": [1]}
    assert parse_cli_value("plain text") == "plain text"


# -- variables ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "missing"),
    [
        ("$HOST", "db.example", []),
        ("${HOST}", "db.example", []),
        ("https://${HOST}:${PORT}/x", "https://db.example:5984/x", []),
        ("$${HOST}", "${HOST}", []),  # escaped: a literal ${HOST}
        ("keep $${HOST} but use ${PORT}", "keep ${HOST} but use 5984", []),
        ("${UNSET_ONE}", "", ["UNSET_ONE"]),
        ("price is $5", "price is $5", []),  # neither starts with $ nor contains ${: untouched
        ("pa$word", "pa$word", []),
    ],
)
def test_substitution(text: str, expected: str, missing: list[str]) -> None:
    variables = Variables(environ={"HOST": "db.example", "PORT": "5984"})
    assert variables.substitute(text) == (expected, missing)


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env = tmp_path / "local.env"
    env.write_text(
        "# a comment\n\nexport A=from-file\nB = 'quoted value'\nC=\"x # not a comment\"\nD=plain # comment\n"
    )
    values = read_env_file(env)
    assert values == {"A": "from-file", "B": "quoted value", "C": "x # not a comment", "D": "plain"}
    variables = Variables(environ={"A": "from-env"}, env_file=values)
    assert variables.substitute("${A}/${B}") == ("from-env/quoted value", [])
    # wskdeploy: an unbraced name runs to the next $, { or }, so "$A/" names the variable "A/"
    assert variables.substitute("$A/${B}") == ("quoted value", ["A/"])


def test_env_file_bad_line_names_file_and_line(tmp_path: Path) -> None:
    env = tmp_path / "local.env"
    env.write_text("GOOD=1\nthis is not an assignment\n")
    with pytest.raises(ManifestError) as info:
        read_env_file(env)
    (problem,) = info.value.problems
    assert (problem.file, problem.entity) == (str(env), "line 2")


def test_template_env_file_parses() -> None:
    values = read_env_file(Path(__file__).resolve().parents[2] / "template.local.env")
    for name in (
        "APIHOST",
        "AUTH",
        "NAMESPACE",
        "CLOUDANT_URL",
        "CLOUDANT_APIKEY",
        "COS_HMAC_ACCESS_KEY_ID",
        "COS_HMAC_SECRET_ACCESS_KEY",
        "COS_API_KEY",
        "COS_SERVICE_INSTANCE_ID",
        "TOKEN_SECRET",
        "RUNTIME_IMAGE",
        "SENDGRID_API_KEY",
        "COS_PUBLIC_ENDPOINT",
        "COS_REGION",
    ):
        assert name in values


def test_variables_in_names_function_and_feed(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          ${PKG}:
            actions:
              $ACTION:
                function: ${SRC}
            triggers:
              ${TRIG}:
                feed: /whisk.system/${FEEDPKG}/alarm
                inputs:
                  cron: "*/5 * * * *"
            rules:
              r:
                trigger: ${TRIG}
                action: $ACTION
    """,
    )
    env = {"PKG": "app", "ACTION": "act", "SRC": "hello.py", "TRIG": "tick", "FEEDPKG": "alarms"}
    model = load_manifest(path, variables=Variables(environ=env))
    assert model.packages[0].name == "app"
    assert model.actions[0].qualified == "app/act"
    assert model.triggers[0].feed == "/whisk.system/alarms/alarm"
    assert (model.rules[0].trigger, model.rules[0].action) == ("tick", "app/act")


def test_typed_inputs_convert_substituted_values(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            inputs:
              port: {type: integer, value: $PORT}
              ratio: {type: float, value: "${RATIO}"}
              flag: {type: boolean, value: $FLAG}
              doc: {type: json, value: '{"a": 1}'}
              empty_bool: boolean
              empty_json: json
              nested: {"url": "${URL}", "list": ["$PORT"]}
            actions:
              a: {function: hello.py}
    """,
    )
    env = {"PORT": "8080", "RATIO": "0.5", "FLAG": "true", "URL": "http://x"}
    params = load_manifest(path, variables=Variables(environ=env)).packages[0].parameters
    assert params == {
        "port": 8080,
        "ratio": 0.5,
        "flag": True,
        "doc": {"a": 1},
        "empty_bool": False,
        "empty_json": {},
        "nested": {"url": "http://x", "list": ["8080"]},
    }


def test_empty_package_input_takes_variable_of_same_name(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            inputs:
              dbname: string
            actions:
              a: {function: hello.py}
    """,
    )
    params = load_manifest(path, variables=Variables(environ={"dbname": "deposits"})).packages[0].parameters
    assert params == {"dbname": "deposits"}


# -- web ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", (True, False, True)),
        ("yes", (True, False, True)),
        ("raw", (True, True, True)),
        ("false", (False, False, False)),
        ("no", (False, False, False)),
        ("Raw", (True, True, True)),
    ],
)
def test_web_annotations(tmp_path: Path, value: str, expected: tuple[bool, bool, bool]) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        f"""
        packages:
          p:
            actions:
              a:
                function: hello.py
                web: {value}
                annotations:
                  web-export: maybe
                  final: 7
    """,
    )
    annotations = load_manifest(path, variables=Variables(environ={})).actions[0].annotations
    assert (annotations["web-export"], annotations["raw-http"], annotations["final"]) == expected


def test_web_wins_over_web_export(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a: {function: hello.py, web: raw, web-export: false}
    """,
    )
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.actions[0].annotations["raw-http"] is True
    assert any("both web and web-export" in w for w in model.warnings)


def test_default_package_deploys_no_package(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        project:
          name: p
          packages:
            default:
              actions:
                a: {function: hello.py}
              sequences:
                s: {actions: a}
              triggers:
                t: {}
              rules:
                r: {trigger: t, action: s}
    """,
    )
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.packages == []
    assert model.actions[0].qualified == "a"
    assert model.sequences[0].components == ["a"]
    assert model.rules[0].action == "s"


# -- mistakes -----------------------------------------------------------------------------------------------
def test_unknown_keys_are_reported_with_entity_and_key(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            colour: red
            actions:
              a:
                function: hello.py
                runtme: python:3.11
                limits: {timeout: 1000, cpu: 2}
                inputs:
                  x: {type: string, value: v, requird: true}
            triggers:
              t: {feeed: /whisk.system/alarms/alarm}
            rules:
              r: {trigger: t, action: a, when: now}
    """,
    )
    problems = problems_of(path)
    keys = {(entity, key) for entity, key, _ in problems}
    assert keys == {
        ("package p", "colour"),
        ("action p/a", "runtme"),
        ("action p/a", "limits.cpu"),
        ("action p/a", "inputs.x.requird"),
        ("trigger t", "feeed"),
        ("rule r", "when"),
    }
    assert all("unknown" in message for _, _, message in problems)


def test_every_problem_names_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a: {function: missing.py}
    """,
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(path, variables=Variables(environ={}))
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert (problem.entity, problem.key) == ("action p/a", "function")
    assert "missing.py" in problem.message
    assert str(path) in str(info.value) and "action p/a: function:" in str(info.value)


def test_dangling_references(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a: {function: hello.py}
            sequences:
              s: {actions: "a, nothere"}
            triggers:
              t: {}
            rules:
              r1: {trigger: t, action: ghost}
              r2: {trigger: nobody, action: a}
    """,
    )
    # as wskdeploy: undeclared entities may exist in the namespace, so the platform checks them
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.sequences[0].components == ["p/a", "p/nothere"]
    assert [(r.name, r.trigger, r.action) for r in model.rules] == [
        ("r1", "t", "p/ghost"),
        ("r2", "nobody", "p/a"),
    ]
    warnings = "\n".join(model.warnings)
    assert "sequence p/s: 'p/nothere' is not declared in the manifest" in warnings
    assert "rule r1: action 'p/ghost' is not declared" in warnings
    assert "rule r2: trigger 'nobody' is not declared" in warnings


def test_references_to_bindings_and_other_namespaces_are_allowed(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            dependencies:
              db: {location: /whisk.system/cloudant, inputs: {dbname: x}}
            actions:
              a: {function: hello.py}
            sequences:
              s: {actions: "db/read, a, /whisk.system/utils/echo"}
            triggers:
              changes: {feed: db/changes}
            rules:
              r: {trigger: changes, action: s}
    """,
    )
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.sequences[0].components == ["db/read", "p/a", "/whisk.system/utils/echo"]


def test_required_variable_unset_names_the_variable(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            inputs:
              cloudant_url: {type: string, value: "${CLOUDANT_URL}", required: true}
              optional: {type: string, value: "${NOT_NEEDED}"}
            actions:
              a: {function: hello.py}
    """,
    )
    (problem,) = problems_of(path)
    assert problem[:2] == ("package p", "inputs.cloudant_url")
    assert "$CLOUDANT_URL is not set" in problem[2]
    model = load_manifest(path, variables=Variables(environ={"CLOUDANT_URL": "http://db"}))
    assert model.packages[0].parameters == {"cloudant_url": "http://db", "optional": ""}


def test_required_satisfied_by_deployment_file(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a:
                function: hello.py
                inputs:
                  token: {type: string, required: true}
    """,
    )
    deployment = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a:
                inputs:
                  token: from-deployment
    """,
        name="deployment.yaml",
    )
    model = load_manifest(path, deployment=deployment, variables=Variables(environ={}))
    assert model.actions[0].parameters == {"token": "from-deployment"}


def test_deployment_file_is_validated_too(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(tmp_path, "packages:\n  p:\n    actions:\n      a: {function: hello.py}\n")
    deployment = write(tmp_path, "packages:\n  p:\n    actions:\n      a: {inptus: {x: 1}}\n", name="d.yaml")
    with pytest.raises(ManifestError) as info:
        load_manifest(path, deployment=deployment, variables=Variables(environ={}))
    (problem,) = info.value.problems
    assert (problem.file, problem.entity, problem.key) == (str(deployment), "action p/a", "inptus")


@pytest.mark.parametrize(
    ("action_yaml", "key", "fragment"),
    [
        ("{function: hello.py, code: 'x'}", "code", "not both"),
        ("{code: 'def main(a): return a'}", "runtime", "required with inline code"),
        ("{function: src}", "runtime", "directory action"),
        ("{function: data.bin}", "runtime", "cannot infer"),
        ("{function: hello.py, runtime: 'python 3'}", "runtime", "not a runtime kind"),
        ("{}", "function", "missing"),
        ("{function: hello.py, web: sometimes}", "web", "expected true, yes, raw"),
        ("{function: hello.py, annotations: {require-whisk-auth: ''}}", "annotations.require-whisk-auth", ""),
        (
            "{function: hello.py, annotations: {require-whisk-auth: 9007199254740993}}",
            "annotations.require-whisk-auth",
            "",
        ),
        ("{function: hello.py, inputs: {n: {type: integer, value: abc}}}", "inputs.n", "not of type integer"),
        ("{function: hello.py, inputs: {n: {type: decimal, value: 1}}}", "inputs.n.type", "unknown type"),
        ("{function: hello.py, include: [[a, 7]]}", "include[0]", "expected [source]"),
        ("{function: src, runtime: python:3.11, include: [[nothing-here]]}", "include[0]", "matches nothing"),
        ("{function: https://example.com/a.py}", "function", "remote"),
        ("{function: data.bin, runtime: python}", "runtime", "extension names no runtime"),
        ("{code: 'def main(a): return a', runtime: cobol}", "runtime", "not a runtime kind"),
    ],
)
def test_action_mistakes(tmp_path: Path, action_yaml: str, key: str, fragment: str) -> None:
    hello_py(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__main__.py").write_text("def main(a): return a\n")
    (tmp_path / "data.bin").write_bytes(b"\x00\x01")
    path = write(tmp_path, f"packages:\n  p:\n    actions:\n      a: {action_yaml}\n")
    problems = problems_of(path)
    assert [(e, k) for e, k, _ in problems] == [("action p/a", key)]
    assert fragment in problems[0][2]


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("github.com/apache/openwhisk-test/packages/helloworlds", "GitHub"),
        ("/only-namespace", "expected"),
        ("", "missing"),
    ],
)
def test_dependency_mistakes(tmp_path: Path, location: str, fragment: str) -> None:
    path = write(tmp_path, f"packages:\n  p:\n    dependencies:\n      d: {{location: '{location}'}}\n")
    (problem,) = problems_of(path)
    assert problem[:2] == ("dependency p/d", "location") and fragment in problem[2]


def test_yaml_errors_and_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, "packages:\n  p:\n    actions: {a: 1\n")
    (problem,) = problems_of(path)
    assert problem[0] == "(yaml)" and problem[1].startswith("line ")
    dup = write(tmp_path, "packages:\n  p: {}\n  p: {}\n", name="dup.yaml")
    (problem,) = problems_of(dup)
    assert "duplicate key 'p'" in problem[2]


def test_root_mistakes(tmp_path: Path) -> None:
    path = write(tmp_path, "package:\n  name: old-style\n")
    problems = problems_of(path)
    assert ("(root)", "package") in [(e, k) for e, k, _ in problems]
    empty = write(tmp_path, "", name="empty.yaml")
    assert problems_of(empty)[0][:2] == ("(root)", "(document)")


def test_all_problems_reported_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        packages:
          p:
            inputs:
              secret: {type: string, value: $SECRET, required: true}
            actions:
              a: {function: missing.py}
            rules:
              r: {action: a}
    """,
    )
    problems = problems_of(path)
    assert len(problems) == 3  # secret, function and the rule's missing trigger
    assert {k for _, k, _ in problems} >= {"inputs.secret", "function", "trigger"}


def test_unsupported_limits_warn_and_invalid_values_are_ignored(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a:
                function: hello.py
                limits: {timeout: fast, memorySize: 256, concurrentActivations: 3}
    """,
    )
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.actions[0].limits == {"memory": 256}
    assert any("concurrentActivations" in w for w in model.warnings)
    assert any("limits.timeout" in w for w in model.warnings)


def test_empty_docker_variable_falls_back_to_runtime(tmp_path: Path) -> None:
    """`docker: ${RUNTIME_IMAGE}` deploys the image where it is set and the plain runtime where it is not."""
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """
        packages:
          p:
            actions:
              a: {function: hello.py, runtime: python:3.11, docker: "${RUNTIME_IMAGE}"}
    """,
    )
    local = load_manifest(path, variables=Variables(environ={}))
    assert (local.actions[0].exec.kind, local.actions[0].exec.image) == ("python:3.11", None)
    assert any("RUNTIME_IMAGE" in w for w in local.warnings)
    remote = load_manifest(path, variables=Variables(environ={"RUNTIME_IMAGE": "me/openchecks:1"}))
    assert (remote.actions[0].exec.kind, remote.actions[0].exec.image) == ("blackbox", "me/openchecks:1")
    assert remote.actions[0].exec.code == (tmp_path / "hello.py").read_text()


def test_function_from_unset_variable_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "packages:\n  p:\n    actions:\n      a: {function: $ACTION_SRC}\n")
    (problem,) = problems_of(path)
    assert problem[:2] == ("action p/a", "function") and "$ACTION_SRC not set" in problem[2]


# -- wskdeploy's grammar: our own manifests in the shape of wskdeploy's tests --------------------------------
WSK = Path(__file__).resolve().parents[1] / "data" / "manifests" / "wskdeploy"


def load_wsk(name: str, env: dict[str, str] | None = None, **kwargs: Any) -> Model:
    return load_manifest(WSK / name, variables=Variables(environ=env or {}), **kwargs)


def test_runtimes_without_version_take_the_kind_from_the_extension() -> None:
    model = load_wsk("runtimes/manifest.yaml")
    kinds = {a.name: a.exec.kind for a in model.actions}
    assert kinds == {
        "python-no-version": "python:default",
        "nodejs-no-version": "nodejs:default",
        "java-jar-no-runtime": "java:default",
        "implicit-python": "python:default",
        "mismatched": "python:default",  # wskdeploy: the .py file wins over runtime nodejs:default
        "explicit": "python:3.11",
        "inline-no-version": "python:default",
        "directory": "python:3.11",
    }
    jar = next(a for a in model.actions if a.name == "java-jar-no-runtime")
    assert jar.exec.binary and base64.b64decode(jar.exec.code or "")[:2] == b"PK" and jar.exec.main == "Hello"
    warnings = "\n".join(model.warnings)
    assert "python-no-version: runtime python has no version; using python:default" in warnings
    assert "mismatched: runtime nodejs:default does not match the .py file; using python:default" in warnings
    assert not any("explicit" in w or "implicit-python" in w for w in model.warnings)


def test_references_outside_the_manifest_are_left_to_the_platform() -> None:
    model = load_wsk("references/manifest.yaml")
    assert model.sequences[0].components == [
        "references/hello",
        "shared-tools/format",
        "/whisk.system/utils/echo",
    ]
    assert {t.name: t.feed for t in model.triggers} == {
        "from-binding": "existing-binding/changes",
        "from-default-package": "myfeed",
    }
    assert [(r.trigger, r.action) for r in model.rules] == [
        ("made-elsewhere", "references/hello"),
        ("from-binding", "references/not-in-this-manifest"),
    ]
    warnings = "\n".join(model.warnings)
    for fragment in ("'shared-tools/format'", "'made-elsewhere'", "'existing-binding/changes'", "'myfeed'"):
        assert fragment in warnings
    assert "/whisk.system/utils/echo" not in warnings  # another namespace's entity: nothing to warn about


def test_apis_make_their_actions_web_actions() -> None:
    model = load_wsk("apis/manifest.yaml")
    routes = [(a.name, a.method, a.route, a.action, a.response, a.path_params) for a in model.apis]
    assert routes == [
        ("deposits-api", "GET", "/deposits/list", "apis/list-deposits", "json", []),
        ("deposits-api", "GET", "/deposits/{id}", "apis/get-deposit", "http", ["id"]),
        ("deposits-api", "POST", "/deposits/formatted", "apis/list-formatted", "http", []),
    ]
    actions = {a.name: a.annotations for a in model.actions}
    assert actions["get-deposit"]["web-export"] is True and actions["get-deposit"]["final"] is True
    assert "web-export" not in actions["format"]  # not behind an API: untouched
    assert model.sequences[0].annotations["web-export"] is True
    warnings = "\n".join(model.warnings)
    assert "uses action apis/get-deposit, which is not a web action; made it one" in warnings
    assert "uses sequence apis/list-formatted" in warnings
    assert "uses action apis/list-deposits" not in warnings  # already web: true
    assert "/{id} has path parameters; its response type is http" in warnings


def test_inputs_resolve_from_project_and_package_inputs() -> None:
    model = load_wsk(
        "inputs/manifest.yaml",
        env={"GOPATH": "/go"},
        deployment=WSK / "inputs" / "deployment.yaml",
    )
    (package,) = model.packages
    assert package.name == "inputs-demo"  # $PACKAGE_NAME: a project input
    assert package.parameters == {"CITY": "Paris", "RULE_NAME": "greet-every-hour", "owner": "Amy"}
    (action,) = model.actions
    assert action.parameters == {
        "name": "Amy",  # required $FIRST_NAME: from the project inputs
        "place": "Paris",  # $CITY: from the package inputs
        "concat_braced": "/go/test",
        "concat_unbraced": "",  # wskdeploy: $GOPATH/test names the unset variable "GOPATH/test"
    }
    (trigger,) = model.triggers
    assert trigger.name == "every-hour" and trigger.parameters == {
        "docid": 1234567
    }  # the deployment's number
    (rule,) = model.rules
    assert (rule.name, rule.trigger, rule.action) == ("greet-every-hour", "every-hour", "inputs-demo/greet")
    assert "GOPATH/test" in model.warnings[-1]


def test_a_variable_wins_over_an_input_of_the_same_name() -> None:
    model = load_wsk("inputs/manifest.yaml", env={"FIRST_NAME": "Bea"})
    assert model.actions[0].parameters["name"] == "Bea"


def test_include_and_exclude_as_wskdeploys_zip_writer() -> None:
    model = load_wsk("include/manifest.yaml")
    names = {
        a.name: sorted(zipfile.ZipFile(io.BytesIO(base64.b64decode(a.exec.code or ""))).namelist())
        for a in model.actions
    }
    assert names == {
        "skips-bad-entries": ["actions/common/utils.js", "index.js", "package.json"],
        "glob-into-directory": ["common/strings.js", "common/utils.js", "index.js", "package.json"],
        "glob-keeps-subpaths": [
            "actions/libs/lib1/utils.js",
            "actions/libs/lib2/utils.js",
            "index.js",
            "package.json",
        ],
        "exclude-then-include": ["common/utils.js", "index.js", "package.json"],
    }
    warnings = "\n".join(model.warnings)
    assert "include[0] [] has 0 items, not 1 or 2; skipped" in warnings
    assert "include[2]" in warnings and "has 3 items" in warnings


def test_a_project_without_packages_deploys_nothing_with_a_warning() -> None:
    model = load_wsk("empty/manifest.yaml")
    assert (model.packages, model.actions, model.triggers) == ([], [], [])
    assert model.warnings == ["(root): no packages declared; nothing to deploy"]


@pytest.mark.parametrize(
    ("name", "entity", "key", "fragment"),
    [
        (
            "dir-without-version.yaml",
            "action refusals/zipped",
            "runtime",
            "needs a runtime kind with a version",
        ),
        (
            "api-web-false.yaml",
            "package refusals",
            "apis.broken-api.base./private.private",
            "needs a web action",
        ),
        (
            "api-undeclared-action.yaml",
            "package refusals",
            "apis.broken-api.base./nothing.nowhere",
            "neither",
        ),
        ("api-bad-verb.yaml", "package refusals", "apis.broken-api.base./hello.hello.method", "use one of"),
        (
            "sequence-named-as-action.yaml",
            "sequence refusals/hello",
            "(name)",
            "an action of the same package",
        ),
        ("required-project-input.yaml", "package notifier", "inputs.WEBHOOK_URL", "$WEBHOOK_URL is not set"),
    ],
)
def test_wskdeploy_refusals(name: str, entity: str, key: str, fragment: str) -> None:
    problems = problems_of(WSK / "refusals" / name)
    assert [(e, k) for e, k, _ in problems] == [(entity, key)]
    assert fragment in problems[0][2]


def test_network_features_are_refused_with_a_clear_message() -> None:
    problems = problems_of(WSK / "refusals" / "network.yaml")
    assert [(e, k) for e, k, _ in problems] == [
        ("dependency refusals/helloworlds", "location"),
        ("action refusals/remote", "function"),
    ]
    assert "GitHub dependencies are not supported" in problems[0][2]
    assert "remote code is not supported" in problems[1][2]


def test_required_project_input_is_satisfied_by_its_variable() -> None:
    model = load_wsk("refusals/required-project-input.yaml", env={"WEBHOOK_URL": "https://hooks.example/x"})
    assert model.packages[0].parameters == {}  # wskdeploy: project inputs are not deployed as parameters


def test_what_is_not_deployed_is_warned_about(tmp_path: Path) -> None:
    hello_py(tmp_path)
    path = write(
        tmp_path,
        """\
        project:
          name: p
          apiHost: example.com
          packages:
            p:
              namespace: other
              feeds: {f: {}}
              actions:
                old: {location: hello.py}
                inline: {code: 'def main(a): return a', runtime: python}
                mixed: {function: hello.py, runtime: 'nodejs:20'}
              triggers:
                local: {feed: lonely}
                remote: {feed: nowhere/changes}
                known: {feed: p/old}
        """,
    )
    model = load_manifest(path, variables=Variables(environ={}))
    assert model.warnings == [
        "project: apiHost ignored (give the host and key with APIHOST/AUTH or flags)",
        "package p: namespace ignored (one namespace and key per deployment)",
        "package p: feeds ignored (not deployed by wskdeploy either)",
        "action p/old: location is deprecated; use function",
        "action p/inline: runtime python has no version; using python:default (the platform's default)",
        "action p/mixed: runtime nodejs:20 does not match the .py file; using python:default",
        "trigger local: feed 'lonely' is an action of the default package the manifest does not declare; "
        "it must exist in the namespace",
        "trigger remote: feed 'nowhere/changes': package 'nowhere' is not declared in the manifest; "
        "it must exist in the namespace",
    ]
    kinds = {a.name: a.exec.kind for a in model.actions}
    assert kinds == {"old": "python:default", "inline": "python:default", "mixed": "python:default"}
