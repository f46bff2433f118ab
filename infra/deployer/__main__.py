"""Command line: ``python -m infra.deployer [--manifest FILE] [--dry-run] [--uninstall] ...``.

Exit status: 0 done (or dry run printed), 1 the platform refused or could not be reached,
2 the manifest, env file or command line is wrong (nothing was changed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.deployer.config import Target, resolve_target
from infra.deployer.environment import Variables, read_env_file
from infra.deployer.errors import ConfigError, KeyFormatError, ManifestError, WhiskError
from infra.deployer.execute import Executor
from infra.deployer.manifest import find_deployment, find_manifest, load_manifest, parse_cli_value
from infra.deployer.model import Model
from infra.deployer.plan import Operation, plan_deploy, plan_uninstall
from infra.deployer.runtimes import resolve_kinds
from infra.owclient import WhiskClient, normalize_apihost
from infra.ports import local_url

USER_AGENT = "openchecks-deployer"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.deployer",
        description="Deploy (or remove) a wskdeploy-format manifest to any OpenWhisk API host.",
    )
    parser.add_argument(
        "--manifest", "-m", type=Path, help="manifest file (default: manifest.yaml or .yml here)"
    )
    parser.add_argument(
        "--deployment",
        "-d",
        type=Path,
        help="deployment overlay (default: deployment.yaml beside the manifest, if present)",
    )
    parser.add_argument(
        "--env", type=Path, help="KEY=VALUE file for $VAR substitution (default: local.env here, if present)"
    )
    parser.add_argument(
        "--apihost", help=f"API host, e.g. {local_url('whisk')} (default: $APIHOST, ~/.wskprops)"
    )
    parser.add_argument("--auth", "-u", help="API key uuid:key (default: $AUTH, ~/.wskprops)")
    parser.add_argument("--namespace", "-n", help="namespace (default: $NAMESPACE, project.namespace, or _)")
    parser.add_argument(
        "--param",
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="override every input named KEY (VALUE parsed as JSON when it is JSON)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan and what would change; change nothing"
    )
    parser.add_argument(
        "--uninstall",
        action="store_true",
        help="remove exactly what the manifest declares (feeds first, then in reverse order)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate the manifest (and, without --dry-run, that a host and key are set); contact nothing",
    )
    parser.add_argument(
        "--allow-outside-project",
        action="store_true",
        help="let action zips take files from outside the manifest's directory (include paths, symlinks)",
    )
    parser.add_argument(
        "--insecure", "-i", action="store_true", help="do not verify the API host's TLS certificate"
    )
    return parser


def _variables(env: Path | None) -> tuple[Variables, Path | None]:
    if env is not None:
        if not env.is_file():
            raise ConfigError(f"env file {env} not found (copy template.local.env to start one)")
        return Variables(env_file=read_env_file(env)), env
    default = Path("local.env")
    if default.is_file():
        return Variables(env_file=read_env_file(default)), default
    return Variables(), None


def _resolve_namespace(client: WhiskClient, namespace: str) -> str:
    """Replace ``_`` with the key's own namespace name, which feeds and sequence components need."""
    if namespace != "_":
        return namespace
    try:
        names = client.namespaces()
    except WhiskError as exc:
        if exc.status == 0:
            raise
        return namespace
    return names[0] if names else namespace


def _check_runtimes(client: WhiskClient, model: Model) -> None:
    """Refuse kinds the host does not run (``GET /api/v1``), before anything changes; ``:default``
    becomes the host's default kind. A host whose document lists no runtimes is not checked."""
    try:
        kinds, defaults = client.runtime_kinds()
    except WhiskError as exc:
        if exc.status == 0:
            raise
        print(f"warning: could not read the host's runtimes ({exc}); kinds not checked", file=sys.stderr)
        return
    problems = resolve_kinds(model, kinds, defaults)
    if problems:
        raise ManifestError(problems)


def _print_plan(ops: list[Operation], out: list[str], outcomes: list[str] | None = None) -> None:
    for index, op in enumerate(ops, start=1):
        suffix = f"  -> {outcomes[index - 1]}" if outcomes else ""
        out.append(f"{index:>3}. {op.describe()}{suffix}")


def _require_target(target: Target) -> None:
    if not target.apihost:
        raise ConfigError(
            "no API host: set APIHOST (environment or env file), pass --apihost, or create ~/.wskprops"
        )
    if not target.auth:
        raise ConfigError(
            "no API key: set AUTH (environment or env file), pass --auth, or create ~/.wskprops"
        )


def run(args: argparse.Namespace) -> int:
    variables, env_path = _variables(args.env)
    manifest = args.manifest or find_manifest(Path.cwd())
    if manifest is None or not manifest.is_file():
        raise ConfigError(f"manifest {manifest or 'manifest.yaml'} not found (give --manifest FILE)")
    deployment = args.deployment or find_deployment(manifest.resolve().parent)
    if deployment is not None and not deployment.is_file():
        raise ConfigError(f"deployment file {deployment} not found")
    params = {key: parse_cli_value(value) for key, value in args.param}
    model = load_manifest(
        manifest,
        deployment=deployment,
        variables=variables,
        params=params,
        allow_outside_project=args.allow_outside_project,
    )
    for warning in model.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    target = resolve_target(
        variables,
        apihost=args.apihost,
        auth=args.auth,
        namespace=args.namespace,
        manifest_namespace=model.namespace,
    )
    if not args.dry_run:
        _require_target(target)
    if args.check:
        sizes: dict[str, int] = {
            "packages": len(model.packages),
            "bindings": len(model.bindings),
            "actions": len(model.actions),
            "sequences": len(model.sequences),
            "triggers": len(model.triggers),
            "rules": len(model.rules),
            "apis": len(model.apis),
        }
        print(f"manifest OK: {model.manifest_path}: " + ", ".join(f"{n} {k}" for k, n in sizes.items()))
        if target.apihost and target.auth:
            print(f"target: {normalize_apihost(target.apihost)} namespace {target.namespace}")
        return 0
    if args.dry_run:
        return dry_run(model, target, args, env_path)
    assert target.apihost and target.auth  # checked by _require_target
    client = WhiskClient(
        target.apihost, target.auth, target.namespace, insecure=args.insecure, user_agent=USER_AGENT
    )
    namespace = _resolve_namespace(client, target.namespace)
    client.namespace = namespace
    if not args.uninstall:
        _check_runtimes(client, model)
    ops = plan_uninstall(model, namespace) if args.uninstall else plan_deploy(model, namespace)
    verb = "Removing" if args.uninstall else "Deploying"
    print(f"{verb} {manifest} on {client.apihost} namespace {namespace} ({len(ops)} operations)")
    outcomes = Executor(client, namespace).run(ops)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    print("Done: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return 0


def dry_run(model: Model, target: Target, args: argparse.Namespace, env_path: Path | None) -> int:
    """Print the plan; when the host answers, also what each operation would change."""
    lines: list[str] = []
    namespace = target.namespace
    outcomes: list[str] | None = None
    note = ""
    if target.apihost and target.auth:
        client = WhiskClient(
            target.apihost,
            target.auth,
            namespace,
            insecure=args.insecure,
            timeout=(5.0, 30.0),
            user_agent=USER_AGENT,
        )
        try:
            namespace = _resolve_namespace(client, namespace)
            client.namespace = namespace
            if not args.uninstall:
                _check_runtimes(client, model)
            ops = plan_uninstall(model, namespace) if args.uninstall else plan_deploy(model, namespace)
            executor = Executor(client, namespace, say=lambda _line: None)
            outcomes = []
            for op in ops:
                outcome = executor.step(op, dry_run=True)
                outcomes.append(f"{outcome.status} ({outcome.detail})" if outcome.detail else outcome.status)
        except WhiskError as exc:
            outcomes = None
            note = f"(host not contacted successfully: {exc}; showing the plan only)"
    else:
        note = "(no API host/key configured; showing the plan only)"
    ops = plan_uninstall(model, namespace) if args.uninstall else plan_deploy(model, namespace)
    action = "uninstall" if args.uninstall else "deploy"
    host = target.apihost or "(no API host)"
    env_note = f", variables from {env_path}" if env_path else ""
    print(
        f"Dry run: {action} {model.manifest_path} on {host} namespace {namespace}{env_note}: "
        f"{len(ops)} operations"
    )
    if note:
        print(note)
    _print_plan(ops, lines, outcomes)
    print("\n".join(lines))
    print("Dry run: nothing was changed.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except ManifestError as exc:
        print(
            f"error: the manifest has {len(exc.problems)} problem(s); nothing was deployed:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (ConfigError, KeyFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except WhiskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
