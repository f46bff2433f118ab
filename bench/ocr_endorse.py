"""Reading endorsements on synthetic check backs: `python bench/ocr_endorse.py [--count N] [--seed S]`.

Also `python bench/bench_ocr.py --part endorsements ...`. Draws a seeded set of backs with
`check.back.draw_back` (personal and business sizes, turned 0/90/180/270 degrees, some with a bank stamp),
in fonts the reader was tuned on and in held-out ones, and reads each with
`check.endorsement.read_endorsement` and the default phrases. Per style (printed, handwritten) and font
group it prints: restrictive endorsements found, false "restrictive" on backs without one (signature only,
"Pay to the order of ...", "For deposit only", a bank stamp saying "FOR DEPOSIT ONLY"), present detected on
endorsed backs, absent detected on blank ones; then the median CPU seconds per back (this process plus the
Tesseract processes it waited for) and the misses. `--photographed N` reads instead the backs of N whole
checks photographed hand-held (tests/fixtures/checks.py, seeds from `--seed`, endorsed "For mobile deposit
only" in a typed face) and N/2 signed only, straightened as ocr-check straightens them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "actions")]

import pytesseract  # noqa: E402
from openchecks.check.back import available_fonts, draw_back  # noqa: E402
from openchecks.check.endorsement import (  # noqa: E402
    DEFAULT_PHRASES,
    MAX_ERROR_RATE,
    MAX_WORD_ERROR_RATE,
    Endorsement,
    best_phrase,
    read_endorsement,
)
from openchecks.micr.recognize import OCR_NICE  # noqa: E402
from PIL import Image  # noqa: E402

RESTRICTIVE = (
    "For Mobile Deposit Only",
    "For mobile deposit only",
    "FOR MOBILE DEPOSIT ONLY",
    "For Mobile Deposit Only at Example Bank",
    "For mobile deposit only at First Example Bank",
)
NOT_RESTRICTIVE = (
    "Pay to the order of Jane Doe",
    "For deposit only",
    "Pay to the order of Example Bank",
    "Deposit to checking",
)
PAYEES = ("Jane Q. Doe", "John Smith", "Maria Garcia", "Wei Chen", "Robert Johnson", "Aisha Khan")
SIZES = ((6.0, 2.75), (8.5, 3.67))


@dataclass
class Tally:
    restrictive: int = 0
    restrictive_found: int = 0
    other: int = 0
    false_restrictive: int = 0
    endorsed: int = 0
    present_found: int = 0
    blank: int = 0
    absent_found: int = 0
    misses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    style: str
    group: str
    kind: str  # "restrictive", "other" (written, not restrictive), "signature", "blank"
    endorsement: str | None
    payee: str | None
    font: str
    size_in: tuple[float, float]
    turn: int
    stamp: bool


def cases(count: int, rng: random.Random, groups: tuple[str, ...] = ("tuning", "held_out")) -> list[Case]:
    """`count` restrictive backs and `count` without a restrictive endorsement per style and font group."""
    out: list[Case] = []
    for style in ("printed", "handwritten"):
        for group in groups:
            fonts = available_fonts(style, group)  # type: ignore[arg-type]
            if not fonts:
                continue
            for i in range(2 * count):
                restrictive = i < count
                kind = "restrictive" if restrictive else rng.choice(["other", "other", "signature", "blank"])
                text = (
                    rng.choice(RESTRICTIVE)
                    if kind == "restrictive"
                    else rng.choice(NOT_RESTRICTIVE)
                    if kind == "other"
                    else None
                )
                payee = (
                    None
                    if kind == "blank" or rng.random() < 0.15 and kind != "signature"
                    else rng.choice(PAYEES)
                )
                out.append(
                    Case(
                        style=style,
                        group=group,
                        kind=kind,
                        endorsement=text,
                        payee=payee,
                        font=fonts[i % len(fonts)],
                        size_in=rng.choice(SIZES),
                        turn=rng.choice((0, 90, 180, 270)),
                        stamp=rng.random() < 0.3,
                    )
                )
    return out


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def own_cpu() -> float:
    """This process alone (the Python side), without Tesseract."""
    t = os.times()
    return t.user + t.system


def tesseract_startup(times: int = 5) -> float:
    """Median CPU seconds of Tesseract `eng` on a blank image: what one call costs on this machine right now
    (it doubles when the machine is busy), to read the figures above against."""
    blank = Image.new("L", (60, 60), 255)
    costs = []
    for _ in range(times):
        started = cpu()
        pytesseract.image_to_string(blank, lang="eng", config="--psm 4", nice=OCR_NICE, timeout=30)
        costs.append(cpu() - started)
    return statistics.median(costs)


def photographed(count: int, seed: int) -> int:
    """Backs photographed hand-held (tests/fixtures/checks.py: seeds `seed`.. with "For mobile deposit only"
    typed, `seed + 10000`.. signed only), straightened as `ocr-check` does (to the front's size) and read."""
    import io

    from openchecks.check import geometry

    from tests.fixtures.checks import synthetic_check

    found = false = 0
    seconds: list[float] = []
    misses: list[str] = []
    for endorsed, seeds in (
        (True, range(seed, seed + count)),
        (False, range(seed + 10_000, seed + 10_000 + count // 2)),
    ):
        for s in seeds:
            check = synthetic_check(s, endorsement="For mobile deposit only" if endorsed else None)
            with Image.open(io.BytesIO(check.front)) as opened:
                front = geometry.straighten(opened.convert("RGB"))
            with Image.open(io.BytesIO(check.back)) as opened:
                back = geometry.straighten(opened.convert("RGB"), 200, front.size_in if front.found else None)
            started = cpu()
            got = read_endorsement(back.image, 200, DEFAULT_PHRASES)
            seconds.append(cpu() - started)
            if endorsed:
                found += got["restrictive"]
                if not got["restrictive"]:
                    misses.append(f"missed seed {s}: read {got['text']!r}")
            elif got["restrictive"]:
                false += 1
                misses.append(f"FALSE restrictive seed {s}: read {got['text']!r}")
    print(f"\n## Photographed backs (seeds {seed}.., straightened to the front's size)")
    print(f"restrictive found {found}/{count}, false restrictive {false}/{count // 2}, "
          f"CPU s/back median {statistics.median(seconds):.3f}")  # fmt: skip
    for line in misses:
        print("  " + line)
    return 0


def _draw(case: Case, rng: random.Random, dpi: int) -> Image.Image:
    """The back `case` describes, drawn with `rng` at `dpi` and turned as it says."""
    return draw_back(
        rng,
        endorsement=case.endorsement,
        style=case.style,  # type: ignore[arg-type]
        size_in=case.size_in,
        dpi=dpi,
        payee=case.payee,
        font=case.font,
        stamp=case.stamp,
    ).rotate(case.turn, expand=True)


def _score(tally: Tally, case: Case, got: Endorsement, margins: list[tuple[float, float, str]]) -> None:
    """Count what was read of `case` in `tally` (and its misses); on a back without a restrictive
    endorsement, how close its text came to a phrase goes to `margins`."""
    label = f"{case.kind} {Path(case.font).stem} turn {case.turn} {case.endorsement!r}: read {got['text']!r}"
    if case.kind == "restrictive":
        tally.restrictive += 1
        tally.restrictive_found += got["restrictive"]
        if not got["restrictive"]:
            tally.misses.append("missed " + label)
    else:
        tally.other += 1
        tally.false_restrictive += got["restrictive"]
        closest = best_phrase(DEFAULT_PHRASES, got["text"])
        if closest is not None and closest.letters:
            margins.append((closest.errors / closest.letters, closest.worst_word, got["text"]))
        if got["restrictive"]:
            tally.misses.append("FALSE restrictive " + label)
    if case.kind != "blank":
        tally.endorsed += 1
        tally.present_found += got["present"]
        if not got["present"]:
            tally.misses.append("no ink seen " + label)
    else:
        tally.blank += 1
        tally.absent_found += not got["present"]
        if got["present"]:
            tally.misses.append("blank seen as present " + label)


@dataclass
class Run:
    """What reading a set of backs gave: a tally per (style, font group), CPU seconds per back (all, the
    Python side alone, all per kind of back) and the closest texts to a phrase on backs without one."""

    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    margins: list[tuple[float, float, str]] = field(default_factory=list)


def _report(run: Run) -> None:
    """Print the table per style and font group, the CPU figures, the closest miss and the misses."""
    tallies = run.tallies
    print(
        f"{'style':12} {'fonts':9} {'restrictive found':>18} {'false restrictive':>18} "
        f"{'present':>9} {'absent':>8}"
    )
    for (style, group), t in sorted(tallies.items()):
        print(
            f"{style:12} {group:9} {t.restrictive_found:>8}/{t.restrictive:<9} "
            f"{t.false_restrictive:>8}/{t.other:<9} "
            f"{t.present_found:>4}/{t.endorsed:<4} {t.absent_found:>3}/{t.blank:<4}"
        )
    total_other = sum(t.other for t in tallies.values())
    total_false = sum(t.false_restrictive for t in tallies.values())
    print(f"false restrictive overall: {total_false}/{total_other}")
    print(
        f"CPU s/back: median {statistics.median(run.seconds):.3f}, max {max(run.seconds):.3f} "
        f"(of which Python, median {statistics.median(run.own):.3f})"
    )
    print(
        "CPU s/back by kind (median): "
        + ", ".join(f"{k} {statistics.median(v):.3f} ({len(v)})" for k, v in sorted(run.by_kind.items()))
    )
    print(f"for scale, Tesseract on a blank image now: {tesseract_startup():.3f} s CPU per call")
    if run.margins:
        rate, word, text = min(run.margins)
        print(
            f"closest text on a back without a restrictive endorsement: {rate:.2f} errors per letter "
            f"(limit {MAX_ERROR_RATE}), worst word {word:.2f} (limit {MAX_WORD_ERROR_RATE}): {text!r}"
        )
    misses = [m for t in tallies.values() for m in t.misses]
    if misses:
        print(f"\n{len(misses)} misses:")
        for m in misses:
            print("  " + m)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20, help="restrictive backs per style and font group")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--fonts", choices=["all", "tuning", "held_out"], default="all",
                        help="font groups to draw (tune on 'tuning' only)")  # fmt: skip
    parser.add_argument("--photographed", type=int, default=0,
                        help="instead: N photographed whole-check backs from seed --seed")  # fmt: skip
    args = parser.parse_args(argv)
    if args.photographed:
        return photographed(args.photographed, args.seed)
    rng = random.Random(args.seed)
    work = cases(args.count, rng, ("tuning", "held_out") if args.fonts == "all" else (args.fonts,))
    if not work:
        print("no fonts installed: apt-get install the fonts in infra/apt-dev-packages.txt", file=sys.stderr)
        return 2
    run = Run()
    for n, case in enumerate(work):
        back = _draw(case, random.Random(args.seed * 100_003 + n), args.dpi)
        started, started_own = cpu(), own_cpu()
        got = read_endorsement(back, args.dpi, DEFAULT_PHRASES)
        run.seconds.append(cpu() - started)
        run.own.append(own_cpu() - started_own)
        run.by_kind.setdefault(case.kind, []).append(run.seconds[-1])
        _score(run.tallies.setdefault((case.style, case.group), Tally()), case, got, run.margins)
    print(f"\n## Endorsements on {len(work)} synthetic backs at {args.dpi} dpi (seed {args.seed})")
    _report(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
