"""Accuracy and speed of reading checks: `python bench/bench_ocr.py [--every N] [--jobs J] [--synthetic N]`.

Prints (1) per recogniser configuration on ../shared/data/micr-lines: exact lines, routing fields exact,
character error rate and median seconds per line (J reads in parallel); (2) how per-character confidence
separates right from wrong routing fields; (3) the median seconds per line read one at a time; (4) the five
real checks in ../shared/data/checks through `read_check`, with the median seconds per check; (5) a seeded
batch of synthetic checks. Times are wall-clock on this machine, so they include whatever else it is running.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from openchecks.micr.decide import MIN_CONFIDENCE
from openchecks.micr.reader import read_check
from openchecks.micr.recognize import recognize_line
from openchecks.micr.scoring import LineScore, routing_field
from openchecks.micr.synth import generate
from PIL import Image

REPO = Path(__file__).resolve().parent.parent

SHARED = Path(os.environ.get("OPENCHECKS_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"
CONFIGS = [
    ("e13b", "raw"),
    ("e13b", "pad"),
    ("e13b", "h64+pad"),
    ("e13b", "bin"),
    ("e13b", "h48"),
    ("e13b-psm7", "raw"),
    ("mcr2", "raw"),
    ("mcr2", "bin"),
]


def _read_line(job: tuple[str, str, str]) -> tuple[str, str, float, float]:
    name, engine, prep = job
    with Image.open(DATA / "micr-lines" / name) as image:
        image.load()
        started = time.perf_counter()
        rec = recognize_line(image, engine, prep)
        seconds = time.perf_counter() - started
    line = rec.text
    # Lowest confidence among the routing digits (between the first two transit symbols).
    stripped = [(ch, c) for ch, c in zip(line, rec.confidences, strict=True) if not ch.isspace()]
    text = "".join(ch for ch, _ in stripped)
    start = text.find("\u2446")
    end = text.find("\u2446", start + 1) if start >= 0 else -1
    routing_conf = min((c for _, c in stripped[start + 1 : end]), default=0.0) if end > start else 0.0
    return name, line, seconds, routing_conf


def bench_lines(every: int, jobs: int) -> None:
    truth: dict[str, str] = json.loads((DATA / "micr-lines" / "truth.json").read_text())
    names = sorted(truth)[::every]
    print(
        f"\n## MICR line crops: {len(names)} of {len(truth)} in ../shared/data/micr-lines, {jobs} in parallel"
    )
    print(f"{'engine':10} {'preprocess':11} {'exact line':>10} {'routing':>9} {'CER':>7} {'s/line':>7}")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for engine, prep in CONFIGS:
            score = LineScore()
            seconds: list[float] = []
            right: list[float] = []
            wrong: list[float] = []
            work = [(n, engine, prep) for n in names]
            for name, line, secs, rconf in pool.map(_read_line, work, chunksize=8):
                score.add(truth[name], line)
                seconds.append(secs)
                want = routing_field(truth[name])
                if want is not None and routing_field(line) is not None:
                    (right if routing_field(line) == want else wrong).append(rconf)
            print(
                f"{engine:10} {prep:11} {score.exact_rate:10.2%} {score.routing_rate:9.2%} {score.cer:7.3%} "
                f"{statistics.median(seconds):7.3f}",
                flush=True,
            )
            if (engine, prep) == ("e13b", "raw"):
                threshold = MIN_CONFIDENCE["e13b"]
                caught = sum(c < threshold for c in wrong)
                lost = sum(c < threshold for c in right)
                print(
                    f"    routing fields read: {len(right)} right, {len(wrong)} wrong; min confidence < "
                    f"{threshold:.0f} flags {caught}/{len(wrong)} wrong and {lost}/{len(right)} right ones",
                    flush=True,
                )


def bench_line_speed(count: int) -> None:
    truth: dict[str, str] = json.loads((DATA / "micr-lines" / "truth.json").read_text())
    names = sorted(truth)[:: max(1, len(truth) // count)][:count]
    seconds = [_read_line((name, "e13b", "raw"))[2] for name in names]
    print(
        f"\nOne line at a time (e13b, raw; {len(names)} lines): "
        f"median {statistics.median(seconds):.3f} s/line"
    )


def bench_checks(repeat: int) -> None:
    truth = json.loads((DATA / "checks" / "truth.json").read_text())
    print(f"\n## Real checks (../shared/data/checks), median of {repeat} reads each")
    print(f"{'image':26} {'expect':7} {'status':13} {'fields':7} {'s/check':>7}  micr / reasons")
    medians = []
    for name, want in truth.items():
        times = []
        for _ in range(repeat):
            reading = read_check(DATA / "checks" / name, want["declared_amount"])
            times.append(reading.seconds)
        medians.append(statistics.median(times))
        if want["expect"] == "accept":
            exact = (reading.routing, reading.account, reading.check_number) == (
                want["routing"],
                want["account"],
                want["check_number"],
            )
            fields = "exact" if exact else "WRONG"
            ok = exact and reading.accepted
        else:
            fields = "-"
            ok = not reading.accepted
        print(
            f"{name:26} {want['expect']:7} {reading.status:13} {fields:7} {medians[-1]:7.3f}  "
            f"{reading.micr} {reading.reasons}{'' if ok else '   <-- FAIL'}"
        )
    print(f"median seconds per check: {statistics.median(medians):.3f}")


def bench_synthetic(count: int, seed: int) -> None:
    print(f"\n## Synthetic checks: {count} from seed {seed} (python -m openchecks.micr.synth)")
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        paths = generate(Path(tmp), count, seed)
        exact = accepted_right = wrong_accept = should_accept = 0
        seconds = []
        for path in paths:
            want = json.loads(path.with_suffix(".json").read_text())
            reading = read_check(path, want["declared_amount"])
            seconds.append(reading.seconds)
            same = (reading.routing, reading.account, reading.check_number) == (
                want["routing"],
                want["account"],
                want["check_number"],
            )
            exact += same
            should_accept += want["expect"] == "accept"
            if reading.accepted:
                if same and want["expect"] == "accept":
                    accepted_right += 1
                else:
                    wrong_accept += 1
    print(
        f"fields exact {exact}/{count}, accepted {accepted_right}/{should_accept} of the valid ones, "
        f"wrong acceptances {wrong_accept}, median {statistics.median(seconds):.3f} s/check"
    )


def main() -> int:
    if sys.argv[1:3] == ["--part", "amounts"]:  # the amounts bench (bench/ocr_amounts.py), same directory
        return __import__("ocr_amounts").main(sys.argv[3:])
    if sys.argv[1:3] == ["--part", "quality"]:  # straightening and image quality: bench/ocr_quality.py
        return int(__import__("ocr_quality").main(sys.argv[3:]))
    if sys.argv[1:3] == ["--part", "endorsements"]:  # the check backs: bench/ocr_endorse.py
        sys.path.insert(0, str(REPO))
        return __import__("bench.ocr_endorse", fromlist=["main"]).main(sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1, help="use every Nth MICR line crop (default all)")
    parser.add_argument("--jobs", type=int, default=2, help="line reads in parallel (default 2)")
    parser.add_argument("--repeat", type=int, default=5, help="reads per real check (default 5)")
    parser.add_argument("--synthetic", type=int, default=40, help="synthetic checks (default 40; 0 skips)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-lines", action="store_true", help="skip the MICR line table")
    args = parser.parse_args()
    if not (DATA / "micr-lines" / "truth.json").is_file():
        print(f"needs {DATA} (the shared data directory); set OPENCHECKS_SHARED", file=sys.stderr)
        return 2
    if not args.skip_lines:
        bench_lines(args.every, args.jobs)
    bench_line_speed(60)
    bench_checks(args.repeat)
    if args.synthetic:
        bench_synthetic(args.synthetic, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
