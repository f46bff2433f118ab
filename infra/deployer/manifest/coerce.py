"""A manifest load's state and its value rules: names, ``$VAR`` substitution, typed inputs, coercion.

`Reader` collects every problem (file, entity, key, message) and warning instead of stopping at the first;
the loader (loader.py) walks the manifest with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.deployer.environment import Variables
from infra.deployer.errors import Problem
from infra.deployer.manifest.overlay import overlay_param
from infra.deployer.manifest.schema import ENTITY_NAME_RE, PARAM_KEYS, TYPE_DEFAULTS, TYPE_NAMES, is_multiline
from infra.deployer.model import JsonDict, Model


class _Skip:
    """Marker: the input is dropped (its problem has been reported)."""


SKIP: Any = _Skip()


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip())


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    return float(value)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0", ""):
        return False
    raise ValueError


def _to_json(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        return json.loads(value) if value.strip() else {}
    raise ValueError


# a declared type -> its conversion (ValueError or TypeError: the value is not of that type)
COERCIONS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string,
    "integer": _to_integer,
    "float": _to_float,
    "boolean": _to_boolean,
    "json": _to_json,
}


class Reader:
    """One manifest load's state: collects problems and warnings while building the model."""

    def __init__(
        self, manifest: Path, deployment: Path | None, variables: Variables, params: dict[str, Any]
    ) -> None:
        self.path = manifest
        self.file = str(manifest)
        self.base = manifest.parent
        self.deployment = deployment
        self.vars = variables
        self.params = params
        self.problems: list[Problem] = []
        self.model = Model(manifest_path=str(manifest))
        self.overlay: dict[str, JsonDict] = {}
        self.has_default = False
        self.declared_actions: set[str] = set()  # includes actions whose code had a problem
        # wskdeploy resolves ``$X`` from the inputs around an entity when no variable X is set:
        # package inputs from project inputs, entity names and input values from their package's inputs
        self.lookup: JsonDict = {}
        self.project_values: JsonDict = {}

    # -- helpers --------------------------------------------------------------------------------
    def problem(self, entity: str, key: str, message: str, file: str | None = None) -> None:
        self.problems.append(Problem(file or self.file, entity, key, message))

    def warn(self, entity: str, message: str) -> None:
        self.model.warnings.append(f"{entity}: {message}")

    def mapping(self, value: Any, entity: str, key: str, file: str | None = None) -> JsonDict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(entity, key, f"expected a mapping, got {type(value).__name__}", file)
            return {}
        return value

    def check_keys(
        self, spec: JsonDict, allowed: set[str], entity: str, file: str | None = None, prefix: str = ""
    ) -> None:
        for key in spec:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(entity, f"{prefix}{key}", f"unknown key (allowed: {hint})", file)

    def text(self, value: Any, entity: str, key: str) -> str:
        """A scalar the manifest gives as text, with variables substituted."""
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            self.problem(entity, key, f"expected a string, got {type(value).__name__}")
            return ""
        result, _ = self.vars.substitute(str(value))
        return result

    def from_inputs(self, raw: str) -> Any:
        """The value of the input ``raw`` names (``$X`` / ``${X}``) when X is no variable but an input."""
        if "$" not in raw:
            return None
        name = raw.replace("$", "", 1).replace("{", "").replace("}", "")
        if self.vars.get(name) is not None:
            return None
        value = self.lookup.get(name)
        return value if value not in (None, "") else None

    def name(self, raw: Any, entity_kind: str) -> str:
        """An entity name (a mapping key), with variables (or package inputs) substituted and checked."""
        from_input = self.from_inputs(str(raw))
        missing: list[str] = []
        if from_input is not None:
            value = str(from_input)
        else:
            value, missing = self.vars.substitute(str(raw))
        if not value or not ENTITY_NAME_RE.match(value):
            reason = f"variables unset: {', '.join(missing)}" if missing else "not a valid OpenWhisk name"
            self.problem(f"{entity_kind} {raw}", "(name)", f"{value!r}: {reason}")
        return value

    # -- inputs (parameters) --------------------------------------------------------------------
    def inputs(
        self,
        raw: Any,
        overlay: Any,
        entity: str,
        *,
        key: str = "inputs",
        package_level: bool = False,
        extra: JsonDict | None = None,
    ) -> JsonDict:
        """Resolve typed inputs; overlay (deployment file) then ``--param`` values win per name."""
        declared = dict(extra or {})
        declared.update(self.mapping(raw, entity, key))
        over = self.mapping(overlay, entity, key, str(self.deployment))
        for name, value in over.items():
            declared[name] = overlay_param(declared.get(name), value)
        result: JsonDict = {}
        for name, spec in declared.items():
            if name in self.params:
                result[str(name)] = self.params[name]
                continue
            value = self.param_value(str(name), spec, entity, f"{key}.{name}", package_level)
            if value is not SKIP:
                result[str(name)] = value
        return result

    def param_value(self, name: str, spec: Any, entity: str, key: str, package_level: bool) -> Any:
        declaration = self.declaration(spec, entity, key)
        if declaration is SKIP:
            return SKIP
        value, required, declared_type = declaration
        value, missing = self.substituted(value, name, package_level)
        if required and value in (None, ""):
            self.missing_required(entity, key, missing)
            return SKIP
        if declared_type is not None:
            value = self.coerce(value, declared_type, entity, key)
        if value is None:
            value = TYPE_DEFAULTS.get(declared_type or "string", "")
            if isinstance(value, dict):
                value = {}
        return value

    def declaration(self, spec: Any, entity: str, key: str) -> Any:
        """An input's (value, required, declared type), or SKIP when its type is unknown.

        Multi-line: ``{type, value, default, required, description}``; single-line: the value, or a
        bare type name, which declares a typed input with that type's zero value."""
        if not is_multiline(spec):
            if isinstance(spec, str) and spec in TYPE_NAMES:
                return None, False, TYPE_NAMES[spec]
            return spec, False, None
        assert isinstance(spec, dict)
        self.check_keys(spec, PARAM_KEYS, entity, prefix=f"{key}.")
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.problem(entity, f"{key}.required", f"expected true or false, got {required!r}")
        declared_type: str | None = None
        if "type" in spec:
            declared_type = TYPE_NAMES.get(str(spec["type"]))
            if declared_type is None:
                types = ", ".join(sorted(set(TYPE_NAMES.values())))
                self.problem(entity, f"{key}.type", f"unknown type {spec['type']!r} (use one of {types})")
                return SKIP
        value = spec.get("value")
        return (spec.get("default") if value is None else value), required is True, declared_type

    def substituted(self, raw_value: Any, name: str, package_level: bool) -> tuple[Any, list[str]]:
        """The value with ``$VAR``s substituted (or taken from an input of that name) and the unset names."""
        value, missing = self.vars.deep(raw_value)
        if isinstance(raw_value, str) and value in (None, "") and missing:
            from_input = self.from_inputs(raw_value)
            if from_input is not None:
                value, missing = from_input, []
                self.vars.unset.difference_update(
                    {raw_value.replace("$", "", 1).replace("{", "").replace("}", "")}
                )
        if package_level and value in (None, "") and self.vars.get(name):
            # wskdeploy: an empty package input takes the variable of the same name
            value = self.vars.get(name)
        return value, missing

    def missing_required(self, entity: str, key: str, missing: list[str]) -> None:
        if missing:
            names = ", ".join(f"${m}" for m in missing)
            self.problem(
                entity, key, f"required, but {names} is not set (set it in the env file or the environment)"
            )
        else:
            self.problem(entity, key, "required, but has no value")

    def coerce(self, value: Any, kind: str, entity: str, key: str) -> Any:
        """Convert a (possibly substituted) value to its declared type, or report a mismatch."""
        if value is None:
            return None
        convert = COERCIONS.get(kind)
        if convert is not None:
            try:
                return convert(value)
            except (ValueError, TypeError):
                pass
        self.problem(entity, key, f"value {value!r} is not of type {kind}")
        return None

    def annotations(self, raw: Any, overlay: Any, entity: str) -> JsonDict:
        result = dict(self.mapping(raw, entity, "annotations"))
        result.update(self.mapping(overlay, entity, "annotations", str(self.deployment)))
        resolved, _ = self.vars.deep(result)
        return {str(k): v for k, v in resolved.items()}
