"""How the MICR reader's certainty bar (`reader.CERTAIN_CONFIDENCE`) and its verification order were set,
on TUNING data only:

    nice -n 10 .venv/bin/python bench/micr_certainty.py [--synth-seed 201 --synth 300]
        [--fixtures-from 5000 --fixtures 150] [--lines] [--bars 98.5,98.8,98.9]

Every reading that `decide` accepts on its way through `read_check` is recorded with its field confidences,
what each verification reading (`reader.VERIFICATIONS`) reads, and whether its fields are right: checks
drawn by `micr.synth` (split "tune"), whole checks of tests/fixtures/checks.py in the tuning fonts (each
front straightened and as photographed) and, with --lines, the line crops in ../shared/data/micr-lines.
Printed: the wrong readings (field, confidences, what each verification said) and, per bar, how many
readings skip their verification and what the decisions become against the old rule (both verifications
read, any conflict stops). Never run it on the held-out sets (bench_ocr's seed 41, bench_whole_check's
seeds 1000-1044): they measure the rule, they do not set it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from openchecks.micr import reader  # noqa: E402
from openchecks.micr.decide import field_confidences  # noqa: E402
from openchecks.micr.parse import parse_micr_line  # noqa: E402
from openchecks.micr.recognize import recognize_line  # noqa: E402
from PIL import Image  # noqa: E402

SHARED = Path(os.environ.get("OPENCHECKS_SHARED", REPO.parent / "shared"))
Fields = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Record:
    source: str
    truth: Fields
    fields: Fields
    confidence: dict[str, float]
    verifications: tuple[str, ...]  # "agree" | "conflict" | "lost", in VERIFICATIONS order

    @property
    def right(self) -> bool:
        return self.fields == self.truth

    @property
    def lowest(self) -> float:
        return min(self.confidence.values(), default=0.0)


def _verdict(reading_text: str, wanted: Fields) -> str:
    other = parse_micr_line(reading_text)
    got = (other.routing, other.account, other.check_number)
    if None in got:
        return "lost"
    return "agree" if got == wanted else "conflict"


class Collector:
    """Wraps `reader._decided` to record every e13b reading `decide` accepts (all bands, both sources)."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.source = ""
        self.truth: Fields = (None, None, None)
        self._decided = reader._decided

    def __enter__(self) -> Collector:
        def decided(order: int, band: Image.Image, recognition: Any, declared: Any) -> Any:
            attempt = self._decided(order, band, recognition, declared)
            if attempt.decision.status == "accepted" and recognition.engine == "e13b":
                f = attempt.fields
                wanted = (f.routing, f.account, f.check_number)
                verdicts = tuple(
                    _verdict(recognize_line(band, engine, prep).text, wanted)
                    for engine, prep in reader.VERIFICATIONS
                )
                scores = field_confidences(f, recognition.confidences)
                self.records.append(Record(self.source, self.truth, wanted, scores, verdicts))
            return attempt

        reader._decided = decided  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        reader._decided = self._decided

    def read(self, source: str, truth: Fields, image: Any, declared: str | None) -> None:
        self.source, self.truth = source, truth
        reader.read_check(image, declared)


def collect_synth(collector: Collector, seed: int, count: int) -> None:
    from openchecks.micr.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        for path in generate(Path(tmp), count, seed, split="tune"):
            want = json.loads(path.with_suffix(".json").read_text())
            truth = (want["routing"], want["account"], want["check_number"])
            collector.read(f"synth{seed}/{path.name}", truth, path, want["declared_amount"])


def collect_fixtures(collector: Collector, start: int, count: int) -> None:
    from openchecks.check.read import straighten_side

    from tests.fixtures.checks import synthetic_check

    for n in range(start, start + count):
        style: Literal["printed", "handwritten"] = random.Random(n).choice(("printed", "handwritten"))
        check = synthetic_check(n, split="tune", style=style)
        photo = Image.open(io.BytesIO(check.front))
        photo.load()
        truth = (check.routing, check.account, check.check_number)
        for kind, image in (("straight", straighten_side(photo).image), ("photo", photo)):
            collector.read(f"fixture{n}/{kind}", truth, image, check.declared)


def collect_lines(collector: Collector) -> None:
    data = SHARED / "data" / "micr-lines"
    truths: dict[str, str] = json.loads((data / "truth.json").read_text())
    letters = str.maketrans({"A": "\u2446", "B": "\u2447", "C": "\u2448", "D": "\u2449"})
    for name in sorted(truths):
        t = parse_micr_line(truths[name].translate(letters))
        collector.read(f"line/{name}", (t.routing, t.account, t.check_number), data / name, None)


def old_rule(record: Record) -> bool:
    """Accepted before: some verification agrees and none conflicts."""
    return "agree" in record.verifications and "conflict" not in record.verifications


def new_rule(record: Record, bar: float) -> bool:
    """Accepted now: certain, else the first verification that keeps every field agrees."""
    if record.lowest >= bar:
        return True
    decisive = [v for v in record.verifications if v != "lost"]
    return bool(decisive) and decisive[0] == "agree"


def report(records: Sequence[Record], bars: Sequence[float]) -> None:
    wrong = [r for r in records if not r.right]
    print(f"readings decide() accepted: {len(records)}, wrong fields: {len(wrong)}")
    for r in sorted(wrong, key=lambda r: r.lowest):
        bad = [
            n
            for n, a, b in zip(("routing", "account", "check_number"), r.fields, r.truth, strict=True)
            if a != b
        ]
        scores = {k: round(v, 2) for k, v in r.confidence.items()}
        print(f"  {r.source}: wrong {bad}, confidences {scores}, verifications {list(r.verifications)}")
    before_right = sum(old_rule(r) and r.right for r in records)
    before_wrong = sum(old_rule(r) and not r.right for r in records)
    print(f"old rule: {before_right} right and {before_wrong} wrong accepted")
    for bar in bars:
        skipped = sum(r.lowest >= bar for r in records)
        right = sum(new_rule(r, bar) and r.right for r in records)
        misread = sum(new_rule(r, bar) and not r.right for r in records)
        print(f"bar {bar}: {skipped}/{len(records)} skip their verification; {right} right, {misread} wrong")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synth-seed", type=int, default=201)
    parser.add_argument("--synth", type=int, default=300, help="micr.synth checks (0: none)")
    parser.add_argument("--fixtures-from", type=int, default=5000)
    parser.add_argument("--fixtures", type=int, default=150, help="fixture whole checks (0: none)")
    parser.add_argument("--lines", action="store_true", help="also the line crops in ../shared/data")
    parser.add_argument("--bars", default="98.0,98.5,98.7,98.8,98.9")
    args = parser.parse_args(argv)
    with Collector() as collector:
        if args.synth:
            collect_synth(collector, args.synth_seed, args.synth)
        if args.fixtures:
            collect_fixtures(collector, args.fixtures_from, args.fixtures)
        if args.lines:
            collect_lines(collector)
    report(collector.records, [float(b) for b in args.bars.split(",")])
    print(f"in use: CERTAIN_CONFIDENCE {reader.CERTAIN_CONFIDENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
