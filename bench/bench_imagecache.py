"""Benchmark: the image cache's CPU per deposit once it is full (what a long-lived ocr-check container pays).

    .venv/bin/python bench/bench_imagecache.py [--deposits 100] [--json]

In a fresh temp directory with the product's bound (256 MB), each deposit stores what ocr-check stores for a
two-sided check: the two uploads (356 kB and 660 kB, the sizes of a synthetic photographed check), and for
each side the straightened image as PPM (1.98 MB at 200 dpi) and its JSON geometry. The cache is first filled
past its bound; then `--deposits` more are timed. Reported: CPU ms per deposit, files and MB in the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "actions")]

from openchecks.imagecache import ImageCache  # noqa: E402

SIZES = {"front": 356_000, "back": 660_000}
STRAIGHT = 1_980_000
FILL = 60  # deposits that take an empty 256 MB cache past its bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deposits", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-imagecache-") as tmp:
        cache = ImageCache(tmp, 256 * 1024 * 1024)
        uploads = {side: os.urandom(size) for side, size in SIZES.items()}
        straight, meta = os.urandom(STRAIGHT), json.dumps({"dpi": 200}).encode() * 20

        def deposit(number: int) -> None:
            for side, data in uploads.items():
                cache.put("incoming", f"{number}/{side}", "etag", data)
            for side in uploads:
                cache.put("incoming", f"{number}/{side}", "etag", straight, "straight-200")
                cache.put("incoming", f"{number}/{side}", "etag", meta, "straight-200.json")

        for number in range(FILL):
            deposit(number)
        started = time.process_time()
        for number in range(FILL, FILL + args.deposits):
            deposit(number)
        cpu_ms = (time.process_time() - started) * 1000 / args.deposits
        entries = cache.entries()
        result = {
            "deposits": args.deposits,
            "cpu_ms_per_deposit": round(cpu_ms, 2),
            "files": len(entries),
            "mb": round(sum(size for _, size, _ in entries) / 2**20, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['deposits']} deposits into a full cache: {result['cpu_ms_per_deposit']} ms of CPU per "
            f"deposit (6 stores); {result['files']} files, {result['mb']} MB; "
            f"load average {result['load_average_1min']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
