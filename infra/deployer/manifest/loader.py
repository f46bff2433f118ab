"""Load a wskdeploy-format manifest into a Model, with the deployment-file overlay and variables.

Follows apache/openwhisk-wskdeploy (parsers/yamlparser.go, manifest_parser.go, parameters.go) with
strict validation: every mistake found (unknown key, missing ``function`` file, a rule or sequence
naming an undeclared action or trigger, a ``required`` input left empty after substitution, a bad
type) is collected and raised together as one ManifestError naming file, entity and key, before
anything is deployed. Differences from wskdeploy are deliberate and noted where they occur.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, NamedTuple

from infra.deployer.archive import ArchiveError, IncludeEntry, build_zip
from infra.deployer.environment import Variables
from infra.deployer.errors import ManifestError
from infra.deployer.manifest.coerce import Reader
from infra.deployer.manifest.overlay import load_overlay, overlay_for
from infra.deployer.manifest.parse import read_yaml
from infra.deployer.manifest.schema import (
    ACTION_KEYS,
    API_RESPONSE_TYPES,
    API_VERBS,
    BINARY_EXTENSIONS,
    DEFAULT_PACKAGE,
    DEPENDENCY_KEYS,
    EXTENSION_KINDS,
    FAMILY_RE,
    KIND_RE,
    LIMIT_KEYS,
    NATIVE_IMAGE,
    PACKAGE_KEYS,
    PATH_PARAM_RE,
    PROJECT_KEYS,
    RULE_KEYS,
    RUNTIME_FAMILIES,
    SEQUENCE_KEYS,
    TOP_KEYS,
    TRIGGER_KEYS,
    UNSUPPORTED_LIMIT_KEYS,
    qualify,
    web_mode,
)
from infra.deployer.manifest.validate import check_require_auth, cross_check
from infra.deployer.model import Action, Api, Binding, Exec, JsonDict, Model, Package, Rule, Sequence, Trigger

# keys wskdeploy reads that are not deployed here -> why (each one set gets a warning)
PROJECT_IGNORED = dict.fromkeys(
    ("credential", "apiHost", "apigwAccessToken", "config"),
    "give the host and key with APIHOST/AUTH or flags",
)
PACKAGE_IGNORED = {
    **dict.fromkeys(
        ("namespace", "credential", "apiHost", "apigwAccessToken"), "one namespace and key per deployment"
    ),
    **dict.fromkeys(("repositories", "feeds"), "not deployed by wskdeploy either"),
}


class _Code(NamedTuple):
    """An action's code as found: its kind (before docker/native), the text (base64 when binary)."""

    kind: str
    text: str | None
    binary: bool


def read_code(path: Path) -> tuple[str, bool]:
    """A code file as (text, binary): base64 for binary extensions or anything not UTF-8."""
    if path.suffix.lower() not in BINARY_EXTENSIONS:
        try:
            return path.read_text(encoding="utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(path.read_bytes()).decode(), True


class ManifestLoader(Reader):
    """Walks one manifest (project, packages, and each package's entities) into the Model."""

    allow_outside_project = False  # zip files from outside the manifest's directory (archive.py)

    # -- the manifest ---------------------------------------------------------------------------
    def load(self) -> Model:
        doc = read_yaml(self.path)
        self.overlay = load_overlay(self)
        root = self.mapping(doc, "(root)", "(document)")
        if doc is None:
            self.problem("(root)", "(document)", "the manifest is empty")
        self.check_keys(root, TOP_KEYS, "(root)")
        project = self.mapping(root.get("project"), "project", "project")
        self.check_keys(project, PROJECT_KEYS, "project")
        if root.get("packages") and project.get("packages"):
            self.problem("(root)", "packages", "give packages either at the root or under project, not both")
        packages = self.mapping(root.get("packages") or project.get("packages"), "(root)", "packages")
        project_inputs = self.project(project)
        if not packages and not self.problems and doc is not None:
            self.warn("(root)", "no packages declared; nothing to deploy")
        for raw_name, spec in packages.items():
            self.package(raw_name, spec, project_inputs)
        self.warn_unknown_overlay()
        cross_check(self)
        if self.vars.unset:
            names = ", ".join(sorted(self.vars.unset))
            self.model.warnings.append(f"variables referenced but not set (substituted as empty): {names}")
        if self.problems:
            raise ManifestError(self.problems)
        return self.model

    def project(self, project: JsonDict) -> JsonDict:
        """The project's namespace and inputs (returned, as declared); keys not deployed are warned about."""
        if project.get("namespace"):
            self.model.namespace = self.text(project["namespace"], "project", "namespace")
        self.warn_ignored(project, "project", PROJECT_IGNORED)
        project_inputs = self.mapping(project.get("inputs"), "project", "inputs")
        if project_inputs:
            # resolved once so package inputs can name them ($X); reported per package if wrong
            problems = len(self.problems)
            self.project_values = self.inputs(project_inputs, None, "project", package_level=True)
            del self.problems[problems:]
        return project_inputs

    def warn_ignored(self, spec: JsonDict, entity: str, ignored: dict[str, str]) -> None:
        """A warning for each key that is set but not deployed (``ignored``: key -> why)."""
        for key, why in ignored.items():
            if spec.get(key):
                self.warn(entity, f"{key} ignored ({why})")

    def warn_unknown_overlay(self) -> None:
        known_packages = {p.name for p in self.model.packages}
        for name in self.overlay:
            if name not in known_packages and not (name == DEFAULT_PACKAGE and self.has_default):
                self.warn(f"package {name}", f"in {self.deployment} but not in the manifest; ignored")

    def package(self, raw_name: Any, spec: Any, project_inputs: JsonDict) -> None:
        self.lookup = self.project_values  # wskdeploy: a package's $NAME may be a project input
        name = self.name(raw_name, "package")
        entity = f"package {name}"
        pkg = self.mapping(spec, entity, "(package)")
        self.check_keys(pkg, PACKAGE_KEYS, entity)
        over = self.overlay.get(name, {})
        is_default = name.lower() == DEFAULT_PACKAGE
        self.warn_ignored(pkg, entity, PACKAGE_IGNORED)
        public = pkg.get("public", False)
        if not isinstance(public, bool):
            self.problem(entity, "public", f"expected true or false, got {public!r}")
            public = False
        parameters = self.inputs(
            pkg.get("inputs"), over.get("inputs"), entity, package_level=True, extra=project_inputs
        )
        self.lookup = {**self.project_values, **parameters}
        # wskdeploy (projectreader.go): project inputs serve substitution and the required check; they
        # are not deployed as package parameters unless the package (or its overlay) declares them
        own = set(self.mapping(pkg.get("inputs"), entity, "inputs")) | set(
            self.mapping(over.get("inputs"), entity, "inputs", str(self.deployment))
        )
        parameters = {k: v for k, v in parameters.items() if k in own or k not in project_inputs}
        annotations = self.annotations(pkg.get("annotations"), over.get("annotations"), entity)
        if is_default:
            self.has_default = True
            if parameters or annotations:
                self.warn(entity, "inputs/annotations of the default package are not deployed")
        else:
            self.model.packages.append(Package(name, parameters, annotations, publish=public))
        self.package_entities(name, None if is_default else name, entity, pkg)

    def package_entities(self, name: str, package: str | None, entity: str, pkg: JsonDict) -> None:
        """A package's dependencies, actions, sequences, triggers, rules and APIs (``package``: None for
        the default package)."""
        for dep_name, dep in self.mapping(pkg.get("dependencies"), entity, "dependencies").items():
            self.dependency(name, dep_name, dep)
        for action_name, action in self.mapping(pkg.get("actions"), entity, "actions").items():
            self.action(name, package, action_name, action)
        for seq_name, seq in self.mapping(pkg.get("sequences"), entity, "sequences").items():
            self.sequence(name, package, seq_name, seq)
        for trigger_name, trigger in self.mapping(pkg.get("triggers"), entity, "triggers").items():
            self.trigger(name, trigger_name, trigger)
        for rule_name, rule in self.mapping(pkg.get("rules"), entity, "rules").items():
            self.rule(package, rule_name, rule)
        self.apis(package, entity, pkg.get("apis"), pkg)

    def dependency(self, package: str, raw_name: Any, spec: Any) -> None:
        name = self.name(raw_name, "dependency")
        entity = f"dependency {package}/{name}"
        dep = self.mapping(spec, entity, "(dependency)")
        self.check_keys(dep, DEPENDENCY_KEYS, entity)
        location = self.text(dep.get("location"), entity, "location")
        if not location:
            self.problem(
                entity, "location", "missing (a /namespace/package to bind, e.g. /whisk.system/cloudant)"
            )
            return
        if location.startswith(("http://", "https://", "github.com", "git@")):
            self.problem(
                entity,
                "location",
                f"{location!r}: GitHub dependencies are not supported; use a /namespace/package binding",
            )
            return
        parts = location.strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            self.problem(entity, "location", f"{location!r}: expected /namespace/package")
            return
        over = overlay_for(self.overlay, package, "dependencies", str(raw_name), name)
        parameters = self.inputs(dep.get("inputs"), over.get("inputs"), entity)
        annotations = self.annotations(dep.get("annotations"), over.get("annotations"), entity)
        if any(b.name == name for b in self.model.bindings):
            self.problem(entity, "(name)", "a binding with this name is declared twice")
        self.model.bindings.append(Binding(name, parts[0], parts[1], parameters, annotations))

    def action(self, package_name: str, package: str | None, raw_name: Any, spec: Any) -> None:
        name = self.name(raw_name, "action")
        qualified = f"{package}/{name}" if package else name
        entity = f"action {qualified}"
        act = self.mapping(spec, entity, "(action)")
        self.check_keys(act, ACTION_KEYS, entity)
        self.declared_actions.add(qualified)
        over = overlay_for(self.overlay, package_name, "actions", str(raw_name), name)
        exec_ = self.action_exec(act, entity)
        parameters = self.inputs(act.get("inputs"), over.get("inputs"), entity)
        annotations = self.annotations(act.get("annotations"), over.get("annotations"), entity)
        self.web(act, annotations, entity)
        if "require-whisk-auth" in annotations:
            check_require_auth(self, annotations["require-whisk-auth"], entity)
        if act.get("conductor") is True:
            annotations["conductor"] = True
        limits = self.limits(act.get("limits"), entity)
        if act.get("outputs"):
            self.warn(entity, "outputs are documentation only; not deployed")
        if exec_ is None:
            return
        source = str(act.get("function") or act.get("location") or "(inline code)")
        self.model.actions.append(Action(package, name, exec_, parameters, annotations, limits, source))

    def action_exec(self, act: JsonDict, entity: str) -> Exec | None:
        function = self.function_path(act, entity)
        if function is None:
            return None
        code = act.get("code")
        runtime = self.text(act.get("runtime"), entity, "runtime")
        docker = self.text(act.get("docker"), entity, "docker")
        native = act.get("native") is True
        blackbox = bool(docker) or native
        main = self.text(act.get("main"), entity, "main") or None
        if runtime and not KIND_RE.match(runtime) and runtime != "blackbox" and not FAMILY_RE.match(runtime):
            self.problem(entity, "runtime", f"{runtime!r} is not a runtime kind like python:3.11")
            return None
        include, exclude = self.include_exclude(act, entity)
        if function and code is not None:
            self.problem(entity, "code", "give either function or code, not both")
            return None
        if code is not None:
            found = self.inline_code(str(code), runtime, blackbox, entity)
        elif function:
            found = self.function_code(function, runtime, blackbox, include, exclude, entity)
        elif blackbox:
            found = _Code(runtime, None, False)
        else:
            self.problem(entity, "function", "missing: give the file or directory with the action's code")
            return None
        if found is None:
            return None
        if not blackbox:
            return Exec(kind=found.kind, code=found.text, binary=found.binary, main=main)
        image = NATIVE_IMAGE if native and not docker else docker
        return Exec(kind="blackbox", code=found.text, binary=found.binary, main=main, image=image)

    def function_path(self, act: JsonDict, entity: str) -> str | None:
        """``function`` (or the deprecated ``location``) substituted: "" when absent, None when empty."""
        function_raw = act.get("function")
        if function_raw is None and act.get("location") is not None:
            self.warn(entity, "location is deprecated; use function")
            function_raw = act.get("location")
        if function_raw is None:
            return ""
        function = self.text(function_raw, entity, "function")
        if not function:
            _, missing = self.vars.substitute(str(function_raw))
            unset = f" ({', '.join('$' + m for m in missing)} not set)" if missing else ""
            self.problem(entity, "function", f"{function_raw!r} is empty{unset}")
            return None
        return function

    def inline_code(self, code: str, runtime: str, blackbox: bool, entity: str) -> _Code | None:
        """``code:`` given in the manifest: it needs a runtime; a versionless family takes its default."""
        if not runtime and not blackbox:
            self.problem(entity, "runtime", "required with inline code")
            return None
        if not (runtime and FAMILY_RE.match(runtime) and runtime != "blackbox"):
            return _Code(runtime, code, False)
        if runtime not in RUNTIME_FAMILIES:
            self.problem(entity, "runtime", f"{runtime!r} is not a runtime kind like python:3.11")
            return None
        kind = f"{runtime}:default"
        self.warn(entity, f"runtime {runtime} has no version; using {kind} (the platform's default)")
        return _Code(kind, code, False)

    def function_code(
        self,
        function: str,
        runtime: str,
        blackbox: bool,
        include: list[IncludeEntry],
        exclude: list[str],
        entity: str,
    ) -> _Code | None:
        """The code of ``function:``: a file (its extension may give the kind) or a directory (zipped)."""
        if function.startswith(("http://", "https://")):
            self.problem(entity, "function", f"{function!r}: remote code is not supported; give a path")
            return None
        path = (self.base / function).resolve()
        if not path.exists():
            self.problem(entity, "function", f"{function!r}: no such file or directory ({path})")
            return None
        if (path.is_dir() or path.suffix.lower() == ".zip") and not self.archive_runtime(
            function, path, runtime, blackbox, entity
        ):
            return None
        if path.is_dir():
            return self.directory_code(path, runtime, include, exclude, entity)
        text, binary = read_code(path)
        kind = self.file_kind(runtime, path.suffix.lower(), blackbox, entity)
        if kind is None:
            return None
        if include or exclude:
            self.warn(entity, "include/exclude apply to directory actions only; ignored")
        return _Code(kind, text, binary)

    def archive_runtime(self, function: str, path: Path, runtime: str, blackbox: bool, entity: str) -> bool:
        """A directory or .zip action names no runtime itself: it needs a kind with a version."""
        versionless = bool(runtime) and runtime != "blackbox" and bool(FAMILY_RE.match(runtime))
        if (runtime and not versionless) or blackbox:
            return True
        what = "a directory" if path.is_dir() else "a .zip"
        self.problem(
            entity,
            "runtime",
            f"{what} action ({function!r}) needs a runtime kind with a version, e.g. python:3.11"
            + (f" (got {runtime!r})" if runtime else ""),
        )
        return False

    def directory_code(
        self, path: Path, runtime: str, include: list[IncludeEntry], exclude: list[str], entity: str
    ) -> _Code | None:
        try:
            zip_warnings: list[str] = []
            data = build_zip(path, self.base, include, exclude, zip_warnings, self.allow_outside_project)
            for message in zip_warnings:
                self.warn(entity, message)
        except ArchiveError as exc:
            self.problem(entity, exc.key, str(exc))
            return None
        return _Code(runtime, base64.b64encode(data).decode(), True)

    def file_kind(self, runtime: str, ext: str, blackbox: bool, entity: str) -> str | None:
        """The kind of a single-file action: the runtime given, or the one its extension names."""
        inferred = EXTENSION_KINDS.get(ext)
        if not runtime:
            if inferred is None and not blackbox:
                self.problem(
                    entity,
                    "runtime",
                    f"cannot infer the runtime from {ext or 'no'} extension; give runtime (e.g. python:3.11)",
                )
                return None
            return inferred or ""
        if runtime != "blackbox" and inferred is not None:
            if runtime.split(":")[0] != inferred.split(":")[0]:
                # wskdeploy (not --strict): the file's extension decides the kind
                self.warn(entity, f"runtime {runtime} does not match the {ext} file; using {inferred}")
                return inferred
            if ":" not in runtime:
                self.warn(
                    entity, f"runtime {runtime} has no version; using {inferred} (the platform's default)"
                )
                return inferred
        elif ":" not in runtime and runtime != "blackbox" and not blackbox:
            self.problem(
                entity,
                "runtime",
                f"{runtime!r} has no version and the {ext or 'no'} extension names no runtime; "
                "give a kind like python:3.11",
            )
            return None
        return runtime

    def include_exclude(self, act: JsonDict, entity: str) -> tuple[list[IncludeEntry], list[str]]:
        include: list[IncludeEntry] = []
        raw_include = act.get("include") or []
        if not isinstance(raw_include, list):
            self.problem(entity, "include", "expected a list of [source] or [source, destination] pairs")
            raw_include = []
        for index, item in enumerate(raw_include):
            if isinstance(item, str):
                item = [item]
            if isinstance(item, list) and not 1 <= len(item) <= 2:
                # wskdeploy skips such an entry (it logs it in verbose mode); say so plainly
                self.warn(entity, f"include[{index}] {item!r} has {len(item)} items, not 1 or 2; skipped")
                continue
            if not isinstance(item, list) or not all(isinstance(x, str) and x for x in item):
                self.problem(
                    entity, f"include[{index}]", f"{item!r}: expected [source] or [source, destination]"
                )
                continue
            parts = [self.text(x, entity, f"include[{index}]") for x in item]
            include.append(IncludeEntry(parts[0], parts[1] if len(parts) == 2 else None))
        raw_exclude = act.get("exclude") or []
        if not isinstance(raw_exclude, list) or not all(isinstance(x, str) for x in raw_exclude):
            self.problem(entity, "exclude", "expected a list of glob strings")
            raw_exclude = []
        return include, [self.text(x, entity, "exclude") for x in raw_exclude]

    def web(self, spec: JsonDict, annotations: JsonDict, entity: str) -> None:
        """Apply ``web`` / ``web-export`` as wskdeploy's webaction.go (``web`` wins when both are given)."""
        if "web" in spec and "web-export" in spec:
            self.warn(entity, "both web and web-export given; using web")
        key = "web" if "web" in spec else "web-export" if "web-export" in spec else None
        if key is None:
            return
        mode = web_mode(spec[key])
        if mode is None:
            self.problem(entity, key, f"{spec[key]!r}: expected true, yes, raw, false or no")
            return
        for annotation in ("web-export", "raw-http", "final"):
            annotations.pop(annotation, None)
        annotations["web-export"] = mode != "false"
        annotations["raw-http"] = mode == "raw"
        annotations["final"] = mode != "false"

    def limits(self, raw: Any, entity: str) -> dict[str, int]:
        spec = self.mapping(raw, entity, "limits")
        result: dict[str, int] = {}
        for key, value in spec.items():
            if key in UNSUPPORTED_LIMIT_KEYS:
                self.warn(entity, f"limits.{key} cannot be set through the API; ignored")
                continue
            if key not in LIMIT_KEYS:
                self.problem(entity, f"limits.{key}", f"unknown limit (allowed: {', '.join(LIMIT_KEYS)})")
                continue
            minimum = 0 if key == "logSize" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                self.warn(entity, f"limits.{key} {value!r} is not a valid number; ignored")
                continue
            result[LIMIT_KEYS[key]] = value
        return result

    def sequence(self, package_name: str, package: str | None, raw_name: Any, spec: Any) -> None:
        name = self.name(raw_name, "sequence")
        qualified = f"{package}/{name}" if package else name
        entity = f"sequence {qualified}"
        seq = self.mapping(spec, entity, "(sequence)")
        self.check_keys(seq, SEQUENCE_KEYS, entity)
        raw_actions = seq.get("actions")
        if isinstance(raw_actions, list):
            names = [self.text(a, entity, "actions") for a in raw_actions]
        elif isinstance(raw_actions, str):
            names = self.text(raw_actions, entity, "actions").split(",")
        else:
            self.problem(entity, "actions", "missing: a comma-separated list of action names")
            return
        components = [qualify(n.strip(), package) for n in names if n.strip()]
        if not components:
            self.problem(entity, "actions", "names no action")
            return
        over = overlay_for(self.overlay, package_name, "sequences", str(raw_name), name)
        annotations = self.annotations(seq.get("annotations"), over.get("annotations"), entity)
        self.web(seq, annotations, entity)
        self.model.sequences.append(Sequence(package, name, components, annotations))

    def trigger(self, package_name: str, raw_name: Any, spec: Any) -> None:
        name = self.name(raw_name, "trigger")
        entity = f"trigger {name}"
        trig = self.mapping(spec, entity, "(trigger)")
        self.check_keys(trig, TRIGGER_KEYS, entity)
        feed = self.text(trig.get("feed"), entity, "feed")
        if not feed and trig.get("source"):
            self.warn(entity, "source is deprecated; use feed")
            feed = self.text(trig.get("source"), entity, "source")
        if feed and not [p for p in feed.split("/") if p]:
            self.problem(entity, "feed", f"{feed!r}: expected /namespace/package/feed or binding/feed")
        over = overlay_for(self.overlay, package_name, "triggers", str(raw_name), name)
        parameters = self.inputs(trig.get("inputs"), over.get("inputs"), entity)
        annotations = self.annotations(trig.get("annotations"), over.get("annotations"), entity)
        if any(t.name == name for t in self.model.triggers):
            self.problem(entity, "(name)", "declared twice (triggers live at namespace level)")
        self.model.triggers.append(Trigger(name, feed or None, parameters, annotations))

    def rule(self, package: str | None, raw_name: Any, spec: Any) -> None:
        name = self.name(raw_name, "rule")
        entity = f"rule {name}"
        rule = self.mapping(spec, entity, "(rule)")
        self.check_keys(rule, RULE_KEYS, entity)
        trigger_raw, action_raw = rule.get("trigger"), rule.get("action")
        trigger = str(self.from_inputs(str(trigger_raw or "")) or self.text(trigger_raw, entity, "trigger"))
        action = str(self.from_inputs(str(action_raw or "")) or self.text(action_raw, entity, "action"))
        if not trigger:
            self.problem(entity, "trigger", "missing: the trigger this rule listens to")
        if not action:
            self.problem(entity, "action", "missing: the action (or sequence) this rule invokes")
        if not trigger or not action:
            return
        annotations = self.annotations(rule.get("annotations"), None, entity)
        if any(r.name == name for r in self.model.rules):
            self.problem(entity, "(name)", "declared twice (rules live at namespace level)")
        self.model.rules.append(Rule(name, trigger, qualify(action, package), annotations))

    def apis(self, package: str | None, entity: str, raw: Any, pkg: JsonDict) -> None:
        """``apis: {name: {basePath: {relPath: {action: {method, response}}}}}``, as wskdeploy reads it.

        The action (or sequence) must be one of this package's; one without ``web`` becomes a web action
        (with a warning), one with ``web: false`` is refused. A relative path with ``{param}`` parts
        is served with the ``http`` response type, as wskdeploy forces it.
        """
        own_actions = self.mapping(pkg.get("actions"), entity, "actions")
        own_sequences = self.mapping(pkg.get("sequences"), entity, "sequences")
        for api_name, bases in self.mapping(raw, entity, "apis").items():
            for base_raw, rels in self.mapping(bases, entity, f"apis.{api_name}").items():
                base_path = (
                    "/" + str(base_raw).lstrip("/") if not str(base_raw).startswith("/") else str(base_raw)
                )
                key_base = f"apis.{api_name}.{base_raw}"
                if PATH_PARAM_RE.search(base_path):
                    self.problem(
                        entity, key_base, f"{base_raw!r}: a base path may not have {{path}} parameters"
                    )
                    continue
                for rel_raw, actions in self.mapping(rels, entity, key_base).items():
                    rel_path = str(rel_raw) if str(rel_raw).startswith("/") else "/" + str(rel_raw)
                    key = f"{key_base}.{rel_raw}"
                    for action_name, method_spec in self.mapping(actions, entity, key).items():
                        self.api(
                            package,
                            entity,
                            f"{key}.{action_name}",
                            str(api_name),
                            base_path,
                            rel_path,
                            str(action_name),
                            method_spec,
                            own_actions,
                            own_sequences,
                        )

    def api(
        self,
        package: str | None,
        entity: str,
        key: str,
        api_name: str,
        base_path: str,
        rel_path: str,
        action_name: str,
        method_spec: Any,
        own_actions: JsonDict,
        own_sequences: JsonDict,
    ) -> None:
        if not isinstance(method_spec, dict):
            self.problem(entity, key, f"{method_spec!r}: expected a mapping with method (and response)")
            return
        self.check_keys(method_spec, {"method", "response"}, entity, prefix=f"{key}.")
        method = str(method_spec.get("method") or "").upper()
        if method not in API_VERBS:
            self.problem(
                entity,
                f"{key}.method",
                f"{method_spec.get('method')!r}: use one of {', '.join(sorted(API_VERBS))}",
            )
            return
        response = str(method_spec.get("response") or "json").lower()
        if response not in API_RESPONSE_TYPES:
            self.problem(
                entity, f"{key}.response", f"{response!r}: use one of {', '.join(sorted(API_RESPONSE_TYPES))}"
            )
            return
        params = PATH_PARAM_RE.findall(rel_path)
        if params and response != "http":
            self.warn(entity, f"api {api_name} {rel_path} has path parameters; its response type is http")
            response = "http"
        qualified = qualify(action_name, package)
        target: Action | Sequence | None = None
        kind = "action"
        if action_name in own_actions:
            target = next((a for a in self.model.actions if a.qualified == qualified), None)
            spec = self.mapping(own_actions[action_name], entity, key)
        elif action_name in own_sequences:
            kind = "sequence"
            target = next((q for q in self.model.sequences if q.qualified == qualified), None)
            spec = self.mapping(own_sequences[action_name], entity, key)
        else:
            self.problem(
                entity,
                key,
                f"{action_name!r} is neither an action nor a sequence of this package (an API needs one)",
            )
            return
        web_key = "web" if "web" in spec else "web-export" if "web-export" in spec else None
        if web_key is not None and web_mode(spec[web_key]) == "false":
            self.problem(
                entity, key, f"{kind} {qualified} has {web_key}: {spec[web_key]!r}; an API needs a web action"
            )
            return
        if target is not None and not target.annotations.get("web-export"):
            self.warn(
                entity, f"api {api_name} uses {kind} {qualified}, which is not a web action; made it one"
            )
            target.annotations.update({"web-export": True, "raw-http": False, "final": True})
        self.model.apis.append(
            Api(api_name, base_path, rel_path, qualified, method, response=response, path_params=params)
        )


def find_manifest(directory: Path) -> Path | None:
    """``manifest.yaml`` then ``manifest.yml`` in ``directory`` (wskdeploy's default names)."""
    for candidate in ("manifest.yaml", "manifest.yml"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def find_deployment(directory: Path) -> Path | None:
    for candidate in ("deployment.yaml", "deployment.yml"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def load_manifest(
    manifest: Path,
    *,
    deployment: Path | None = None,
    variables: Variables | None = None,
    params: dict[str, Any] | None = None,
    allow_outside_project: bool = False,
) -> Model:
    """Read, overlay, substitute and validate a manifest; raise ManifestError listing every mistake.
    Zips take no file from outside the manifest's directory unless ``allow_outside_project``."""
    loader = ManifestLoader(
        Path(os.path.abspath(manifest)), deployment, variables or Variables(), params or {}
    )
    loader.allow_outside_project = allow_outside_project
    return loader.load()
