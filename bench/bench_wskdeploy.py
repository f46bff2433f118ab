"""Does the deployer plan (or refuse) wskdeploy's own test manifests as wskdeploy does?

    .venv/bin/python bench/bench_wskdeploy.py PATH [--verbose]

PATH is a copy of apache/openwhisk-wskdeploy (or its ``tests/`` directory) fetched beforehand; this
script fetches nothing and changes nothing (it only loads and plans). Each case below is one manifest of
``tests/dat``, ``tests/usecases`` or ``tests/src/integration``, with the deployment file and the
environment variables wskdeploy's Go test gives it, and what wskdeploy does with it: ``plan`` (it composes
every entity and deploys), ``refuse`` (it stops with an error before deploying) or ``network`` (it must
fetch a GitHub dependency or a remote ``function:`` URL). The expectations were read from wskdeploy's Go
code (parsers/manifest_parser.go, deployers/, utils/zip.go, webaction/) and its tests' assertions; the
reason column says which. ``network`` cases are reported apart and left out of the agreement, which the
issue measures on the cases that need no network; for them the deployer must refuse with its
"not supported" message. A plan also has to pass the case's checks (kinds, web annotations, values).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.deployer.environment import Variables  # noqa: E402
from infra.deployer.errors import ManifestError  # noqa: E402
from infra.deployer.manifest import load_manifest  # noqa: E402
from infra.deployer.model import Model  # noqa: E402
from infra.deployer.plan import plan_deploy  # noqa: E402

Expect = Literal["plan", "refuse", "network"]
# (what, entity, expected): kind = family of an action's kind; image; web = web-export annotation;
# param = "entity-kind qualified-name input-name"; count = number of entities of a kind
Check = tuple[str, str, Any]


@dataclass(frozen=True)
class Case:
    path: str  # relative to the wskdeploy checkout
    expect: Expect
    reason: str
    deployment: str | None = None  # relative to the checkout; "" = none even if one lies beside it
    env: dict[str, str] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()


D = "tests/dat/"
I = "tests/src/integration/"  # noqa: E741
U = "tests/usecases/"
GOPATH = {"GOPATH": "/go"}

CASES: list[Case] = [
    # -- tests/dat: parsers/manifest_parser_test.go, deployers/*_test.go ------------------------------
    Case(D + "manifest_bad_yaml_invalid_comment.yaml", "refuse", "TestBadYAMLInvalidComment: YAML error"),
    Case(
        D + "manifest_bad_yaml_invalid_key_mapping_value.yaml", "refuse", "TestBadYAMLInvalidKeyMappingValue"
    ),
    Case(
        D + "manifest_bad_yaml_invalid_package_key.yaml",
        "refuse",
        "TestBadYAMLInvalidPackageKey: strict keys",
    ),
    Case(D + "manifest_bad_yaml_missing_root_key.yaml", "refuse", "TestBadYAMLMissingRootKey: strict keys"),
    Case(D + "manifest_data_compose_actions_for_annotations.yaml", "plan", "TestComposeActionForAnnotations"),
    Case(
        D + "manifest_data_compose_actions_for_docker.yaml",
        "plan",
        "TestComposeActionsForDocker: every action blackbox, $image_name set",
        env={"image_name": "environmental_variable/image"},
        checks=(
            ("kind", "IntegrationTestDocker/CustomDockerAction6", "blackbox"),
            ("image", "IntegrationTestDocker/CustomDockerAction6", "environmental_variable/image"),
        ),
    ),
    Case(D + "manifest_data_compose_actions_for_function.yaml", "network", "hello2 is an https:// function"),
    Case(
        D + "manifest_data_compose_actions_for_function_and_code.yaml",
        "refuse",
        "TestComposeActionsForFunctionAndCode",
    ),
    Case(
        D + "manifest_data_compose_actions_for_function_with_env_variable.yaml",
        "network",
        "TestComposeActionsForEnvVariableInFunction: one function is a raw.githubusercontent.com URL",
        env={
            "OPENWHISK_FUNCTION_FILE": "../src/integration/helloworld/actions/hello.js",
            "OPENWHISK_FUNCTION_PYTHON": "../src/integration/helloworld/actions/hello",
            "OPENWHISK_FUNCTION_GITHUB": "raw.githubusercontent.com/apache/openwhisk-wskdeploy/master/"
            "tests/src/integration/helloworld/actions/hello",
        },
    ),
    Case(
        D + "manifest_data_compose_actions_for_function_with_remote_dir.yaml",
        "refuse",
        "TestComposeActionsForFunctionWithRemoteDir: a remote directory is refused offline too",
    ),
    Case(D + "manifest_data_compose_actions_for_inputs.yaml", "plan", "TestComposeActionsForInputs"),
    Case(
        D + "manifest_data_compose_actions_for_invalid_web.yaml",
        "refuse",
        "TestComposeActionsForInvalidWebActions (its function path does not exist from tests/dat either)",
    ),
    Case(
        D + "manifest_data_compose_actions_for_limits.yaml",
        "plan",
        "TestComposeActionsForLimits: bad limits warn",
    ),
    Case(
        D + "manifest_data_compose_actions_for_missing_runtime_with_code.yaml",
        "refuse",
        "TestComposeActionsForCodeWithMissingRuntime",
    ),
    Case(
        D + "manifest_data_compose_actions_for_web.yaml",
        "plan",
        "TestComposeActionsForWebActions",
        checks=(("web", "helloworld/hello1", True),),
    ),
    Case(
        D + "manifest_data_compose_actions_for_web_and_web_export.yaml",
        "plan",
        "TestComposeActionsForWebAndWebExport: web wins, warning; runtime nodejs -> kind from .js",
        checks=(("kind", "helloworld/hello1", "nodejs"),),
    ),
    Case(
        D + "manifest_data_compose_api_records.yaml",
        "refuse",
        "TestComposeApiRecords composes APIs only; a deploy reads ../tests/src/... from tests/dat: absent",
    ),
    Case(
        D + "manifest_data_compose_dependencies.yaml",
        "network",
        "TestComposeDependencies: github.com location",
    ),
    Case(D + "manifest_data_compose_packages.yaml", "plan", "TestComposePackage"),
    Case(
        D + "manifest_data_compose_rules.yaml",
        "plan",
        "TestComposeRules: rules on undeclared triggers/actions are left to the platform",
        checks=(("count", "rules", 2),),
    ),
    Case(
        D + "manifest_data_compose_runtimes_default.yaml",
        "plan",
        "TestComposeActionsForDefaultRuntimes",
        checks=(
            ("kind", "helloworld/helloNodejs", "nodejs"),
            ("kind", "helloworld/helloPython", "python"),
            ("kind", "helloworld/helloJava", "java"),
            ("kind", "helloworld/helloSwift", "swift"),
        ),
    ),
    Case(
        D + "manifest_data_compose_runtimes_implicit.yaml",
        "plan",
        "TestComposeActionsForImplicitRuntimes: kind from the extension, .jar -> java",
        checks=(
            ("kind", "helloworld/helloNodejs", "nodejs"),
            ("kind", "helloworld/helloPython", "python"),
            ("kind", "helloworld/helloJava", "java"),
            ("kind", "helloworld/helloSwift", "swift"),
        ),
    ),
    Case(
        D + "manifest_data_compose_sequences.yaml",
        "plan",
        "TestComposeSequences: components need not be declared",
        checks=(("count", "sequences", 2),),
    ),
    Case(
        D + "manifest_data_compose_triggers.yaml",
        "plan",
        "TestComposeTriggers: feeds outside the manifest",
        env={"KAFKA_INSTANCE": "kafka-broker", "SRC_TOPIC": "topic"},
        checks=(("count", "triggers", 3),),
    ),
    Case(
        D + "manifest_data_rule_env_var.yaml",
        "plan",
        "TestRuleName_Env_Var: names from $rule_name etc.",
        env={"rule_name": "rule1", "trigger_name": "trigger1", "action_name": "action1"},
    ),
    Case(
        D + "manifest_data_unmarshal_packages.yaml",
        "refuse",
        "unmarshal-only test; actions/hello.py is absent",
    ),
    Case(D + "manifest_hello_java_jar.yaml", "refuse", "unmarshal-only test; actions/hello.jar is absent"),
    Case(D + "manifest_hello_nodejs.yaml", "plan", "TestUnmarshalForHelloNodeJS; actions/hello.js exists"),
    Case(
        D + "manifest_hello_nodejs_with_params.yaml",
        "refuse",
        "unmarshal-only; actions/hello-with-params.js absent",
    ),
    Case(D + "manifest_hello_python.yaml", "refuse", "unmarshal-only test; actions/hello.py is absent"),
    Case(D + "manifest_hello_swift.yaml", "refuse", "unmarshal-only test; actions/hello.swift is absent"),
    Case(D + "manifest_invalid_packages_key_missing.yaml", "refuse", "TestUnmarshalForMissingPackages"),
    Case(D + "manifest_validate_action_all.yaml", "plan", "TestManifestReader_SetActions"),
    Case(
        D + "manifest_validate_action_annotations.yaml",
        "plan",
        "TestDeploymentReader_BindAnnotations",
        deployment=D + "deployment_validate_action_annotations.yaml",
    ),
    Case(
        D + "manifest_validate_credentials.yaml",
        "plan",
        "whiskclient_test: credentials ignored, warned",
        deployment=D + "deployment_validate_credentials.yaml",
    ),
    Case(D + "manifest_validate_dependencies.yaml", "network", "github.com dependencies"),
    Case(D + "manifest_validate_dependencies_bogus.yaml", "network", "github.com dependencies"),
    Case(
        D + "manifest_validate_deployment_reader.yaml",
        "plan",
        "deploymentreader_test pairs it",
        deployment=D + "deployment_validate_deployment_reader.yaml",
    ),
    Case(D + "manifest_validate_feed.yaml", "plan", "TestParseYAML_feed: feeds are documentation"),
    Case(D + "manifest_validate_inputs.yaml", "plan", "include entry of 3 items skipped (utils/zip.go)"),
    Case(D + "manifest_validate_json_params.yaml", "plan", "TestParseManifestForJSONParams"),
    Case(
        D + "manifest_validate_multiline_params.yaml",
        "plan",
        "TestParseManifestForMultiLineParams",
        env={"USERNAME": "MY_USERNAME", "PASSWORD": "MY_PASSWORD"},
    ),
    Case(D + "manifest_validate_package_grammar.yaml", "plan", "TestComposeWskPackage"),
    Case(
        D + "manifest_validate_package_grammar_env_var.yaml",
        "plan",
        "TestPackageName_Env_Var",
        env={"package_name": "test_package", "package_name_second": "test_package_second"},
        checks=(("count", "packages", 4),),
    ),
    Case(
        D + "manifest_validate_package_inputs.yaml",
        "plan",
        "TestYAMLParser_ComposePackage_Inputs: from env",
        env={"SLACK_USERNAME": "slack_username", "SLACK_URL": "https://hooks.slack.com/services/x"},
    ),
    Case(
        D + "manifest_validate_package_inputs_1.yaml",
        "plan",
        "deployment file gives the values",
        deployment=D + "deployment_validate_package_inputs_1.yaml",
    ),
    Case(
        D + "manifest_validate_package_inputs_2.yaml",
        "refuse",
        "required $FIRST_NAME/$CITY_NAME: neither variable nor package input (composeInputs)",
    ),
    Case(
        D + "manifest_validate_package_inputs_3.yaml",
        "plan",
        "$FIRST_NAME resolved from the project inputs",
        checks=(("param", "action helloworldapp/hello name", "Amy"),),
    ),
    Case(
        D + "manifest_validate_package_inputs_4.yaml",
        "plan",
        "package $FIRST_NAME from project inputs",
        checks=(
            ("param", "package helloworldapp name", "Amy"),
            ("param", "package helloworldapp FIRST_NAME", "<absent>"),  # project inputs are not deployed
        ),
    ),
    Case(
        D + "manifest_validate_package_inputs_5.yaml", "plan", "package and action inputs from project inputs"
    ),
    Case(
        D + "manifest_validate_package_inputs_and_annotations.yaml",
        "plan",
        "TestManifestReader_SetPackageInputsAndAnnotations",
    ),
    Case(
        D + "manifest_validate_package_inputs_periodic_slack_reminders.yaml",
        "refuse",
        "required project input SLACK_WEBHOOK_URL is $SLACK_WEBHOOK_URL, unset (projectreader.go)",
    ),
    Case(
        D + "manifest_validate_params.yaml",
        "refuse",
        "action1 has neither function nor code: an empty exec the platform rejects",
    ),
    Case(
        D + "manifest_validate_project_inputs.yaml",
        "plan",
        "TestYAMLParser_ComposePackage_ProjectInputs",
        env={"SLACK_USERNAME": "slack_username", "SLACK_URL": "https://hooks.slack.com/services/x"},
    ),
    Case(
        D + "manifest_validate_rule.yaml",
        "plan",
        "TestParseYAML_rule: a rule alone, targets left to the platform",
    ),
    Case(
        D + "manifest_validate_rules_bogus.yaml", "refuse", "TestManifestReader_SetRules_Bogus: rule1 twice"
    ),
    Case(
        D + "manifest_validate_sequences_bogus.yaml",
        "refuse",
        "TestManifestReader_SetSequences_Bogus: a sequence named as an action",
    ),
    Case(
        D + "manifest_validate_singleline_params.yaml",
        "plan",
        "TestParseManifestForSingleLineParams",
        env=GOPATH,
        checks=(
            ("param", "action validate/validate_singleline_params param_simple_env_var_concat_1", "/go/test"),
            ("param", "action validate/validate_singleline_params param_simple_env_var_concat_2", ""),
            ("param", "action validate/validate_singleline_params param_simple_env_var_1", "/go"),
        ),
    ),
    Case(
        D + "manifest_validate_trigger_action_rule_grammar.yaml",
        "refuse",
        "its apis name actions the package does not declare (ComposeApiRecords)",
    ),
    Case(
        D + "manifest_validate_triggerfeed.yaml",
        "plan",
        "TestParseYAML_trigger: feed action of the namespace",
    ),
    Case(
        D + "manifest_validate_triggers_bogus.yaml",
        "refuse",
        "TestManifestReader_SetTriggers_Bogus: trigger twice",
    ),
    # -- tests/src/integration: each *_test.go deploys and expects success unless noted -----------------
    Case(I + "alarmtrigger/manifest.yaml", "plan", "alarmtrigger_test"),
    Case(
        I + "apigateway/manifest-apis-with-params.yaml",
        "plan",
        "apigateway_test: path parameters -> http",
        checks=(("count", "apis", 3),),
    ),
    Case(
        I + "apigateway/manifest.yml",
        "plan",
        "apigateway_test: APIs, actions made web with a warning",
        checks=(("web", "api-gateway-test/greeting", True), ("count", "apis", 7)),
    ),
    Case(I + "cloudant/manifest.yaml", "plan", "cloudant_test", env={"CLOUDANT_DATABASE": "testdb"}),
    Case(I + "conductor/manifest.yaml", "plan", "conductor_test"),
    Case(I + "defaultpackage/manifest-with-project.yaml", "plan", "defaultpackage_test"),
    Case(I + "defaultpackage/manifest.yaml", "plan", "defaultpackage_test"),
    Case(I + "dependency/manifest.yaml", "network", "github.com dependencies"),
    Case(I + "docker/manifest.yaml", "plan", "docker_test"),
    Case(I + "export/manifest_2pack.yaml", "plan", "export_test"),
    Case(I + "export/manifest_apiexp.yaml", "plan", "export_test: API export"),
    Case(I + "export/manifest_ext.yaml", "plan", "export_test: rules on bindings of other packages"),
    Case(I + "export/manifest_feed.yaml", "plan", "export_test"),
    Case(
        I + "export/manifest_helloworld.yaml",
        "plan",
        "export_test: runtimes python/nodejs/java without version",
    ),
    Case(I + "export/manifest_lib1.yaml", "plan", "export_test"),
    Case(I + "export/manifest_lib2.yaml", "plan", "export_test"),
    Case(I + "flagstests/manifest.yaml", "plan", "flagstests_test"),
    Case(I + "flagstests/manifest.yml", "plan", "flagstests_test"),
    Case(
        I + "helloworld/manifest.yaml",
        "plan",
        "helloworld_test: runtimes without version",
        checks=(("kind", "IntegrationTestHelloWorld/helloJava", "java"),),
    ),
    Case(I + "jaraction/manifest.yaml", "plan", "jaraction_test: runtime java for a .jar"),
    Case(I + "managed-deployment/00-manifest-minus-second-package.yaml", "plan", "managed-deployment series"),
    Case(I + "managed-deployment/01-manifest-minus-sequence-2.yaml", "plan", "managed-deployment series"),
    Case(I + "managed-deployment/02-manifest-minus-action-3.yaml", "plan", "managed-deployment series"),
    Case(I + "managed-deployment/03-manifest-minus-trigger.yaml", "plan", "managed-deployment series"),
    Case(
        I + "managed-deployment/04-manifest-minus-package.yaml",
        "plan",
        "no packages: a warning, nothing deployed (ComposeAllPackages)",
        checks=(("count", "packages", 0),),
    ),
    Case(I + "managed-deployment/05-manifest-headless.yaml", "plan", "managed-deployment series"),
    Case(
        I + "managed-deployment/06-manifest-with-single-dependency.yaml", "network", "github.com dependency"
    ),
    Case(I + "managed-deployment/07-manifest-with-dependency.yaml", "network", "github.com dependency"),
    Case(I + "managed-deployment/08-manifest-with-dependencies-on-whisk-system.yaml", "plan", "whisk.system"),
    Case(I + "managed-deployment/manifest.yaml", "plan", "managed-deployment series"),
    Case(
        I + "message-hub/manifest.yaml",
        "plan",
        "message-hub_test",
        env={
            "MESSAGEHUB_ADMIN_HOST": "https://kafka-admin.example:443",
            "KAFKA_BROKERS_SASL": "[b1:9093]",
            "SOURCE_TOPIC": "in-topic",
            "DESTINATION_TOPIC": "out-topic",
        },
    ),
    Case(
        I + "runtimetests/manifest.yaml",
        "plan",
        "runtimetests_test: explicit, versionless and implicit runtimes",
    ),
    Case(I + "triggerrule/manifest.yml", "plan", "triggerrule_test"),
    Case(I + "validate-action-annotations/manifest.yaml", "plan", "validate-action-annotations_test"),
    Case(
        I + "validate-binding-inputs-annotations/manifest.yaml",
        "plan",
        "validate-binding-inputs-annotations_test: docid 1234567 stays a number",
        checks=(("param", "trigger dbtrigger docid", 1234567),),
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/manifest.yaml",
        "plan",
        "TestYAMLExtension",
        deployment=I + "validate-manifest-deployment-file-extensions/deployment.yaml",
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/manifest.yml",
        "plan",
        "TestYMLExtension",
        deployment=I + "validate-manifest-deployment-file-extensions/deployment.yml",
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/not-standard-manifest.yaml",
        "plan",
        "TestNotStandardExtension",
        deployment=I + "validate-manifest-deployment-file-extensions/not-standard-deployment.yaml",
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/random-name-1.yaml",
        "plan",
        "TestRandomFileNames",
        deployment=I + "validate-manifest-deployment-file-extensions/random-name-2.yaml",
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/yaml-manifest-with-yml-deployment.yaml",
        "plan",
        "TestYAMLManifestWithYMLDeployment",
        deployment=I + "validate-manifest-deployment-file-extensions/yml-deployment-with-yaml-manifest.yml",
    ),
    Case(
        I + "validate-manifest-deployment-file-extensions/yml-manifest-with-yaml-deployment.yml",
        "plan",
        "TestYMLManifestWithYAMLDeployment",
        deployment=I + "validate-manifest-deployment-file-extensions/yaml-deployment-with-yml-manifest.yaml",
    ),
    Case(I + "validate-packages-in-manifest/manifest.yaml", "plan", "validate-packages-in-manifest_test"),
    Case(I + "validate-project/manifest.yaml", "plan", "TestProjectInDeployment"),
    Case(I + "validatePackagesInDeployment/manifest.yaml", "plan", "TestPackagesInDeploymentFile"),
    Case(I + "webaction/manifest.yml", "plan", "webaction_test"),
    Case(
        I + "webaction/manifest_missing_web_annotation_on_api_action_or_sequence.yml",
        "refuse",
        "an API on helloWebFalse (web: false): InvalidWebActionError (webaction.go)",
    ),
    Case(
        I + "webaction/manifest_require_whisk_auth_invalid_int_big.yaml",
        "refuse",
        "webaction_test expects an error",
    ),
    Case(
        I + "webaction/manifest_require_whisk_auth_invalid_int_neg.yaml",
        "refuse",
        "webaction_test expects an error",
    ),
    Case(
        I + "webaction/manifest_require_whisk_auth_invalid_str_empty.yaml",
        "refuse",
        "webaction_test: an error",
    ),
    Case(
        I + "webaction/manifest_require_whisk_auth_invalid_str_nil.yaml", "refuse", "webaction_test: an error"
    ),
    Case(I + "webaction/manifest_require_whisk_auth_sequence_valid.yaml", "plan", "webaction_test"),
    Case(I + "webaction/manifest_require_whisk_auth_valid.yaml", "plan", "webaction_test"),
    Case(I + "websequence/manifest.yaml", "plan", "websequence_test"),
    Case(I + "zipaction/manifest.yml", "plan", "zipaction_test"),
    Case(
        I + "zipactionwithexclude/manifest.yml",
        "plan",
        "zipactionwithexclude_test: includes beat the exclude",
    ),
    Case(I + "zipactionwithinclude/manifest.yml", "plan", "zipactionwithinclude_test: [] skipped, globs"),
    # -- tests/usecases --------------------------------------------------------------------------------
    Case(U + "api-gateway/simple_api_manifest.yaml", "plan", "an API on a declared action"),
    Case(U + "badyaml/manifest.yaml", "refuse", "invalid YAML indentation"),
    Case(U + "dependency/manifest.yaml", "network", "github.com dependencies"),
    Case(U + "github/manifest.yaml", "plan", "deprecated location: warned"),
    Case(U + "slack/manifest.yaml", "plan", "unset $SLACK_* become empty strings"),
    Case(U + "triggerrule/manifest.yml", "plan", "a rule on a declared trigger and action"),
]


def find_root(path: Path) -> Path:
    """Accept the checkout or its tests/ directory."""
    path = path.resolve()
    if (path / "tests" / "dat").is_dir():
        return path
    if (path / "dat").is_dir() and path.name == "tests":
        return path.parent
    raise SystemExit(f"{path}: not a copy of apache/openwhisk-wskdeploy (no tests/dat)")


def corpus(root: Path) -> list[str]:
    """Every manifest of the three directories (deployment files are inputs of their manifests)."""
    found: list[str] = []
    for sub in ("tests/dat", "tests/usecases", "tests/src/integration"):
        for file in sorted((root / sub).rglob("*.y*ml")):
            rel = file.relative_to(root).as_posix()
            name = file.name
            # a name saying "deployment" before (or without) "manifest" is a deployment file
            m, d = name.find("manifest"), name.find("deployment")
            if (m >= 0 and (d < 0 or m < d)) or name.startswith("random-name-1"):
                found.append(rel)
    return found


def default_deployment(root: Path, case: Case) -> Path | None:
    """wskdeploy's project path is the test's directory: its deployment.yaml/.yml is read when present."""
    if case.deployment == "":
        return None
    if case.deployment is not None:
        return root / case.deployment
    if case.path.startswith(D):
        return None
    directory = (root / case.path).parent
    for name in ("deployment.yaml", "deployment.yml"):
        if (directory / name).is_file():
            return directory / name
    return None


def check(model: Model, what: str, entity: str, expected: Any) -> str | None:
    """None when the model satisfies the check, else what differs."""
    actions = {a.qualified: a for a in model.actions}
    if what == "count":
        got: Any = len(getattr(model, entity))
    elif what in ("kind", "image"):
        action = actions.get(entity)
        if action is None:
            return f"no action {entity}"
        got = action.exec.kind.split(":")[0] if what == "kind" else action.exec.image
    elif what == "web":
        holder = actions.get(entity) or next((s for s in model.sequences if s.qualified == entity), None)
        if holder is None:
            return f"no action or sequence {entity}"
        got = bool(holder.annotations.get("web-export"))
    elif what == "param":
        kind, name, key = entity.split(" ")
        pools: dict[str, Any] = {
            "action": actions,
            "package": {p.name: p for p in model.packages},
            "binding": {b.name: b for b in model.bindings},
            "trigger": {t.name: t for t in model.triggers},
        }
        holder = pools[kind].get(name)
        if holder is None:
            return f"no {kind} {name}"
        got = holder.parameters.get(key, "<absent>")
        if type(got) is not type(expected):
            return f"{entity} = {got!r} ({type(got).__name__}), expected {expected!r}"
    else:
        raise ValueError(what)
    return None if got == expected else f"{what} {entity} = {got!r}, expected {expected!r}"


def run_case(root: Path, case: Case) -> tuple[str, str]:
    """(outcome, detail): outcome is plan, refuse or crash; detail the first problem or failed check."""
    deployment = default_deployment(root, case)
    try:
        model = load_manifest(
            root / case.path, deployment=deployment, variables=Variables(environ=dict(case.env))
        )
        plan_deploy(model, "guest")
    except ManifestError as exc:
        first = exc.problems[0]
        return "refuse", f"{first.entity}: {first.key}: {first.message}"
    except Exception as exc:  # a crash is a disagreement, never a pass
        return "crash", f"{type(exc).__name__}: {exc}"
    failed = [f for f in (check(model, *c) for c in case.checks) if f]
    return "plan", "; ".join(failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path", type=Path, help="a fetched copy of apache/openwhisk-wskdeploy (or its tests/)"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print every case, not just disagreements"
    )
    args = parser.parse_args(argv)
    root = find_root(args.path)
    known = {c.path for c in CASES}
    present = corpus(root)
    unknown = [p for p in present if p not in known]
    agree = total = net_agree = net_total = 0
    rows: list[str] = []
    for case in CASES:
        if not (root / case.path).is_file():
            rows.append(f"MISSING  {case.path}")
            continue
        outcome, detail = run_case(root, case)
        if case.expect == "network":
            net_total += 1
            ok = outcome == "refuse" and "not supported" in detail
            net_agree += ok
        else:
            total += 1
            ok = outcome == case.expect and not (outcome == "plan" and detail)
            agree += ok
        if args.verbose or not ok:
            mark = "agree   " if ok else "DIFFER  "
            rows.append(
                f"{mark} {case.path}: wskdeploy {case.expect} ({case.reason}); deployer {outcome}"
                + (f": {detail}" if detail else "")
            )
    print("\n".join(rows))
    for path in unknown:
        print(f"NO EXPECTATION  {path} (a newer wskdeploy? add it to CASES)")
    share = 100.0 * agree / total if total else 0.0
    print(
        f"\n{len(CASES)} cases ({len(present)} manifests in the copy): "
        f"{agree}/{total} without network as wskdeploy ({share:.1f}%); "
        f"{net_agree}/{net_total} network cases refused with the 'not supported' message"
    )
    return 0 if total and share >= 95.0 and net_agree == net_total else 1


if __name__ == "__main__":
    sys.exit(main())
