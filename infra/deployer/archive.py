"""Deterministic zips of action directories: same files in, same bytes out.

Entries are sorted, timestamps fixed at 1980-01-01, permissions reduced to 0644/0755, so an
unchanged directory always yields identical bytes (and so an unchanged action is not redeployed).
``include`` follows wskdeploy: ``[src]`` or ``[src, dest]`` with ``src`` a path or glob relative to
the manifest's directory and ``dest`` a path inside the zip. ``exclude`` globs are relative to the
manifest's directory; a glob without ``/`` also matches any file or directory of that name.
``__pycache__`` directories and ``*.pyc`` files are always left out.

Nothing from outside the project reaches a zip unless asked for (``allow_outside_project``, the deployer's
``--allow-outside-project``): an ``include`` source, and every file zipped after following symbolic links,
must resolve inside the manifest's directory or the action's own directory. A broken link or a link loop
is refused too. Each refusal is an ArchiveError naming the path and where it leads.
"""

from __future__ import annotations

import fnmatch
import glob
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ALWAYS_EXCLUDED = ("__pycache__", "*.pyc")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class ArchiveError(Exception):
    """An include/exclude entry is malformed or names nothing; ``key`` says which one."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class IncludeEntry:
    source: str
    dest: str | None = None


def _excluded(path: Path, base: Path, patterns: list[str]) -> bool:
    """True when ``path`` or one of its parent directories matches an exclude pattern."""
    names = path.parts
    for pattern in ALWAYS_EXCLUDED:
        if any(fnmatch.fnmatchcase(n, pattern) for n in names):
            return True
    try:
        rel = PurePosixPath(os.path.relpath(path, base))
    except ValueError:
        rel = PurePosixPath(path.as_posix())
    candidates = [rel, *rel.parents]
    for pattern in patterns:
        clean = pattern.rstrip("/")
        if "/" in clean:
            norm = PurePosixPath(os.path.normpath(clean))
            if any(fnmatch.fnmatchcase(str(c), str(norm)) for c in candidates):
                return True
        elif any(fnmatch.fnmatchcase(n, clean) for n in names):
            return True
    return False


OUTSIDE_HINT = "deploy with --allow-outside-project to zip it anyway"


class _Confinement:
    """Where zipped files may come from: the project (manifest directory) and the action's directory."""

    def __init__(self, base: Path, directory: Path, allow_outside: bool) -> None:
        self.project = Path(os.path.realpath(base))
        self.roots = (self.project, Path(os.path.realpath(directory)))
        self.allow_outside = allow_outside

    def inside(self, real: Path) -> bool:
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def check(self, path: Path, key: str, what: str) -> None:
        """Refuse ``path`` when it (after every symbolic link) lies outside, or is a broken link."""
        real = Path(os.path.realpath(path))
        if path.is_symlink() and not path.exists():
            raise ArchiveError(key, f"{what} {path} is a broken symbolic link (to {os.readlink(path)})")
        if self.allow_outside or self.inside(real):
            return
        link = " through a symbolic link" if real != Path(os.path.abspath(path)) else ""
        raise ArchiveError(
            key, f"{what} {path} leads{link} to {real}, outside the project {self.project}; {OUTSIDE_HINT}"
        )


def _files_under(root: Path, key: str) -> list[Path]:
    """The files below ``root``, symbolic links followed; a link back into its own ancestry is refused."""
    if not root.is_dir():
        return [root]
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        real_here = Path(os.path.realpath(here))
        dirnames.sort()
        for name in dirnames:
            sub = here / name
            real_sub = Path(os.path.realpath(sub))
            if sub.is_symlink() and real_here.is_relative_to(real_sub):
                raise ArchiveError(key, f"{sub} is a symbolic link loop (to {real_sub}, which contains it)")
        found.extend(here / f for f in sorted(filenames))
    return found


def _glob_root(pattern: str) -> str:
    """The directories of a glob before its first wildcard part: ``actions/*/*/u.js`` -> ``actions``."""
    parts = PurePosixPath(pattern).parts
    root: list[str] = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        root.append(part)
    return str(PurePosixPath(*root)) if root else "."


def _glob_dest_dir(item: IncludeEntry) -> str:
    """Where a glob's matches go: the destination (its directory when it names a file), cut at any
    wildcard; without a destination, the source's own place (as wskdeploy's zip writer)."""
    dest = item.dest if item.dest is not None else item.source
    if not dest.endswith("/") and PurePosixPath(dest).suffix:
        dest = os.path.dirname(dest)
    return dest.split("*", 1)[0] or "."


def _has_glob(source: str) -> bool:
    return any(ch in source for ch in "*?[")


def _include_matches(index: int, item: IncludeEntry, base: Path, warnings: list[str] | None) -> list[str]:
    """The paths an include names: a glob's matches (none: a warning), or the plain path (none: an error)."""
    pattern = str(base / item.source)
    if _has_glob(item.source):
        matches = sorted(glob.glob(pattern))
        if not matches and warnings is not None:
            warnings.append(f"include[{index}] {item.source!r} matches nothing; nothing added")
        return matches
    if not os.path.lexists(pattern):
        raise ArchiveError(f"include[{index}]", f"{item.source!r} matches nothing (relative to {base})")
    return [pattern]


def _include_dest(item: IncludeEntry, match: str, source: Path, base: Path) -> PurePosixPath:
    """Where one match of an include goes in the zip (a path escaping the zip falls back to its name)."""
    if _has_glob(item.source):
        # each match keeps its path below the glob's fixed directories, under the destination
        rel = os.path.relpath(match, str(base / _glob_root(item.source)))
        dest = PurePosixPath(_glob_dest_dir(item)) / PurePosixPath(rel)
    elif item.dest is not None:
        dest = PurePosixPath(item.dest)
        if item.dest.endswith("/") and source.is_file():
            dest = dest / source.name
    else:
        dest = PurePosixPath(item.source)
    dest = PurePosixPath(os.path.normpath(str(dest)))
    if dest.is_absolute() or ".." in dest.parts:
        dest = PurePosixPath(source.name)
    return dest


def _add_include(
    entries: dict[str, Path], item: IncludeEntry, match: str, key: str, base: Path, confine: _Confinement
) -> None:
    """Add one match of an include (a file, or every file below a directory) to ``entries``."""
    source = Path(match)
    real = Path(os.path.realpath(source))
    if not confine.allow_outside and not real.is_relative_to(confine.project):
        raise ArchiveError(
            key, f"{item.source!r} leads to {real}, outside the project {confine.project}; {OUTSIDE_HINT}"
        )
    dest = _include_dest(item, match, source, base)
    for file in _files_under(source, key):
        if any(fnmatch.fnmatchcase(n, pat) for n in file.parts for pat in ALWAYS_EXCLUDED):
            continue
        confine.check(file, key, "the file")
        name = dest if source.is_file() else dest / file.relative_to(source).as_posix()
        entries[str(name)] = file


def collect(
    directory: Path,
    base: Path,
    include: list[IncludeEntry],
    exclude: list[str],
    warnings: list[str] | None = None,
    allow_outside_project: bool = False,
) -> dict[str, Path]:
    """Map zip entry names to files: the directory's own files, then the includes (which may override).

    As wskdeploy's zip writer, an included file is added even when an exclude pattern matches it
    (``exclude: [actions/*]`` with ``include: [[actions/index.js, index.js]]`` keeps just the includes);
    a glob that matches nothing adds nothing (with a warning), a plain path that does not exist is an error.
    Paths outside the project are refused unless ``allow_outside_project`` (see the module docstring).
    """
    confine = _Confinement(base, directory, allow_outside_project)
    entries: dict[str, Path] = {}
    for file in _files_under(directory, "function"):
        if not _excluded(file, base, exclude):
            confine.check(file, "function", "the file")
            entries[file.relative_to(directory).as_posix()] = file
    for index, item in enumerate(include):
        for match in _include_matches(index, item, base, warnings):
            _add_include(entries, item, match, f"include[{index}]", base, confine)
    return entries


def build_zip(
    directory: Path,
    base: Path,
    include: list[IncludeEntry],
    exclude: list[str],
    warnings: list[str] | None = None,
    allow_outside_project: bool = False,
) -> bytes:
    """Return the zip bytes for an action directory (see the module docstring for the rules)."""
    entries = collect(directory, base, include, exclude, warnings, allow_outside_project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(entries):
            file = entries[name]
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            mode = 0o755 if os.access(file, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            archive.writestr(info, file.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buffer.getvalue()
