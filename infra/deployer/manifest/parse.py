"""Reading the manifest's files: YAML (duplicate keys refused, errors with their line), ``--param`` values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from infra.deployer.errors import ManifestError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_mapping(node, deep=deep))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors and duplicate keys raise ManifestError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError.single(str(path), "(file)", "-", f"cannot read: {exc.strerror or exc}") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError.single(str(path), "(yaml)", where, str(problem)) from exc


def parse_cli_value(text: str) -> Any:
    """A ``--param`` value: JSON when it parses as JSON (as ``wsk -p``), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text
