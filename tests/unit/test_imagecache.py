"""The temp-dir image cache: keys include the ETag, size is bounded, least recently used goes first."""

from __future__ import annotations

from pathlib import Path

import pytest
from openchecks import imagecache
from openchecks.imagecache import ImageCache


def test_put_then_get_returns_the_same_bytes(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=1000)
    stored = cache.put("b", "k", '"etag1"', b"abc")
    assert cache.get("b", "k", "etag1") == stored
    assert stored.read_bytes() == b"abc"


def test_a_new_etag_or_variant_is_a_miss(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=1000)
    cache.put("b", "k", "v1", b"abc")
    assert cache.get("b", "k", "v2") is None
    assert cache.get("b", "k", "v1", "ocr") is None
    assert cache.get("b", "other", "v1") is None


def test_least_recently_used_is_evicted_first(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=250)
    cache.put("b", "one", "e", b"1" * 100)
    cache.put("b", "two", "e", b"2" * 100)
    assert cache.get("b", "one", "e") is not None  # "one" is now more recent than "two"
    cache.put("b", "three", "e", b"3" * 100)
    assert cache.get("b", "two", "e") is None
    assert cache.get("b", "one", "e") is not None
    assert cache.get("b", "three", "e") is not None
    assert cache.total_bytes() <= 250


def test_recency_survives_a_new_cache_object_on_the_same_directory(tmp_path: Path) -> None:
    first = ImageCache(tmp_path, max_bytes=250)
    first.put("b", "old", "e", b"o" * 100)
    first.put("b", "new", "e", b"n" * 100)
    second = ImageCache(tmp_path, max_bytes=250)
    second.put("b", "third", "e", b"t" * 100)
    assert second.get("b", "old", "e") is None
    assert second.get("b", "new", "e") is not None


def test_an_entry_bigger_than_the_bound_stays_readable_until_the_next_put(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=10)
    big = cache.put("b", "big", "e", b"x" * 50)
    assert big.read_bytes() == b"x" * 50
    cache.put("b", "small", "e", b"y" * 5)
    assert not big.exists()


def test_disabled_cache_always_misses_and_keeps_only_the_latest_file(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=10_000, enabled=False)
    first = cache.put("b", "k", "e", b"abc")
    assert first.read_bytes() == b"abc"
    assert cache.get("b", "k", "e") is None
    cache.put("b", "k2", "e", b"def")
    assert not first.exists()
    assert len(cache.entries()) == 1


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=1000)
    for i in range(5):
        cache.put("b", f"k{i}", "e", b"z" * 10)
    assert not list(tmp_path.glob("*.tmp"))


class CountingCache(ImageCache):
    """An ImageCache that counts its directory scans."""

    scans = 0

    def entries(self) -> list[tuple[Path, int, int]]:
        self.scans += 1
        return super().entries()


def test_stores_within_the_bound_scan_the_directory_once(tmp_path: Path) -> None:
    cache = CountingCache(tmp_path, max_bytes=1000)
    for i in range(5):
        cache.put("b", f"k{i}", "e", b"z" * 100)
    assert cache.scans == 1  # the first store learns the directory's total; the others add to it
    cache.put("b", "k0", "e", b"z" * 300)  # a replaced entry counts its new size only
    cache.put("b", "k5", "e", b"z" * 400)  # 1100 bytes: over the bound, so a scan and an eviction
    assert cache.scans == 2
    assert cache.total_bytes() <= 900  # down to the low-water mark, room for the next stores
    assert cache.get("b", "k5", "e") is not None
    assert cache.get("b", "k0", "e") is not None


def test_a_file_another_process_stored_is_counted_at_the_next_rescan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imagecache, "RESCAN_EVERY", 2)
    mine = ImageCache(tmp_path, max_bytes=1000)
    other = ImageCache(tmp_path, max_bytes=1000)
    mine.put("b", "a", "e", b"a" * 400)
    other.put("b", "b", "e", b"b" * 400)
    mine.put("b", "c", "e", b"c" * 100)  # mine believes 500 bytes; there are 900
    mine.put("b", "d", "e", b"d" * 150)  # the second store since its scan: it scans, 1050 is over
    assert mine.total_bytes() <= 1000
    assert mine.get("b", "a", "e") is None  # the least recently used went
    assert mine.get("b", "d", "e") is not None
