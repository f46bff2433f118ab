"""Seconds and memory to export N deposits as an X9 cash letter, images included:
`python bench/bench_x9.py [--sizes 100,1000] [--dpi 200] [--no-back] [--format jpeg|png] [--source-dpi 200]`.

Each deposit has a front and (unless --no-back) a back: a real check scan from ../shared/data/checks (a drawn
one where that is absent) stored as JPEG q90 (or PNG) at 200 dpi (--source-dpi: scaled to that dpi first, e.g.
400 to measure the JPEG decoder's reduced-size decoding), decoded, made bitonal and Group 4 encoded for every
item, exactly as the action does. The deposits and exports databases are the unit tier's in-memory CouchDB
fake (so the figures are the export's own work, not pouchdb-server's), the object store keeps the images in
memory and streams the uploaded file to disk, so the memory figures are the export's. Prints, per size:
seconds, items per second, CPU milliseconds per item (all threads: the figure to compare across loads), peak
Python allocations during the export (with --memory: tracemalloc, which slows the run), the process's peak RSS
growth, the file's bytes and bytes per item, and whether the validator accepts the file. Flat memory shows as
the same peak for 100 and 1,000 items.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from openchecks.config import Settings
from openchecks.documents import ACCEPTED, StraightImage, new_deposit
from openchecks.export import ExportConfig, Exporter, ExportStore
from openchecks.storage import Storage
from openchecks.store import DepositStore
from openchecks.x9.validate import validate
from PIL import Image, ImageDraw

from tests.fixtures.fakes import FakeCloudant, FakeS3

REPO = Path(__file__).resolve().parent.parent
CHECK = REPO.parent / "shared" / "data" / "checks" / "silesia-1278.png"


class DiskS3(FakeS3):
    """The in-memory S3 fake, but uploads are streamed to files in `root` (the cash letter is never held
    whole)."""

    def __init__(self, root: Path, images: dict[tuple[str, str], bytes]) -> None:
        super().__init__()
        self.root = root
        self.objects.update(images)
        self.files: dict[tuple[str, str], Path] = {}

    def put_object(
        self,
        *,
        Bucket: str,
        Key: str,
        Body: bytes | BinaryIO,
        ContentType: str = "binary/octet-stream",
        ContentLength: int | None = None,
    ) -> dict[str, Any]:
        path = self.root / Key
        with path.open("wb") as out:
            if isinstance(Body, bytes):
                out.write(Body)
            else:
                shutil.copyfileobj(Body, out, 1 << 20)
        self.files[(Bucket, Key)] = path
        return {"ETag": '"e"'}


def _image(fmt: str = "jpeg", source_dpi: int = 200) -> tuple[bytes, str]:
    """The stored check image: the scan (200 dpi) as the archive keeps it (JPEG, quality 90) or as PNG, at
    `source_dpi`."""
    if CHECK.is_file():
        if fmt == "png" and source_dpi == 200:
            return CHECK.read_bytes(), f"{CHECK.name} (PNG)"
        scan = Image.open(CHECK).convert("RGB")
        if source_dpi != 200:
            scan = scan.resize((scan.width * source_dpi // 200, scan.height * source_dpi // 200))
        out = io.BytesIO()
        if fmt == "png":
            scan.save(out, "PNG")
        else:
            scan.save(out, "JPEG", quality=90)
        kind = "PNG" if fmt == "png" else "JPEG q90"
        return out.getvalue(), f"{CHECK.name} as {kind} at {source_dpi} dpi ({scan.width}x{scan.height})"
    im = Image.new("RGB", (1200, 550), (236, 232, 220))
    draw = ImageDraw.Draw(im)
    draw.rectangle((10, 10, 1190, 540), outline=(40, 40, 40), width=3)
    for y in range(60, 500, 40):
        draw.text((40, y), "PAY TO THE ORDER OF " * 3, fill=(0, 0, 0))
    out = io.BytesIO()
    im.save(out, "PNG" if fmt == "png" else "JPEG")
    return out.getvalue(), f"a drawn check as {fmt} (../shared absent)"


def run(
    items: int,
    dpi: int,
    back: bool,
    root: Path,
    fmt: str = "jpeg",
    trace: bool = True,
    source_dpi: int = 200,
) -> dict[str, Any]:
    image, _ = _image(fmt, source_dpi)
    couch = FakeCloudant()
    settings = Settings()
    deposits = DepositStore(couch, settings)
    exports = ExportStore(couch, "exports")
    s3 = DiskS3(root, {("archive", "check.png"): image})
    now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    for n in range(items):
        doc = new_deposit(
            "c@example.com", "12345678", 1000 + n, "image/png", "incoming", now - timedelta(seconds=n)
        )
        doc["status"] = ACCEPTED
        doc["reading"] = {
            "routing": "063100277",
            "account": f"{3661702511 + n}",
            "check_number": f"{1000 + n}",
        }
        side: StraightImage = {"bucket": "archive", "key": "check.png", "dpi": source_dpi}
        doc["images"] = {"front": side, "back": side} if back else {"front": side}
        doc["quality"] = {"partial_image": "pass", "too_light_or_too_dark": "pass"}
        deposits.create(doc)
    config = ExportConfig(
        origin_routing="063100277", destination_routing="061000146", dpi=dpi, max_items=items
    )
    exporter = Exporter(deposits, exports, Storage(s3, settings), config, "exports", clock=lambda: now)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    export = exporter.run()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path = s3.files[("exports", export["key"])]
    with path.open("rb") as f:
        report = validate(f)
    size = path.stat().st_size
    return {
        "items": export.get("item_count", 0),
        "seconds": seconds,
        "per_second": items / seconds,
        "cpu_ms_per_item": cpu * 1000 / max(1, items),
        "peak_alloc_mb": peak / 1e6,
        "rss_growth_mb": (rss_after - rss_before) / 1024,
        "bytes": size,
        "bytes_per_item": size / max(1, items),
        "valid": report.ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated numbers of deposits")
    parser.add_argument("--dpi", type=int, default=200, choices=(200, 240))
    parser.add_argument("--no-back", action="store_true", help="fronts only")
    parser.add_argument("--format", default="jpeg", choices=("jpeg", "png"), help="stored image format")
    parser.add_argument("--source-dpi", type=int, default=200, help="dpi of the stored images (default 200)")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also trace Python allocations (tracemalloc; slows the run, so its seconds are not comparable)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    _, source = _image(args.format, args.source_dpi)
    print(f"image: {source}; dpi {args.dpi}; {'front only' if args.no_back else 'front and back'}")
    print(
        f"{'items':>6} {'seconds':>8} {'items/s':>8} {'CPU ms/item':>12} {'peak alloc MB':>14} "
        f"{'RSS growth MB':>14} {'file MB':>8} {'bytes/item':>11} valid"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = run(n, args.dpi, not args.no_back, Path(tmp), args.format, args.memory, args.source_dpi)
            print(
                f"{r['items']:>6} {r['seconds']:>8.2f} {r['per_second']:>8.1f} {r['cpu_ms_per_item']:>12.1f} "
                f"{r['peak_alloc_mb']:>14.1f} {r['rss_growth_mb']:>14.1f} {r['bytes'] / 1e6:>8.2f} "
                f"{r['bytes_per_item']:>11.0f} {r['valid']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
