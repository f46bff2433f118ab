"""The wskdeploy manifest's schema: the keys each section allows, input types, runtime kinds, API verbs.

Tables only (and the small predicates over them); reading, coercing, overlaying and checking a manifest
are in parse.py, coerce.py, overlay.py and validate.py, the loader that walks it in loader.py.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_PACKAGE = "default"
NATIVE_IMAGE = "openwhisk/dockerskeleton"
MAX_JS_INT = (1 << 53) - 1

TOP_KEYS = {"project", "packages"}
PROJECT_KEYS = {
    "name",
    "namespace",
    "credential",
    "apiHost",
    "apigwAccessToken",
    "version",
    "packages",
    "inputs",
    "config",
}
PACKAGE_KEYS = {
    "name",
    "version",
    "license",
    "public",
    "namespace",
    "credential",
    "apiHost",
    "apigwAccessToken",
    "dependencies",
    "repositories",
    "actions",
    "sequences",
    "triggers",
    "feeds",
    "rules",
    "apis",
    "inputs",
    "annotations",
    "description",
}
ACTION_KEYS = {
    "location",
    "version",
    "function",
    "code",
    "runtime",
    "namespace",
    "credential",
    "exposedUrl",
    "web-export",
    "web",
    "main",
    "docker",
    "native",
    "conductor",
    "limits",
    "inputs",
    "outputs",
    "description",
    "annotations",
    "include",
    "exclude",
}
LIMIT_KEYS = {"timeout": "timeout", "memorySize": "memory", "logSize": "logs"}
UNSUPPORTED_LIMIT_KEYS = {"concurrentActivations", "userInvocationRate", "codeSize", "parameterSize"}
SEQUENCE_KEYS = {"actions", "web", "annotations"}
DEPENDENCY_KEYS = {"version", "location", "inputs", "annotations"}
TRIGGER_KEYS = {"feed", "namespace", "credential", "inputs", "description", "annotations", "source"}
RULE_KEYS = {"trigger", "action", "rule", "description", "annotations"}
PARAM_KEYS = {"type", "description", "value", "required", "default", "status", "schema"}

TYPE_NAMES = {
    "string": "string",
    "integer": "integer",
    "int": "integer",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "integer",
    "float": "float",
    "float32": "float",
    "float64": "float",
    "boolean": "boolean",
    "bool": "boolean",
    "json": "json",
    "map": "json",
    "slice": "json",
}
TYPE_DEFAULTS: dict[str, Any] = {"string": "", "integer": 0, "float": 0.0, "boolean": False, "json": {}}

# file extension -> default kind, as wskdeploy's runtimes.go (the platform resolves ":default")
EXTENSION_KINDS = {
    ".py": "python:default",
    ".js": "nodejs:default",
    ".java": "java:default",
    ".swift": "swift:default",
    ".php": "php:default",
    ".rb": "ruby:default",
    ".rs": "rust:default",
    ".go": "go:default",
    ".ts": "nodejs:default",
    ".jar": "java:default",  # wskdeploy: a .jar without a runtime is a Java action
}
BINARY_EXTENSIONS = {".zip", ".jar"}
KIND_RE = re.compile(r"^[a-z][a-z0-9]*:[A-Za-z0-9._-]+$")
FAMILY_RE = re.compile(r"^[a-z][a-z0-9]*$")  # a runtime written without a version: python, nodejs, java
# the families wskdeploy knows (runtimes.go); a bare family name means the platform's default kind
RUNTIME_FAMILIES = {"nodejs", "python", "java", "swift", "php", "ruby", "go", "rust", "dotnet", "ballerina"}
API_VERBS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"}
API_RESPONSE_TYPES = {"json", "http", "html", "svg", "text"}
PATH_PARAM_RE = re.compile(r"\{([^{}/]+)\}")
ENTITY_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_@.\- ]*$")


def is_multiline(spec: Any) -> bool:
    """A mapping is a typed (multi-line) input when it uses type/value/default; else it is a JSON value."""
    if not isinstance(spec, dict):
        return False
    keys = set(spec)
    if not keys & {"type", "value", "default"}:
        return False
    return keys <= PARAM_KEYS or "type" in keys


def web_mode(value: Any) -> str | None:
    if value is True:
        return "true"
    if value is False:
        return "false"
    lowered = str(value).strip().lower()
    return {"true": "true", "yes": "true", "raw": "raw", "false": "false", "no": "false"}.get(lowered)


def qualify(name: str, package: str | None) -> str:
    """Prefix a bare action name with its package, as wskdeploy does for sequences and rules."""
    if "/" in name or package is None:
        return name
    return f"{package}/{name}"
