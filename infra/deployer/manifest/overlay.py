"""The deployment file (``deployment.yaml``): its packages overlay the manifest's inputs and annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.deployer.manifest.parse import read_yaml
from infra.deployer.manifest.schema import (
    ACTION_KEYS,
    DEPENDENCY_KEYS,
    PACKAGE_KEYS,
    PROJECT_KEYS,
    SEQUENCE_KEYS,
    TOP_KEYS,
    TRIGGER_KEYS,
    is_multiline,
)
from infra.deployer.model import JsonDict

if TYPE_CHECKING:
    from infra.deployer.manifest.coerce import Reader


def load_overlay(reader: Reader) -> dict[str, JsonDict]:
    """The deployment file's packages by name, their sections' keys checked (problems go to `reader`)."""
    overlay: dict[str, JsonDict] = {}
    if reader.deployment is None:
        return overlay
    dfile = str(reader.deployment)
    doc = read_yaml(reader.deployment)
    root = reader.mapping(doc, "(root)", "(document)", dfile)
    reader.check_keys(root, TOP_KEYS, "(root)", dfile)
    project = reader.mapping(root.get("project"), "project", "project", dfile)
    if project:
        reader.check_keys(project, PROJECT_KEYS, "project", dfile)
    packages = reader.mapping(root.get("packages") or project.get("packages"), "(root)", "packages", dfile)
    for raw_name, spec in packages.items():
        name, _ = reader.vars.substitute(str(raw_name))
        pkg = reader.mapping(spec, f"package {name}", "(package)", dfile)
        reader.check_keys(pkg, PACKAGE_KEYS, f"package {name}", dfile)
        for section, allowed in (
            ("actions", ACTION_KEYS),
            ("triggers", TRIGGER_KEYS),
            ("dependencies", DEPENDENCY_KEYS),
            ("sequences", SEQUENCE_KEYS),
        ):
            for entity_name, entity in reader.mapping(
                pkg.get(section), f"package {name}", section, dfile
            ).items():
                label = f"{section[:-1]} {name}/{entity_name}"
                reader.check_keys(reader.mapping(entity, label, section, dfile), allowed, label, dfile)
        overlay[name] = pkg
    return overlay


def overlay_for(
    overlay: dict[str, JsonDict], package: str, section: str, name: str, resolved: str | None = None
) -> JsonDict:
    """The deployment file's entry for an entity, under its name as written or as resolved."""
    pkg = overlay.get(package) or {}
    entities = pkg.get(section) if isinstance(pkg.get(section), dict) else {}
    entity = (entities or {}).get(name)
    if entity is None and resolved is not None:
        entity = (entities or {}).get(resolved)
    return entity if isinstance(entity, dict) else {}


def overlay_param(manifest_spec: Any, deployment_spec: Any) -> Any:
    """A deployment-file input replaces the manifest's value and keeps ``required``.

    As in wskdeploy, a plain deployment value keeps its own YAML type (``docid: 1234567`` stays a
    number even where the manifest declares ``type: string``); a typed deployment entry is merged.
    """
    if is_multiline(manifest_spec):
        merged = dict(manifest_spec)
        if is_multiline(deployment_spec):
            merged.update(deployment_spec)
        else:
            merged.pop("type", None)
            merged.pop("default", None)
            merged["value"] = deployment_spec
        return merged
    return deployment_spec
