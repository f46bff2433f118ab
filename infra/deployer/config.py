"""Where to deploy: API host, key and namespace from flags, then APIHOST/AUTH/NAMESPACE (environment or
env file), then the manifest's ``project.namespace``, then ``~/.wskprops`` (``$WSK_CONFIG_FILE``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from infra.deployer.environment import Variables


@dataclass(frozen=True)
class Target:
    apihost: str | None
    auth: str | None
    namespace: str


def read_wskprops(path: Path | None = None) -> dict[str, str]:
    """``KEY=VALUE`` lines of the wsk CLI's property file; missing file → empty."""
    if path is None:
        path = Path(os.environ.get("WSK_CONFIG_FILE") or Path.home() / ".wskprops")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    props: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            props[key.strip()] = value.strip()
    return props


def resolve_target(
    variables: Variables,
    *,
    apihost: str | None = None,
    auth: str | None = None,
    namespace: str | None = None,
    manifest_namespace: str | None = None,
    wskprops: dict[str, str] | None = None,
) -> Target:
    """Pick each of host, key and namespace from the first source that has it (see the module docstring)."""
    props = read_wskprops() if wskprops is None else wskprops
    return Target(
        apihost=apihost or variables.get("APIHOST") or props.get("APIHOST") or None,
        auth=auth or variables.get("AUTH") or props.get("AUTH") or None,
        namespace=namespace
        or variables.get("NAMESPACE")
        or manifest_namespace
        or props.get("NAMESPACE")
        or "_",
    )
