"""Find the check in a photo, straighten it and scale it by its real size.

`straighten(photo, dpi)` works on a small copy of the photo (`ANALYSIS_WIDTH` pixels wide):

1. Paper masks. The check is paper: brighter than the table and nearly colourless. The colour of the paper is
   sampled in the middle of the frame (where the customer puts the check), and three masks are made by Otsu's
   threshold on (a) brightness, (b) the distance from the paper colour in Lab with brightness weighted down
   (uneven light changes brightness more than colour), (c) brightness minus saturation.
2. For each mask the outer contour of the region under the middle of the frame is simplified to a
   quadrilateral (Douglas-Peucker on its convex hull, then each side refitted as a line through the contour
   points near it and the corners taken where the lines cross). A quadrilateral is kept when its aspect
   ratio is a check's (1.6..3.0) and the region fills it; the best-filled one wins.
3. The corners are ordered (top-left first, the long side first), the check is warped to its real size at
   `dpi` (personal 6 x 2.75 in or business 8.5 x 3.67 in, whichever aspect ratio is nearer, checked by the
   MICR glyphs' height; or the size the caller gives: a back takes its front's) from the full-resolution
   photo.

A scan (the check cropped to its edges: no table around it, a check's aspect ratio) is deskewed by the MICR
locator's projection profile and scaled; a photo where no four corners are found is deskewed whole and
scaled by a guess (the check spanning most of the width), with `found=False`, so the MICR band search still
has an image at about the right resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from openchecks.cvthreads import cv2
from openchecks.micr.locate import estimate_skew

ANALYSIS_WIDTH = 480
PERSONAL_IN = (6.0, 2.75)
BUSINESS_IN = (8.5, 3.67)
SIZES_IN = (PERSONAL_IN, BUSINESS_IN)
# E-13B characters are 0.117" tall: the ruler that tells a personal check from a business one.
MICR_GLYPH_IN = 0.117
# Aspect ratios (long / short side) accepted as a check seen with some perspective.
MIN_ASPECT, MAX_ASPECT = 1.6, 3.0
# A region must cover at least this share of the frame to be the check.
MIN_AREA = 0.06
# The region must fill its quadrilateral at least this well (area ratio) for the corners to be trusted.
MIN_FILL = 0.9
# More than this (the region spills past its quadrilateral) is no check shape either.
MAX_FILL = 1.18
# When no corners are found, the check is guessed to span this share of the photo's width.
FALLBACK_SPAN = 0.9
# The rim of a warped check that takes the paper just inside it (the found edge may include some table).
EDGE_RIM_IN = 0.015
# Smallest image that is analysed at all (smaller gives found=False and a plain rescale).
MIN_SIDE = 16

Point = tuple[float, float]


@dataclass(frozen=True)
class Straightened:
    """The check alone, straightened and scaled by its real size to `dpi`.

    `corners` are in the photo's pixels (top-left, top-right, bottom-right, bottom-left of the check as it
    reads), or None when none were found. `source_dpi` is how many pixels per inch the photo had over the
    check. `scan` tells that the photo was already the check cropped to its edges. The remaining fields are
    the measurements quality tests read: `edge_contact` (share of the check's outline lying on the photo's
    border), `fill` (how well the paper region fills the quadrilateral), `outside_paper` (share of a thin ring
    just outside the check that is paper too: another check under or over it), `keystone` (shortest over
    longest of opposite sides, 1.0 for a square-on photo), `aspect_error` (how far the found aspect ratio is
    from the nearest standard size's, as a share: two overlapping checks make a wrong shape), `solidity`
    (area of the paper region over that of its convex hull: two overlapping checks make a notched shape).
    """

    image: Image.Image
    dpi: int
    size_in: tuple[float, float]
    corners: tuple[Point, Point, Point, Point] | None
    found: bool
    skew_degrees: float
    source_dpi: float
    scan: bool = False
    edge_contact: float = 0.0
    fill: float = 1.0
    outside_paper: float = 0.0
    keystone: float = 1.0
    aspect_error: float = 0.0
    solidity: float = 1.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Quad:
    corners: np.ndarray  # 4x2 float32, analysis pixels, ordered
    fill: float
    edge_contact: float
    mask: np.ndarray
    solidity: float


def _rgb_array(photo: Image.Image) -> np.ndarray:
    if photo.mode != "RGB":
        photo = photo.convert("RGB")
    return np.asarray(photo, dtype=np.uint8)


def _analysis(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, ANALYSIS_WIDTH / w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)), scale
    return rgb, 1.0


def _otsu(channel: np.ndarray) -> np.ndarray:
    _, mask = cv2.threshold(channel, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(mask, dtype=np.uint8)


def _to_u8(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-6:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.asarray((values - lo) * (255.0 / (hi - lo)), dtype=np.uint8)


def _paper_colour(lab: np.ndarray) -> np.ndarray:
    """Lab colour of the paper: the brighter part of the middle of the frame, where the check is."""
    h, w = lab.shape[:2]
    centre = lab[int(0.35 * h) : max(int(0.35 * h) + 1, int(0.65 * h)), int(0.3 * w) : max(1, int(0.7 * w))]
    flat = centre.reshape(-1, 3)
    bright = flat[flat[:, 0] >= np.percentile(flat[:, 0], 40)]
    return np.asarray(np.median(bright, axis=0), dtype=np.float32)


def paper_masks(small: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Candidate masks (uint8 0/255) of the check in an analysis-size RGB image, and a map of every
    paper-like pixel (bright and nearly colourless, whatever its tint: another check counts)."""
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    paper = _paper_colour(lab)
    lum = lab[..., 0]
    dist = np.sqrt(
        0.15 * (lum - paper[0]) ** 2 + (lab[..., 1] - paper[1]) ** 2 + (lab[..., 2] - paper[2]) ** 2
    )
    chroma = np.sqrt((lab[..., 1] - 128) ** 2 + (lab[..., 2] - 128) ** 2)
    lum8 = lum.astype(np.uint8)
    block = max(3, (max(h, w) // 3) | 1)
    masks = [
        _otsu(lum8),
        255 - _otsu(_to_u8(dist)),
        _otsu(_to_u8(lum - 2.0 * chroma)),
        np.asarray(
            cv2.adaptiveThreshold(lum8, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, -8),
            dtype=np.uint8,
        ),
    ]
    paper_chroma = float(np.hypot(paper[1] - 128, paper[2] - 128))
    paperlike = ((lum >= 0.8 * paper[0]) & (chroma <= paper_chroma + 18)).astype(np.uint8) * 255
    kernel = np.ones((3, 3), np.uint8)
    opened = [np.asarray(cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel), dtype=np.uint8) for m in masks]
    # Opened too: a textured table (grain, stone, weave) in bright light has paper-bright specks, which
    # made a second check of a plain table beside the check (outside_paper 0.17 over 0.12); another
    # document is paper in one piece and stays.
    return opened, np.asarray(cv2.morphologyEx(paperlike, cv2.MORPH_OPEN, kernel), dtype=np.uint8)


def _order(pts: np.ndarray) -> np.ndarray:
    """Corners clockwise from the top-left of the check as it reads (its long side first, left to right)."""
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen (y down)
    best = None
    for start in range(4):
        cand = np.roll(pts, -start, axis=0)
        top = cand[1] - cand[0]
        left = cand[3] - cand[0]
        long_first = np.linalg.norm(top) + np.linalg.norm(cand[2] - cand[3]) >= np.linalg.norm(
            left
        ) + np.linalg.norm(cand[2] - cand[1])
        # Prefer the long side first, then the one running most nearly left to right.
        key = (0 if long_first else 1, -float(top[0]) / (np.linalg.norm(top) + 1e-9))
        if best is None or key < best[0]:
            best = (key, cand)
    assert best is not None
    return np.asarray(best[1], dtype=np.float32)


def _intersect(p1: np.ndarray, d1: np.ndarray, p2: np.ndarray, d2: np.ndarray) -> np.ndarray | None:
    det = d1[0] * (-d2[1]) - d1[1] * (-d2[0])
    if abs(det) < 1e-9:
        return None
    diff = p2 - p1
    t = (diff[0] * (-d2[1]) - diff[1] * (-d2[0])) / det
    return np.asarray(p1 + t * d1, dtype=np.float32)


def _refine(quad: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """Refit each side as a line through the contour points near it; the corners where the lines cross."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        length = float(np.linalg.norm(d))
        if length < 4:
            return quad
        d = d / length
        rel = pts - a
        along = rel @ d
        across = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0])
        near = (across < max(2.0, 0.02 * length)) & (along > 0.1 * length) & (along < 0.9 * length)
        if near.sum() < 5:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(pts[near], cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(-1)
        lines.append((np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)))
    out = []
    for i in range(4):
        p = _intersect(*lines[(i - 1) % 4], *lines[i])
        if p is None or np.linalg.norm(p - quad[i]) > 0.1 * np.linalg.norm(quad[1] - quad[0]):
            return quad
        out.append(p)
    return np.asarray(out, dtype=np.float32)


def _aspect(q: np.ndarray) -> float:
    w = (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2
    h = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    return float(w) / max(float(h), 1e-6)


def _quad_from_mask(mask: np.ndarray) -> _Quad | None:
    h, w = mask.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    centre = (w / 2, h / 2)
    big = [c for c in contours if cv2.contourArea(c) >= MIN_AREA * w * h]
    if not big:
        return None
    inside = [c for c in big if cv2.pointPolygonTest(c, centre, False) >= 0]
    contour = max(inside or big, key=cv2.contourArea)
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    approx = None
    for eps in (0.01, 0.02, 0.03, 0.045, 0.06):
        poly = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(poly) == 4:
            approx = poly.reshape(4, 2).astype(np.float32)
            break
        if len(poly) < 4:
            break
    if approx is None:
        return None
    quad = _refine(_order(approx), contour)
    area = cv2.contourArea(quad)
    if area <= 0:
        return None
    fill = float(cv2.contourArea(contour) / area)
    pts = contour.reshape(-1, 2)
    on_edge = (pts[:, 0] <= 1) | (pts[:, 1] <= 1) | (pts[:, 0] >= w - 2) | (pts[:, 1] >= h - 2)
    solidity = float(cv2.contourArea(contour) / max(1.0, cv2.contourArea(hull)))
    return _Quad(quad, fill, float(on_edge.mean()), mask, solidity)


def region_solidity(mask: np.ndarray) -> float | None:
    """Area over convex-hull area of the mask's region under the middle of the frame (None when none)."""
    h, w = mask.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    inside = [c for c in contours if cv2.pointPolygonTest(c, (w / 2, h / 2), False) >= 0]
    if not inside:
        return None
    contour = max(inside, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    if area < MIN_AREA * w * h:
        return None
    return float(area / max(1.0, cv2.contourArea(cv2.convexHull(contour))))


def _outside_paper(quad: np.ndarray, mask: np.ndarray, *more: np.ndarray) -> float:
    """Share of a ring just outside the quadrilateral (inside the frame) that is paper, less the share of
    the rest of the frame that is (a light table looks like paper everywhere, a second check only near);
    with `more` masks (of the same size), the largest of every mask's figure (the ring drawn once)."""
    h, w = mask.shape
    short = min(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[1] - quad[0]))
    inner = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inner, np.round(quad).astype(np.int32), 255)
    near = max(2, round(0.03 * short))
    far = max(near + 3, round(0.15 * short))
    grown_near = cv2.dilate(inner, np.ones((2 * near + 1, 2 * near + 1), np.uint8))
    grown_far = cv2.dilate(inner, np.ones((2 * far + 1, 2 * far + 1), np.uint8))
    ring = (grown_far > 0) & (grown_near == 0)
    rest = grown_far == 0
    if ring.sum() == 0:
        return 0.0
    any_rest = rest.sum() > 0
    figures = []
    for each in (mask, *more):
        elsewhere = float((each[rest] > 0).mean()) if any_rest else 0.0
        figures.append(max(0.0, float((each[ring] > 0).mean()) - elsewhere))
    return max(figures)


def choose_size(aspect: float) -> tuple[float, float]:
    """The standard check size whose aspect ratio (long / short) is nearest `aspect`."""
    return min(SIZES_IN, key=lambda s: abs(s[0] / s[1] - aspect))


def _skew_of(corners: np.ndarray) -> float:
    """Counter-clockwise rotation (degrees) of the check's top and bottom edges in the photo."""
    top = corners[1] - corners[0]
    bottom = corners[2] - corners[3]
    d = top / (np.linalg.norm(top) + 1e-9) + bottom / (np.linalg.norm(bottom) + 1e-9)
    return float(-math.degrees(math.atan2(d[1], d[0])))


def _keystone(q: np.ndarray) -> float:
    sides = [float(np.linalg.norm(q[(i + 1) % 4] - q[i])) for i in range(4)]
    return min(
        min(sides[0], sides[2]) / max(sides[0], sides[2], 1e-6),
        min(sides[1], sides[3]) / max(sides[1], sides[3], 1e-6),
    )


def _looks_scanned(small: np.ndarray) -> bool:
    """No table around the check: the frame's outer strip is as bright and colourless as its middle."""
    h, w = small.shape[:2]
    if not MIN_ASPECT <= max(w, h) / max(1, min(w, h)) <= MAX_ASPECT:
        return False
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    bw = max(1, round(0.03 * min(w, h)))
    strips = [lab[:bw], lab[-bw:], lab[:, :bw], lab[:, -bw:]]
    middle = lab[h // 4 : 3 * h // 4 + 1, w // 4 : 3 * w // 4 + 1].reshape(-1, 3)
    paper = np.percentile(middle[:, 0], 75)
    pa, pb = np.median(middle[:, 1]), np.median(middle[:, 2])
    paper_like = 0
    for strip in strips:
        s = strip.reshape(-1, 3)
        close = (s[:, 0] > paper - 45) & (np.hypot(s[:, 1] - pa, s[:, 2] - pb) < 14)
        paper_like += float(close.mean()) > 0.5
    return paper_like >= 3


def _scale_to(image: Image.Image, size_in: tuple[float, float], dpi: int) -> Image.Image:
    size = (max(1, round(size_in[0] * dpi)), max(1, round(size_in[1] * dpi)))
    return image.resize(size, Image.Resampling.LANCZOS if image.width > size[0] else Image.Resampling.BICUBIC)


def _deskew(rgb: np.ndarray, small: np.ndarray, limit: float = 7.0) -> tuple[Image.Image, float]:
    """The whole image rotated level by the projection profile of its ink (white paper filled in)."""
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    if min(grey.shape) < MIN_SIDE:
        return Image.fromarray(rgb), 0.0
    block = max(15, (min(grey.shape) // 8) | 1)
    ink = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    angle = estimate_skew(Image.fromarray(ink), limit=limit, step=0.5)
    image = Image.fromarray(rgb)
    if abs(angle) > 0.05:
        fill = tuple(int(v) for v in np.percentile(rgb.reshape(-1, 3), 90, axis=0))
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return image, angle


def _warp(
    rgb: np.ndarray, quad: np.ndarray, size_in: tuple[float, float], dpi: int
) -> tuple[np.ndarray, float]:
    """The quadrilateral `quad` of `rgb` warped to `size_in` at `dpi`, and the photo's dpi over it."""
    out_w, out_h = round(size_in[0] * dpi), round(size_in[1] * dpi)
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    width_px = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    source_dpi = float(width_px / size_in[0])
    interp = cv2.INTER_AREA if source_dpi > dpi * 1.2 else cv2.INTER_LINEAR
    warped = np.array(
        cv2.warpPerspective(rgb, matrix, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    )
    # The corners are found to a pixel or two of the analysis image, so the outermost pixels may be table:
    # a dark line along an edge that the MICR reader reads as symbols before the line. They take the
    # paper just inside them.
    rim = max(1, round(EDGE_RIM_IN * dpi))
    if out_w > 4 * rim and out_h > 4 * rim:
        warped[:, :rim] = warped[:, rim : rim + 1]
        warped[:, -rim:] = warped[:, -rim - 1 : -rim]
        warped[:rim] = warped[rim : rim + 1]
        warped[-rim:] = warped[-rim - 1 : -rim]
    return warped, source_dpi


def micr_glyph_ratio(check: np.ndarray, dpi: int) -> float | None:
    """Height of the MICR glyph row in the bottom 5/8" of a straightened check, over the 0.117" E-13B
    glyph height at `dpi` (1.0: the scale is right), or None when no glyph row is seen there."""
    grey = check if check.ndim == 2 else cv2.cvtColor(check, cv2.COLOR_RGB2GRAY)
    band = grey[max(0, grey.shape[0] - round(0.625 * dpi)) :]
    if band.shape[0] < 8 or band.shape[1] < 32:
        return None
    paper, darkest = np.percentile(band, [90, 1])
    # Half-way between paper and the darkest ink: a blurred stroke keeps its height at half its contrast.
    ink = (band < (float(paper) + float(darkest)) / 2).astype(np.uint8)
    # Printed rules (memo, signature lines) are long horizontal runs: removed so only glyphs count.
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(3, round(0.4 * dpi))), np.uint8))
    profile = ((ink > 0) & (np.asarray(rules) == 0)).mean(axis=1)
    if profile.max() < 0.04:
        return None
    rows = profile > 0.3 * profile.max()
    best = run = 0
    for flag in rows:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best / (MICR_GLYPH_IN * dpi)


def _by_micr_height(check: np.ndarray, size_in: tuple[float, float], dpi: int) -> tuple[float, float]:
    """The check size whose scale makes the MICR glyphs 0.117" tall (personal and business checks have
    nearly the same aspect ratio, so perspective alone can confuse them); `size_in` when unsure."""
    ratio = micr_glyph_ratio(check, dpi)
    if ratio is None:
        return size_in
    # Switch only when the glyphs measure what the other size predicts (6 / 8.5 = 0.71 or 8.5 / 6 = 1.42).
    if size_in == PERSONAL_IN and 0.62 <= ratio <= 0.8:
        return BUSINESS_IN
    if size_in == BUSINESS_IN and 1.25 <= ratio <= 1.6:
        return PERSONAL_IN
    return size_in


def straighten(
    photo: Image.Image, dpi: int = 200, size_in: tuple[float, float] | None = None
) -> Straightened:
    """The check in `photo` alone, perspective and rotation corrected, scaled by its real size to `dpi`.

    `size_in` (one of `SIZES_IN`) fixes the check's size instead of guessing it from the outline's aspect
    ratio and the MICR glyphs: the back of a check is the front's size, and a plain back has no MICR line to
    tell a personal check seen at an angle from a business one.

    `photo` is the image as it is seen (EXIF orientation already applied, as
    `openchecks.micr.reader.load_image` does). Never raises for an image of any size or content: when no
    check is found the whole photo is deskewed and scaled by a guess (`found=False`; its `image` is then
    the whole frame, not `size_in` at `dpi`). Raises ValueError only for a `dpi` outside 50..1200.
    """
    if not 50 <= dpi <= 1200:
        raise ValueError(f"dpi must be between 50 and 1200, not {dpi}")
    fixed = (float(size_in[0]), float(size_in[1])) if size_in is not None else None
    if fixed is not None and fixed not in SIZES_IN:
        raise ValueError(f"size_in must be one of {SIZES_IN}, not {size_in}")
    rgb = _rgb_array(photo)
    h, w = rgb.shape[:2]
    small, scale = _analysis(rgb)
    if min(small.shape[:2]) < MIN_SIDE:
        size_in = fixed or choose_size(max(w, h) / max(1, min(w, h)))
        source = max(w, h) / size_in[0]
        return Straightened(
            _scale_to(Image.fromarray(rgb), size_in, dpi), dpi, size_in, None, False, 0.0, source,
            notes=["image too small to analyse"],
        )  # fmt: skip
    if _looks_scanned(small):
        image, angle = _deskew(rgb, small, limit=5.0)
        if h > w:
            image = image.rotate(90, expand=True)
        size_in = fixed or choose_size(max(w, h) / min(w, h))
        # A scan has no perspective: its aspect ratio alone tells the size.
        scaled = _scale_to(image, size_in, dpi)
        corners = ((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h)))
        return Straightened(
            scaled, dpi, size_in, corners, True, -angle, max(w, h) / size_in[0],
            scan=True, edge_contact=1.0,
        )  # fmt: skip
    best: _Quad | None = None
    best_score = math.inf
    masks, paperlike = paper_masks(small)
    for mask in masks:
        quad = _quad_from_mask(mask)
        if quad is None:
            continue
        aspect = _aspect(quad.corners)
        if not MIN_ASPECT <= aspect <= MAX_ASPECT:
            continue
        size = choose_size(aspect)
        score = abs(1 - quad.fill) + 0.5 * abs(aspect * size[1] / size[0] - 1) + 2 * quad.edge_contact
        if score < best_score:
            best, best_score = quad, score
    if best is None or not MIN_FILL - 0.05 <= best.fill <= MAX_FILL:
        image, angle = _deskew(rgb, small)
        size_in = fixed or PERSONAL_IN
        source = FALLBACK_SPAN * w / size_in[0]
        f = dpi / source
        out = image.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.LANCZOS)
        notes = (
            ["no four corners found"] if best is None else [f"paper region fills its outline {best.fill:.2f}"]
        )
        return Straightened(
            out, dpi, size_in, None, False, -angle, source, fill=best.fill if best else 0.0,
            solidity=min((v for v in map(region_solidity, masks) if v is not None), default=1.0),
            notes=notes,
        )  # fmt: skip
    found_quad = best.corners / scale
    aspect = _aspect(found_quad)
    size_in = fixed or choose_size(aspect)
    warped, source_dpi = _warp(rgb, found_quad, size_in, dpi)
    other = size_in if fixed else _by_micr_height(warped, size_in, dpi)
    if other != size_in:
        size_in = other
        warped, source_dpi = _warp(rgb, found_quad, size_in, dpi)
    q = [(float(x), float(y)) for x, y in found_quad]
    corners = (q[0], q[1], q[2], q[3])
    return Straightened(
        image=Image.fromarray(warped),
        dpi=dpi,
        size_in=size_in,
        corners=corners,
        found=True,
        skew_degrees=_skew_of(found_quad),
        source_dpi=source_dpi,
        edge_contact=best.edge_contact,
        fill=best.fill,
        outside_paper=_outside_paper(best.corners, best.mask, paperlike),
        keystone=_keystone(found_quad),
        aspect_error=abs(aspect / (size_in[0] / size_in[1]) - 1),
        solidity=best.solidity,
    )
