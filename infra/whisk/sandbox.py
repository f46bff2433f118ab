"""Action containers of a platform running as root run as an unprivileged user of their own.

A platform started as root (CI, a container) would otherwise hand every action root: the data directory,
the store with every package's secrets, the other containers. With a sandbox:

- each container gets a uid/gid of its own, picked at random in `UID_RANGE` (no /etc/passwd entry, no
  supplementary groups, `no_new_privs` so no setuid program gives root back);
- it runs in new PID, IPC, UTS and mount namespaces (`unshare` from util-linux, with its own /proc: it sees
  only its own processes) when the kernel allows, otherwise with the plain uid (`setpriv`; without it a
  tiny Python wrapper drops the ids);
- its directory (`action/`, `tmp/`) belongs to that uid (0700), the code installed by the platform is handed
  over to it (`hand_over`), and the directories above it are traverse-only: the container directories live
  outside the data directory (`work_root(data_dir)`), which is 0700 with its secrets 0600.

The platform enables it (`enable(work_dir)`); `for_work_dir(work_dir)` tells a container spawned under that
directory to use it. Not a security boundary against kernel exploits; see README's threat model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("infra.whisk")

UID_RANGE = (200_000, 299_999)  # uids no distribution assigns; each container draws one
NAMESPACE_FLAGS = ("--fork", "--kill-child", "--pid", "--mount-proc", "--ipc", "--uts")
_DROP_IDS = (
    "import os, sys; uid = int(sys.argv[1]); os.setgroups([]); os.setgid(uid); os.setuid(uid); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)

_lock = threading.Lock()
_enabled: dict[Path, Sandbox] = {}
_probe: dict[str, bool] = {}


@dataclass(frozen=True)
class Sandbox:
    """How containers under one work directory are confined (see the module docstring)."""

    unshare: str | None  # the unshare binary when namespaces work here, else None
    setpriv: str | None

    @property
    def mode(self) -> str:
        """ "namespaces" or "uid": what a container gets."""
        return "namespaces" if self.unshare else "uid"

    def wrap(self, argv: list[str], directory: Path) -> list[str]:
        """Give `directory` (the container's own, with its subdirectories) to a fresh uid and return the
        command that runs `argv` as that uid."""
        uid = UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0] + 1)
        hand_over(directory, uid)
        if self.setpriv:
            drop = [
                self.setpriv,
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--",
            ]
        else:
            drop = [sys.executable, "-I", "-c", _DROP_IDS, str(uid)]
        prefix = [self.unshare, *NAMESPACE_FLAGS, "--"] if self.unshare else []
        return [*prefix, *drop, *argv]


def hand_over(directory: Path, uid: int | None = None) -> None:
    """Make `directory` and everything in it belong to `uid` (default: the directory's current owner),
    the directory itself 0700."""
    directory = Path(directory)
    owner = directory.stat().st_uid if uid is None else uid
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), owner, owner)
    os.chown(directory, owner, owner)
    os.chmod(directory, 0o700)


def _namespaces_work(unshare: str) -> bool:
    if unshare not in _probe:
        try:
            done = subprocess.run(
                [unshare, *NAMESPACE_FLAGS, "--", "true"], capture_output=True, timeout=10, check=False
            )
            _probe[unshare] = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _probe[unshare] = False
    return _probe[unshare]


def detect() -> Sandbox:
    """The best confinement this machine offers (call as root)."""
    unshare = shutil.which("unshare")
    return Sandbox(
        unshare=unshare if unshare and _namespaces_work(unshare) else None, setpriv=shutil.which("setpriv")
    )


def needed() -> bool:
    """True when the platform runs as root, so actions must not run as its user."""
    return os.geteuid() == 0


def work_root_path(data_dir: Path) -> Path:
    """The fixed place `work_root` uses for `data_dir` (nothing is created)."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"openchecks-containers-{digest}"


def work_root(data_dir: Path) -> Path:
    """Where a sandboxed platform keeps its container directories: outside its (0700) data directory, one
    fixed place per data directory (so a restarted platform removes its predecessor's leftovers), 0711.

    A path someone else created first (or a symlink) is never used: then a fresh temporary directory is.
    """
    path = work_root_path(data_dir)
    try:
        path.mkdir(mode=0o711)
    except FileExistsError:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            log.warning("%s is not this platform's own directory; using a temporary one", path)
            path = Path(tempfile.mkdtemp(prefix="openchecks-containers-"))
    os.chmod(path, 0o711)
    return path


def enable(work_dir: Path, sandbox: Sandbox | None = None) -> Sandbox:
    """Confine every container spawned under `work_dir` from now on; returns the sandbox used."""
    chosen = sandbox or detect()
    with _lock:
        _enabled[Path(work_dir).resolve()] = chosen
    log.info("action containers under %s run sandboxed (%s)", work_dir, chosen.mode)
    return chosen


def disable(work_dir: Path) -> None:
    with _lock:
        _enabled.pop(Path(work_dir).resolve(), None)


def for_work_dir(work_dir: Path) -> Sandbox | None:
    """The sandbox of containers spawned under `work_dir`, or None when they run as the platform's user."""
    with _lock:
        return _enabled.get(Path(work_dir).resolve()) if _enabled else None
