"""Find the MICR line anywhere in a check image, level it, and cut it out ready for recognition.

Works on camera photos as well as scans: the lighting is flattened against a blurred background estimate, the
skew is found by a projection profile (the angle at which ink rows are sharpest), and every row of text that
could be a MICR line is returned as a candidate, most likely first. Uses numpy, Pillow and OpenCV.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from openchecks.cvthreads import cv2

# Width at which the page is analysed; the crops themselves come from the full-resolution image.
ANALYSIS_WIDTH = 1000
# Skew searched on the whole page, then refined per band (a hand-held photo is tilted by up to ~5 degrees).
MAX_SKEW = 7.0
# The e13b model was trained on crops whose glyphs are ~22 px high with ~10 px of paper above and below.
GLYPH_HEIGHT = 22
MARGIN_Y = 11
# Wider side margins made e13b misread the first glyphs of a line (measured: 4 px 18/18 lines, 24 px 14/18).
MARGIN_X = 4
# A MICR line holds at most ~65 characters on a 0.125" pitch: ~1750 px at GLYPH_HEIGHT, plus margins.
MAX_LINE_WIDTH = 2000
# A pixel is ink when it is this much darker than the local paper.
INK_RATIO = 0.72
# flatten_lighting's local maximum (PIL's MaxFilter(5)).
_MAX_KERNEL = np.ones((5, 5), dtype=np.uint8)


@dataclass(frozen=True)
class Band:
    """One candidate MICR line: `image` is the levelled 8-bit crop, `row` its place (0 top, 1 bottom)."""

    image: Image.Image
    angle: float
    row: float
    score: float


def flatten_lighting(gray: Image.Image) -> np.ndarray:
    """The image divided by its local paper brightness: ~1.0 on paper, lower on ink (float32)."""
    small = gray.reduce(8) if min(gray.size) >= 64 else gray
    # The local maximum ignores ink strokes; the blur smooths the paper estimate. The maximum is OpenCV's
    # 5x5 dilation: the same pixels as PIL's MaxFilter(5) (which pads by repeating the edge, and a repeated
    # edge pixel is in its own window anyway) at a few per cent of its CPU.
    peak = cv2.dilate(np.asarray(small), _MAX_KERNEL, borderType=cv2.BORDER_REPLICATE)
    paper = Image.fromarray(np.asarray(peak, dtype=np.uint8)).filter(ImageFilter.GaussianBlur(4))
    paper = paper.resize(gray.size, Image.Resampling.BILINEAR)
    arr = np.asarray(gray, dtype=np.float32)
    bg = np.maximum(np.asarray(paper, dtype=np.float32), np.float32(1.0))
    # In place: the same float32 quotient and clip as `np.minimum(arr / bg, 1.0)` without two temporaries.
    np.divide(arr, bg, out=arr)
    np.minimum(arr, np.float32(1.0), out=arr)
    return arr


def _profile_sharpness_rotated(mask: Image.Image, angle: float) -> float:
    """The reference score: `mask` rotated by PIL, its row sums' squared differences summed."""
    rows = np.asarray(mask.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32)
    profile = rows.sum(axis=1)
    return float(np.square(np.diff(profile)).sum())


@dataclass(frozen=True)
class _Ink:
    """The ink pixels of a mask as coordinates about its centre (float32), with their values as weights
    (None when every ink pixel has the same value: the scores then differ by a constant factor only)."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray | None
    width: int
    height: int

    @classmethod
    def of(cls, mask: Image.Image) -> _Ink:
        arr = np.asarray(mask)
        flat = arr.ravel()
        index = np.flatnonzero(flat)
        values = flat[index]
        ys, xs = np.divmod(index, arr.shape[1])
        uniform = values.size == 0 or bool((values == values[0]).all())
        return cls(
            x=xs.astype(np.float32) + np.float32(0.5 - mask.width / 2),
            y=ys.astype(np.float32) + np.float32(0.5 - mask.height / 2),
            weight=None if uniform else values.astype(np.float64),
            width=mask.width,
            height=mask.height,
        )

    def sharpness(self, angle: float) -> float:
        """`_profile_sharpness_rotated` without rotating the image: each ink pixel is carried to the row it
        lands on when the mask is turned `angle` degrees counter-clockwise about its centre (PIL's
        `rotate`, frame kept, pixels turned out of it dropped) and the rows are summed by a bincount."""
        if self.x.size == 0:
            return 0.0
        a = np.deg2rad(angle)
        sin, cos = np.float32(np.sin(a)), np.float32(np.cos(a))
        half_w, half_h = np.float32(self.width / 2), np.float32(self.height / 2)
        yo = self.y * cos
        yo -= self.x * sin
        yo += half_h
        np.floor(yo, out=yo)
        xo = self.x * cos
        xo += self.y * sin
        xo += half_w
        keep = (yo >= 0) & (yo < self.height) & (xo >= 0) & (xo < self.width)
        weight = None if self.weight is None else self.weight[keep]
        profile = np.bincount(yo[keep].astype(np.intp), weights=weight, minlength=self.height)
        step = np.diff(profile.astype(np.float64))
        return float(np.dot(step, step))


def _profile_sharpness(mask: Image.Image, angle: float) -> float:
    return _Ink.of(mask).sharpness(angle)


def estimate_skew(
    mask: Image.Image, limit: float = MAX_SKEW, step: float = 0.5, refine: bool = True
) -> float:
    """The rotation (degrees, counter-clockwise) that makes the ink rows of `mask` horizontal.

    Each angle is scored from the mask's ink pixels alone (`_Ink.sharpness`): the same projection profile
    as rotating the mask, at a few per cent of the CPU (no image is rotated)."""
    coarse_ink = _Ink.of(mask.reduce(2) if refine and mask.width >= 400 else mask)
    coarse = np.arange(-limit, limit + 1e-6, step)
    best = float(max(coarse, key=lambda a: coarse_ink.sharpness(float(a))))
    if not refine:
        return best
    ink = _Ink.of(mask)
    fine = np.arange(best - step, best + step + 1e-6, step / 5)
    return float(max(fine, key=lambda a: ink.sharpness(float(a))))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) ranges where `flags` is true."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass(frozen=True)
class _Row:
    top: int
    bottom: int
    left: int
    right: int
    blobs: int
    score: float


def _long_runs(ink: np.ndarray, length: int, axis: int) -> np.ndarray:
    """The pixels of `ink` that belong to a straight run of at least `length` pixels along `axis`: the
    morphological opening by a line of `length` pixels (every full window of ink, united), outside the
    image counted as paper."""
    n = ink.shape[axis]
    if length < 2 or n < length:
        return np.zeros_like(ink)
    kernel = np.ones((length, 1) if axis == 0 else (1, length), dtype=np.uint8)
    # The erosion marks where a window starts (anchor first), the dilation covers it (anchor last).
    first, last = (0, 0), ((0, length - 1) if axis == 0 else (length - 1, 0))
    paper = cv2.BORDER_CONSTANT
    starts = cv2.erode(ink.astype(np.uint8), kernel, anchor=first, borderType=paper, borderValue=0)
    covered = cv2.dilate(starts, kernel, anchor=last, borderType=paper, borderValue=0)
    return np.asarray(covered, dtype=bool)


def remove_rules(ink: np.ndarray) -> np.ndarray:
    """`ink` without long straight lines (borders, signature and payee rules), which would join text rows."""
    width = ink.shape[1]
    rules = _long_runs(ink, max(8, int(0.06 * width)), 0) | _long_runs(ink, max(16, int(0.12 * width)), 1)
    return ink & ~rules


def _span_rows(band: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """For each column span [a, b) of `band` (increasing, apart), how many of its rows hold ink there: the
    `band[:, a:b].any(axis=1).sum()` of each span, in one reduction over the band."""
    padded = np.zeros((band.shape[0], band.shape[1] + 1), dtype=bool)
    padded[:, : band.shape[1]] = band
    edges = np.asarray([x for span in spans for x in span], dtype=np.intp)
    # reduceat over [a0, b0), [b0, a1), [a1, b1), ...: the even ones are the spans.
    inked = np.logical_or.reduceat(padded, edges, axis=1)[:, ::2]
    return np.asarray(inked.sum(axis=0))


def _text_rows(ink: np.ndarray) -> list[_Row]:
    """Rows of glyph-like ink in a levelled mask, with a MICR-likeness score."""
    height, width = ink.shape
    profile = ink.sum(axis=1)
    rows: list[_Row] = []
    spans = _runs(profile > max(2.0, 0.004 * width))
    # A line touching other ink (a photo's background, a signature) separates at a higher threshold.
    for level in (0.015, 0.04, 0.08):
        spans += _runs(profile > level * width)
    for top, bottom in list(spans):
        peak = profile[top:bottom].max()
        spans += [(top + a, top + b) for a, b in _runs(profile[top:bottom] > 0.25 * peak)]
    for top, bottom in sorted(set(spans)):
        h = bottom - top
        if not 0.005 * width <= h <= 0.05 * width:
            continue
        band = ink[top:bottom]
        cols = np.asarray(band.any(axis=0))
        # Glyphs of one line are at most a few glyph widths apart; cut the row where the gap is wider.
        groups: list[list[tuple[int, int]]] = []
        for span in _runs(cols):
            if groups and span[0] - groups[-1][-1][1] <= 4 * h:
                groups[-1].append(span)
            else:
                groups.append([span])
        for group in groups:
            left, right = group[0][0], group[-1][1]
            if len(group) < 6 or right - left < 0.2 * width:
                continue
            # MICR glyphs are bold and as tall as the row; printed words are thinner and ragged.
            tall = int((_span_rows(band, group) >= 0.7 * h).sum())
            # E-13B glyphs stand apart, each narrower than it is tall; printed words run together.
            narrow = sum(1 for a, b in group if 0.2 * h < b - a < 0.95 * h)
            score = (tall + narrow) / len(group) + 0.5 * bottom / height
            rows.append(_Row(top, bottom, left, right, len(group), score))
    return rows


def _overlap(a: _Row, b: _Row) -> bool:
    dy = min(a.bottom, b.bottom) - max(a.top, b.top)
    dx = min(a.right, b.right) - max(a.left, b.left)
    return dy > 0.5 * min(a.bottom - a.top, b.bottom - b.top) and dx > 0.5 * min(
        a.right - a.left, b.right - b.left
    )


class _Levelled:
    """The lighting-flattened page rotated level (`rotate(angle)`, BILINEAR, white fill), computed only
    where a band is cut from it: `crop(box)` is that rotated page's crop, the same pixels as rotating the
    whole page and cropping it (PIL's own affine matrix, moved to the box)."""

    def __init__(self, flat: Image.Image, angle: float) -> None:
        self.flat, self.angle = flat, angle
        self.width, self.height = flat.size

    def crop(self, box: tuple[int, int, int, int]) -> Image.Image:
        left, top, right, bottom = box
        if self.angle % 360.0 == 0:
            return self.flat.crop(box)
        # Image.rotate's matrix (expand=False, about the centre), then shifted by the box's corner.
        a = -math.radians(self.angle)
        cos, sin = round(math.cos(a), 15), round(math.sin(a), 15)
        cx, cy = self.width / 2, self.height / 2
        c = cos * -cx + sin * -cy + cx
        f = -sin * -cx + cos * -cy + cy
        matrix = (cos, sin, c + cos * left + sin * top, -sin, cos, f - sin * left + cos * top)
        return self.flat.transform(
            (right - left, bottom - top),
            Image.Transform.AFFINE,
            matrix,
            Image.Resampling.BILINEAR,
            fillcolor=255,
        )


def iter_micr_bands(image: Image.Image, max_bands: int = 5) -> Iterator[Band]:
    """`find_micr_bands` one band at a time: a band is cut from the full-resolution page only when it is
    asked for (the reader rarely needs more than the first)."""
    gray = ImageOps.grayscale(image) if image.mode != "L" else image
    scale = min(1.0, ANALYSIS_WIDTH / gray.width)
    small = (
        gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))))
        if scale < 1
        else gray
    )
    mask = Image.fromarray(((flatten_lighting(small) < INK_RATIO) * 255).astype(np.uint8))
    angle = estimate_skew(mask)
    # Rules are removed once level, where they are straight rows and columns of pixels.
    levelled = remove_rules(
        np.asarray(mask.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)) > 0
    )
    rows: list[_Row] = []
    for row in sorted(_text_rows(levelled), key=lambda r: r.score, reverse=True):
        # The same line found at two thresholds is one candidate.
        if not any(_overlap(row, kept) for kept in rows):
            rows.append(row)
    rows = rows[:max_bands]
    if not rows:
        return

    full = _Levelled(Image.fromarray((flatten_lighting(gray) * 255).astype(np.uint8)), angle)
    for row in rows:
        crop = _cut(full, row, scale)
        if crop is not None:
            yield Band(image=crop, angle=angle, row=row.bottom / levelled.shape[0], score=row.score)


def find_micr_bands(image: Image.Image, max_bands: int = 5) -> list[Band]:
    """Candidate MICR line crops from a check image, most likely first (at most `max_bands`)."""
    return list(iter_micr_bands(image, max_bands))


def _cut(full: _Levelled, row: _Row, scale: float) -> Image.Image | None:
    """The band `row` (analysis coordinates) cut from the full-resolution levelled page and scaled for OCR."""
    h = (row.bottom - row.top) / scale
    top = max(0, int(row.top / scale - h))
    bottom = min(full.height, int(row.bottom / scale + h))
    left = max(0, int(row.left / scale - h))
    right = min(full.width, int(row.right / scale + h))
    region = full.crop((left, top, right, bottom))
    # Re-level locally: a photo's perspective tilts the bottom edge differently from the page as a whole.
    ink = Image.fromarray(((np.asarray(region) < INK_RATIO * 255) * 255).astype(np.uint8))
    local = estimate_skew(ink, limit=1.5, step=0.25, refine=False)
    if abs(local) > 0.05:
        region = region.rotate(local, resample=Image.Resampling.BILINEAR, fillcolor=255)
        ink = ink.rotate(local, resample=Image.Resampling.NEAREST, fillcolor=0)
    arr = remove_rules(np.asarray(ink) > 0)
    profile = arr.sum(axis=1)
    runs = _runs(profile > max(2.0, 0.15 * profile.max()))
    if not runs:
        return None
    # The glyph row is the run whose height best matches the row found on the page, nearest the middle.
    middle = region.height / 2
    y0, y1 = min(runs, key=lambda r: abs((r[1] - r[0]) - h) + 0.5 * abs((r[0] + r[1]) / 2 - middle))
    if not 0.5 * h <= y1 - y0 <= 2.5 * h:
        return None
    cols = np.flatnonzero(arr[y0:y1].any(axis=0))
    if cols.size == 0:
        return None
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    factor = GLYPH_HEIGHT / max(1, y1 - y0)
    my, mx = MARGIN_Y / factor, MARGIN_X / factor
    box = (
        max(0, round(x0 - mx)),
        max(0, round(y0 - my)),
        min(region.width, round(x1 + mx)),
        min(region.height, round(y1 + my)),
    )
    crop = region.crop(box)
    size = (max(1, round(crop.width * factor)), max(1, round(crop.height * factor)))
    if size[0] > MAX_LINE_WIDTH:
        return None
    return crop.resize(size, Image.Resampling.LANCZOS)
