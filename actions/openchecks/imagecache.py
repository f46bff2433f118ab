"""The container's temp-directory image cache: files keyed by (bucket, key, ETag, variant), bounded in bytes.

A warm container that already fetched an image (or made its normalised copy) reuses the file instead of going
back to COS. The ETag is part of the key, so a replaced object is never served stale. When the total size
exceeds `max_bytes` the least recently used files go first (recency = file mtime, bumped on every hit, so the
order survives the module being re-imported). Writes are atomic (temp file + rename).

The directory is scanned (every file's size and mtime) only when the cache may be over its bound: the object
keeps a running total from its last scan plus what it stored since, and scans again when that total passes
`max_bytes` or after RESCAN_EVERY stores (a file another process wrote there is counted then); a store that
takes it over the bound evicts down to LOW_WATER of it, so a full cache is not scanned again at the next
store. A scan costs about 1.5 ms with the 200-odd files of a full 256 MB cache, and ocr-check stores six
files per deposit.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

DEFAULT_DIR = Path(tempfile.gettempdir()) / "openchecks-images"
_SUFFIX = ".img"
# Stores between two scans of the directory at most (see the module docstring).
RESCAN_EVERY = 64
# A store over the bound evicts down to this share of it (about five deposits of room in 256 MB).
LOW_WATER = 0.9


class ImageCache:
    """An LRU file cache in `root` holding at most `max_bytes`. With `enabled=False` every lookup misses and
    stored files are kept only until the next store (they must exist while the caller reads them)."""

    def __init__(
        self, root: Path | str | None = None, max_bytes: int = 256 * 1024 * 1024, enabled: bool = True
    ) -> None:
        self.root = Path(root) if root else DEFAULT_DIR
        self.max_bytes = max_bytes
        self.enabled = enabled
        self._last_ns = 0
        # Bytes in the directory as of the last scan plus those stored since (None: not scanned yet).
        self._total: int | None = None
        self._stores_since_scan = 0
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, bucket: str, key: str, etag: str, variant: str = "original") -> Path:
        """Where the entry lives (whether or not it exists)."""
        digest = hashlib.sha256("\x00".join((bucket, key, etag.strip('"'), variant)).encode()).hexdigest()
        return self.root / f"{digest}{_SUFFIX}"

    def _touch(self, path: Path) -> None:
        # Strictly increasing mtimes keep LRU order exact even within one clock tick.
        stamp = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = stamp
        os.utime(path, ns=(stamp, stamp))

    def get(self, bucket: str, key: str, etag: str, variant: str = "original") -> Path | None:
        """The cached file, marked most recently used, or None on a miss (always None when disabled)."""
        if not self.enabled:
            return None
        path = self.path_for(bucket, key, etag, variant)
        try:
            self._touch(path)
        except FileNotFoundError:
            return None
        return path

    def put(self, bucket: str, key: str, etag: str, data: bytes, variant: str = "original") -> Path:
        """Store `data` and return its path; then evict least recently used files beyond `max_bytes`
        (never the file just stored, which stays readable even if it alone is over the bound)."""
        path = self.path_for(bucket, key, etag, variant)
        replaced = 0
        if self._total is not None:
            try:
                replaced = path.stat().st_size
            except FileNotFoundError:
                pass
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._touch(path)
        self._stores_since_scan += 1
        if self._total is not None:
            self._total += len(data) - replaced
        if self._total is not None and self._total > self.max_bytes:
            self.evict(keep=path, target=int(self.max_bytes * LOW_WATER))
        elif not self.enabled or self._total is None or self._stores_since_scan >= RESCAN_EVERY:
            self.evict(keep=path)
        return path

    def entries(self) -> list[tuple[Path, int, int]]:
        """(path, size, mtime_ns) of every cached file, least recently used first."""
        out: list[tuple[Path, int, int]] = []
        for entry in os.scandir(self.root):
            if not entry.name.endswith(_SUFFIX):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            out.append((Path(entry.path), stat.st_size, stat.st_mtime_ns))
        out.sort(key=lambda item: item[2])
        return out

    def total_bytes(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def evict(self, keep: Path | None = None, target: int | None = None) -> list[Path]:
        """Delete least recently used files until the total is within bounds (`target` bytes when given, else
        `max_bytes`); return what was deleted. Disabled caches keep nothing but `keep`."""
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes and self.enabled:
            target = None  # within bounds after all (files went away): nothing to make room for
        limit = (self.max_bytes if target is None else target) if self.enabled else 0
        removed: list[Path] = []
        for path, size, _ in entries:
            if total <= limit:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
        self._total, self._stores_since_scan = total, 0
        return removed


# Warm-container cache object: one per (directory, bound, enabled) combination in use.
_CACHES: dict[tuple[str, int, bool], ImageCache] = {}


def image_cache(root: str, max_bytes: int, enabled: bool) -> ImageCache:
    """The process-wide ImageCache for these settings (created on first use)."""
    key = (root or str(DEFAULT_DIR), max_bytes, enabled)
    cache = _CACHES.get(key)
    if cache is None:
        cache = ImageCache(root or None, max_bytes, enabled)
        _CACHES[key] = cache
    return cache
