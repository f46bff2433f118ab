"""Benchmark: how well the image key of duplicate detection (`openchecks.duplicates`) tells one check from
another.

    nice -n 10 .venv/bin/python bench/bench_duplicates.py [--count 24] [--seed 0] [--json]

Each synthetic front (`openchecks.micr.synth`, printed and handwritten in turn, held-out fonts) is
photographed hand-held twice with different lighting, angle and background (`openchecks.check.photo`) and
straightened as ocr-check does (`openchecks.check.geometry`, 200 dpi); the real sample checks of
../shared/data are used as scanned, and silesia-1278.png also with its account's first 0 painted over
(tests/hostile/money.py) and photographed four times. Reported, in bits of the 256-bit hash:
- same check: the distances between the two photographs of each synthetic check, and of silesia-1278 to its
  edited copy and its photographs;
- different checks: every pair of different checks' photographs (synthetic and real);
- how many same-check pairs share a whole band of the view (what the lookup needs to find them), and how
  many different-check pairs do (the candidates a lookup reads and then compares on all 256 bits).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from openchecks import duplicates  # noqa: E402
from PIL import Image  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "checks"


def straight_hash(image: Image.Image) -> str:
    from openchecks.check.geometry import straighten

    value = duplicates.image_hash(straighten(image.convert("RGB"), 200).image)
    if value is None:
        raise SystemExit("a check image had no contrast to hash")
    return value


def share_band(a: str, b: str) -> bool:
    return any(x == y for x, y in zip(duplicates.bands(a), duplicates.bands(b), strict=True))


def summary(values: list[int]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "min": ordered[0],
        "median": statistics.median(ordered),
        "max": ordered[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=24, help="synthetic checks (default 24)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from openchecks.check import photo
    from openchecks.micr import synth

    shots: dict[str, list[str]] = {}
    for i in range(args.count):
        seed = args.seed + i
        style = "printed" if i % 2 else "handwritten"
        front, _ = synth.make_front(random.Random(seed), style=style, split="held_out", dpi=200)
        shots[f"synthetic-{seed}"] = [
            straight_hash(photo.photograph(front, random.Random(10_000 + 2 * seed + k))) for k in range(2)
        ]
    same = [duplicates.distance(a, b) for a, b in shots.values()]
    same_bands = [share_band(a, b) for a, b in shots.values()]
    real: dict[str, str] = {}
    silesia: dict[str, int] = {}
    if SHARED.is_dir():
        from tests.hostile.money import edited_silesia

        for path in sorted(SHARED.glob("*.png")) + sorted(SHARED.glob("*.jpg")):
            real[path.name] = straight_hash(Image.open(path))
        original = Image.open(SHARED / "silesia-1278.png")
        base = real["silesia-1278.png"]
        edited = straight_hash(Image.open(io.BytesIO(edited_silesia(SHARED / "silesia-1278.png"))))
        silesia["edited"] = duplicates.distance(base, edited)
        same_bands.append(share_band(base, edited))
        for k in range(4):
            other = straight_hash(photo.photograph(original, random.Random(k)))
            silesia[f"photographed-{k}"] = duplicates.distance(base, other)
            same_bands.append(share_band(base, other))
    firsts = {name: pair[0] for name, pair in shots.items()} | real
    seconds = {name: pair[1] for name, pair in shots.items()} | real
    different = []
    different_bands = 0
    for a, b in itertools.permutations(firsts, 2):
        if b in real and a in real and a > b:
            continue  # each real pair once
        different.append(duplicates.distance(firsts[a], seconds[b]))
        different_bands += share_band(firsts[a], seconds[b])
    same_all = same + list(silesia.values())
    report: dict[str, Any] = {
        "bits": duplicates.HASH_BITS,
        "match_at_most": duplicates.IMAGE_MATCH_BITS,
        "same_check": summary(same_all),
        "silesia": silesia,
        "different_checks": summary(different),
        "different_within_match": sum(d <= duplicates.IMAGE_MATCH_BITS for d in different),
        "same_within_match": sum(d <= duplicates.IMAGE_MATCH_BITS for d in same_all),
        "same_sharing_a_band": f"{sum(same_bands)} of {len(same_bands)}",
        "different_sharing_a_band": f"{different_bands} of {len(different)}",
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return 0
    print(f"hash: {report['bits']} bits; a near match is at most {report['match_at_most']} bits apart")
    s, d = report["same_check"], report["different_checks"]
    print(f"same check, {s['n']} pairs: min {s['min']}, median {s['median']}, max {s['max']} bits")
    print(f"  silesia-1278: {silesia}")
    print(f"different checks, {d['n']} pairs: min {d['min']}, median {d['median']}, max {d['max']} bits")
    print(
        f"within the match distance: same {report['same_within_match']} of {s['n']}, "
        f"different {report['different_within_match']} of {d['n']}"
    )
    same_shared, different_shared = report["same_sharing_a_band"], report["different_sharing_a_band"]
    print(f"sharing a band: same {same_shared}, different {different_shared}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
