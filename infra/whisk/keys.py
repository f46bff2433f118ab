"""The platform's API keys: random per data directory, kept in files only their owner may read.

OpenWhisk's standalone build ships two well-known keys (ansible/files/auth.guest, auth.whisk.system) that
are printed in every tutorial. A platform answering them lets any web page the developer opens drive it, so
here they are never the default: `load_or_create_keys(data_dir)` makes a key per namespace the first time
(`uuid:64 random characters`, like OpenWhisk's `wskadmin user create`) and reads it back afterwards:

    <data_dir>/auth.guest           guest's key ("uuid:key", 0600)
    <data_dir>/auth.whisk.system    whisk.system's key (0600)
    <data_dir>/.wskprops            APIHOST, AUTH (guest), NAMESPACE: point WSK_CONFIG_FILE at it (0600)

`WELL_KNOWN_KEYS` are the public keys: `python -m infra.whisk --well-known-keys` still serves them for tools
that cannot be given a key, and then never answers CORS on its REST API.
"""

from __future__ import annotations

import os
import secrets
import string
import uuid
from pathlib import Path

NAMESPACES = ("guest", "whisk.system")
WELL_KNOWN_KEYS = {
    "guest": "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:"
    "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP",
    "whisk.system": "789c46b1-71f6-4ed5-8c54-816aa4f8c502:"
    "abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP",
}
_KEY_ALPHABET = string.ascii_letters + string.digits
SECRET_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class KeyFileError(ValueError):
    """A key file exists but does not hold a `uuid:key` line; the message names the file."""


def random_key() -> str:
    """A fresh `uuid:key` credential (64 characters of key, about 380 bits)."""
    return f"{uuid.uuid4()}:{''.join(secrets.choice(_KEY_ALPHABET) for _ in range(64))}"


def is_well_known(key: str) -> bool:
    """True for OpenWhisk's published keys."""
    return key in WELL_KNOWN_KEYS.values()


def key_path(data_dir: Path, namespace: str) -> Path:
    return Path(data_dir) / f"auth.{namespace}"


def wskprops_path(data_dir: Path) -> Path:
    return Path(data_dir) / ".wskprops"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700; returns it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def write_secret(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (0600 from the first byte, replaced atomically)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, SECRET_FILE_MODE)
    try:
        os.fchmod(fd, SECRET_FILE_MODE)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def create_secret(path: Path, text: str) -> bool:
    """Write `text` to `path` (0600) only if it does not exist yet; True when this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return True


def _check(key: str, path: Path) -> str:
    user, sep, password = key.partition(":")
    if not sep or not user or not password or any(c.isspace() for c in key):
        raise KeyFileError(f"{path} does not hold a 'uuid:key' credential; delete it to make a new one")
    return key


def read_keys(data_dir: Path) -> dict[str, str]:
    """The keys stored in `data_dir` (namespace -> "uuid:key"); only the namespaces that have a file."""
    keys = {}
    for ns in NAMESPACES:
        path = key_path(data_dir, ns)
        try:
            keys[ns] = _check(path.read_text().strip(), path)
        except FileNotFoundError:
            continue
    return keys


def load_or_create_keys(data_dir: Path, seed: dict[str, str] | None = None) -> dict[str, str]:
    """Every namespace's key for the platform in `data_dir`, made at random (or from `seed`) when missing.

    Safe when several processes race (the file is created exclusively; the loser reads the winner's).
    Existing files are made 0600 again if someone loosened them.
    """
    private_dir(data_dir)
    keys = {}
    for ns in NAMESPACES:
        path = key_path(data_dir, ns)
        wanted = (seed or {}).get(ns) or random_key()
        create_secret(path, _check(wanted, path) + "\n")
        os.chmod(path, SECRET_FILE_MODE)
        keys[ns] = _check(path.read_text().strip(), path)
    return keys


def write_wskprops(data_dir: Path, api_host: str, guest_key: str) -> Path:
    """The `.wskprops` a `wsk`-style tool reads (WSK_CONFIG_FILE=<this path>), 0600; returns its path."""
    path = wskprops_path(data_dir)
    write_secret(path, f"APIHOST={api_host}\nAUTH={guest_key}\nNAMESPACE=guest\n")
    return path
