"""Realistic hand-held photos of a flat check image, with known corners, and the defects quality must catch.

`photograph(check, rng, **options)` lays the check on a table (wood, stone, cloth, a plain or painted
surface), turns and tilts it (rotation and perspective), lights it unevenly (a gradient, a hot spot,
sometimes the soft shadow of a hand or phone), casts the check's own drop shadow, and adds lens blur,
sensor noise and JPEG. `render` does the same and also returns the four corners of the check in the
photo's pixels (the ground truth for `geometry.straighten`). `defect(image, kind, rng)` spoils a photo:
`dark`, `light`, `blurred`, `small`, `cut_off`, `streaks`; `piggyback` and `skewed` are made while
rendering (`render(..., piggyback=other_check)`, `render(..., angle=40)`), and `render_defect` makes any.

The table always differs from white paper by at least a little brightness or colour: a white check on a
white table is a photo the customer is asked to retake, not one the renderer pretends is good.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from openchecks.cvthreads import cv2

Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
DefectKind = Literal["dark", "light", "blurred", "small", "cut_off", "streaks", "piggyback", "skewed"]
DEFECTS: tuple[DefectKind, ...] = (
    "dark",
    "light",
    "blurred",
    "small",
    "cut_off",
    "streaks",
    "piggyback",
    "skewed",
)
BACKGROUNDS = ("wood", "stone", "cloth", "plain", "gradient")


@dataclass(frozen=True)
class Rendered:
    """A photo and where the check's corners are in it (top-left, top-right, bottom-right, bottom-left)."""

    image: Image.Image
    corners: Corners


def _np_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.randint(0, 2**31))


def _smooth_noise(gen: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1] (a coarse random grid enlarged with bicubic interpolation)."""
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    grid = gen.uniform(-1, 1, (gh, gw)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def _colour(rng: random.Random, kind: str) -> np.ndarray:
    if kind == "wood":
        base = (rng.uniform(90, 170), rng.uniform(55, 110), rng.uniform(25, 70))
    elif kind == "stone":
        v = rng.uniform(50, 150)
        base = (v + rng.uniform(-10, 10), v + rng.uniform(-10, 10), v + rng.uniform(-10, 10))
    elif rng.random() < 0.25:
        # A light surface (beige, light grey, pale blue): darker than paper, and usually tinted.
        v = rng.uniform(150, 185)
        base = (v + rng.uniform(-5, 20), v + rng.uniform(-10, 10), v - rng.uniform(0, 40))
    else:
        base = (rng.uniform(20, 160), rng.uniform(20, 160), rng.uniform(20, 160))
    return np.array(base, dtype=np.float32)


def background(rng: random.Random, width: int, height: int, kind: str | None = None) -> np.ndarray:
    """A table surface as float32 RGB (height, width, 3)."""
    kind = kind or rng.choice(BACKGROUNDS)
    gen = _np_rng(rng)
    base = _colour(rng, kind)
    out: np.ndarray = np.empty((height, width, 3), dtype=np.float32)
    out[:] = base
    if kind == "wood":
        # Grain: stretched noise along one direction, bent by a low-frequency wave.
        angle = rng.uniform(0, math.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        u = xx * math.cos(angle) + yy * math.sin(angle)
        v = -xx * math.sin(angle) + yy * math.cos(angle)
        bend = 25 * _smooth_noise(gen, height, width, 300)
        grain = np.sin((v + bend) * rng.uniform(0.05, 0.15)) + 0.5 * np.sin((v + bend) * 0.31 + u * 0.002)
        shade = (0.85 + 0.1 * grain + 0.08 * _smooth_noise(gen, height, width, 120))[..., None]
        out *= shade
    elif kind == "stone":
        speck = gen.normal(0, rng.uniform(10, 25), (height, width, 1)).astype(np.float32)
        speck = np.asarray(cv2.GaussianBlur(speck, (0, 0), rng.uniform(0.8, 2.0)), np.float32)[..., None]
        out += speck + 20 * _smooth_noise(gen, height, width, 80)[..., None]
    elif kind == "cloth":
        period = rng.uniform(4, 10)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        weave = np.sin(xx * 2 * math.pi / period) * np.sin(yy * 2 * math.pi / period)
        out *= (0.9 + 0.08 * weave + 0.05 * _smooth_noise(gen, height, width, 60))[..., None]
    elif kind == "gradient":
        other = _colour(rng, "plain")
        t = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
        out = np.asarray(out * (1 - t) + other * t, dtype=np.float32)
    else:
        out += 8 * _smooth_noise(gen, height, width, 200)[..., None]
    return np.asarray(out, dtype=np.float32)


def _place(
    rng: random.Random, cw: int, ch: int, width: int, height: int, fill: float, angle: float, tilt: float
) -> np.ndarray:
    """Destination corners (4x2 float32, clockwise from top-left) of a check cw x ch placed in the frame."""
    scale = fill * width / cw
    w, h = cw * scale, ch * scale
    rad = math.radians(angle)
    # Keep the whole rotated check inside the frame with a margin.
    bw = abs(w * math.cos(rad)) + abs(h * math.sin(rad))
    bh = abs(w * math.sin(rad)) + abs(h * math.cos(rad))
    shrink = min(1.0, 0.9 * width / bw, 0.9 * height / bh)
    w, h, bw, bh = w * shrink, h * shrink, bw * shrink, bh * shrink
    cx = width / 2 + rng.uniform(-0.4, 0.4) * max(0.0, width * 0.92 - bw)
    cy = height / 2 + rng.uniform(-0.4, 0.4) * max(0.0, height * 0.92 - bh)
    local = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], dtype=np.float32)
    # Perspective: each corner moves towards or away from the centre (the phone not quite parallel).
    jitter = np.array([[rng.uniform(-tilt, tilt) * w, rng.uniform(-tilt, tilt) * h] for _ in range(4)])
    local = local + jitter.astype(np.float32)
    # Image y points down, so a positive (counter-clockwise) angle turns with -rad.
    c, s = math.cos(-rad), math.sin(-rad)
    rot = np.array([[c, -s], [s, c]], dtype=np.float32)
    return np.asarray(local @ rot.T + np.array([cx, cy], dtype=np.float32), dtype=np.float32)


def _warp(check: np.ndarray, dst: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    ch, cw = check.shape[:2]
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(check, matrix, (width, height), flags=cv2.INTER_AREA)
    alpha = cv2.warpPerspective(
        np.ones((ch, cw), dtype=np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR
    )
    return np.asarray(warped, dtype=np.float32), np.asarray(alpha, dtype=np.float32)


def _lighting(rng: random.Random, gen: np.random.Generator, full_width: int, full_height: int) -> np.ndarray:
    """A smooth light field (computed at a quarter of the size, then enlarged)."""
    width, height = max(2, full_width // 4), max(2, full_height // 4)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    xx /= width
    yy /= height
    angle = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.05, 0.3) * ((xx - 0.5) * math.cos(angle) + (yy - 0.5) * math.sin(angle))
    hx, hy = rng.uniform(0, 1), rng.uniform(0, 1)
    light += rng.uniform(0.0, 0.15) * np.exp(-((xx - hx) ** 2 + (yy - hy) ** 2) / rng.uniform(0.02, 0.1))
    light += 0.04 * _smooth_noise(gen, height, width, 250)
    if rng.random() < 0.4:
        # The soft shadow of a hand or phone over one side of the frame.
        a = rng.uniform(0, 2 * math.pi)
        edge = (xx - rng.uniform(0.1, 0.9)) * math.cos(a) + (yy - rng.uniform(0.1, 0.9)) * math.sin(a)
        light *= 1.0 - rng.uniform(0.1, 0.3) / (1.0 + np.exp(-edge / rng.uniform(0.03, 0.1)))
    light = np.asarray(light * rng.uniform(0.88, 1.05), dtype=np.float32)
    return np.asarray(cv2.resize(light, (full_width, full_height), interpolation=cv2.INTER_LINEAR))


def _jpeg(arr: np.ndarray, quality: int) -> Image.Image:
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out.convert("RGB")


def render(
    check: Image.Image,
    rng: random.Random,
    *,
    width: int = 1600,
    height: int = 1200,
    fill: float | None = None,
    angle: float | None = None,
    tilt: float | None = None,
    background_kind: str | None = None,
    piggyback: Image.Image | None = None,
    blur: float | None = None,
    noise: float | None = None,
    jpeg_quality: int | None = None,
) -> Rendered:
    """Photograph `check` (a flat RGB check image) on a table; see the module docstring.

    `fill` is the check's width as a share of the frame (default 0.66..0.9), `angle` its rotation in
    degrees (default -12..12, counter-clockwise positive), `tilt` the perspective (each corner moved by up to
    this share of the check's size, default 0..0.04), `piggyback` a second check laid under or over it.
    """
    gen = _np_rng(rng)
    check = check.convert("RGB")
    fill = rng.uniform(0.66, 0.9) if fill is None else fill
    angle = rng.uniform(-12, 12) if angle is None else angle
    tilt = rng.uniform(0, 0.04) if tilt is None else tilt
    arr = background(rng, width, height, background_kind)
    paper = np.asarray(check, dtype=np.float32)
    dst = _place(rng, check.width, check.height, width, height, fill, angle, tilt)
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    main = _warp(paper, dst, width, height)
    layers.append(main)
    if piggyback is not None:
        other = np.asarray(piggyback.convert("RGB"), dtype=np.float32)
        centre = dst.mean(axis=0)
        span = np.linalg.norm(dst[1] - dst[0])
        direction = rng.uniform(0, 2 * math.pi)
        shift = np.array([math.cos(direction), 0.45 * math.sin(direction)]) * span * rng.uniform(0.25, 0.45)
        turn = math.radians(rng.uniform(-8, 8))
        c, s = math.cos(turn), math.sin(turn)
        moved = (dst - centre) @ np.array([[c, -s], [s, c]], dtype=np.float32).T + centre + shift
        second = _warp(other, np.asarray(moved, dtype=np.float32), width, height)
        layers.insert(0 if rng.random() < 0.5 else 1, second)
    for layer, alpha in layers:
        # The check's own soft drop shadow on whatever lies under it.
        shadow = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(3, 9))
        off = (int(rng.uniform(-8, 8)), int(rng.uniform(2, 10)))
        shadow = np.roll(shadow, off, axis=(0, 1))
        arr *= (1.0 - rng.uniform(0.2, 0.45) * shadow)[..., None]
        layer -= arr
        layer *= alpha[..., None]
        arr += layer
    arr *= _lighting(rng, gen, width, height)[..., None]
    sigma = rng.uniform(0.3, 0.9) if blur is None else blur
    if sigma > 0:
        arr = cv2.GaussianBlur(arr, (0, 0), sigma)
    sensor = gen.standard_normal(arr.shape, dtype=np.float32)
    sensor *= np.float32(rng.uniform(1.5, 5.0) if noise is None else noise)
    arr += sensor
    image = _jpeg(arr, rng.randint(60, 92) if jpeg_quality is None else jpeg_quality)
    corners = tuple((float(x), float(y)) for x, y in dst)
    return Rendered(image, corners)  # type: ignore[arg-type]


def photograph(check: Image.Image, rng: random.Random, **options: object) -> Image.Image:
    """The photo alone (see `render` for the options and the corners)."""
    return render(check, rng, **options).image  # type: ignore[arg-type]


def _scaled(rendered: Rendered, image: Image.Image, dx: float = 0, dy: float = 0, f: float = 1) -> Rendered:
    corners = tuple(((x - dx) * f, (y - dy) * f) for x, y in rendered.corners)
    return replace(rendered, image=image, corners=corners)  # type: ignore[arg-type]


def defect(image: Image.Image, kind: str, rng: random.Random) -> Image.Image:
    """`image` spoiled by one defect: dark, light, blurred, small, cut_off or streaks."""
    return _defect(Rendered(image, ((0, 0), (0, 0), (0, 0), (0, 0))), kind, rng).image


def _cut_off(rendered: Rendered, image: Image.Image, rng: random.Random) -> Rendered:
    """The photo cut 10-30% into the check on one side (chosen by `rng`)."""
    xs = [p[0] for p in rendered.corners]
    ys = [p[1] for p in rendered.corners]
    w, h = image.width, image.height
    if max(xs) <= 0:  # corners unknown: the check is near the middle of the frame
        xs, ys = [0.25 * w, 0.75 * w], [0.3 * h, 0.7 * h]
    side = rng.choice(("left", "right", "top", "bottom"))
    cut = rng.uniform(0.1, 0.3)
    box = [0, 0, w, h]
    if side == "left":
        box[0] = round(min(xs) + cut * (max(xs) - min(xs)))
    elif side == "right":
        box[2] = round(max(xs) - cut * (max(xs) - min(xs)))
    elif side == "top":
        box[1] = round(min(ys) + cut * (max(ys) - min(ys)))
    else:
        box[3] = round(max(ys) - cut * (max(ys) - min(ys)))
    return _scaled(rendered, image.crop((box[0], box[1], box[2], box[3])), dx=box[0], dy=box[1])


def _streaks(arr: np.ndarray, corners: Corners, rng: random.Random) -> np.ndarray:
    """`arr` (the photo, float RGB) with 1 to 3 light or dark bands across the check, up or across."""
    out = arr.copy()
    height, full_width = arr.shape[:2]
    for _ in range(rng.randint(1, 3)):
        width = max(3, round(rng.uniform(0.004, 0.012) * full_width))
        xs = sorted(p[0] for p in corners)
        ys = sorted(p[1] for p in corners)
        if xs[-1] <= 0:
            xs, ys = (
                [0.0, 0.3 * full_width, 0.7 * full_width, 0.0],
                [0.0, 0.35 * height, 0.65 * height, 0.0],
            )
        x = round(xs[1] + rng.uniform(0.1, 0.9) * (xs[2] - xs[1]))
        delta = rng.choice((-1, 1)) * rng.uniform(45, 80)
        if rng.random() < 0.5:
            out[:, x : x + width] += delta
        else:
            y = round(ys[1] + rng.uniform(0.1, 0.9) * (ys[2] - ys[1]))
            out[y : y + width, :] += delta
    return out


def _defect(rendered: Rendered, kind: str, rng: random.Random) -> Rendered:
    image = rendered.image.convert("RGB")
    arr = np.asarray(image, dtype=np.float32)
    if kind == "dark":
        out = arr * rng.uniform(0.12, 0.28)
        return replace(rendered, image=_jpeg(out, 85))
    if kind == "light":
        out = arr * rng.uniform(2.2, 3.0) + rng.uniform(90, 130)
        return replace(rendered, image=_jpeg(out, 85))
    if kind == "blurred":
        out = np.asarray(cv2.GaussianBlur(arr, (0, 0), rng.uniform(2.5, 5.0) * image.width / 1600))
        return replace(rendered, image=_jpeg(out, 85))
    if kind == "small":
        f = rng.uniform(0.28, 0.42)
        size = (max(1, round(image.width * f)), max(1, round(image.height * f)))
        return _scaled(rendered, image.resize(size, Image.Resampling.LANCZOS), f=f)
    if kind == "cut_off":
        return _cut_off(rendered, image, rng)
    if kind == "streaks":
        return replace(rendered, image=_jpeg(_streaks(arr, rendered.corners, rng), 88))
    raise ValueError(f"unknown defect {kind!r}: use one of {', '.join(DEFECTS)}")


def render_defect(
    check: Image.Image, kind: str, rng: random.Random, other: Image.Image | None = None, **options: object
) -> Rendered:
    """A photo of `check` with the defect `kind` (any of DEFECTS; `piggyback` needs `other`, a 2nd check)."""
    if kind == "piggyback":
        if other is None:
            raise ValueError("a piggyback photo needs a second check (other=...)")
        return render(check, rng, piggyback=other, **options)  # type: ignore[arg-type]
    if kind == "skewed":
        angle = rng.choice((-1, 1)) * rng.uniform(32, 60)
        return render(check, rng, angle=angle, **options)  # type: ignore[arg-type]
    return _defect(render(check, rng, **options), kind, rng)  # type: ignore[arg-type]


def flat_check(rng: random.Random, dpi: int = 200) -> tuple[Image.Image, str]:
    """A synthetic flat check face (openchecks.micr.synth) at `dpi` and its MICR line."""
    from openchecks.micr import synth

    routing = synth.random_routing(rng)
    account = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(6, 12)))
    serial = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(4, 6)))
    cents = rng.randint(100, 500000)
    line = synth.micr_line(rng, routing, account, serial, None)
    return synth.draw_check(rng, line, serial, f"{cents // 100}.{cents % 100:02d}", dpi), line
