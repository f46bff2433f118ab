"""Read the amount of a check: the courtesy amount (figures by the `$`) and the legal amount (in words).

`read_amount(front, dpi)` takes the straightened front at `dpi` and:

1. finds the courtesy area (the `$` box on the right, in the middle third; without a box, the line of ink
   nearest 40% of the height there) and the legal line (the line of words under it, ending in "DOLLARS"), by
   layout: long rules, boxes and bands of ink, measured in inches, so it does not depend on one design;
2. runs Tesseract (`eng`) once over both crops stacked (one start-up, the costly part), the glyph model
   of `amount_glyphs` and the line recogniser of `amount_crnn` (a CRNN, numpy) over the figures
   (`gather`): the figures' hypotheses are the two models' most likely strings plus Tesseract's reading,
   each scored (`courtesy_hypotheses`); the words are parsed by `words.parse_legal`;
3. weighs the hypotheses, their near misses (one digit changed, dropped or added) and the legal parse by
   how well the legal line spells each (`joint_reading`): words Tesseract cannot read word for word still
   tell "seven hundred" from "four hundred". The cents need the fraction ("and 29/100") or both readers of
   the figures;
4. votes: figures and words agree -> the amount is read (`source="both"`); otherwise a reading alone counts
   only at or above its threshold (`COURTESY_MIN`, `LEGAL_MIN`), the figures alone only when two of their
   readers say the same amount (or the CRNN alone at `CRNN_MIN`) and no near miss is spelt better by the
   words; an agreement whose words spell a near miss clearly better (`AGREE_MARGIN`) is not read;
   otherwise `amount` is None (`decide`).

Thresholds were set with `bench/ocr_amounts.py` on the tuning fonts and checked on held-out fonts.
Tesseract runs as the MICR reader runs it (`openchecks.micr.recognize`: one thread, at `OCR_NICE`).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageOps

from openchecks.check.amount_crnn import CrnnRead, read_line
from openchecks.check.amount_glyphs import GlyphRead, ink_mask, read_glyphs, remove_rules
from openchecks.check.words import fraction_cents, legal_match, parse_legal
from openchecks.micr import recognize

Source = Literal["courtesy", "legal", "both"]
Box = tuple[int, int, int, int]

# Thresholds for one reading alone (bench/ocr_amounts.py, tuning fonts: the largest confidence of a wrong
# single-side reading was 0.26 for the figures, 0.84 for the words; the figures' threshold is kept high
# because the glyph model is surer than it should be on hands it never saw).
COURTESY_MIN = 0.98
# The words alone: 0.9 on the tuning fonts; raised to 0.95 by hands the network never saw (the leave-out
# fonts, bench/ocr_amounts.py --crnn-model --tune-fonts, 400 fronts of seed 47): the wrong readings of the
# legal line alone there had 0.9225 and 0.9367 (and 0.912 at seed 31); 0.95 drops both for 2 reads of 329.
LEGAL_MIN = 0.95
# The CRNN alone reads the figures (no other reader agreeing) when its best string is this likely, the legal
# line not saying otherwise. Calibrated on hands the network never saw without touching the held-out fonts: a
# model trained with 5 of the 20 tuning fonts left out (bench/amount_crnn_train.py --leave-out) read 200
# fronts in those 5: its largest wrong probability was 0.946 (0 wrong of 131 read at >= 0.95, of 103 at
# 0.99; the recipe before, retrained so: 0.986, 1 wrong of 103 at >= 0.98, 0 of 79 at 0.99). The vote with
# it on 200 other fronts in those fonts (bench/ocr_amounts.py --crnn-model --tune-fonts) reads 3 more at
# 0.95 than at 0.99: too few to give up the margin above 0.946.
CRNN_MIN = 0.99
# The CRNN's alternative strings count among the figures' hypotheses from this probability up.
CRNN_ALT_MIN = 0.05
# Two readings that agree are read at or above this share of the joint weighing. The tuning fonts found no
# wrong agreement to cut; on the leave-out fonts (as for LEGAL_MIN) the two wrong agreements had 0.26 and
# 1.0: 0.5 drops the first for 6 reads of 329 (the second no threshold can tell from a right reading).
AGREE_MIN = 0.5
# Figures and words that agree are not read when the legal line spells a near miss of the amount (one digit
# of the dollars changed, dropped or added) better by more than this (words.legal_match): on the leave-out
# fonts (seed 47, 400 fronts) the right agreements' worst margin was -0.054 (0 wrong agreements caught or
# right ones lost there); the held-out agreements read wrong are words that spell another amount better.
AGREE_MARGIN = 0.055
# `read_amount` applies all of these itself; an accepted reading's `confidence` is its share of the joint
# weighing or its one side's confidence. A caller may ask for more (the configuration's
# `amount_min_confidence`); no extra threshold is needed for <= 1% wrong on the bench.
MIN_CONFIDENCE = 0.0
# The legal line supports a courtesy hypothesis when it spells it this well (words.legal_match); in the
# joint weighing (joint_reading) an amount the figures did not offer gets PRIOR_FLOOR, and spelling
# counts exp(SPELLING_WEIGHT x match); a hypothesis needs ALT_MIN to be preferred over the best figures.
VERIFY_MIN = 0.6
PRIOR_FLOOR = 0.02
SPELLING_WEIGHT = 50.0
ALT_MIN = 0.02


@dataclass(frozen=True)
class AmountReading:
    """The amount read on a check front, and what each of its two readings said."""

    amount: str | None
    cents: int | None
    source: Source | None
    confidence: float
    courtesy: str | None
    courtesy_confidence: float
    legal: str | None
    legal_text: str
    legal_confidence: float
    seconds: float
    courtesy_text: str = ""
    courtesy_reader: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Regions:
    """Where the amounts are on the front (pixel boxes x0, y0, x1, y1), None where not found."""

    courtesy: Box | None
    legal: Box | None
    boxed: bool


def _format(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# ---------------------------------------------------------------------------------------------- layout


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    diff = np.diff(padded)
    return list(zip(np.nonzero(diff == 1)[0].tolist(), np.nonzero(diff == -1)[0].tolist(), strict=True))


def _horizontal_rules(mask: np.ndarray, min_len: int) -> list[tuple[int, int, int, int]]:
    """Horizontal rules in `mask`: (y0, y1, x0, x1) for each group of rows holding a run >= `min_len`."""
    rows: list[tuple[int, int, int]] = []
    for y in range(mask.shape[0]):
        for s, e in _runs(mask[y]):
            if e - s >= min_len:
                rows.append((y, s, e))
    rules: list[list[int]] = []
    for y, s, e in rows:
        for rule in rules:
            if y - rule[1] <= 2 and min(e, rule[3]) - max(s, rule[2]) > min_len // 2:
                rule[1] = y + 1
                rule[2], rule[3] = min(rule[2], s), max(rule[3], e)
                break
        else:
            rules.append([y, y + 1, s, e])
    return [(a, b, c, d) for a, b, c, d in rules]


def _best_band(
    mask: np.ndarray, dpi: float, below: int | None = None, centre: float | None = None
) -> tuple[int, int] | None:
    """The band of rows with the most ink (gaps under 0.015" bridged), or the one just above row `below`."""
    counts = mask.sum(axis=1)
    on = counts >= max(3, mask.shape[1] // 100)
    bands: list[list[int]] = []
    for s, e in _runs(on):
        if bands and s - bands[-1][1] <= max(2, round(0.015 * dpi)):
            bands[-1][1] = e
        else:
            bands.append([s, e])
    bands = [b for b in bands if b[1] - b[0] >= 0.06 * dpi]
    if not bands:
        return None
    if below is not None:
        near = [b for b in bands if b[1] <= below + 2 and below - b[1] <= 0.12 * dpi]
        if near:
            return near[-1][0], near[-1][1]

    def score(band: list[int]) -> float:
        ink = float(counts[band[0] : band[1]].sum())
        if centre is None:
            return ink
        # Prefer the band nearest the expected row (a big handwritten date above is not the amount).
        return ink * float(np.exp(-((((band[0] + band[1]) / 2 - centre) / (0.35 * dpi)) ** 2)))

    best = max(bands, key=score)
    return best[0], best[1]


def _x_extent(mask: np.ndarray, dpi: float) -> tuple[int, int] | None:
    """The columns holding ink, trimmed of far specks (a gap over 0.6" ends the text)."""
    cols = _runs(np.asarray(mask.any(axis=0)))
    if not cols:
        return None
    best: list[int] = [cols[0][0], cols[0][1]]
    groups = [best]
    for s, e in cols[1:]:
        if s - groups[-1][1] > 0.6 * dpi:
            groups.append([s, e])
        else:
            groups[-1][1] = e
    widest = max(groups, key=lambda g: int(mask[:, g[0] : g[1]].sum()))
    return widest[0], widest[1]


def locate(gray: np.ndarray, dpi: float) -> Regions:
    """Find the courtesy box (or line) and the legal line on a front (uint8 greyscale at `dpi`)."""
    h, w = gray.shape
    mask = ink_mask(gray)
    # The courtesy area: right side, middle third of the height (US personal and business checks).
    rx0, rx1, ry0, ry1 = round(0.55 * w), w - round(0.03 * w), round(0.15 * h), round(0.62 * h)
    region = mask[ry0:ry1, rx0:rx1]
    courtesy: Box | None = None
    boxed = False
    rules = [
        r
        for r in _horizontal_rules(region, round(0.6 * dpi))
        if r[2] > 0.05 * dpi and r[3] - r[2] < 0.45 * w  # a box edge starts inside the area and is short
    ]
    pairs = [
        (top, bottom)
        for top in rules
        for bottom in rules
        if 0.15 * dpi <= bottom[0] - top[1] <= 0.6 * dpi
        and min(top[3], bottom[3]) - max(top[2], bottom[2]) >= 0.5 * dpi
    ]
    if pairs:
        top, bottom = min(pairs, key=lambda p: p[1][0] - p[0][1])
        x0, x1 = max(top[2], bottom[2]), min(top[3], bottom[3])
        courtesy = (rx0 + x0, ry0 + top[1], rx0 + x1, ry0 + bottom[0])
        boxed = True
    else:
        cleaned = remove_rules(region[:, round(0.3 * (rx1 - rx0)) :], dpi)
        band = _best_band(cleaned, dpi, centre=0.4 * h - ry0)
        if band:
            xs = _x_extent(cleaned[band[0] : band[1]], dpi)
            if xs:
                off = rx0 + round(0.3 * (rx1 - rx0))
                pad = round(0.03 * dpi)
                courtesy = (
                    max(0, off + xs[0] - pad),
                    max(0, ry0 + band[0] - pad),
                    min(w, off + xs[1] + pad),
                    min(h, ry0 + band[1] + pad),
                )
    legal: Box | None = None
    top_y = courtesy[3] if courtesy else round(0.4 * h)
    ly0, ly1 = top_y + round(0.02 * dpi), min(h, top_y + round(0.5 * dpi))
    lx0, lx1 = round(0.02 * w), w - round(0.02 * w)
    if ly1 - ly0 > 0.1 * dpi:
        strip = mask[ly0:ly1, lx0:lx1]
        long_rules = _horizontal_rules(strip, round(0.3 * w))
        rule_y = long_rules[0][0] if long_rules else None
        cleaned = remove_rules(strip, dpi)
        band = _best_band(cleaned if rule_y is None else cleaned[:rule_y], dpi, below=rule_y)
        if band:
            xs = _x_extent(cleaned[band[0] : band[1]], dpi)
            if xs:
                pad = round(0.03 * dpi)
                legal = (
                    max(0, lx0 + xs[0] - pad),
                    max(0, ly0 + band[0] - pad),
                    min(w, lx0 + xs[1] + pad),
                    min(h, ly0 + band[1] + pad),
                )
    return Regions(courtesy=courtesy, legal=legal, boxed=boxed)


# ---------------------------------------------------------------------------------------------- reading

_FIGURES = re.compile(r"^(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,\-](\d{2}))?$")


def parse_figures(text: str) -> tuple[int, bool] | None:
    """Cents from courtesy figures ("$1,042.00", "**1042-00", "1042"), and whether cents were written."""
    t = re.sub(r"(\d)\s+(\d{2})\s*/\s*100$", r"\1.\2", text.strip())  # "42 00/100"
    t = re.sub(r"\s+", "", t).lstrip("$*").rstrip("*-")
    m = _FIGURES.match(t)
    if not m:
        return None
    dollars = int(re.sub(r"[.,]", "", m.group(1)))
    if m.group(2) is None and re.fullmatch(r"\d+[.,]\d{3}", m.group(1)) is None and "," in m.group(1):
        return None
    cents = int(m.group(2)) if m.group(2) else 0
    if dollars > 9_999_999:
        return None
    return dollars * 100 + cents, m.group(2) is not None


def _tessdata_config(tessdata: str | None) -> str:
    if tessdata and (Path(tessdata) / "eng.traineddata").is_file():
        return f"--tessdata-dir {tessdata} "
    return ""


def _tesseract(image: Image.Image, config: str, timeout: float = 10.0) -> list[tuple[str, float]]:
    """Words and their confidences (0..1) from Tesseract `eng`, run as the MICR reader runs it."""
    try:
        data = recognize.image_data(image, lang="eng", config=config, timeout=timeout)
    except recognize.TesseractTimeout:  # as in stacked_lines
        return []
    out = []
    for text, conf in zip(data["text"], data["conf"], strict=True):
        if str(text).strip() and float(conf) >= 0:
            out.append((str(text).strip(), float(conf) / 100.0))
    return out


def _prepare(gray: np.ndarray, cleaned: np.ndarray, dpi: float) -> Image.Image:
    """A crop for Tesseract: rules whitened, scaled to about 300 dpi, padded."""
    arr = np.where(cleaned, np.minimum(gray, 96), 255).astype(np.uint8)
    img = Image.fromarray(arr)
    factor = 300 / dpi
    if abs(factor - 1) > 0.1:
        img = img.resize(
            (max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.LANCZOS
        )
    return ImageOps.expand(img, border=16, fill=255)


@dataclass(frozen=True)
class Crops:
    """The two amounts cut out for the readers: Tesseract images and the courtesy ink mask (rules removed)."""

    regions: Regions
    courtesy: Image.Image | None
    courtesy_mask: np.ndarray | None
    legal: Image.Image | None


def prepare_crops(gray: np.ndarray, dpi: float) -> Crops:
    """Locate the amounts on a front (uint8 greyscale at `dpi`) and cut them out, rules removed."""
    regions = locate(gray, dpi)
    courtesy = legal = mask = None
    if regions.courtesy:
        x0, y0, x1, y1 = regions.courtesy
        crop = gray[y0:y1, x0:x1]
        cleaned = remove_rules(ink_mask(crop), dpi)
        if cleaned.any():
            courtesy, mask = _prepare(crop, cleaned, dpi), cleaned
    if regions.legal:
        x0, y0, x1, y1 = regions.legal
        crop = gray[y0:y1, x0:x1]
        cleaned = remove_rules(ink_mask(crop), dpi)
        if cleaned.any():
            legal = _prepare(crop, cleaned, dpi)
    return Crops(regions, courtesy, mask, legal)


@dataclass(frozen=True)
class Candidate:
    cents: int | None
    confidence: float
    text: str
    reader: str


_DIGIT_LOOKALIKES = str.maketrans("OoDQlI|]iSsBZz", "00001111155822")
# The box's sides read at the ends of the figures: a bar after the last digit, or before the `$`/first one.
_BOX_SIDES = re.compile(r"^[|\[\]]+(?=[$*\d])|(?<=[\d*])[|\[\]]+$")


def courtesy_candidate(words: list[tuple[str, float]], reader: str = "tesseract") -> Candidate:
    """A courtesy reading from Tesseract's words (letters that look like digits mapped: O -> 0, l -> 1).
    A bar at either end is the amount box's side, not a 1 ("$1.00|" is $1.00, not $1.001)."""
    raw = "".join(w for w, _ in words)
    text = _BOX_SIDES.sub("", raw).translate(_DIGIT_LOOKALIKES)
    raw = _BOX_SIDES.sub("", raw)
    parsed = (
        parse_figures(re.sub(r"[^0-9$.,\-*/]", "", text)) if re.fullmatch(r"[0-9$.,\-*/]*", text) else None
    )
    if not parsed:
        return Candidate(None, 0.0, raw, reader)
    mapped = sum(a != b for a, b in zip(raw, text, strict=True))
    conf = min(c for _, c in words) * (1.0 if parsed[1] else 0.8) * 0.8**mapped
    return Candidate(parsed[0], conf, raw, reader)


def tesseract_courtesy(image: Image.Image, tessdata: str | None = None) -> Candidate:
    """Tesseract alone on the courtesy crop: one line, digits and amount punctuation only."""
    words = _tesseract(
        image, _tessdata_config(tessdata) + "--psm 7 -c tessedit_char_whitelist=0123456789$.,-*/"
    )
    return courtesy_candidate(words, "tesseract-psm7")


def glyph_candidate(read: GlyphRead) -> Candidate:
    """A courtesy reading from the glyph model."""
    parsed = parse_figures(read.text)
    if not parsed or not read.scores:
        return Candidate(None, 0.0, read.text, "glyphs")
    conf = min(read.scores) * (1.0 if parsed[1] else 0.8)
    return Candidate(parsed[0], conf, read.text, "glyphs")


def crnn_candidate(read: CrnnRead | None) -> Candidate:
    """A courtesy reading from the CRNN: its best string and that string's probability."""
    parsed = parse_figures(read.text) if read else None
    if read is None or not parsed:
        return Candidate(None, 0.0, read.text if read else "", "crnn")
    return Candidate(parsed[0], read.probability * (1.0 if parsed[1] else 0.8), read.text, "crnn")


def stacked_lines(
    images: list[Image.Image], tessdata: str | None = None, timeout: float = 10.0
) -> list[list[tuple[str, float]]]:
    """Tesseract once over `images` stacked top to bottom (one start-up for both amounts): words per image."""
    gap = 24
    width = max(i.width for i in images)
    canvas = Image.new("L", (width, sum(i.height for i in images) + gap * (len(images) - 1)), 255)
    tops = []
    y = 0
    for img in images:
        canvas.paste(img, (0, y))
        tops.append(y)
        y += img.height + gap
    try:
        data = recognize.image_data(
            canvas, lang="eng", config=_tessdata_config(tessdata) + "--psm 6", timeout=timeout
        )
    except recognize.TesseractTimeout:  # an overloaded machine reads nothing, it does not fail
        return [[] for _ in images]
    found: list[list[tuple[int, str, float]]] = [[] for _ in images]
    rows = zip(data["text"], data["conf"], data["top"], data["height"], data["left"], strict=True)
    for text, conf, top, height, left in rows:
        if not str(text).strip() or float(conf) < 0:
            continue
        middle = int(top) + int(height) / 2
        k = max((i for i, t in enumerate(tops) if t <= middle), default=0)
        found[k].append((int(left), str(text).strip(), float(conf) / 100.0))
    # Each image holds one line: left to right, even where Tesseract split a slanted line in two.
    return [[(w, c) for _, w, c in sorted(words)] for words in found]


def legal_candidate(words: list[tuple[str, float]]) -> tuple[int | None, float, str]:
    """The legal amount from Tesseract's words: (cents, confidence, text)."""
    text = " ".join(w for w, _ in words)
    parsed = parse_legal(text)
    if parsed is None:
        return None, 0.0, text
    mean = float(np.mean([c for _, c in words])) if words else 0.0
    return parsed.cents, mean * parsed.quality * (1.0 if parsed.fraction else 0.9), text


def tesseract_legal(image: Image.Image, tessdata: str | None = None) -> tuple[int | None, float, str]:
    """Tesseract alone on the legal line crop (one line)."""
    return legal_candidate(_tesseract(image, _tessdata_config(tessdata) + "--psm 7"))


def _alternatives(pairs: tuple[tuple[str, float], ...]) -> dict[int, float]:
    out: dict[int, float] = {}
    for text, p in pairs:
        parsed = parse_figures(text)
        if parsed:
            score = p * (1.0 if parsed[1] else 0.8)
            out[parsed[0]] = max(out.get(parsed[0], 0.0), score)
    return out


def courtesy_hypotheses(
    tess: Candidate, glyphs: GlyphRead | None, crnn: CrnnRead | None = None
) -> dict[int, float]:
    """Each amount the figures may say, scored 0..1 from their readers (1 - the product of their doubts):
    the glyph model's and the CRNN's likeliest strings, Tesseract's reading."""
    readers = [_alternatives(glyphs.alternatives if glyphs else ())]
    # The tail of the CRNN's beam (a few % each) is noise: as rivals it would discount an amount every
    # reader agrees on below COURTESY_MIN ("$1.00" read by all three at 0.97 for an "11.00" at 0.03).
    readers.append(
        _alternatives(tuple(a for a in (crnn.alternatives if crnn else ()) if a[1] >= CRNN_ALT_MIN))
    )
    if tess.cents is not None:
        readers.append({tess.cents: tess.confidence})
    out: dict[int, float] = {}
    for amount in {a for r in readers for a in r}:
        doubt = 1.0
        for r in readers:
            doubt *= 1 - r.get(amount, 0.0)
        out[amount] = 1 - doubt
    return out


def best_courtesy(scores: dict[int, float], tess: Candidate, prefer: int | None = None) -> Candidate:
    """The courtesy reading: the best-scored amount, or `prefer` (what the legal line says) when the figures
    hold it too. Its confidence is discounted by the best other amount: two likely readings are a doubt."""
    if not scores:
        return Candidate(None, 0.0, tess.text, "")
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    cents, score = ranked[0]
    if prefer is not None and scores.get(prefer, 0.0) >= ALT_MIN:
        cents, score = prefer, scores[prefer]
    other = max((s for c, s in ranked if c != cents), default=0.0)
    reader = "both" if tess.cents == cents and score > tess.confidence else "tesseract"
    if tess.cents != cents:
        reader = "glyphs"
    return Candidate(cents, score * (1 - other), tess.text, reader)


def neighbours(cents: int) -> set[int]:
    """Amounts one digit of the dollars away from `cents` (one changed, dropped or added): the misreads a
    legal line must rule out."""
    dollars, rest = divmod(cents, 100)
    digits = str(dollars)
    variants = {digits[:i] + digits[i + 1 :] for i in range(len(digits))}
    for i in range(len(digits) + 1):
        for new in "0123456789":
            variants.add(digits[:i] + new + digits[i:])
            if i < len(digits):
                variants.add(digits[:i] + new + digits[i + 1 :])
    out = {int(v) * 100 + rest for v in variants if v and len(v) <= 8}
    out.discard(cents)
    return out


def joint_reading(text: str, scores: dict[int, float], legal: int | None) -> tuple[int, float] | None:
    """The amount both lines support best, and its share of the support (0..1), or None without words.

    Each hypothesis of the figures, their near misses and the legal parse are weighed: prior = the
    figures' score (`PRIOR_FLOOR` for an amount the figures did not offer), times exp(`SPELLING_WEIGHT` x
    how well the legal line spells it). A misread digit the words contradict loses; words too garbled to
    tell near misses apart leave no amount a large share.
    """
    if sum(c.isalpha() for c in text) < 8:
        return None
    ranked = sorted(scores, key=lambda h: -scores[h])
    candidates = set(scores) | ({legal} if legal is not None else set())
    for h in ranked[:2]:
        candidates |= neighbours(h)
    weights = {
        h: max(scores.get(h, 0.0), PRIOR_FLOOR) * float(np.exp(SPELLING_WEIGHT * legal_match(text, h)))
        for h in candidates
    }
    total = sum(weights.values())
    best = max(weights, key=lambda h: weights[h])
    return best, weights[best] / total


def contradicts(text: str, cents: int, rivals: set[int]) -> bool:
    """Whether the legal line spells one of `rivals` better than `cents` (too little text: never)."""
    if sum(c.isalpha() for c in text) < 8 or not rivals:
        return False
    own = legal_match(text, cents)
    best = max(legal_match(text, r) for r in rivals)
    return best >= VERIFY_MIN and best > own + 0.02  # garbled words contradict nothing


def vote(
    courtesy: int | None,
    courtesy_conf: float,
    legal: int | None,
    legal_conf: float,
    courtesy_min: float = COURTESY_MIN,
    legal_min: float = LEGAL_MIN,
    *,
    agree_min: float = AGREE_MIN,
    courtesy_contradicted: bool = False,
) -> tuple[int | None, Source | None, float]:
    """The amount from the two readings: (cents, source, confidence), cents None when unread.

    Agreement reads the amount. Otherwise a reading counts alone only at or above its threshold, and only
    when the other reading (if any) is below its own: two confident readings that disagree read nothing.
    A courtesy reading the legal line spells worse than a near miss (`courtesy_contradicted`) never
    stands alone.
    """
    if courtesy is not None and courtesy == legal:
        both = 1 - (1 - courtesy_conf) * (1 - legal_conf)
        return (courtesy, "both", both) if both >= agree_min else (None, None, both)
    c_ok = courtesy is not None and courtesy_conf >= courtesy_min and not courtesy_contradicted
    l_ok = legal is not None and legal_conf >= legal_min
    if c_ok and not l_ok:
        return courtesy, "courtesy", courtesy_conf
    if l_ok and not c_ok:
        return legal, "legal", legal_conf
    return None, None, max(courtesy_conf if courtesy is not None else 0.0, legal_conf if legal else 0.0)


@dataclass(frozen=True)
class Reads:
    """What the readers said about one front, before the vote: Tesseract's words for the figures and the
    legal line (one run over both crops), the glyph model's and the CRNN's readings of the figures."""

    courtesy_words: list[tuple[str, float]]
    legal_words: list[tuple[str, float]]
    has_legal: bool
    glyphs: GlyphRead | None
    crnn: CrnnRead | None


def gather(front: Image.Image, dpi: float, tessdata: str | None = None) -> Reads:
    """Run every reader over the amounts of `front` (the straightened check at `dpi`)."""
    gray = np.asarray(ImageOps.grayscale(front))
    crops = prepare_crops(gray, dpi)
    images = [i for i in (crops.courtesy, crops.legal) if i is not None]
    lines = stacked_lines(images, tessdata) if images else []
    c_words = lines.pop(0) if crops.courtesy is not None else []
    l_words = lines.pop(0) if crops.legal is not None else []
    glyph_read = read_glyphs(crops.courtesy_mask) if crops.courtesy_mask is not None else None
    crnn = read_line(crops.courtesy) if crops.courtesy is not None else None
    return Reads(c_words, l_words, crops.legal is not None, glyph_read, crnn)


def _top(text: str | None) -> int | None:
    parsed = parse_figures(text) if text else None
    return parsed[0] if parsed else None


def _figure_tops(tess: Candidate, reads: Reads) -> list[int | None]:
    """The best amount of each reader of the figures: Tesseract, the glyph model, the CRNN."""
    return [tess.cents, _top(reads.glyphs.text if reads.glyphs else None), _top(crnn_text(reads.crnn))]


def crnn_text(read: CrnnRead | None) -> str | None:
    return read.text if read else None


def crnn_alone(reads: Reads, cents: int | None, crnn_min: float) -> bool:
    """Whether the CRNN alone is sure enough of `cents` (its best string's probability >= `crnn_min`)."""
    return (
        cents is not None
        and reads.crnn is not None
        and _top(reads.crnn.text) == cents
        and reads.crnn.probability >= crnn_min
    )


def crnn_stands(reads: Reads, legal_text: str, legal_cents: int | None, crnn_min: float) -> bool:
    """Whether the CRNN's figures are read alone: its best string at or above `crnn_min`, the legal line
    saying nothing else (unread, or the same amount) and spelling no near miss of it better."""
    cents = _top(crnn_text(reads.crnn))
    if cents is None or not crnn_alone(reads, cents, crnn_min):
        return False
    if legal_cents is not None and legal_cents != cents:
        return False
    rivals = neighbours(cents) | ({legal_cents} if legal_cents is not None else set())
    return not (legal_text and contradicts(legal_text, cents, rivals))


def spelt_better(
    legal_text: str, cents: int | None, source: Source | None, agree_margin: float
) -> tuple[int | None, Source | None]:
    """An agreement (`source` "both") dropped when the legal line spells a near miss of `cents` better than
    `cents` itself by more than `agree_margin` (too little text: kept)."""
    if source != "both" or cents is None or sum(c.isalpha() for c in legal_text) < 8:
        return cents, source
    own = legal_match(legal_text, cents)
    best = max(legal_match(legal_text, n) for n in neighbours(cents))
    return (None, None) if best - own > agree_margin else (cents, source)


def decide(
    reads: Reads,
    *,
    courtesy_min: float = COURTESY_MIN,
    legal_min: float = LEGAL_MIN,
    agree_min: float = AGREE_MIN,
    crnn_min: float = CRNN_MIN,
    agree_margin: float = AGREE_MARGIN,
) -> AmountReading:
    """The vote over `reads` (see the module's docstring); `seconds` is left 0."""
    tess = courtesy_candidate(reads.courtesy_words)
    scores = courtesy_hypotheses(tess, reads.glyphs, reads.crnn)
    legal_cents: int | None = None
    legal_conf, legal_text = 0.0, ""
    if reads.has_legal:
        legal_cents, legal_conf, legal_text = legal_candidate(reads.legal_words)
        if legal_cents is not None and contradicts(legal_text, legal_cents, neighbours(legal_cents)):
            legal_cents, legal_conf = None, 0.0  # a near miss spells the line better: a misread word
    joint = joint_reading(legal_text, scores, legal_cents) if scores else None
    # The words confirm the dollars; the cents need the fraction, or two readers of the figures, or no
    # fraction written at all and no cents.
    tops = _figure_tops(tess, reads)
    written = fraction_cents(legal_text)

    def cents_confirmed(amount: int) -> bool:
        if written is not None:
            return written == amount % 100
        said = [t % 100 for t in tops if t is not None]
        if any(said.count(c) >= 2 for c in said):
            return said.count(amount % 100) >= 2
        return "/" not in legal_text and amount % 100 == 0

    cents_sure = joint is not None and cents_confirmed(joint[0])
    if (
        cents_sure
        and joint is not None
        and joint[0] in scores
        and legal_match(legal_text, joint[0]) >= VERIFY_MIN
    ):
        # The legal line spells this hypothesis: that is what it says, as far as the vote is concerned.
        legal_cents, legal_conf = joint[0], max(legal_conf if legal_cents == joint[0] else 0.0, joint[1])
    c_cand = best_courtesy(scores, tess, prefer=legal_cents)
    contradicted = False
    if c_cand.cents is not None and legal_text and c_cand.cents != legal_cents:
        others = neighbours(c_cand.cents) | ({legal_cents} if legal_cents is not None else set())
        contradicted = contradicts(legal_text, c_cand.cents, others)
    # Alone, figures need two of their readers (a reader can be sure and wrong on a new hand), or the
    # CRNN at or above `crnn_min`.
    figures_agree = c_cand.cents is not None and (
        tops.count(c_cand.cents) >= 2 or crnn_alone(reads, c_cand.cents, crnn_min)
    )
    cents: int | None
    source: Source | None
    if joint is not None and cents_sure and joint[0] == legal_cents and joint[0] == c_cand.cents:
        cents, source, conf = joint[0], "both", joint[1]
        if conf < agree_min:
            cents, source = None, None
    else:
        cents, source, conf = vote(
            c_cand.cents,
            c_cand.confidence,
            legal_cents,
            legal_conf,
            courtesy_min,
            legal_min,
            agree_min=agree_min,
            courtesy_contradicted=contradicted or not figures_agree,
        )
        if source == "both" and cents is not None and not cents_confirmed(cents):
            cents, source = None, None  # the words agree on the dollars, nothing confirms the cents
    if cents is None and crnn_stands(reads, legal_text, legal_cents, crnn_min):
        cents, source, conf = (
            _top(crnn_text(reads.crnn)),
            "courtesy",
            reads.crnn.probability if reads.crnn else 0.0,
        )
    cents, source = spelt_better(legal_text, cents, source, agree_margin)
    return AmountReading(
        amount=_format(cents) if cents is not None else None,
        cents=cents,
        source=source,
        confidence=round(conf, 4),
        courtesy=_format(c_cand.cents) if c_cand.cents is not None else None,
        courtesy_confidence=round(c_cand.confidence, 4),
        legal=_format(legal_cents) if legal_cents is not None else None,
        legal_text=legal_text,
        legal_confidence=round(legal_conf, 4),
        seconds=0.0,
        courtesy_text=c_cand.text,
        courtesy_reader=c_cand.reader,
    )


def read_amount(
    front: Image.Image,
    dpi: int,
    *,
    tessdata: str | None = None,
    courtesy_min: float = COURTESY_MIN,
    legal_min: float = LEGAL_MIN,
    agree_min: float = AGREE_MIN,
    crnn_min: float = CRNN_MIN,
) -> AmountReading:
    """Read the courtesy and legal amounts of `front` (the straightened check at `dpi`) and vote."""
    started = time.perf_counter()
    if dpi <= 0:
        raise ValueError("dpi must be positive")
    reading = decide(
        gather(front, dpi, tessdata),
        courtesy_min=courtesy_min,
        legal_min=legal_min,
        agree_min=agree_min,
        crnn_min=crnn_min,
    )
    return replace(reading, seconds=round(time.perf_counter() - started, 4))
