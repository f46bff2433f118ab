"""The hostile corpus against the deployer's zips: project trees that try to carry a file from outside.

Each case builds, under a temporary directory, a project (`project/manifest.yaml` with one directory action
`pkg/leaky` from `project/actions/leaky`) beside a secret (`outside/secret.env`, holding SECRET) and says
what the deployer must do: refuse (exit 2, a message naming the action, the manifest key and the path) or,
for the cases that stay inside the project, zip the listed entries. `--allow-outside-project` lets the
outside cases through (the secret then is in the zip, as asked).

    symlinks   a file or directory link in the action's directory (or in an included directory) to outside
    includes   `..`, absolute and glob sources that leave the project; an included link that does
    broken     a dangling link and a link loop: refused with a sentence, never a traceback or a hang
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SECRET = "TOKEN_SECRET=hostile-secret-that-must-stay-home"


@dataclass(frozen=True)
class ZipCase:
    name: str
    what: str
    build: Callable[[Path, Path], list[list[str]]]  # (project, outside) -> the action's include entries
    key: str = ""  # the manifest key the refusal names; "" = not refused
    outside: bool = True  # refused because it leaves the project (so --allow-outside-project allows it)
    entries: tuple[str, ...] = ()  # what the zip holds when it is not refused


def _action(project: Path) -> Path:
    return project / "actions" / "leaky"


def _link_file(project: Path, outside: Path) -> list[list[str]]:
    os.symlink(outside / "secret.env", _action(project) / "config.env")
    return []


def _link_dir(project: Path, outside: Path) -> list[list[str]]:
    os.symlink(outside, _action(project) / "conf")
    return []


def _relative_link(project: Path, outside: Path) -> list[list[str]]:
    os.symlink(os.path.relpath(outside / "secret.env", _action(project)), _action(project) / "config.env")
    return []


def _include_dotdot(project: Path, outside: Path) -> list[list[str]]:
    return [["../outside/secret.env", "config.env"]]


def _include_absolute(project: Path, outside: Path) -> list[list[str]]:
    return [[str(outside / "secret.env")]]


def _include_glob(project: Path, outside: Path) -> list[list[str]]:
    return [["../outside/*", "conf/"]]


def _include_link(project: Path, outside: Path) -> list[list[str]]:
    os.symlink(outside, project / "shared")
    return [["shared", "shared"]]


def _include_dir_with_link(project: Path, outside: Path) -> list[list[str]]:
    (project / "lib").mkdir()
    (project / "lib" / "ok.py").write_text("x = 1\n")
    os.symlink(outside / "secret.env", project / "lib" / "settings.env")
    return [["lib", "lib"]]


def _broken_link(project: Path, outside: Path) -> list[list[str]]:
    os.symlink(project / "nowhere.txt", _action(project) / "gone.txt")
    return []


def _link_loop(project: Path, outside: Path) -> list[list[str]]:
    os.symlink("..", _action(project) / "again")
    return []


def _inside_links(project: Path, outside: Path) -> list[list[str]]:
    (project / "lib").mkdir()
    (project / "lib" / "common.py").write_text("y = 2\n")
    os.symlink(project / "lib", _action(project) / "lib")
    return [["lib/common.py", "extra/common.py"]]


CASES: tuple[ZipCase, ...] = (
    ZipCase("link-file-out", "a file link in the action to the secret", _link_file, "function"),
    ZipCase("link-dir-out", "a directory link in the action to outside", _link_dir, "function"),
    ZipCase("link-relative-out", "a relative ../../ link to the secret", _relative_link, "function"),
    ZipCase("include-dotdot", "include [../outside/secret.env]", _include_dotdot, "include[0]"),
    ZipCase("include-absolute", "include of an absolute path", _include_absolute, "include[0]"),
    ZipCase("include-glob-out", "include [../outside/*]", _include_glob, "include[0]"),
    ZipCase("include-link-out", "include of a project link to outside", _include_link, "include[0]"),
    ZipCase(
        "include-dir-with-link",
        "an included directory holding a link to the secret",
        _include_dir_with_link,
        "include[0]",
    ),
    ZipCase("link-broken", "a dangling link", _broken_link, "function", outside=False),
    ZipCase("link-loop", "a link to the action's parent (a loop)", _link_loop, "function", outside=False),
    ZipCase(
        "links-inside",
        "links and includes that stay in the project are zipped",
        _inside_links,
        entries=("__main__.py", "extra/common.py", "lib/common.py"),
    ),
)


def build(root: Path, case: ZipCase) -> Path:
    """Write the case's tree under `root`; return the manifest's path."""
    project, outside = root / "project", root / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.env").write_text(SECRET + "\n")
    _action(project).mkdir(parents=True)
    (_action(project) / "__main__.py").write_text("def main(args):\n    return {}\n")
    include = case.build(project, outside)
    lines = [
        "packages:",
        "  pkg:",
        "    actions:",
        "      leaky:",
        "        function: actions/leaky",
        "        runtime: python:3.11",
    ]
    if include:
        lines.append("        include:")
        lines += ["          - [" + ", ".join(f'"{part}"' for part in entry) + "]" for entry in include]
    manifest = project / "manifest.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest
