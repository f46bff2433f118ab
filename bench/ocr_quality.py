"""Straightening and image quality on rendered hand-held photos: `python bench/ocr_quality.py [--count N]`.

Also `python bench/bench_ocr.py --part quality ...`. Renders N good photos and N photos per defect from
synthetic checks (`openchecks.micr.synth` faces through `openchecks.check.photo`), with seeds, tables,
lighting and placement never used while tuning (`--seed`), and prints one table: for each quality test, the
photos of its defect it caught and the good photos it failed (false alarms); for each defect, the photos
rejected with the right test named; the corner error of `geometry.straighten` on the good photos (max over
the four corners, as a share of the check's width: median, p95, share within 2%); the CPU seconds
(`time.process_time`) of straighten + assess per photo, median; and, with `--micr K`, the MICR reader on K
good photos raw and straightened (both saved to files and read by `read_check`). The real checks in
../shared/data/checks follow when present.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from openchecks.check import geometry, photo, quality
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OPENCHECKS_SHARED", REPO.parent / "shared"))

EXPECTED: dict[str, quality.TestName] = {
    "dark": "too_light_or_too_dark",
    "light": "too_light_or_too_dark",
    "blurred": "out_of_focus",
    "small": "below_minimum_size",
    "cut_off": "partial_image",
    "streaks": "streaks_and_bands",
    "piggyback": "piggyback",
    "skewed": "excessive_skew",
    "huge": "exceeds_maximum_size",
}


def corner_error(found: geometry.Straightened, truth: photo.Corners) -> float:
    """Largest distance between a found corner and the true one, as a share of the check's width."""
    if not found.found or found.corners is None or found.scan:
        return float("inf")
    width = float(np.linalg.norm(np.subtract(truth[1], truth[0])))
    return (
        max(float(np.linalg.norm(np.subtract(a, b))) for a, b in zip(found.corners, truth, strict=True))
        / width
    )


def _photo(kind: str, rng: random.Random) -> tuple[photo.Rendered, str]:
    check, line = photo.flat_check(rng)
    if kind == "good":
        return photo.render(check, rng), line
    if kind == "huge":
        rendered = photo.render(check, rng)
        f = 5.2
        big = rendered.image.resize((round(rendered.image.width * f), round(rendered.image.height * f)))
        return photo.Rendered(big, rendered.corners), line
    other, _ = photo.flat_check(rng)
    return photo.render_defect(check, kind, rng, other=other), line


def run(count: int, seed: int, dpi: int, micr: int, huge: bool) -> int:
    thresholds = quality.QualityThresholds()
    kinds = ["good", *[k for k in EXPECTED if k != "huge" or huge]]
    failed: dict[str, list[list[str]]] = {k: [] for k in kinds}
    errors: list[float] = []
    cpu: list[float] = []
    good_photos: list[tuple[Image.Image, str, geometry.Straightened]] = []
    for i in range(count):
        for k, kind in enumerate(kinds):
            rng = random.Random(seed * 1_000_003 + i * 101 + k)
            rendered, line = _photo(kind, rng)
            started = time.process_time()
            found = geometry.straighten(rendered.image, dpi)
            report = quality.assess(rendered.image, found, thresholds)
            if kind == "good":
                cpu.append(time.process_time() - started)
                errors.append(corner_error(found, rendered.corners))
                if len(good_photos) < micr:
                    good_photos.append((rendered.image, line, found))
            failed[kind].append(list(report.failed))
    print(f"## Quality tests on rendered photos: {count} good and {count} per defect, seed {seed}, {dpi} dpi")
    print(f"{'test':24} {'defect':10} {'caught':>8} {'false alarms on good':>22}")
    for test in quality.TEST_NAMES:
        defects = [d for d, t in EXPECTED.items() if t == test and d in failed]
        alarms = sum(test in f for f in failed["good"])
        caught = " ".join(f"{sum(test in f for f in failed[d])}/{count}" for d in defects) or "-"
        print(f"{test:24} {','.join(defects) or '-':10} {caught:>8} {alarms:>18}/{count}")
    print(f"\n{'defect':10} {'rejected':>9} {'right test named':>17}   other tests failed")
    for kind in kinds[1:]:
        rejected = sum(bool(f) for f in failed[kind])
        right = sum(EXPECTED[kind] in f for f in failed[kind])
        others: dict[str, int] = {}
        for f in failed[kind]:
            for t in f:
                if t != EXPECTED[kind]:
                    others[t] = others.get(t, 0) + 1
        print(f"{kind:10} {rejected:>5}/{count} {right:>13}/{count}   {others}")
    good_failed = sum(bool(f) for f in failed["good"])
    print(f"good photos failing any test: {good_failed}/{count}")
    finite = [e for e in errors if np.isfinite(e)]
    within = sum(e <= 0.02 for e in errors)
    median = float(np.median(finite)) if finite else float("nan")
    p95 = float(np.percentile(finite, 95)) if finite else float("nan")
    print(
        f"\ncorners (good photos): found {len(finite)}/{count}, within 2% of the width {within}/{count} "
        f"({100 * within / max(1, count):.0f}%), error median {median:.4f} p95 {p95:.4f}"
    )
    print(
        f"CPU straighten + assess per good photo: median {statistics.median(cpu):.3f} s, max {max(cpu):.3f} s"
    )
    if good_photos:
        bench_micr(good_photos)
    bench_real(thresholds, dpi)
    return 0


def bench_micr(photos: list[tuple[Image.Image, str, geometry.Straightened]]) -> None:
    from openchecks.micr.reader import read_check
    from openchecks.micr.recognize import ModelMissingError

    raw_ok = straight_ok = 0
    try:
        with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
            for n, (image, line, found) in enumerate(photos):
                raw, flat = Path(tmp) / f"raw-{n}.jpg", Path(tmp) / f"flat-{n}.png"
                image.save(raw, quality=92)
                found.image.save(flat, dpi=(found.dpi, found.dpi))
                want = "".join(ch for ch in line if not ch.isspace())
                got_raw = read_check(raw).micr or ""
                got_flat = read_check(flat).micr or ""
                raw_ok += "".join(got_raw.split()) == want
                straight_ok += "".join(got_flat.split()) == want
    except ModelMissingError as exc:
        print(f"\nMICR: skipped ({exc})")
        return
    n = len(photos)
    print(f"\nMICR line exact (read_check): raw photo {raw_ok}/{n}, straightened {straight_ok}/{n}")


def bench_real(thresholds: quality.QualityThresholds, dpi: int) -> None:
    folder = SHARED / "data" / "checks"
    if not folder.is_dir():
        print(f"\nreal checks: skipped ({folder} is absent)")
        return
    print(f"\n## Real checks ({folder})")
    for path in sorted(folder.glob("*.[jp][pn]g")):
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        started = time.process_time()
        found = geometry.straighten(image, dpi)
        report = quality.assess(image, found, thresholds)
        seconds = time.process_time() - started
        kind = "scan" if found.scan else "corners" if found.found else "fallback"
        print(
            f"{path.name:26} {kind:8} {found.size_in[0]}x{found.size_in[1]} in, "
            f"skew {found.skew_degrees:5.1f}, {found.source_dpi:5.0f} dpi, {seconds:.3f} s, "
            f"failed {report.failed or '-'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=30, help="photos per kind (default 30)")
    parser.add_argument("--seed", type=int, default=2027, help="seed (tuning used seeds below 100)")
    parser.add_argument("--dpi", type=int, default=200, choices=(200, 240))
    parser.add_argument("--micr", type=int, default=10, help="good photos read raw vs straightened (0 skips)")
    parser.add_argument(
        "--no-huge", action="store_true", help="skip the oversized photos (slow, ~50 MP each)"
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be >= 1")
    return run(args.count, args.seed, args.dpi, args.micr, not args.no_huge)


if __name__ == "__main__":
    sys.exit(main())
