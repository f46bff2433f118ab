"""Image quality tests for one side of a check, named as X9.100-187 record type 54 names them, plus focus.

`assess(photo, straightened, thresholds)` runs every test on a photo and its `geometry.straighten` result and
records `pass`, `fail` or `not_tested` for each; a failed test adds one sentence telling the customer what to
do. Thresholds come from the configuration document's `quality` object (`QualityThresholds.from_config`).

The metrics (all on 8-bit grey, grey = round(0.299 R + 0.587 G + 0.114 B), after resizing the image by
area averaging to `METRIC_WIDTH` pixels wide, keeping its aspect ratio):

Percentiles interpolate linearly between the closest ranks (numpy's default), so the page gets the same
number.

- `paper_level`: the 90th percentile of grey; `ink_level`: the 0.5th percentile; `clipped`: the share of
  pixels >= 250. Too dark: paper_level < `min_paper_level`. Too light: clipped > `max_clipped` or
  ink_level > `max_ink_level` (the ink is washed out).
- `focus`: the standard deviation of the 3x3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]] over the grey image
  (borders replicated, every pixel counted), divided by (paper_level - ink_level + 1) and multiplied by 100:
  sharpness independent of exposure. Out of focus: focus < `min_focus`; not tested when
  paper_level - ink_level < 25 (no contrast left to judge).
- `streaks`: the rows are cut into 8 strips; in each strip the median grey of every column, smoothed along
  the columns by a 3-column box; each strip's profile minus a 41-column running median of the strips'
  median profile. A column that deviates the same way in all 8 strips is a streak: the metric is the
  smallest of its 8 deviations, for the worst column (the outer 8% ignored, where printed border frames
  run). Bands: the same on the transposed image with a 5-row box (wider than a printed rule). `streaks`
  (darker) fails above `max_streak`; `light_streaks` (lighter, which no printing makes) above
  `max_light_streak`. Measured on the photo itself inside the check (the upright box between the corners),
  since a lens or sensor streak runs along the photo's axes, not the check's.
- Size: the photo's pixels (width x height, either way round) and `source_dpi`, the photo's pixels per inch
  over the check. Below minimum: width < `min_width`, height < `min_height` (or the other way round for a
  portrait photo) or source_dpi < `min_dpi`; above maximum: more than `max_pixels` pixels or a side over
  `max_side`.

The tests of the outline come from `geometry.straighten`: partial image when more than `max_edge_contact`
of the check's outline lies on the photo's border, or no four corners were found (a scan, the check cropped
to its edges, passes); excessive skew when the check is turned more than `max_skew_degrees` or its opposite
sides differ by more than `min_keystone` allows; piggyback when the outline is not one check's shape (fill,
aspect ratio, notches: `min_fill`, `max_aspect_error`, `min_solidity`) or paper continues just outside it
(`max_outside_paper`); not tested without an outline.

The server computes them on the straightened check; the web page (`QualityThresholds.browser()`) computes the
same formulas on the photo inside its capture guide (or the middle 60% x 50% of the frame), where the check
is, so a photo the page lets through is one the server will very likely pass on these tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal, TypedDict, get_args

import numpy as np
from PIL import Image

from openchecks.check.geometry import Straightened
from openchecks.cvthreads import cv2

TestName = Literal[
    "partial_image",
    "excessive_skew",
    "piggyback",
    "too_light_or_too_dark",
    "streaks_and_bands",
    "below_minimum_size",
    "exceeds_maximum_size",
    "out_of_focus",
]
Result = Literal["pass", "fail", "not_tested"]
TEST_NAMES: tuple[TestName, ...] = get_args(TestName)
METRIC_WIDTH = 600
# Streaks: the image is cut into this many strips across the streak, each must show it; outer share ignored.
STREAK_SEGMENTS = 8
# Below this spread of grey levels (paper - ink) focus is not tested (nothing left to be sharp).
MIN_FOCUS_CONTRAST = 25.0
STREAK_MARGIN = 0.08

MESSAGES: dict[str, str] = {
    "partial_image": "Part of the check is outside the photo: move back so all four corners show, with "
    "some table around the check.",
    "no_corners": "We could not find the four edges of the check: lay it flat on a darker, plain surface "
    "and take the photo again.",
    "excessive_skew": "The check is photographed at too steep an angle: hold the phone straight above it.",
    "piggyback": "Another document overlaps the check: photograph the check alone.",
    "too_dark": "The photo is too dark: take it in better light.",
    "too_light": "The photo is too bright and washed out: avoid the flash or direct light.",
    "streaks_and_bands": "The photo has streaks or bands across it: clean the camera lens and take it again.",
    "below_minimum_size": "The check is too small in the photo: move closer so it fills most of the frame.",
    "exceeds_maximum_size": "The photo is too large: send it at a lower resolution (at most 40 megapixels).",
    "out_of_focus": "The photo is blurred: hold the phone steady and tap the check to focus.",
}


@dataclass(frozen=True)
class QualityThresholds:
    """The limits of every quality test (the configuration document's `quality` object)."""

    min_paper_level: float = 100.0
    max_ink_level: float = 185.0
    max_clipped: float = 0.97
    min_focus: float = 10.0
    max_streak: float = 20.0
    max_light_streak: float = 10.0
    min_width: int = 640
    min_height: int = 480
    min_dpi: float = 150.0
    max_pixels: int = 40_000_000
    max_side: int = 12_000
    max_skew_degrees: float = 30.0
    min_keystone: float = 0.7
    max_edge_contact: float = 0.03
    min_fill: float = 0.93
    max_outside_paper: float = 0.12
    max_aspect_error: float = 0.08
    min_solidity: float = 0.97

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> QualityThresholds:
        """Thresholds from a `quality` mapping; unknown keys are ignored, bad values keep the default."""
        values: dict[str, float | int] = {}
        if isinstance(config, Mapping):
            for f in fields(cls):
                raw = config.get(f.name)
                if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
                    continue
                if raw < 0:
                    continue
                values[f.name] = int(raw) if f.type in ("int", int) else float(raw)
        return cls(**values)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def browser(self) -> BrowserThresholds:
        """What the web page needs to run the cheap tests before upload (see the module docstring).

        `metric_width` is the width the grey image is resized to; `region` the share of the frame (centred)
        the page measures when it has no capture guide; the rest are thresholds as on the server.
        """
        return {
            "metric_width": METRIC_WIDTH,
            "region": {"width": 0.6, "height": 0.5},
            "grey": [0.299, 0.587, 0.114],
            "min_width": self.min_width,
            "min_height": self.min_height,
            "max_pixels": self.max_pixels,
            "max_side": self.max_side,
            "min_paper_level": self.min_paper_level,
            "paper_percentile": 90,
            "ink_percentile": 0.5,
            "clipped_level": 250,
            "max_clipped": self.max_clipped,
            "max_ink_level": self.max_ink_level,
            "min_focus": self.min_focus,
            "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        }


class BrowserThresholds(TypedDict):
    metric_width: int
    region: dict[str, float]
    grey: list[float]
    min_width: int
    min_height: int
    max_pixels: int
    max_side: int
    min_paper_level: float
    paper_percentile: int
    ink_percentile: float
    clipped_level: int
    max_clipped: float
    max_ink_level: float
    min_focus: float
    laplacian: list[list[int]]


class QualityDict(TypedDict):
    results: dict[str, str]
    failed: list[str]
    messages: list[str]
    metrics: dict[str, float]


@dataclass(frozen=True)
class QualityReport:
    """Every test's result, the failed ones in test order, one customer sentence per failure, the metrics."""

    results: dict[TestName, Result]
    failed: list[TestName]
    messages: list[str]
    metrics: dict[str, float]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> QualityDict:
        return {
            "results": {str(k): str(v) for k, v in self.results.items()},
            "failed": list(self.failed),
            "messages": list(self.messages),
            "metrics": {k: round(v, 4) for k, v in self.metrics.items()},
        }


def grey_for_metrics(image: Image.Image, width: int = METRIC_WIDTH) -> np.ndarray:
    """8-bit grey (ITU-R 601 weights) resized by area averaging to `width` pixels wide.

    The grey is OpenCV's fixed-point conversion: the float product rounded differs by 1 on ~0.1% of random
    pixels (none on a synthetic check photo), at about 1 ms of CPU instead of 17 ms for a 1600x1200 photo."""
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)
    grey = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    h, w = grey.shape
    if w != width and w > 0:
        size = (width, max(1, round(h * width / w)))
        interp = cv2.INTER_AREA if w > width else cv2.INTER_LINEAR
        grey = np.asarray(cv2.resize(grey, size, interpolation=interp), dtype=np.uint8)
    return np.asarray(grey, dtype=np.uint8)


def exposure_metrics(grey: np.ndarray) -> dict[str, float]:
    paper, ink = np.percentile(grey, [90, 0.5])
    return {
        "paper_level": float(paper),
        "ink_level": float(ink),
        "clipped": float((grey >= 250).mean()),
        "brightness": float(grey.mean()),
    }


def focus_metric(grey: np.ndarray, paper_level: float, ink_level: float) -> float:
    lap = cv2.Laplacian(grey.astype(np.float32), cv2.CV_32F, ksize=1, borderType=cv2.BORDER_REPLICATE)
    return float(lap.std() / (paper_level - ink_level + 1.0) * 100.0)


def _worst_band(grey: np.ndarray, box: int) -> tuple[float, float]:
    """The streak metric over the columns of `grey` (transpose it for rows), dark and light; see the module
    docstring."""
    h, w = grey.shape
    if h < 2 * STREAK_SEGMENTS or w < 60:
        return 0.0, 0.0
    parts = [grey[i * h // STREAK_SEGMENTS : (i + 1) * h // STREAK_SEGMENTS] for i in range(STREAK_SEGMENTS)]
    medians = np.stack([np.median(p, axis=0) for p in parts]).astype(np.float32)
    medians = np.asarray(cv2.blur(medians, (box, 1), borderType=cv2.BORDER_REPLICATE), dtype=np.float32)
    whole = np.clip(np.median(medians, axis=0), 0, 255).astype(np.uint8).reshape(1, -1)
    running = cv2.medianBlur(np.repeat(whole, 3, axis=0), 41)[1].astype(np.float32)
    dev = medians - running[None, :]
    least = np.abs(dev).min(axis=0)
    # Ignore the outer columns: many checks have a printed border frame there, as long as any streak.
    margin = max(3, round(STREAK_MARGIN * w))
    dark = np.where((dev < 0).all(axis=0), least, 0.0)[margin:-margin]
    light = np.where((dev > 0).all(axis=0), least, 0.0)[margin:-margin]
    return float(dark.max()), float(light.max())


def streak_metrics(grey: np.ndarray) -> tuple[float, float]:
    """The worst dark and light streak (vertical) or band (horizontal) in grey levels."""
    cols = _worst_band(grey, 3)
    rows = _worst_band(np.ascontiguousarray(grey.T), 5)
    return max(cols[0], rows[0]), max(cols[1], rows[1])


def streak_metric(grey: np.ndarray) -> float:
    """The worst streak or band, dark or light, in grey levels."""
    return max(streak_metrics(grey))


def _streak_region(photo: Image.Image, straightened: Straightened) -> Image.Image:
    """The photo inside the check, axis-aligned: a lens or sensor streak runs along the photo's own axes."""
    if straightened.corners is None or straightened.scan:
        return photo
    xs = sorted(p[0] for p in straightened.corners)
    ys = sorted(p[1] for p in straightened.corners)
    # Between the second and third corner on each axis lies (about) the largest upright box inside the check.
    x0, x1, y0, y1 = xs[1], xs[2], ys[1], ys[2]
    dx, dy = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
    box = (
        max(0, round(x0 + dx)),
        max(0, round(y0 + dy)),
        min(photo.width, round(x1 - dx)),
        min(photo.height, round(y1 - dy)),
    )
    if box[2] - box[0] < 60 or box[3] - box[1] < 16:
        return photo
    return photo.crop(box)


def assess(
    photo: Image.Image, straightened: Straightened, thresholds: QualityThresholds, side: str = "front"
) -> QualityReport:
    """Run every test on one side (the photo as received and its straightened check). On the back,
    `streaks_and_bands` is measured but `not_tested`: a back's printed endorsement rules and bank zone run the
    check's whole length, which the streak metric cannot tell from a lens or sensor streak (a synthetic
    endorsed back measured 46 against a threshold of 20)."""
    t = thresholds
    results: dict[TestName, Result] = dict.fromkeys(TEST_NAMES, "not_tested")
    messages: dict[TestName, str] = {}
    metrics: dict[str, float] = {
        "width": float(photo.width),
        "height": float(photo.height),
        "source_dpi": straightened.source_dpi,
        "skew_degrees": straightened.skew_degrees,
        "found": float(straightened.found),
        "scan": float(straightened.scan),
    }

    def verdict(name: TestName, ok: bool, message: str | None = None) -> None:
        results[name] = "pass" if ok else "fail"
        if not ok:
            messages[name] = message or MESSAGES[name]

    long_side, short_side = max(photo.size), min(photo.size)
    verdict("exceeds_maximum_size", photo.width * photo.height <= t.max_pixels and long_side <= t.max_side)
    small_frame = long_side < t.min_width or short_side < t.min_height
    verdict("below_minimum_size", not small_frame and straightened.source_dpi >= t.min_dpi)

    if straightened.scan:
        verdict("partial_image", True)
        verdict("piggyback", True)
    elif straightened.found:
        metrics.update(
            edge_contact=straightened.edge_contact,
            fill=straightened.fill,
            outside_paper=straightened.outside_paper,
            keystone=straightened.keystone,
            aspect_error=straightened.aspect_error,
            solidity=straightened.solidity,
        )
        inside = straightened.edge_contact <= t.max_edge_contact
        verdict("partial_image", inside)
        notched = straightened.solidity < t.min_solidity or straightened.outside_paper > t.max_outside_paper
        if inside:
            # The whole outline is seen: it must be one check's shape, with table all around it.
            shape = (
                t.min_fill <= straightened.fill <= 1 / t.min_fill
                and straightened.aspect_error <= t.max_aspect_error
            )
            verdict("piggyback", shape and not notched)
        elif notched:
            # Cut off by the frame (its aspect ratio means nothing then), but notched: two documents.
            verdict("piggyback", False)
    else:
        metrics["fill"] = straightened.fill
        metrics["solidity"] = straightened.solidity
        # No outline to judge: piggyback stays not_tested (a cut-off check's region is as notched as two).
        verdict("partial_image", False, MESSAGES["no_corners"])
    if straightened.found:
        metrics["keystone"] = straightened.keystone
        verdict(
            "excessive_skew",
            abs(straightened.skew_degrees) <= t.max_skew_degrees and straightened.keystone >= t.min_keystone,
        )

    image = straightened.image
    if image.width >= 8 and image.height >= 8:
        grey = grey_for_metrics(image)
        exposure = exposure_metrics(grey)
        metrics.update(exposure)
        dark = exposure["paper_level"] < t.min_paper_level
        light = exposure["clipped"] > t.max_clipped or exposure["ink_level"] > t.max_ink_level
        verdict(
            "too_light_or_too_dark",
            not (dark or light),
            MESSAGES["too_dark"] if dark else MESSAGES["too_light"],
        )
        if exposure["paper_level"] - exposure["ink_level"] >= MIN_FOCUS_CONTRAST:
            # Blur cannot be judged on a photo with no contrast left; it is retaken for its exposure anyway.
            metrics["focus"] = focus_metric(grey, exposure["paper_level"], exposure["ink_level"])
            verdict("out_of_focus", metrics["focus"] >= t.min_focus)
    region = _streak_region(photo, straightened)
    if region.width >= 60 and region.height >= 16:
        metrics["streaks"], metrics["light_streaks"] = streak_metrics(grey_for_metrics(region))
    if side == "front" and "streaks" in metrics:
        verdict(
            "streaks_and_bands",
            metrics["streaks"] <= t.max_streak and metrics["light_streaks"] <= t.max_light_streak,
        )
    failed = [name for name in TEST_NAMES if results[name] == "fail"]
    return QualityReport(results, failed, [messages[name] for name in failed], metrics)
