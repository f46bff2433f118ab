"""infra/whisk/guard.py (Host, body framing) and keys.py (random keys, private files), without a server.

The same behaviour runs against the real platform in tests/integration/test_security_platform.py.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from infra.whisk import guard, keys, sandbox

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "host",
    [
        None,
        "localhost",
        "LOCALHOST:3233",
        "localhost.:3233",
        "app.localhost:3233",
        "127.0.0.1:3233",
        "127.0.0.1",
        "[::1]:3233",
        "::1",
        "127.8.9.10:80",
        "whisk.internal:3233",
    ],
)
def test_hosts_served(host: str | None) -> None:
    assert guard.host_allowed(host, allowed=("whisk.internal",))


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:3233",
        "EVIL.example.",
        "localhost.evil.example",
        "",
        "a b",
        "[::1",
        "x:y",
    ],
)
def test_hosts_refused(host: str) -> None:
    assert not guard.host_allowed(host, allowed=("whisk.internal",))


def _read(raw: bytes, **headers: str) -> bytes:
    return guard.read_body(io.BytesIO(raw), {k.replace("_", "-"): v for k, v in headers.items()}, 1000)


def test_bodies_that_are_read() -> None:
    assert _read(b"hello", content_length="5") == b"hello"
    assert _read(b"", content_length="0") == b""
    assert _read(b"") == b""
    assert (
        _read(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", transfer_encoding="chunked") == b"hello world"
    )
    assert _read(b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", transfer_encoding="Chunked") == b"hello"


@pytest.mark.parametrize(
    "raw,headers,status",
    [
        (b"-1\r\n" + b"x" * 100, {"transfer_encoding": "chunked"}, 400),
        (b"+5\r\nhello\r\n0\r\n\r\n", {"transfer_encoding": "chunked"}, 400),
        (b" 5\r\nhello\r\n0\r\n\r\n", {"transfer_encoding": "chunked"}, 400),
        (b"0x5\r\nhello\r\n0\r\n\r\n", {"transfer_encoding": "chunked"}, 400),
        (b"f" * 17 + b"\r\n", {"transfer_encoding": "chunked"}, 400),
        (b"3e9\r\n" + b"x" * 10, {"transfer_encoding": "chunked"}, 413),
        (b"5\r\nhel", {"transfer_encoding": "chunked"}, 400),
        (b"5\r\nhelloXX0\r\n\r\n", {"transfer_encoding": "chunked"}, 400),
        (b"5\r\nhello\r\n", {"transfer_encoding": "chunked"}, 400),
        (b"0\r\n\r\n", {"transfer_encoding": "chunked", "content_length": "5"}, 400),
        (b"0\r\n\r\n", {"transfer_encoding": "gzip, chunked"}, 400),
        (b"x" * 10, {"content_length": "-1"}, 400),
        (b"x" * 10, {"content_length": "1e3"}, 400),
        (b"x" * 10, {"content_length": "1001"}, 413),
        (b"x" * 3, {"content_length": "5"}, 400),
    ],
)
def test_malformed_or_oversized_bodies(raw: bytes, headers: dict[str, str], status: int) -> None:
    with pytest.raises(guard.BodyError) as info:
        _read(raw, **headers)
    assert info.value.status == status and info.value.message.endswith(".")


def test_an_oversized_chunk_is_refused_before_its_bytes_are_read() -> None:
    stream = io.BytesIO(b"3e9\r\n" + b"x" * 5000)
    with pytest.raises(guard.BodyError):
        guard.read_body(stream, {"transfer-encoding": "chunked"}, 1000)
    assert stream.tell() == len(b"3e9\r\n")


def test_basic_key_and_cors_stripping() -> None:
    assert guard.basic_key("Basic dTpr") == "u:k"
    assert (
        guard.basic_key("Basic !!!") is None
        and guard.basic_key("Bearer x") is None
        and guard.basic_key(None) is None
    )
    kept = guard.strip_rest_cors([("Access-Control-Allow-Origin", "*"), ("Content-Type", "x")])
    assert kept == [("Content-Type", "x")]
    assert guard.needs_key("/api/v1/namespaces/_/actions") and not guard.needs_key("/api/v1/web/guest/a/b")


def test_keys_are_random_private_and_kept(tmp_path: Path) -> None:
    first = keys.load_or_create_keys(tmp_path / "a")
    assert first == keys.load_or_create_keys(tmp_path / "a") == keys.read_keys(tmp_path / "a")
    assert first != keys.load_or_create_keys(tmp_path / "b")
    assert not any(keys.is_well_known(k) for k in first.values())
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    for ns in keys.NAMESPACES:
        assert stat.S_IMODE(keys.key_path(tmp_path / "a", ns).stat().st_mode) == 0o600
    props = keys.write_wskprops(tmp_path / "a", "http://127.0.0.1:1", first["guest"])
    assert stat.S_IMODE(props.stat().st_mode) == 0o600 and f"AUTH={first['guest']}" in props.read_text()


def test_a_seed_is_used_only_when_no_key_exists(tmp_path: Path) -> None:
    seed = {"guest": keys.random_key(), "whisk.system": keys.random_key()}
    assert keys.load_or_create_keys(tmp_path, seed=seed) == seed
    assert keys.load_or_create_keys(tmp_path, seed={"guest": keys.random_key()}) == seed


def test_a_broken_key_file_names_itself(tmp_path: Path) -> None:
    keys.private_dir(tmp_path)
    keys.key_path(tmp_path, "guest").write_text("no colon here\n")
    with pytest.raises(keys.KeyFileError) as info:
        keys.read_keys(tmp_path)
    assert "auth.guest" in str(info.value)


def test_the_sandbox_work_root_is_traverse_only_and_never_someone_elses(tmp_path: Path) -> None:
    root = sandbox.work_root(tmp_path / "data")
    try:
        assert stat.S_IMODE(root.stat().st_mode) == 0o711 and root.stat().st_uid == os.geteuid()
        assert sandbox.work_root(tmp_path / "data") == root  # one fixed place per data directory
    finally:
        root.rmdir()
    root.symlink_to(tmp_path)  # someone planted a symlink there: a fresh directory is used instead
    try:
        other = sandbox.work_root(tmp_path / "data")
        assert other != root and not other.is_symlink()
        other.rmdir()
    finally:
        root.unlink()
