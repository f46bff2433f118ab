"""Reading check amounts: `python bench/ocr_amounts.py [--count N] [--seed S]` (bench_ocr.py --part amounts).

Draws N flat synthetic fronts (`openchecks.micr.synth.make_front`, 200 dpi) per style (printed, handwritten)
and per font split: the *tune* fonts (which the glyph model was trained on and the thresholds are measured on)
and the *held-out* fonts (never used for either). Every candidate reads the same crops (`prepare_crops`):

- `tess-psm7`: Tesseract `eng`, one line, whitelist of digits and amount punctuation, on the courtesy crop;
- `glyphs`: the glyph model of `openchecks.check.amount_glyphs` on the courtesy crop;
- `crnn`: the line recogniser of `openchecks.check.amount_crnn` (conv + BiLSTM + CTC, numpy) on the same crop;
- `tess-legal`: Tesseract `eng`, one line, on the legal line, parsed by `openchecks.check.words`;
- `rapidocr`: RapidOCR on the courtesy crop, when `rapidocr_onnxruntime` can be imported (it is not a project
  dependency: it needs `opencv-python`, which clashes with the pinned headless OpenCV; run this bench from a
  separate environment that has it to include it);
- `chosen`: `read_amount` itself (one Tesseract run over both crops, the glyph model, the CRNN, the vote).

For each: read rate and wrong reads at the threshold measured on the tune fonts for <= 1% wrong (applied
unchanged to the held-out fonts), the best read rate at <= 1% wrong on each set itself, and median CPU seconds
per check (this process plus Tesseract's), and the largest confidence of a wrong single-source reading on the
tune set: the value `COURTESY_MIN` / `LEGAL_MIN` in amount.py must exceed. Then the real checks of
../shared/data/checks with a declared amount (skipped without ../shared).

`--crnn-model PATH --tune-fonts A,B,...` measures a network trained with `bench/amount_crnn_train.py
--leave-out A,B,...`: the tune sets are drawn in those fonts only (hands that network never saw), it replaces
the committed CRNN in its column and in the vote, the held-out sets are skipped; the CRNN_MIN sweep of the
notes is then a calibration on unseen hands that does not touch the held-out fonts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from openchecks.check import amount as amt
from openchecks.check.amount_crnn import Network, read_line
from openchecks.check.amount_glyphs import read_glyphs
from openchecks.micr.synth import fonts, make_front
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OPENCHECKS_SHARED", REPO.parent / "shared"))

Result = tuple[int | None, float]
Reader = Callable[[Image.Image], Result]


def cpu_seconds(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run `fn`, returning its value and the CPU it took here and in child processes (Tesseract)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.process_time()
    value = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return value, time.process_time() - started + child


def rapidocr_reader() -> Callable[[Image.Image], Result] | None:
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        return None
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def read(image: Image.Image) -> Result:
        result, _ = engine(np.asarray(image.convert("RGB")))
        if not result:
            return None, 0.0
        ordered = sorted(result, key=lambda r: min(x for x, _ in r[0]))  # left to right
        words = [(str(text), float(score)) for _, text, score in ordered]
        cand = amt.courtesy_candidate(words, "rapidocr")
        return cand.cents, cand.confidence

    return read


def threshold_at(results: list[tuple[Result, int]], max_wrong: float) -> float:
    """The lowest confidence threshold whose wrong reads are at most `max_wrong` of all checks."""
    allowed = int(max_wrong * len(results))
    wrong_confs = sorted(
        (conf for (cents, conf), truth in results if cents is not None and cents != truth), reverse=True
    )
    if len(wrong_confs) <= allowed:
        return 0.0
    return wrong_confs[allowed] + 1e-6


def rates(results: list[tuple[Result, int]], threshold: float) -> tuple[int, int]:
    read = wrong = 0
    for (cents, conf), truth in results:
        if cents is not None and conf >= threshold:
            read += 1
            wrong += cents != truth
    return read, wrong


NAMES = ["tess-psm7", "glyphs", "crnn", "tess-legal"]
SETS = [(sp, st) for sp in ("tune", "held_out") for st in ("printed", "handwritten")]


class Tally:
    """Every reader's results and CPU on the synthetic fronts, and the tune set's raw reads for the sweep."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.results: dict[str, dict[tuple[str, str], list[tuple[Result, int]]]] = {n: {} for n in names}
        self.seconds: dict[str, list[float]] = {n: [] for n in names}
        self.single: dict[str, list[tuple[Result, int]]] = {"courtesy": [], "legal": []}
        self.wrong_by_source: dict[str, int] = {}
        self.tune_reads: list[tuple[amt.Reads, int]] = []

    def timed(self, name: str, outs: dict[str, Result], fn: Callable[[], Result]) -> None:
        value, s = cpu_seconds(fn)
        outs[name] = value
        self.seconds[name].append(s)


def candidates(
    tally: Tally, crops: amt.Crops, rapid: Callable[[Image.Image], Result] | None, net: Network | None = None
) -> dict[str, Result]:
    """Each reader alone on the crops of one front."""
    outs: dict[str, Result] = {}

    def pair(c: amt.Candidate) -> Result:
        return c.cents, c.confidence

    if crops.courtesy is not None and crops.courtesy_mask is not None:
        image, mask = crops.courtesy, crops.courtesy_mask
        tally.timed("tess-psm7", outs, lambda: pair(amt.tesseract_courtesy(image)))
        tally.timed("glyphs", outs, lambda: pair(amt.glyph_candidate(read_glyphs(mask))))
        tally.timed("crnn", outs, lambda: pair(amt.crnn_candidate(read_line(image, net))))
        if rapid:
            tally.timed("rapidocr", outs, lambda: rapid(image))
    if crops.legal is not None:
        legal_image = crops.legal
        tally.timed("tess-legal", outs, lambda: amt.tesseract_legal(legal_image)[:2])
    return outs


def one_front(
    tally: Tally,
    split: str,
    style: str,
    rng: random.Random,
    rapid: Any,
    net: Network | None = None,
    font: Path | None = None,
) -> None:
    """One front read by every reader; the CRNN is `net` when given (in the vote too), the amounts drawn in
    `font` when given (else a font of `split`)."""
    front, truth = make_front(rng, style=style, split=split, font=font)
    want = round(float(truth.declared_amount) * 100)
    crops = amt.prepare_crops(np.asarray(ImageOps.grayscale(front)), 200)
    outs = candidates(tally, crops, rapid, net)
    reads, s = cpu_seconds(lambda: amt.gather(front, 200))
    if net is not None:  # the vote with this network's reading (the committed one's is dropped)
        reads = replace(reads, crnn=read_line(crops.courtesy, net) if crops.courtesy is not None else None)
    reading, s2 = cpu_seconds(lambda: amt.decide(reads))
    tally.seconds["chosen"].append(s + s2)
    outs["chosen"] = (reading.cents, reading.confidence if reading.cents is not None else 0.0)
    if reading.cents is not None and reading.cents != want:
        label = f"{split}/{style}/{reading.source}"
        tally.wrong_by_source[label] = tally.wrong_by_source.get(label, 0) + 1
    for name in tally.names:
        tally.results[name].setdefault((split, style), []).append((outs.get(name, (None, 0.0)), want))
    if split == "tune":
        tally.tune_reads.append((reads, want))
        if reading.source != "both":
            courtesy = round(float(reading.courtesy) * 100) if reading.courtesy else None
            legal = round(float(reading.legal) * 100) if reading.legal else None
            tally.single["courtesy"].append(((courtesy, reading.courtesy_confidence), want))
            tally.single["legal"].append(((legal, reading.legal_confidence), want))


def table(tally: Tally, count: int, seed: int) -> None:
    print(f"\n## Synthetic fronts at 200 dpi: {count} per style and font set (seed {seed})")
    print(
        "| reader | threshold (tune, <=1% wrong) | tune printed | tune handwritten | held-out printed "
        "| held-out handwritten | at 1% wrong, held-out printed / handwritten | CPU s/check (median) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in tally.names:
        results = tally.results[name]
        t = threshold_at(
            results.get(("tune", "printed"), []) + results.get(("tune", "handwritten"), []), 0.01
        )
        if name == "chosen":
            t = 0.0  # read_amount applies its own thresholds (COURTESY_MIN, LEGAL_MIN, CRNN_MIN) in the vote
        cells = []
        for key in SETS:
            read, wrong = rates(results.get(key, []), t)
            cells.append(f"{read}/{len(results.get(key, []))} read, {wrong} wrong")
        best = []
        for style in ("printed", "handwritten"):
            rows = results.get(("held_out", style), [])
            read, wrong = rates(rows, threshold_at(rows, 0.01))
            best.append(f"{read}/{len(rows)} ({wrong} wrong)")
        cpu = statistics.median(tally.seconds[name]) if tally.seconds[name] else float("nan")
        label = "own (vote)" if name == "chosen" else f"{t:.3f}"
        print(f"| {name} | {label} | " + " | ".join(cells) + f" | {' / '.join(best)} | {cpu:.3f} |")


def notes(tally: Tally) -> None:
    for kind, rows in tally.single.items():
        wrong_confs = [conf for (cents, conf), truth in rows if cents is not None and cents != truth]
        top = max(wrong_confs, default=0.0)
        print(f"- tune set, read by one side only: largest confidence of a wrong {kind} reading {top:.4f}")
    chosen = tally.results["chosen"]
    chosen_tune = chosen.get(("tune", "printed"), []) + chosen.get(("tune", "handwritten"), [])
    print(
        f"- chosen: lowest confidence with <= 1% wrong on the tune set {threshold_at(chosen_tune, 0.01):.4f}"
    )
    print(f"- chosen: wrong reads by set/style/source {tally.wrong_by_source or 'none'}")
    print(
        f"- thresholds in use: COURTESY_MIN {amt.COURTESY_MIN}, LEGAL_MIN {amt.LEGAL_MIN}, "
        f"AGREE_MIN {amt.AGREE_MIN}, AGREE_MARGIN {amt.AGREE_MARGIN}, CRNN_MIN {amt.CRNN_MIN}"
    )
    # What CRNN_MIN (the CRNN alone reading the figures) would give on the tune set: the vote re-run on the
    # same reads (no reader runs again), so the threshold is chosen on the tune fonts only.
    sweep = []
    for crnn_min in (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.01):
        read = wrong = 0
        for reads, want in tally.tune_reads:
            got = amt.decide(reads, crnn_min=crnn_min).cents
            read += got is not None
            wrong += got is not None and got != want
        sweep.append(f"{crnn_min}: {read} read, {wrong} wrong")
    print(f"- tune set ({len(tally.tune_reads)} fronts), chosen by CRNN_MIN: " + "; ".join(sweep))
    # The same for the two readings' agreement (AGREE_MIN) and the words alone (LEGAL_MIN), with the
    # confidence of every wrong reading by its source: what a calibration on unseen hands needs.
    wrong_by: dict[str, list[float]] = {}
    for reads, want in tally.tune_reads:
        voted = amt.decide(reads)
        if voted.cents is not None and voted.cents != want:
            wrong_by.setdefault(str(voted.source), []).append(voted.confidence)
    print(f"- tune set, wrong readings' confidences by source: {wrong_by or 'none'}")
    sweeps = (
        ("agree_min", (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)),
        ("legal_min", (0.9, 0.92, 0.95, 0.98)),
        ("agree_margin", (0.02, 0.055, 0.1, 9.0)),
    )
    for name, values in sweeps:
        row = []
        for value in values:
            read = wrong = 0
            for reads, want in tally.tune_reads:
                got = amt.decide(reads, **{name: value}).cents
                read += got is not None
                wrong += got is not None and got != want
            row.append(f"{value}: {read} read, {wrong} wrong")
        print(f"- tune set, chosen by {name.upper()}: " + "; ".join(row))


def synthetic(
    count: int,
    seed: int,
    rapid: Callable[[Image.Image], Result] | None,
    net: Network | None = None,
    tune_fonts: frozenset[str] = frozenset(),
) -> None:
    """The table and notes; with `tune_fonts` the tune sets are drawn in those fonts only, in turn, and the
    held-out sets are not drawn (a leave-out model's measure: `--crnn-model` trained without them)."""
    tally = Tally(NAMES + (["rapidocr"] if rapid else []) + ["chosen"])
    rng = random.Random(seed)
    for split, style in SETS:
        chosen = [f for f in fonts(style, "tune") if f.name in tune_fonts] if split == "tune" else []
        if tune_fonts and not chosen:
            continue
        for i in range(count):
            one_front(tally, split, style, rng, rapid, net, chosen[i % len(chosen)] if chosen else None)
    table(tally, count, seed)
    notes(tally)


def real_checks() -> None:
    folder = SHARED / "data" / "checks"
    truth_file = folder / "truth.json"
    if not truth_file.is_file():
        print(f"\n(real checks skipped: {truth_file} not found)")
        return
    truth = json.loads(truth_file.read_text())
    print("\n## Real checks (../shared/data/checks; dpi from the image or its width, not straightened)")
    print("| check | declared | read | source | confidence | courtesy | legal | legal text | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, info in sorted(truth.items()):
        if not info.get("declared_amount"):
            continue
        with Image.open(folder / name) as img:
            image = img.convert("RGB")
            dpi_info = img.info.get("dpi")
        dpi = round(dpi_info[0]) if dpi_info and dpi_info[0] > 100 else round(image.width / 8.5)
        reading, s = cpu_seconds(lambda: amt.read_amount(image, dpi))  # noqa: B023
        print(
            f"| {name} | {info['declared_amount']} | {reading.amount} | {reading.source} "
            f"| {reading.confidence:.2f} "
            f"| {reading.courtesy} ({reading.courtesy_confidence:.2f}) | {reading.legal} "
            f"({reading.legal_confidence:.2f}) | {reading.legal_text[:40]!r} | {s:.2f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=40, help="fronts per style and font set (default 40)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument(
        "--crnn-model",
        type=Path,
        help="another CRNN model (.npz) in place of the committed one, in the vote too",
    )
    parser.add_argument(
        "--tune-fonts",
        default="",
        help="tuning fonts (file names, comma-separated) to draw the tune sets in, held-out sets skipped: "
        "with --crnn-model trained --leave-out those fonts, the vote on hands its network never saw",
    )
    args = parser.parse_args(argv)
    rapid = rapidocr_reader()
    if rapid is None:
        print("(rapidocr: rapidocr_onnxruntime is not importable here; its column is left out)")
    net = Network.load(args.crnn_model) if args.crnn_model else None
    tune_fonts = frozenset(n for n in args.tune_fonts.split(",") if n)
    synthetic(args.count, args.seed, rapid, net, tune_fonts)
    if not args.skip_real:
        real_checks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
