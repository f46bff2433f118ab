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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pytesseract
from PIL import Image, ImageOps

from openchecks.micr.recognize import OCR_NICE

DEFAULT_PHRASES: tuple[str, ...] = (
    "For mobile deposit only",
    "For remote deposit only",
    "For electronic deposit only",
)

# Edits allowed per letter of a phrase (lookalikes are free), and never fewer than this many letters matched.
MAX_ERROR_RATE = 0.15
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
# Square inches of ink in the writing area (printed lines removed) that make an endorsement present.
PRESENT_SQ_IN = 0.012
# Smallest back worth looking at, in pixels on its short side.
MIN_SHORT_PX = 60
TESSERACT_TIMEOUT = 10.0


class Endorsement(TypedDict):
    """What the back says: `present` (anything written or signed in the payee's area), `restrictive` (one of
    the configured phrases found), `text` (what OCR read there), `confidence` (0..1, in the `restrictive`
    verdict)."""

    present: bool
    restrictive: bool
    text: str
    confidence: float


# Characters OCR confuses, mapped to one representative (digits to the letter they mimic).
_LOOKALIKE = str.maketrans(
    {"0": "o", "q": "o", "6": "b", "8": "b", "1": "l", "i": "l", "!": "l", "|": "l", "5": "s", "2": "z"}
    | {"9": "g"}
)
_DIGIT_LOOKALIKE = str.maketrans({"o": "0", "l": "1", "i": "1", "s": "5", "b": "8", "z": "2", "g": "9"})
_LETTERS_OR_DIGITS = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class PhraseMatch:
    """Where `phrase` best matched a text: `errors` edits over its `letters` letters, at `start:end`."""

    phrase: str
    errors: int
    letters: int
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
            and self.errors <= allowed_errors(self.letters)
        )


def allowed_errors(letters: int) -> int:
    return int(letters * MAX_ERROR_RATE)


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` lowercased, only its letters and digits kept, and where each kept character came from."""
    kept: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text.lower()):
        if _LETTERS_OR_DIGITS.fullmatch(ch):
            kept.append(ch)
            where.append(i)
    return "".join(kept), where


def _as_digits(text: str) -> str:
    return text.translate(_DIGIT_LOOKALIKE)


def find_phrase(phrase: str, text: str) -> PhraseMatch:
    """Where `phrase` best matches a substring of `text` (approximate matching, lookalikes free; spaces, case
    and punctuation ignored). `found` on the result says whether it is close enough to count."""
    want, _ = _compact(phrase)
    have, where = _compact(text)
    p = want.translate(_LOOKALIKE)
    t = have.translate(_LOOKALIKE)
    m, n = len(p), len(t)
    if m == 0 or n == 0:
        return PhraseMatch(phrase, m, m, 0, 0, digits_ok=not any(c.isdigit() for c in want))
    # Sellers' algorithm: edit distance of p against any substring of t; start[j] tracks where it begins.
    prev = np.zeros(n + 1, dtype=np.int32)
    prev_start = np.arange(n + 1, dtype=np.int32)
    tarr = np.frombuffer(t.encode(), dtype=np.uint8)
    for i in range(1, m + 1):
        cur = np.empty(n + 1, dtype=np.int32)
        cur_start = np.empty(n + 1, dtype=np.int32)
        cur[0] = i
        cur_start[0] = 0
        cost = (tarr != ord(p[i - 1])).astype(np.int32)
        diag = prev[:-1] + cost
        up = prev[1:] + 1
        # Substitution/match or deletion from the text first; insertions need a left-to-right pass.
        best = np.minimum(diag, up)
        best_start = np.where(diag <= up, prev_start[:-1], prev_start[1:])
        for j in range(1, n + 1):
            value, origin = best[j - 1], best_start[j - 1]
            if cur[j - 1] + 1 < value:
                value, origin = cur[j - 1] + 1, cur_start[j - 1]
            cur[j] = value
            cur_start[j] = origin
        prev, prev_start = cur, cur_start
    end = int(np.argmin(prev[1:])) + 1
    errors = int(prev[end])
    start = int(prev_start[end])
    digits_ok = True
    for run in re.findall(r"\d+", want):
        # An account number in a phrase must be read exactly (lookalike letters count as their digits).
        digits_ok = digits_ok and run in _as_digits(have[max(0, start - 2) : end + 2])
    span_start = where[start] if start < len(where) else len(text)
    span_end = where[end - 1] + 1 if end >= 1 else 0
    return PhraseMatch(phrase, errors, m, span_start, span_end, digits_ok)


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


def ink_mask(gray: np.ndarray, block: int = 32) -> np.ndarray:
    """Pixels clearly darker than the paper around them (the paper level: a bright percentile per block)."""
    h, w = gray.shape
    bh, bw = max(1, h // block), max(1, w // block)
    trimmed = gray[: bh * block, : bw * block] if h >= block and w >= block else gray
    if h >= block and w >= block:
        blocks = trimmed.reshape(bh, block, bw, block).transpose(0, 2, 1, 3).reshape(bh, bw, -1)
        paper_blocks = np.percentile(blocks, 90, axis=2)
        rows = np.minimum(np.arange(h) // block, bh - 1)
        cols = np.minimum(np.arange(w) // block, bw - 1)
        paper = paper_blocks[rows][:, cols]
    else:
        paper = np.full(gray.shape, float(np.percentile(gray, 90)))
    # Paper darker than mid-grey is no paper (a dark photo, a table): nothing there is ink.
    return (gray < paper - INK_CONTRAST) & (paper > 110)


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


def _area(gray: np.ndarray, ink: np.ndarray, at_left: bool, dpi: float, lines: list[int]) -> PayeeArea:
    depth = min(gray.shape[1], round(AREA_DEPTH_IN * dpi))
    if at_left:
        g, k = gray[:, :depth], ink[:, :depth]
        rule_candidates = [x for x in lines if x < depth]
        g, k = np.rot90(g, -1), np.rot90(k, -1)  # left edge to the top
    else:
        g, k = gray[:, -depth:], ink[:, -depth:]
        rule_candidates = [gray.shape[1] - 1 - x for x in lines if x >= gray.shape[1] - depth]
        g, k = np.rot90(g, 1), np.rot90(k, 1)  # right edge to the top
    # The rule is the printed line farthest from the edge; without one, where the standard puts it.
    rule = max(rule_candidates) if len(rule_candidates) >= MIN_LINES else round(DEFAULT_RULE_IN * dpi)
    rule = min(rule, g.shape[0])
    g, k = g[:rule], k[:rule].copy()
    k[max(0, rule - round(dpi * 0.03)) :] = False
    k &= ~_long_runs(k, round(dpi * 0.35))
    clean = np.where(k, np.clip(g, 0, 255), 255).astype(np.uint8)
    return PayeeArea(k, Image.fromarray(clean), len(rule_candidates), rule, len(rule_candidates) >= MIN_LINES)


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
    ink = ink_mask(gray)
    h, w = gray.shape
    band = ink[round(h * 0.05) : round(h * 0.95)]
    share = band.mean(axis=0) / 0.9 if band.size else np.zeros(w)
    lines = _line_positions(share, dpi)
    depth = AREA_DEPTH_IN * dpi
    left = [x for x in lines if x < depth]
    right = [x for x in lines if x >= w - depth]
    if len(left) >= MIN_LINES and len(left) > len(right):
        return [_area(gray, ink, True, dpi, lines)]
    if len(right) >= MIN_LINES and len(right) > len(left):
        return [_area(gray, ink, False, dpi, lines)]
    # No printed layout to go by: look at both ends, the inkier first.
    areas = [_area(gray, ink, True, dpi, lines), _area(gray, ink, False, dpi, lines)]
    return sorted(areas, key=lambda a: -int(a.ink[round(CAPTION_IN * dpi) :].sum()))


# --- reading -----------------------------------------------------------------------------------------------


def _written_ink(area: PayeeArea, dpi: float) -> float:
    """Square inches of ink below the printed caption and above the rule."""
    return float(area.ink[round(CAPTION_IN * dpi) :].sum()) / (dpi * dpi)


def _ocr(image: Image.Image, tessdata: str | None) -> tuple[str, float]:
    """Tesseract `eng` on the cleaned area: the text (a line per line) and its mean word confidence (0..1)."""
    config = "--psm 4"
    if tessdata:
        config = f"--tessdata-dir {tessdata} {config}"
    data = pytesseract.image_to_data(
        ImageOps.expand(image, border=10, fill=255),
        lang="eng",
        config=config,
        nice=OCR_NICE,
        timeout=TESSERACT_TIMEOUT,
        output_type=pytesseract.Output.DICT,
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


def _verdict(text: str, ocr_confidence: float, phrases: Sequence[str]) -> tuple[bool, float]:
    match = best_phrase(phrases, text)
    if match is None:
        return False, 0.0
    if match.found:
        margin = 1.0 - match.errors / max(1, allowed_errors(match.letters) + 1)
        return True, round(min(1.0, 0.5 + 0.5 * margin * (0.5 + 0.5 * ocr_confidence)), 3)
    # Not restrictive: surer the less the text resembles any phrase.
    return False, round(min(1.0, 0.5 + 0.5 * (1.0 - match.similarity)), 3)


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
    own directory for `eng`. Raises pytesseract.TesseractNotFoundError when Tesseract is not installed.
    """
    nothing = Endorsement(present=False, restrictive=False, text="", confidence=1.0)
    phrases = [p for p in phrases if p.strip()] or list(DEFAULT_PHRASES)
    try:
        back.load()
        if min(back.size) < MIN_SHORT_PX or dpi <= 0:
            return nothing
        # The area is found at the image's real scale; a dpi that contradicts the size is corrected.
        short_in = min(back.size) / dpi
        if not 2.0 <= short_in <= 4.5:
            dpi = round(min(back.size) / 2.75)
        areas = find_payee_areas(back, dpi)
    except (OSError, ValueError) as error:
        text = f"unreadable image: {error}"
        return Endorsement(present=False, restrictive=False, text=text, confidence=0.0)
    best: Endorsement | None = None
    for area in areas:
        if _written_ink(area, dpi) < PRESENT_SQ_IN:
            continue
        text, ocr_confidence = _ocr(area.image, tessdata)
        restrictive, confidence = _verdict(text, ocr_confidence, phrases)
        found = Endorsement(present=True, restrictive=restrictive, text=text, confidence=confidence)
        if restrictive:
            return found
        best = best or found
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
