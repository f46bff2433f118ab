"""The temp-dir image cache: keys include the ETag, size is bounded, least recently used goes first."""

from __future__ import annotations

from pathlib import Path

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
