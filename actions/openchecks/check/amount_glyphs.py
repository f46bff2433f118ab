"""Handwritten figures: split a courtesy amount crop into glyphs and classify each with a small model.

The model is a one-hidden-layer network in plain numpy (`models/glyphs.npz`, trained by
`python -m openchecks.check.amount_train` on amounts drawn in the *tuning* handwriting and printed fonts of
`openchecks.micr.synth`; the held-out fonts never reach it). Glyphs are found as connected ink components
after the box's rules are removed; components that overlap in x are one glyph (a "5" with a loose bar).
Small components are punctuation, told apart by shape and place: a dot or comma sits on the baseline, a
dash is wide and flat; the rest goes to the model, which knows the ten digits, "$" and "*".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from openchecks.micr.recognize import otsu_threshold

MODEL_PATH = Path(__file__).resolve().parent / "models" / "glyphs.npz"
CLASSES = "0123456789$*"
SIDE = 16
# Ink must differ from paper by this much (grey levels) for a crop to hold anything.
MIN_CONTRAST = 60


@dataclass(frozen=True)
class Glyph:
    """One glyph: its box (x0, y0, x1, y1, exclusive ends) in the crop and its ink mask."""

    x0: int
    y0: int
    x1: int
    y1: int
    mask: np.ndarray

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Ink (True) where `gray` (uint8) is darker than Otsu's threshold; all False on a blank crop."""
    if gray.size == 0 or int(gray.max()) - int(gray.min()) < MIN_CONTRAST:
        return np.zeros(gray.shape, dtype=bool)
    return gray <= otsu_threshold(gray)


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of `mask` that lie on a horizontal run of at least `length` pixels."""
    out = np.zeros_like(mask)
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    for row in np.nonzero((diff != 0).any(axis=1))[0]:
        starts = np.nonzero(diff[row] == 1)[0]
        ends = np.nonzero(diff[row] == -1)[0]
        for s, e in zip(starts, ends, strict=True):
            if e - s >= length:
                out[row, s:e] = True
    return out


def remove_rules(mask: np.ndarray, dpi: float) -> np.ndarray:
    """`mask` without the box edges and lines: horizontal runs over 0.4" and vertical runs over 0.25"."""
    horizontal = _long_runs(mask, max(8, round(0.4 * dpi)))
    vertical = _long_runs(mask.T, max(8, round(0.25 * dpi))).T
    rules = horizontal | vertical
    # A rule is a little thicker than one row of long runs (anti-aliased edges): widen it by a pixel.
    grown = rules.copy()
    grown[1:] |= rules[:-1]
    grown[:-1] |= rules[1:]
    grown[:, 1:] |= rules[:, :-1]
    grown[:, :-1] |= rules[:, 1:]
    return mask & ~(grown & ~_keep_crossing(mask, rules))


def _keep_crossing(mask: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """Ink pixels on a rule that a stroke crosses (ink just above and below), which must stay."""
    above = np.zeros_like(mask)
    below = np.zeros_like(mask)
    above[2:] = mask[:-2] & ~rules[:-2]
    below[:-2] = mask[2:] & ~rules[2:]
    return above & below


def components(mask: np.ndarray) -> list[tuple[int, int, int, int, list[tuple[int, int, int]]]]:
    """8-connected components of `mask` as (x0, y0, x1, y1, runs), runs being (row, start, end)."""
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    runs: list[tuple[int, int, int]] = []
    prev: list[int] = []
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    for row in range(mask.shape[0]):
        starts = np.nonzero(diff[row] == 1)[0]
        ends = np.nonzero(diff[row] == -1)[0]
        cur: list[int] = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            idx = len(runs)
            runs.append((row, s, e))
            parent.append(idx)
            for j in prev:
                _, ps, pe = runs[j]
                if ps <= e and pe >= s:  # touching, diagonals included
                    ri, rj = find(idx), find(j)
                    if ri != rj:
                        parent[ri] = rj
            cur.append(idx)
        prev = cur
    groups: dict[int, list[tuple[int, int, int]]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(find(i), []).append(run)
    out = []
    for group in groups.values():
        ys = [r for r, _, _ in group]
        out.append((min(s for _, s, _ in group), min(ys), max(e for _, _, e in group), max(ys) + 1, group))
    return out


def segment(mask: np.ndarray, min_area: int = 6) -> list[Glyph]:
    """The glyphs of a one-line crop, left to right; components overlapping in x are merged."""
    comps = [c for c in components(mask) if sum(e - s for _, s, e in c[4]) >= min_area]
    comps.sort(key=lambda c: c[0])
    merged: list[list[tuple[int, int, int, int, list[tuple[int, int, int]]]]] = []
    for comp in comps:
        if merged:
            last = merged[-1]
            lx0, lx1 = min(c[0] for c in last), max(c[2] for c in last)
            ly0, ly1 = min(c[1] for c in last), max(c[3] for c in last)
            overlap = min(lx1, comp[2]) - max(lx0, comp[0])
            # A small mark low down beside a glyph is a dot or comma, not a loose stroke of that glyph.
            (sy0, sy1), (by0, by1) = sorted(((ly0, ly1), (comp[1], comp[3])), key=lambda r: r[1] - r[0])
            dot = sy1 - sy0 < 0.4 * (by1 - by0) and sy0 > by0 + 0.6 * (by1 - by0)
            if overlap > 0.5 * min(lx1 - lx0, comp[2] - comp[0]) and not dot:
                last.append(comp)
                continue
        merged.append([comp])
    glyphs = []
    for group in merged:
        x0, y0 = min(c[0] for c in group), min(c[1] for c in group)
        x1, y1 = max(c[2] for c in group), max(c[3] for c in group)
        sub = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        for comp in group:
            for row, s, e in comp[4]:
                sub[row - y0, s - x0 : e - x0] = True
        glyphs.append(Glyph(x0, y0, x1, y1, sub))
    return glyphs


def features(glyph: Glyph, line_height: float) -> np.ndarray:
    """The model's input: the glyph fitted into SIDE x SIDE (aspect kept), its aspect and relative height."""
    h, w = glyph.mask.shape
    scale = SIDE / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    ys = (np.arange(nh) * h / nh).astype(int)
    xs = (np.arange(nw) * w / nw).astype(int)
    # Area sampling: the share of ink in each cell, so thin strokes survive the shrinking.
    cells = np.add.reduceat(np.add.reduceat(glyph.mask.astype(np.float32), ys, axis=0), xs, axis=1)
    counts = np.add.reduceat(np.add.reduceat(np.ones((h, w), np.float32), ys, axis=0), xs, axis=1)
    small = cells / counts
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    oy, ox = (SIDE - nh) // 2, (SIDE - nw) // 2
    canvas[oy : oy + nh, ox : ox + nw] = small
    extra = np.array([w / h, h / max(line_height, 1.0)], dtype=np.float32)
    return np.concatenate([canvas.ravel(), extra])


@dataclass(frozen=True)
class Model:
    """A trained glyph classifier: input normalisation and the two layers."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        hidden = np.maximum(0.0, ((x - self.mean) / self.scale) @ self.w1 + self.b1)
        logits = hidden @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {k: getattr(self, k).astype(np.float16) for k in ("mean", "scale", "w1", "b1", "w2", "b2")}
        np.savez_compressed(path, classes=np.array(list(CLASSES)), **arrays)


class ModelMissingError(RuntimeError):
    """The glyph model file is missing (run `python -m openchecks.check.amount_train`)."""


@cache
def load_model(path: Path = MODEL_PATH) -> Model:
    if not path.is_file():
        raise ModelMissingError(f"{path} is missing: run `python -m openchecks.check.amount_train`")
    with np.load(path) as data:
        if "".join(data["classes"].tolist()) != CLASSES:
            raise ModelMissingError(f"{path} was trained for other classes: retrain it")
        return Model(**{k: data[k].astype(np.float32) for k in ("mean", "scale", "w1", "b1", "w2", "b2")})


@dataclass(frozen=True)
class GlyphRead:
    """What the classifier read: the text (digits, "$", "." for a dot or comma, "-"), one score per char,
    and the most likely readings (text, product of the glyph probabilities), best first, the text included."""

    text: str
    scores: tuple[float, ...]
    alternatives: tuple[tuple[str, float], ...] = ()


def beam(columns: list[list[tuple[str, float]]], width: int = 16) -> list[tuple[str, float]]:
    """The `width` most probable strings choosing one (char, probability) from each column."""
    paths: list[tuple[str, float]] = [("", 1.0)]
    for column in columns:
        paths = sorted(((text + ch, p * q) for text, p in paths for ch, q in column), key=lambda t: -t[1])[
            :width
        ]
    return paths


def line_height_of(glyphs: list[Glyph]) -> float:
    """The height of the figures: the median of the taller half of the glyphs."""
    heights = sorted(g.height for g in glyphs)
    return float(np.median(heights[len(heights) // 2 :])) if heights else 0.0


def read_glyphs(mask: np.ndarray, model: Model | None = None) -> GlyphRead:
    """Classify the glyphs of a courtesy amount mask (ink True, rules removed)."""
    glyphs = segment(mask)
    if not glyphs:
        return GlyphRead("", ())
    height = line_height_of(glyphs)
    baseline = float(np.median([g.y1 for g in glyphs if g.height >= 0.6 * height]))
    text: list[str] = []
    scores: list[float] = []
    tall: list[int] = []
    for g in glyphs:
        if g.height >= 0.5 * height:
            tall.append(len(text))
            text.append("?")
            scores.append(0.0)
        elif 1.6 * g.height <= g.width <= 1.2 * height:
            text.append("-")
            scores.append(1.0)
        elif g.y1 >= baseline - 0.25 * height and g.height <= 0.4 * height and g.width <= 0.5 * height:
            text.append(".")
            scores.append(1.0)
        else:
            # Above the baseline and small: an asterisk, a stray mark, raised cents' underline. Ignored.
            continue
    columns: list[list[tuple[str, float]]] = [[(ch, 1.0)] for ch in text]
    if tall:
        m = model or load_model()
        probs = m.probabilities(np.stack([features(g, height) for g in glyphs if g.height >= 0.5 * height]))
        for pos, row in zip(tall, probs, strict=True):
            k = int(np.argmax(row))
            text[pos] = CLASSES[k]
            scores[pos] = float(row[k])
            top = np.argsort(row)[::-1][:3]
            columns[pos] = [(CLASSES[int(j)], float(row[j])) for j in top if row[j] >= 0.01]
    # Marks before the "$" (the end of the payee line) are not the amount; nor are short strokes at the
    # ends (a line's tail, a box's edge).
    keep = [g.height >= 0.65 * height for g in glyphs if _is_char(g, height, baseline)]
    lo = 0
    while lo < len(text) and text[lo] != "$" and not keep[lo]:
        lo += 1
    dollar = "".join(text).find("$", lo, lo + 3)
    if dollar >= 0:
        lo = dollar + 1
    hi = len(text)
    while hi > lo and text[hi - 1] not in "-." and not keep[hi - 1]:
        hi -= 1
    text, scores, columns = text[lo:hi], scores[lo:hi], columns[lo:hi]
    return GlyphRead("".join(text), tuple(scores), tuple(beam(columns)))


def _is_char(g: Glyph, height: float, baseline: float) -> bool:
    """Whether `read_glyphs` turns `g` into a character (and does not ignore it)."""
    if g.height >= 0.5 * height or 1.6 * g.height <= g.width <= 1.2 * height:
        return True
    return g.y1 >= baseline - 0.25 * height and g.height <= 0.4 * height and g.width <= 0.5 * height
