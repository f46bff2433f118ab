"""Read the payee's endorsement on the back of a check and decide whether it is restrictive.

Since July 2018 (Reg CC, 12 CFR 229.34(f)) the bank that takes a remotely deposited check indemnifies later
banks unless the check carries a restrictive endorsement such as "For mobile deposit only". The payee's area
is the 1.5 inches at the trailing edge of the back, above the "do not write, stamp or sign below this line"
rule; its text runs across the short side of the check.

`read_endorsement(back, dpi, phrases)` finds that area without OCR (the back is turned to landscape, and of
its two ends the one with the printed writing lines is the payee's: its outer edge is "up" for the text, so
a back photographed at 0, 90, 180 or 270 degrees costs one Tesseract call), removes the printed lines and
the paper, judges `present` from the ink left in the writing area, and reads it with Tesseract's `eng` model
only when something is there. `restrictive` means one of `phrases` was found in the text, with tolerance for
OCR errors and case (`find_phrase`): letters may be misread (a few edits, lookalikes such as 0/o and 1/l
cost nothing), digits in a phrase (an account number) must be read exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from PIL import Image, ImageOps

from openchecks.cvthreads import cv2
from openchecks.micr import recognize

DEFAULT_PHRASES: tuple[str, ...] = (
    "For mobile deposit only",
    "For remote deposit only",
    "For electronic deposit only",
)

# Errors allowed per letter of a phrase, overall and in its worst word (of WORD_LETTERS or more); a phrase
# needs MIN_PHRASE_LETTERS letters.
MAX_ERROR_RATE = 0.3
MAX_WORD_ERROR_RATE = 0.45
WORD_LETTERS = 4
# What a stray character between two words of a phrase costs, in half errors (a wrong letter costs 2).
GAP_COST = 1
MIN_PHRASE_LETTERS = 8

# Geometry of the payee's area, in inches from the trailing edge (X9.100-111 puts the rule at 1.5 in).
AREA_DEPTH_IN = 1.75
DEFAULT_RULE_IN = 1.6
CAPTION_IN = 0.27
# A printed line crosses at least this share of the short side; the payee's end shows at least this many.
LINE_SPAN = 0.55
MIN_LINES = 3
# Ink darker than the paper around it by this many grey levels counts; printed rules and text are darker.
INK_CONTRAST = 70
# What OCR is shown: every pixel at least this much darker than the paper (printed lines removed), in its
# grey level. A thin or blurred stroke (a fine typewriter face, photographed) keeps only its core above
# INK_CONTRAST, too broken to read; the faint microprint background stays below this.
OCR_CONTRAST = 45
# Grey level below which the cleaned writing counts as black when a pass binarises it.
BINARY_LEVEL = 200
# Square inches of ink in the writing area (printed lines removed) that make an endorsement present.
PRESENT_SQ_IN = 0.012
# Smallest back worth looking at, in pixels on its short side.
MIN_SHORT_PX = 60
TESSERACT_TIMEOUT = 10.0
# Backs scanned or photographed finer than MAX_DPI are read at WORK_DPI.
MAX_DPI = 320
WORK_DPI = 200


# Tesseract runs on the writing (at this dpi, page segmentation mode, binarised first), each only when the
# ones before found no phrase. On handwriting in the tuning fonts (40 backs) one block at 200 dpi found 26
# alone; sparse text at 140 dpi, then binarised sparse text at 200 dpi brought it to 37.
@dataclass(frozen=True)
class Pass:
    dpi: int
    psm: int
    binarise: bool = False


PASSES: tuple[Pass, ...] = (Pass(200, 6), Pass(140, 11), Pass(200, 11, binarise=True))
# ...and only when the text read so far already half resembles a phrase (a Tesseract call costs ~0.1 s CPU).
RETRY_SIMILARITY = 0.5
# ...or when it read next to nothing where there is ink, or fewer lines than the ink shows (Tesseract
# sometimes drops a whole line); a line of writing holds at least LINE_SQ_IN square inches of ink.
RETRY_BELOW_LETTERS = 4
LINE_SQ_IN = 0.004


class Endorsement(TypedDict):
    """What the back says: `present` (anything written or signed in the payee's area), `restrictive` (one of
    the configured phrases found), `text` (what OCR read there), `confidence` (0..1, in the `restrictive`
    verdict)."""

    present: bool
    restrictive: bool
    text: str
    confidence: float


# Characters OCR confuses, mapped to one representative (digits to the letter they mimic): free to swap.
_LOOKALIKE = str.maketrans(
    {"0": "o", "q": "o", "6": "b", "8": "b", "1": "l", "i": "l", "!": "l", "|": "l", "5": "s", "2": "z"}
    | {"9": "g"}
)
_DIGIT_LOOKALIKE = str.maketrans({"o": "0", "l": "1", "i": "1", "s": "5", "b": "8", "z": "2", "g": "9"})
_LETTERS_OR_DIGITS = re.compile(r"[a-z0-9]")
# Letters handwriting OCR often reads for one another: swapping them costs half an error.
_SIMILAR = ("eo", "ao", "ae", "ce", "co", "uv", "uo", "nh", "nr", "mn", "un", "vy", "rv", "bh", "kh", "ft")
_SIMILAR_MORE = ("tl", "lj", "ls", "vw", "mw", "gy", "pq", "dl", "gz")
# Costs in half errors: 0 the same (after lookalikes), 1 similar, 2 anything else or a missing/extra letter.
_COST = np.full((128, 128), 2, dtype=np.int32)
np.fill_diagonal(_COST, 0)
for _pair in _SIMILAR + _SIMILAR_MORE:
    _COST[ord(_pair[0]), ord(_pair[1])] = _COST[ord(_pair[1]), ord(_pair[0])] = 1


@dataclass(frozen=True)
class PhraseMatch:
    """Where `phrase` best matched a text: `errors` edits (similar letters count half) over its `letters`
    letters, the worst share of errors in one of its words of WORD_LETTERS or more, the span `start:end`."""

    phrase: str
    errors: float
    letters: int
    worst_word: float
    start: int
    end: int
    digits_ok: bool

    @property
    def similarity(self) -> float:
        return max(0.0, 1.0 - self.errors / max(1, self.letters))

    @property
    def found(self) -> bool:
        return (
            self.digits_ok
            and self.letters >= MIN_PHRASE_LETTERS
            and self.errors <= MAX_ERROR_RATE * self.letters
            and self.worst_word <= MAX_WORD_ERROR_RATE
        )


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` lowercased, only its letters and digits kept, and where each kept character came from."""
    kept: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text.lower()):
        if _LETTERS_OR_DIGITS.fullmatch(ch):
            kept.append(ch)
            where.append(i)
    return "".join(kept), where


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8).astype(np.intp) & 127


def find_phrase(phrase: str, text: str) -> PhraseMatch:
    """Where `phrase` best matches a substring of `text`: approximate matching with spaces, case and
    punctuation ignored, lookalikes (0/o, 1/l, 5/s) free and similar letters (e/o, n/h, u/v) half an error.
    `found` on the result says whether it is close enough to count: few errors overall, no word of the phrase
    mostly missing ("for deposit only" is not "for mobile deposit only") or read across a line break, and its
    digits read exactly."""
    words = [w for w in (_compact(w)[0] for w in phrase.split()) if w]
    want = "".join(words)
    have, where = _compact(text)
    m, n = len(want), len(have)
    if m == 0 or n == 0:
        return PhraseMatch(phrase, float(m), m, 1.0, 0, 0, digits_ok=not any(c.isdigit() for c in want))
    p = _codes(want.translate(_LOOKALIKE))
    t = _codes(have.translate(_LOOKALIKE))
    word_of = np.repeat(np.arange(len(words)), [len(w) for w in words])
    # Sellers' algorithm (edit distance of the phrase against any substring of the text), the whole table kept
    # to trace the alignment back.
    # Stray characters between two words of the phrase (OCR of the gap, a stroke of the signature) cost half.
    boundaries = set(np.cumsum([len(w) for w in words[:-1]]).tolist())
    extra = [GAP_COST if i in boundaries else 2 for i in range(m + 1)]
    table = np.zeros((m + 1, n + 1), dtype=np.int32)
    columns = np.arange(n + 1, dtype=np.int32)
    for i in range(1, m + 1):
        above = table[i - 1]
        best = np.minimum(above[:-1] + _COST[p[i - 1], t], above[1:] + 2)
        # Extra letters in the text (moving right along the row): a running minimum.
        steps = extra[i] * columns
        row = np.concatenate(([2 * i], best)) - steps
        table[i] = np.minimum.accumulate(row) + steps
    end = int(np.argmin(table[m, 1:])) + 1
    word_cost = np.zeros(len(words), dtype=np.int32)
    # The text characters each word of the phrase was matched with (first, last).
    spans: dict[int, list[int]] = {}
    i, j = m, end
    while i > 0:
        here = table[i, j]
        if j > 0 and here == table[i - 1, j - 1] + _COST[p[i - 1], t[j - 1]]:
            word_cost[word_of[i - 1]] += _COST[p[i - 1], t[j - 1]]
            span = spans.setdefault(int(word_of[i - 1]), [j - 1, j - 1])
            span[0] = j - 1
            i, j = i - 1, j - 1
        elif here == table[i - 1, j] + 2:
            word_cost[word_of[i - 1]] += 2
            i -= 1
        else:
            if i not in boundaries:
                word_cost[word_of[i - 1]] += 2
            j -= 1
    start = j
    # A word read across a line break is pieces of two lines, not the word: as if missing.
    for k, (first, last) in spans.items():
        if "\n" in text[where[first] : where[last] + 1]:
            word_cost[k] = 2 * len(words[k])
    # Short words ("for", "at") carry no meaning of their own here; a missing long one changes the phrase.
    shares = [
        float(c) / (2 * len(w)) for c, w in zip(word_cost, words, strict=True) if len(w) >= WORD_LETTERS
    ]
    worst = max(shares, default=0.0)
    digits_ok = True
    for run in re.findall(r"\d+", want):
        # An account number in a phrase must be read exactly (lookalike letters count as their digits).
        digits_ok = digits_ok and run in have[max(0, start - 2) : end + 2].translate(_DIGIT_LOOKALIKE)
    span_start = where[start] if start < len(where) else len(text)
    span_end = where[end - 1] + 1
    return PhraseMatch(phrase, int(table[m, end]) / 2, m, worst, span_start, span_end, digits_ok)


def best_phrase(phrases: Sequence[str], text: str) -> PhraseMatch | None:
    """The phrase of `phrases` that matches `text` best (found ones first), or None with no phrases."""
    matches = [find_phrase(p, text) for p in phrases if p.strip()]
    if not matches:
        return None
    return max(matches, key=lambda mt: (mt.found, mt.similarity))


# --- finding the payee's area ------------------------------------------------------------------------------


def _gray(image: Image.Image) -> np.ndarray:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(ImageOps.grayscale(image) if image.mode != "L" else image, dtype=np.int16)


def ink_mask(gray: np.ndarray, block: int = 32, contrast: int = INK_CONTRAST) -> np.ndarray:
    """Pixels at least `contrast` darker than the paper around them (the paper: the brightest nearby block's
    90th percentile)."""
    return _ink_below(gray, paper_level(gray, block), contrast)


def _ink_below(gray: np.ndarray, paper: np.ndarray, contrast: int) -> np.ndarray:
    # Paper darker than mid-grey is no paper (a dark photo, a table): nothing there is ink.
    return np.asarray((gray < paper - contrast) & (paper > 110))


def paper_level(gray: np.ndarray, block: int = 32) -> np.ndarray:
    """The paper's grey level around every pixel: the brightest nearby block's 90th percentile."""
    h, w = gray.shape
    bh, bw = max(1, h // block), max(1, w // block)
    trimmed = gray[: bh * block, : bw * block] if h >= block and w >= block else gray
    if h >= block and w >= block:
        blocks = trimmed.reshape(bh, block, bw, block).transpose(0, 2, 1, 3).reshape(bh, bw, -1)
        paper_blocks = np.percentile(blocks, 90, axis=2)
        # A block that bold writing fills is no guide to its paper: take the brightest of its neighbours.
        padded = np.pad(paper_blocks, 1, mode="edge")
        paper_blocks = np.max(
            [padded[dy : dy + bh, dx : dx + bw] for dy in range(3) for dx in range(3)], axis=0
        )
        rows = np.minimum(np.arange(h) // block, bh - 1)
        cols = np.minimum(np.arange(w) // block, bw - 1)
        paper = paper_blocks[rows][:, cols]
    else:
        paper = np.full(gray.shape, float(np.percentile(gray, 90)))
    return np.asarray(paper)


def _line_positions(span_share: np.ndarray, dpi: float) -> list[int]:
    """Centres of runs of positions whose share of ink along the other axis reaches LINE_SPAN."""
    hits = np.flatnonzero(span_share >= LINE_SPAN)
    if hits.size == 0:
        return []
    groups = np.split(hits, np.flatnonzero(np.diff(hits) > max(2, dpi * 0.02)) + 1)
    return [int(g.mean()) for g in groups if g.size <= dpi * 0.05]


@dataclass(frozen=True)
class PayeeArea:
    """The payee's area turned upright (trailing edge at the top): `ink` mask with printed lines removed, the
    grey image for OCR, and how it was found (`lines`: printed lines seen; `rule`: rows to the rule)."""

    ink: np.ndarray
    image: Image.Image
    lines: int
    rule: int
    sure: bool


def _area(
    gray: np.ndarray, ink: np.ndarray, faint: np.ndarray, at_left: bool, dpi: float, lines: list[int]
) -> PayeeArea:
    depth = min(gray.shape[1], round(AREA_DEPTH_IN * dpi))
    if at_left:
        g, k, f = gray[:, :depth], ink[:, :depth], faint[:, :depth]
        rule_candidates = [x for x in lines if x < depth]
        g, k, f = np.rot90(g, -1), np.rot90(k, -1), np.rot90(f, -1)  # left edge to the top
    else:
        g, k, f = gray[:, -depth:], ink[:, -depth:], faint[:, -depth:]
        rule_candidates = [gray.shape[1] - 1 - x for x in lines if x >= gray.shape[1] - depth]
        g, k, f = np.rot90(g, 1), np.rot90(k, 1), np.rot90(f, 1)  # right edge to the top
    # The rule is the printed line farthest from the edge; without one, where the standard puts it.
    rule = max(rule_candidates) if len(rule_candidates) >= MIN_LINES else round(DEFAULT_RULE_IN * dpi)
    rule = min(rule, g.shape[0])
    g, k, f = g[:rule], k[:rule].copy(), f[:rule].copy()
    k[max(0, rule - round(dpi * 0.03)) :] = False
    printed = _printed_line(k, dpi)
    k &= ~printed
    # The printed lines' blurred edges go with them; the rest of the faint ink is what OCR reads.
    halo = np.asarray(cv2.dilate(printed.astype(np.uint8), np.ones((5, 1), np.uint8)), dtype=bool)
    f &= ~halo
    f[max(0, rule - round(dpi * 0.03)) :] = False
    clean = np.where(f | k, np.clip(g, 0, 255), 255).astype(np.uint8)
    return PayeeArea(k, Image.fromarray(clean), len(rule_candidates), rule, len(rule_candidates) >= MIN_LINES)


def _printed_line(ink: np.ndarray, dpi: float) -> np.ndarray:
    """The pixels of the printed writing lines: long horizontal runs, except where writing touches or crosses
    them (ink just above or below), so letters sitting on a line keep their strokes (on the tuning fonts,
    removing those too cost 11 of 40 handwritten restrictive endorsements)."""
    lines = _long_runs(ink, round(dpi * 0.35))
    reach = max(4, round(dpi * 0.02))
    near = np.zeros_like(ink)
    near[reach:] |= ink[:-reach]
    near[:-reach] |= ink[reach:]
    return lines & ~near


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of `mask` in a horizontal run of at least `length` (printed lines), grown a pixel vertically."""
    h, w = mask.shape
    if w < length or length < 2:
        return np.zeros_like(mask)
    cs = np.concatenate([np.zeros((h, 1), np.int32), np.cumsum(mask, axis=1, dtype=np.int32)], axis=1)
    full = (cs[:, length:] - cs[:, :-length]) == length  # a run of `length` starts at this column
    starts = np.concatenate([np.zeros((h, 1), np.int32), np.cumsum(full, axis=1, dtype=np.int32)], axis=1)
    covered = np.zeros((h, w), dtype=bool)
    # A pixel is covered if some full window starts within `length` columns left of it.
    for j0 in range(0, w, 1024):
        cols = np.arange(j0, min(w, j0 + 1024))
        hi = np.minimum(cols + 1, full.shape[1])
        lo = np.clip(cols - length + 1, 0, full.shape[1])
        covered[:, cols] = (starts[:, hi] - starts[:, lo]) > 0
    grown = covered.copy()
    grown[1:] |= covered[:-1]
    grown[:-1] |= covered[1:]
    return grown & mask


def find_payee_areas(back: Image.Image, dpi: float) -> list[PayeeArea]:
    """The candidate payee areas of `back`, likeliest first: one when the printed lines show which end it is,
    both ends otherwise."""
    gray = _gray(back)
    if gray.shape[0] > gray.shape[1]:
        gray = np.rot90(gray, 1)  # to landscape; which end is the payee's is decided below
    paper = paper_level(gray)
    ink = _ink_below(gray, paper, INK_CONTRAST)
    faint = _ink_below(gray, paper, OCR_CONTRAST)
    h, w = gray.shape
    band = ink[round(h * 0.05) : round(h * 0.95)]
    share = band.mean(axis=0) / 0.9 if band.size else np.zeros(w)
    lines = _line_positions(share, dpi)
    depth = AREA_DEPTH_IN * dpi
    left = [x for x in lines if x < depth]
    right = [x for x in lines if x >= w - depth]
    if len(left) >= MIN_LINES and len(left) > len(right):
        return [_area(gray, ink, faint, True, dpi, lines)]
    if len(right) >= MIN_LINES and len(right) > len(left):
        return [_area(gray, ink, faint, False, dpi, lines)]
    # No printed layout to go by: look at both ends, the inkier first.
    areas = [_area(gray, ink, faint, True, dpi, lines), _area(gray, ink, faint, False, dpi, lines)]
    return sorted(areas, key=lambda a: -int(a.ink[round(CAPTION_IN * dpi) :].sum()))


# --- reading -----------------------------------------------------------------------------------------------


def _written_ink(area: PayeeArea, dpi: float) -> float:
    """Square inches of ink below the printed caption and above the rule."""
    return float(area.ink[round(CAPTION_IN * dpi) :].sum()) / (dpi * dpi)


def _ocr(image: Image.Image, tessdata: str | None, psm: int) -> tuple[str, float]:
    """Tesseract `eng` on the cleaned area: the text (a line per line) and its mean word confidence (0..1)."""
    config = f"--psm {psm}"
    if tessdata:
        config = f"--tessdata-dir {tessdata} {config}"
    data = recognize.image_data(
        ImageOps.expand(image, border=10, fill=255), lang="eng", config=config, timeout=TESSERACT_TIMEOUT
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs: list[float] = []
    for i, word in enumerate(data["text"]):
        word = word.strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
        conf = float(data["conf"][i])
        if conf >= 0:
            confs.append(conf / 100)
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    return text, (sum(confs) / len(confs) if confs else 0.0)


def _verdict(text: str, ocr_confidence: float, phrases: Sequence[str]) -> tuple[bool, float, float]:
    """Restrictive or not, the confidence in that (0.5..1), how much the text resembles a phrase (0..1)."""
    match = best_phrase(phrases, text)
    if match is None:
        return False, 0.0, 0.0
    if match.found:
        margin = 1.0 - match.errors / (MAX_ERROR_RATE * match.letters + 1)
        return True, round(min(1.0, 0.5 + 0.5 * margin * (0.5 + 0.5 * ocr_confidence)), 3), match.similarity
    # Not restrictive: surer the less the text resembles any phrase.
    return False, round(min(1.0, 0.5 + 0.5 * (1.0 - match.similarity)), 3), match.similarity


def _written_lines(area: PayeeArea, dpi: float) -> int:
    """How many lines of writing the ink shows: bands of inked rows at least 0.05 in high, holding more ink
    than the printed "X" of the first line."""
    per_row = area.ink[round(CAPTION_IN * dpi) :].sum(axis=1)
    inked = np.flatnonzero(per_row > max(2, dpi * 0.01))
    if inked.size == 0:
        return 0
    bands = np.split(inked, np.flatnonzero(np.diff(inked) > dpi * 0.04) + 1)
    least_ink = LINE_SQ_IN * dpi * dpi
    return sum(
        1 for b in bands if b[-1] - b[0] + 1 >= dpi * 0.05 and per_row[b[0] : b[-1] + 1].sum() > least_ink
    )


def _writing(area: PayeeArea, dpi: float) -> Image.Image:
    """The cleaned area below the printed caption, cut to the ink with a small margin (less for OCR to do)."""
    top = round(CAPTION_IN * dpi)
    rows = np.flatnonzero(area.ink[top:].any(axis=1))
    cols = np.flatnonzero(area.ink[top:].any(axis=0))
    if rows.size == 0:
        return area.image
    pad = round(dpi * 0.04)
    box = (
        max(0, int(cols[0]) - pad),
        max(0, top + int(rows[0]) - pad),
        min(area.image.width, int(cols[-1]) + pad + 1),
        min(area.image.height, top + int(rows[-1]) + pad + 1),
    )
    return area.image.crop(box)


def _at_work_scale(back: Image.Image, dpi: int) -> tuple[Image.Image, int]:
    """`back` and its dpi as the area is looked for: a dpi that contradicts the image's size is corrected (a
    check's short side is 2 to 4.5 in), and a back finer than MAX_DPI is brought down to WORK_DPI (more pixels
    than the writing needs cost time in every step)."""
    short_in = min(back.size) / dpi
    if not 2.0 <= short_in <= 4.5:
        dpi = round(min(back.size) / 2.75)
    if dpi > MAX_DPI:
        size = (round(back.width * WORK_DPI / dpi), round(back.height * WORK_DPI / dpi))
        back, dpi = back.convert("RGB").resize(size, Image.Resampling.BOX), WORK_DPI
    return back, dpi


def _pass_image(writing: Image.Image, step: Pass, dpi: int) -> Image.Image:
    """The writing as `step` shows it to Tesseract: binarised if it says so, at its dpi."""
    image = writing
    if step.binarise:
        image = image.point(lambda v: 0 if v < BINARY_LEVEL else 255)
    if step.dpi != dpi:
        size = (round(image.width * step.dpi / dpi), round(image.height * step.dpi / dpi))
        image = image.resize(size, Image.Resampling.BICUBIC)
    return image


def _nothing_like_a_phrase(text: str, similarity: float, written_lines: int) -> bool:
    """Whether a pass that read `text` showed nothing like a phrase (a signature, "Pay to the order of"), with
    enough letters and every written line read: another pass would only cost time."""
    read_lines = sum(1 for line in text.splitlines() if _compact(line)[0])
    return (
        similarity < RETRY_SIMILARITY
        and len(_compact(text)[0]) >= RETRY_BELOW_LETTERS
        and read_lines >= written_lines
    )


def _area_readings(
    area: PayeeArea, dpi: int, phrases: Sequence[str], tessdata: str | None
) -> Iterator[tuple[Endorsement, float] | None]:
    """Each pass's reading of `area` with how much its text resembles a phrase, until one is restrictive or
    shows nothing like a phrase; None (and no more) when Tesseract times out or fails on the image. Raises
    recognize.TesseractMissingError when Tesseract is not installed."""
    writing = _writing(area, dpi)
    written_lines = _written_lines(area, dpi)
    for step in PASSES:
        image = _pass_image(writing, step, dpi)
        try:
            text, ocr_confidence = _ocr(image, tessdata, step.psm)
        except recognize.TesseractMissingError:
            raise
        except RuntimeError:
            yield None
            return
        restrictive, confidence, similarity = _verdict(text, ocr_confidence, phrases)
        yield Endorsement(present=True, restrictive=restrictive, text=text, confidence=confidence), similarity
        if restrictive or _nothing_like_a_phrase(text, similarity, written_lines):
            return


def read_endorsement(
    back: Image.Image,
    dpi: int,
    phrases: Sequence[str],
    *,
    tessdata: str | None = None,
) -> Endorsement:
    """Read the payee's endorsement on `back` (the straightened back of a check at `dpi`, any quarter turn).

    Never raises on a bad image: an empty, blank, tiny or unreadable one gives present False. `phrases` are
    the restrictive endorsements to look for (DEFAULT_PHRASES when empty); `tessdata` overrides Tesseract's
    own directory for `eng`. Raises recognize.TesseractMissingError when Tesseract is not installed; a
    Tesseract that times out or fails gives present True (ink was seen) and restrictive False (for review).
    """
    nothing = Endorsement(present=False, restrictive=False, text="", confidence=1.0)
    phrases = [p for p in phrases if p.strip()] or list(DEFAULT_PHRASES)
    try:
        back.load()
        if min(back.size) < MIN_SHORT_PX or dpi <= 0:
            return nothing
        back, dpi = _at_work_scale(back, dpi)
        areas = find_payee_areas(back, dpi)
    except (OSError, ValueError) as error:
        text = f"unreadable image: {error}"
        return Endorsement(present=False, restrictive=False, text=text, confidence=0.0)
    best: Endorsement | None = None
    best_similarity = -1.0
    for area in areas:
        if _written_ink(area, dpi) < PRESENT_SQ_IN:
            continue
        for reading in _area_readings(area, dpi, phrases, tessdata):
            if reading is None:
                # Tesseract timed out or failed on this image: something is written, nothing was read.
                return best or Endorsement(present=True, restrictive=False, text="", confidence=0.0)
            found, similarity = reading
            if found["restrictive"]:
                return found
            if best is None or similarity > best_similarity:
                best, best_similarity = found, similarity
    return best or nothing


__all__ = [
    "DEFAULT_PHRASES",
    "Endorsement",
    "PhraseMatch",
    "best_phrase",
    "find_payee_areas",
    "find_phrase",
    "read_endorsement",
]
