"""What a manifest declares, resolved: names qualified, variables substituted, code read and zipped.

The model is plain data with no I/O; ``plan.py`` turns it into REST operations. Names inside the
namespace are ``pkg/name`` for entities in a package and ``name`` for the default package and for
triggers and rules (which always live at namespace level).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


def key_values(values: dict[str, Any]) -> list[JsonDict]:
    """Return OpenWhisk's ``[{key, value}]`` list for a dict, sorted by key so bodies are stable."""
    return [{"key": k, "value": values[k]} for k in sorted(values)]


@dataclass(frozen=True)
class Exec:
    """An action's ``exec``: kind and code (text, or base64 when ``binary``), entry point, image."""

    kind: str
    code: str | None = None
    binary: bool = False
    main: str | None = None
    image: str | None = None

    def to_json(self) -> JsonDict:
        body: JsonDict = {"kind": self.kind}
        if self.code is not None:
            body["code"] = self.code
            body["binary"] = self.binary
        if self.main:
            body["main"] = self.main
        if self.image:
            body["image"] = self.image
        return body

    @property
    def code_sha256(self) -> str:
        return hashlib.sha256((self.code or "").encode()).hexdigest()


@dataclass
class Package:
    name: str
    parameters: JsonDict = field(default_factory=dict)
    annotations: JsonDict = field(default_factory=dict)
    publish: bool = False


@dataclass
class Binding:
    """A package binding (a manifest ``dependencies`` entry with a ``/namespace/package`` location)."""

    name: str
    target_namespace: str
    target_package: str
    parameters: JsonDict = field(default_factory=dict)
    annotations: JsonDict = field(default_factory=dict)

    @property
    def target(self) -> str:
        return f"/{self.target_namespace}/{self.target_package}"


@dataclass
class Action:
    package: str | None
    name: str
    exec: Exec
    parameters: JsonDict = field(default_factory=dict)
    annotations: JsonDict = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    source: str = ""  # file or directory the code came from, for messages

    @property
    def qualified(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass
class Sequence:
    package: str | None
    name: str
    components: list[str]  # "pkg/action", "action" (default package) or "/ns/pkg/action"
    annotations: JsonDict = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass
class Trigger:
    name: str
    feed: str | None = None  # "/ns/pkg/feed" or "pkg/feed" (own namespace)
    parameters: JsonDict = field(default_factory=dict)  # for a feed trigger: the feed's inputs
    annotations: JsonDict = field(default_factory=dict)


@dataclass
class Rule:
    name: str
    trigger: str
    action: str  # "pkg/action", "action" or "/ns/pkg/action"
    annotations: JsonDict = field(default_factory=dict)


@dataclass
class Api:
    """An ``apis`` entry: one route (base path + relative path + verb) to a web action or sequence."""

    name: str
    base_path: str
    relative_path: str
    action: str  # "pkg/action" or "action" (default package)
    method: str  # GET, POST, ...
    response: str = "json"  # json | http | html | svg | text
    path_params: list[str] = field(default_factory=list)

    @property
    def route(self) -> str:
        return f"{self.base_path.rstrip('/')}{self.relative_path}"


@dataclass
class Model:
    manifest_path: str
    namespace: str | None = None  # from ``project.namespace``; flags and env win
    packages: list[Package] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
