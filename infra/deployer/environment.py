"""Variables for ``$VAR`` / ``${VAR}`` substitution: an env file (``local.env``) under the environment.

Substitution follows wskdeploy's rule for when a string is interpolated at all (it starts with ``$``
or contains ``${``); then ``$${NAME}`` becomes the literal ``${NAME}``, and ``${NAME}`` and ``$NAME``
become the variable's value, or the empty string when it is unset. As in wskdeploy (wskenv), an unbraced
name runs to the next ``$``, ``{`` or ``}``: ``$GOPATH/test`` names the variable ``GOPATH/test``, which
is never set, so it becomes empty (write ``${GOPATH}/test`` to concatenate). Variables set in the process
environment win over the env file (as with docker compose), so ``APIHOST=... ./deploy.sh`` works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openchecks.config import parse_env_lines

from infra.deployer.errors import ManifestError, Problem

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(rf"\$\$\{{({_NAME})\}}|\$\{{({_NAME})\}}|\$([^${{}}]+)")


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines as the app's own tools do (openchecks.config.parse_env_lines).

    A malformed line raises ManifestError naming the file and line number.
    """
    values, bad = parse_env_lines(path.read_text(encoding="utf-8"))
    if bad:
        raise ManifestError(
            [Problem(str(path), f"line {number}", line[:40], "expected KEY=VALUE") for number, line in bad]
        )
    return values


class Variables:
    """The variables a manifest may reference, and a record of the unset ones it did reference."""

    def __init__(self, environ: Mapping[str, str] | None = None, env_file: Mapping[str, str] | None = None):
        merged = dict(env_file or {})
        merged.update(os.environ if environ is None else environ)
        self.values = merged
        self.unset: set[str] = set()

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def substitute(self, text: str) -> tuple[str, list[str]]:
        """Return ``text`` with variables replaced, and the names that were referenced but unset."""
        if not (text.startswith("$") or "${" in text):
            return text, []
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(1) + "}"
            name = match.group(2) or match.group(3)
            value = self.values.get(name)
            if value is None:
                missing.append(name)
                return ""
            return value

        result = _TOKEN.sub(replace, text)
        self.unset.update(missing)
        return result, missing

    def deep(self, value: Any) -> tuple[Any, list[str]]:
        """Substitute inside strings of a JSON-like value (dicts and lists recursively)."""
        if isinstance(value, str):
            return self.substitute(value)
        if isinstance(value, dict):
            missing: list[str] = []
            out: dict[Any, Any] = {}
            for k, v in value.items():
                out[k], m = self.deep(v)
                missing += m
            return out, missing
        if isinstance(value, list):
            missing = []
            items = []
            for v in value:
                item, m = self.deep(v)
                items.append(item)
                missing += m
            return items, missing
        return value, []
