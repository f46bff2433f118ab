"""Train the courtesy-amount CRNN of `openchecks.check.amount_crnn` (offline, like amount_train).

    .venv/bin/pip install torch==2.13.0          # training only: torch is not a project dependency
    nice -n 10 .venv/bin/python bench/amount_crnn_train.py --samples 28000 --epochs 10

Courtesy amounts are drawn in tuning material only, never in the held-out fonts of `openchecks.micr.synth`:
35% in its *tuning* fonts (handwritten and printed), 30% written by procedural hands (`hand_layer`:
every character as pen strokes through jittered points, with its own slant, width, pen, broad nib, pressure,
spacing, baseline wobble and joins per amount, so the network sees hands no font has) and 35% in installed
faces outside both splits (`EXTRA_FONTS`: Purisa, more Comic Neue and dkg faces, 19 more hands from Debian's
font packages (school cursive, pencil, pen, brush, marker and felt-tip hands, a secretary hand, scripts; the
Latin figures of Japanese handwriting fonts), printed sans, mono and typewriter faces; install them first
with infra/apt-train-packages.txt, which infra/setup.sh leaves out: the script says how many it found).
Each is drawn in the `$` box at 150-300 dpi, with augmentation: glyph by glyph with random scale,
rotation, baseline (and a wobble) and spacing (touching glyphs), slant and width, stroke weight, elastic
distortion, ink fading in blotches, blur, noise, ink colour, the box's rules left in partly, crops a little
off; a quarter of the tuning fonts' samples are whole synthetic fronts cut by the reader's own
`prepare_crops`. Every crop goes through the reader's own cleaning (`ink_mask`, `remove_rules`, `_prepare`),
so the network sees what it will read.

The network (see amount_crnn.py; `--channels`, `--hidden`) is trained with CTC loss (Adam, one thread), the
float16 weights are written to `models/amount_crnn.npz`, and the numpy forward pass is checked against torch's
on a few crops (the max absolute difference of the log-probabilities is printed). The held-out fonts are only
scored at the end, never used to choose anything. With `--leave-out FONT,...` (tuning fonts kept out of
training with their families among EXTRA_FONTS, `--out` elsewhere) the script then reads 200 fronts in those
fonts with the numpy network and prints wrong reads by the best string's probability: how `CRNN_MIN` in
amount.py was chosen (on hands the network never saw, without the held-out fonts); `bench/ocr_amounts.py
--crnn-model /tmp/loo.npz --tune-fonts THE,SAME,FONTS` then measures the vote with that network:

    nice -n 10 .venv/bin/python bench/amount_crnn_train.py --samples 28000 --epochs 10 --out /tmp/loo.npz \\
        --leave-out BecauseWeCreate-Regular.otf,SteveHand.ttf,KaushanScript-Regular.otf,femkeklaver.ttf,\\
LiberationMono-Regular.ttf
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from openchecks.check import amount as amt
from openchecks.check.amount_crnn import (
    CHARSET,
    HEIGHT,
    MODEL_PATH,
    Network,
    greedy_decode,
    normalise,
    read_line,
)
from openchecks.check.amount_glyphs import ink_mask, remove_rules
from openchecks.micr.synth import courtesy_text, font_file, fonts, make_front, random_cents
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps
from scipy import ndimage
from torch import nn

Sample = tuple[np.ndarray, str]


class Crnn(nn.Module):
    """4 x (conv 3x3 + ReLU + max pool) -> BiLSTM -> linear, as amount_crnn.Network computes it."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 48, 64), hidden: int = 64) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        previous = 1
        for c in channels:
            self.convs.append(nn.Conv2d(previous, c, 3, padding=1))
            previous = c
        self.pools = [(2, 2), (2, 2), (2, 1), (2, 1)]
        self.lstm = nn.LSTM(previous * (HEIGHT // 16), hidden, bidirectional=True)
        self.out = nn.Linear(2 * hidden, len(CHARSET) + 1)

    def forward(self, x: torch.Tensor, widths: torch.Tensor) -> torch.Tensor:
        """x (N, 1, HEIGHT, W) -> log-probabilities (T, N, K); the sequences are packed to their widths."""
        a = x
        for conv, pool in zip(self.convs, self.pools, strict=True):
            a = nn.functional.max_pool2d(torch.relu(conv(a)), pool)
        n, c, h, t = a.shape
        seq = a.permute(3, 0, 1, 2).reshape(t, n, c * h)
        packed = nn.utils.rnn.pack_padded_sequence(seq, widths // 4, enforce_sorted=False)
        out, _ = self.lstm(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=t)
        return torch.log_softmax(self.out(padded), dim=2)


# ---------------------------------------------------------------------------------------------- drawing


def amount_text(rng: random.Random, style: str) -> str:
    cents = random_cents(rng)
    r = rng.random()
    if r < 0.04:
        return f"{cents // 100} {cents % 100:02d}/100"
    text = courtesy_text(cents, style, rng)
    if r < 0.15:
        text = "$" + text
    elif r < 0.2 and not text.startswith("*"):
        text = "**" + text
    return text


def glyph_layer(rng: random.Random, text: str, font_path: Path, size: int, handwritten: bool) -> Image.Image:
    """`text` in white on black, glyph by glyph, each with its own scale, rotation, baseline and spacing."""
    jitter = 1.0 if handwritten else rng.uniform(0.0, 0.5)
    wobble, phase = rng.uniform(0.0, 0.06) * size * jitter, rng.uniform(0, 2 * math.pi)
    layer = Image.new("L", (round(size * (len(text) + 2) * 1.1), 3 * size), 0)
    x = 0.5 * size
    base = 2.0 * size
    for ch in text:
        scale = 1 + jitter * rng.uniform(-0.15, 0.15)
        font = ImageFont.truetype(str(font_path), max(8, round(size * scale)))
        glyph = Image.new("L", (3 * size, 3 * size), 0)
        ImageDraw.Draw(glyph).text((size, 2 * size), ch, fill=255, font=font, anchor="ls")
        glyph = glyph.rotate(
            jitter * rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, center=(size, 2 * size)
        )
        dy = jitter * rng.uniform(-0.07, 0.07) * size + wobble * math.sin(phase + 1.5 * x / size)
        layer.paste(255, (round(x - size), round(base - 2 * size + dy)), glyph)
        x += font.getlength(ch) + jitter * rng.uniform(-0.1, 0.14) * size
    box = layer.getbbox()
    return layer.crop(box) if box else layer


# ---------------------------------------------------------------------------------------------- hands

# Procedural handwriting: every character as pen strokes (points a Catmull-Rom spline passes through, in a
# box 1.0 high: y 0 at the top of a figure, 1 on the baseline), several ways of writing most of them. Each
# amount gets its own hand (slant, width, pen and nib, pressure, jitter, spacing, baseline wobble, joins),
# so the network sees hands no font has. Only the training crops use these; the reader never does.
# Per character, its ways of writing it; a way is strokes separated by "|", a stroke points "x y" in
# hundredths of the figure height, separated by ",".
SKELETONS: dict[str, tuple[str, ...]] = {
    "0": (
        "30 0, 8 18, 0 50, 8 86, 30 100, 50 84, 56 50, 48 14, 30 0, 18 6",
        "34 2, 12 10, 2 45, 12 92, 32 100, 50 80, 50 30, 40 4, 30 0",
    ),
    "1": (
        "25 0, 24 100",
        "6 20, 28 0, 28 0, 27 100",
        "8 22, 28 0, 28 0, 28 100 | 6 100, 50 100",
    ),
    "2": (
        "4 24, 18 4, 38 0, 52 16, 46 42, 2 100, 2 100, 56 98",
        "4 20, 26 0, 50 12, 42 45, 6 95, 6 84, 18 90, 30 100, 56 96",
    ),
    "3": (
        "4 12, 24 0, 46 8, 46 30, 22 47, 22 47, 50 60, 52 86, 30 100, 3 90",
        "4 2, 50 2, 50 2, 20 40, 20 40, 48 55, 52 82, 30 100, 2 90",
    ),
    "4": (
        "36 0, 0 66, 0 66, 56 66 | 42 30, 42 100",
        "42 0, 0 66, 0 66, 56 66 | 42 0, 42 100",
        "6 0, 2 62, 2 62, 56 60 | 42 12, 43 100",
    ),
    "5": (
        "12 0, 8 46, 8 46, 30 38, 50 52, 52 80, 32 100, 4 92 | 12 0, 52 0",
        "52 0, 12 2, 12 2, 8 44, 8 44, 34 40, 52 60, 46 90, 24 100, 2 88",
    ),
    "6": (
        "46 2, 20 24, 3 60, 10 92, 30 100, 50 86, 48 60, 28 50, 6 66",
        "40 0, 10 40, 4 74, 22 100, 46 90, 46 62, 22 58, 6 74",
    ),
    "7": (
        "2 2, 56 2, 56 2, 32 50, 20 100",
        "2 2, 56 2, 56 2, 30 50, 22 100 | 14 52, 48 50",
        "2 16, 4 2, 4 2, 56 4, 56 4, 40 40, 30 100",
    ),
    "8": (
        "46 12, 28 0, 8 12, 12 36, 44 62, 50 86, 28 100, 5 86, 10 62, 42 36, 46 12",
        "30 46, 10 30, 14 6, 32 0, 46 16, 30 46, 6 72, 20 100, 44 96, 50 72, 30 46",
    ),
    "9": (
        "50 20, 30 2, 8 12, 5 35, 24 48, 48 38, 52 14, 52 14, 48 60, 40 100",
        "50 16, 28 0, 6 16, 12 44, 40 42, 52 10, 52 10, 50 50, 42 86, 24 100, 6 92",
    ),
    "$": (
        "48 22, 30 8, 10 16, 12 38, 30 50, 48 64, 44 88, 24 95, 4 84 | 28 -10, 27 110",
        "46 20, 28 6, 10 18, 16 40, 40 56, 46 82, 26 94, 6 82 | 22 -8, 21 108 | 34 -8, 33 108",
    ),
    ".": ("2 93, 6 96",),
    ",": ("6 92, 8 98, 0 114",),
    "-": ("0 56, 32 53",),
    "/": ("36 0, 0 100",),
    "*": ("4 8, 28 34 | 28 8, 4 34 | 16 4, 16 38",),
}


def strokes_of(way: str) -> list[np.ndarray]:
    """ "30 0, 8 18 | 12 0, 52 0" -> the strokes' points (N, 2) in figure heights."""
    return [
        np.array([[float(v) / 100 for v in point.split()] for point in stroke.split(",")])
        for stroke in way.split("|")
    ]


ADVANCE = {".": 0.12, ",": 0.12, "-": 0.36, "/": 0.4, "*": 0.34, " ": 0.3}


def _spline(points: np.ndarray, per_segment: int) -> np.ndarray:
    """A Catmull-Rom curve through `points` (N, 2), `per_segment` samples between two of them."""
    if len(points) < 2:
        return points
    p = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-2:-1])
    return np.concatenate(out)


@dataclass(frozen=True)
class Hand:
    """One writer: how every character of one amount is drawn."""

    variants: dict[str, int]
    jitter: float
    slant: float
    width: float
    pen: float
    nib: float  # 0: a round pen; up to 1: a broad nib, thin along its angle
    nib_angle: float
    pressure: float
    spacing: float
    joins: float
    wobble: float

    @classmethod
    def random(cls, rng: random.Random) -> Hand:
        return cls(
            variants={ch: rng.randrange(len(v)) for ch, v in SKELETONS.items()},
            jitter=rng.uniform(0.01, 0.06),
            slant=rng.uniform(-0.15, 0.4),
            width=rng.uniform(0.7, 1.3),
            pen=rng.uniform(0.05, 0.13),
            nib=rng.choice((0.0, 0.0, rng.uniform(0.3, 0.8))),
            nib_angle=rng.uniform(0, math.pi),
            pressure=rng.uniform(0.0, 0.5),
            spacing=rng.uniform(0.02, 0.25),
            joins=rng.choice((0.0, 0.0, rng.uniform(0.2, 0.8))),
            wobble=rng.uniform(0.0, 0.08),
        )


def hand_layer(rng: random.Random, text: str, size: int, hand: Hand | None = None) -> Image.Image:
    """`text` written in white on black by a procedural hand, figures about `size` pixels high."""
    hand = hand or Hand.random(rng)
    scale = 2.0 * size  # drawn at twice the size, then reduced (smooth edges)
    margin = 0.4
    curves: list[tuple[np.ndarray, bool]] = []  # (points in height units, a join: thin)
    x, phase = margin, rng.uniform(0, 2 * math.pi)
    last: np.ndarray | None = None
    for ch in text:
        if ch not in SKELETONS:
            x += ADVANCE.get(ch, 0.3) * hand.width
            last = None
            continue
        strokes = strokes_of(SKELETONS[ch][hand.variants[ch] % len(SKELETONS[ch])])
        g_scale = 1 + rng.uniform(-0.12, 0.12)
        g_width = hand.width * (1 + rng.uniform(-0.1, 0.1))
        dy = hand.wobble * math.sin(phase + 1.3 * x) + rng.uniform(-0.04, 0.04)
        small = ch in ".,-*"
        if ch in ".,":
            x += rng.uniform(0.03, 0.1)  # a point stands apart from the figures around it
        right = 0.0
        for k, stroke in enumerate(strokes):
            pts = stroke.copy()
            jitter = hand.jitter * (0.4 if small else 1.0)
            pts = pts + np.array([[rng.gauss(0, jitter), rng.gauss(0, jitter)] for _ in pts])
            pts[:, 0] *= g_width if not small else 1.0
            if not small:
                pts *= g_scale
                pts[:, 1] += 1 - g_scale  # the baseline stays
            pts[:, 1] += dy
            pts[:, 0] += x + hand.slant * (1 - pts[:, 1])
            curve = _spline(pts, 12)
            if k == 0 and last is not None and rng.random() < hand.joins:
                curves.append((_spline(np.array([last, curve[0]]), 8), True))
            curves.append((curve, False))
            right = max(right, float(stroke[:, 0].max()) * (g_width if not small else 1.0))
        last = curves[-1][0][-1]
        x += right + hand.pen + hand.spacing * rng.uniform(0.5, 1.4) + (0.06 if ch in ".," else 0.0)
    width = round((x + margin + abs(hand.slant) * 1.5) * scale)
    layer = Image.new("L", (max(8, width), round((1 + 2 * margin) * scale)), 0)
    draw = ImageDraw.Draw(layer)
    for curve, thin in curves:
        pts = (curve + np.array([0.0, margin])) * scale
        steps = np.diff(pts, axis=0)
        angles = np.arctan2(steps[:, 1], steps[:, 0]) if len(steps) else np.zeros(0)
        along = np.linspace(0, 1, max(1, len(pts)))
        press = 1 + hand.pressure * np.sin(math.pi * along + rng.uniform(0, math.pi))
        for i in range(len(pts)):
            nib = 1.0
            if hand.nib and len(angles):
                a = angles[min(i, len(angles) - 1)]
                nib = (1 - hand.nib) + hand.nib * abs(math.sin(a - hand.nib_angle))
            r = max(0.6, 0.5 * hand.pen * scale * press[i] * nib * (0.6 if thin else 1.0))
            cx, cy = pts[i]
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
            if i:
                draw.line((*pts[i - 1], cx, cy), fill=255, width=max(1, round(2 * r)))
    layer = layer.resize((max(1, layer.width // 2), max(1, layer.height // 2)), Image.Resampling.LANCZOS)
    box = layer.getbbox()
    return layer.crop(box) if box else layer


def ink_dropout(arr: np.ndarray, rng: random.Random) -> np.ndarray:
    """A pen running dry or skipping: blotches of the ink faded to 20-60%."""
    g = np.random.default_rng(rng.randint(0, 2**31))
    blotches = ndimage.gaussian_filter(g.uniform(0, 1, arr.shape), rng.uniform(1.0, 3.0))
    cut = np.quantile(blotches, rng.uniform(0.6, 0.9))
    return np.where(blotches > cut, arr * rng.uniform(0.2, 0.6), arr)


def elastic(arr: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    """A smooth random displacement of `arr` (elastic distortion), `strength` pixels at most about."""
    g = np.random.default_rng(rng.randint(0, 2**31))
    sigma = max(2.0, arr.shape[0] / 6)
    dy = ndimage.gaussian_filter(g.uniform(-1, 1, arr.shape), sigma) * strength * sigma
    dx = ndimage.gaussian_filter(g.uniform(-1, 1, arr.shape), sigma) * strength * sigma
    yy, xx = np.mgrid[0 : arr.shape[0], 0 : arr.shape[1]].astype(np.float64)
    return ndimage.map_coordinates(arr, [yy + dy, xx + dx], order=1, mode="constant")


def drawn_box(rng: random.Random, font: Path | None, style: str) -> tuple[Image.Image, str]:
    """One courtesy box drawn with augmentation and cut as `locate` cuts it, cleaned by the reader; in `font`,
    or without one by a procedural hand (`hand_layer`)."""
    dpi = rng.uniform(150, 300)
    text = amount_text(rng, style)
    handwritten = style == "handwritten" or rng.random() < 0.15
    w, h = round(1.05 * dpi), round(0.32 * dpi)
    margin = round(0.15 * dpi)
    paper = tuple(rng.randint(205, 252) for _ in range(3))
    img = Image.new("RGB", (w + 2 * margin, h + 2 * margin), paper)
    rule = max(1, round(dpi / 150))
    frame = (margin, margin, margin + w, margin + h)
    if rng.random() < 0.85:
        ImageDraw.Draw(img).rectangle(frame, outline=tuple(rng.randint(10, 90) for _ in range(3)), width=rule)
    inner_h = h - 0.11 * dpi
    size = max(10, round(inner_h * rng.uniform(0.75, 1.0)))
    if font is None:
        layer = hand_layer(rng, text, size)
    else:
        layer = glyph_layer(rng, text, font, size, handwritten)
    # Slant and width; then stroke weight and an elastic distortion.
    shear, stretch = rng.uniform(-0.35, 0.35), rng.uniform(0.75, 1.25)
    lw, lh = layer.size
    layer = layer.transform(
        (round(lw * stretch + abs(shear) * lh), lh),
        Image.Transform.AFFINE,
        (1 / stretch, shear, -shear * lh if shear > 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    weight = rng.random()
    if weight < 0.2 and dpi >= 200:
        layer = layer.filter(ImageFilter.MinFilter(3))
    elif weight > 0.75:
        layer = layer.filter(ImageFilter.MaxFilter(3 if weight < 0.93 or dpi < 220 else 5))
    arr = np.asarray(layer, dtype=np.float64)
    if rng.random() < 0.7:
        arr = elastic(arr, rng, rng.uniform(0.5, 2.0))
    if rng.random() < 0.25:
        arr = ink_dropout(arr, rng)
    layer = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    # Fit into the box (as draw_text_in does: as large as fits), left-aligned with a little play.
    avail_w, avail_h = w - 0.11 * dpi, inner_h * rng.uniform(0.8, 1.05)
    factor = min(avail_w / layer.width, avail_h / layer.height)
    layer = layer.resize((max(1, round(layer.width * factor)), max(1, round(layer.height * factor))))
    x = margin + round(0.06 * dpi + rng.uniform(0, max(0.0, avail_w - layer.width) * 0.5))
    y = margin + h - round(0.06 * dpi) - layer.height + round(rng.uniform(-0.04, 0.02) * dpi)
    ink = (rng.randint(0, 60), rng.randint(0, 60), rng.randint(20, 150))
    img.paste(Image.new("RGB", layer.size, ink), (x, y), layer)
    gray = img.convert("L").filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.1)))
    noisy = np.array(gray, dtype=np.float32)
    noisy += (
        np.random.default_rng(rng.randint(0, 2**31))
        .normal(0, rng.uniform(1, 7), noisy.shape)
        .astype(np.float32)
    )
    gray_arr = np.clip(noisy, 0, 255).astype(np.uint8)
    # The crop `locate` gives: inside the top and bottom rules, the sides included; a few pixels off.
    off = [round(rng.uniform(-0.03, 0.03) * dpi) for _ in range(4)]
    crop = gray_arr[
        max(0, margin + rule + off[0]) : margin + h + off[1],
        max(0, margin + off[2]) : margin + w + rule + off[3],
    ]
    cleaned = remove_rules(ink_mask(crop), dpi)
    return amt._prepare(crop, cleaned, dpi), text


def from_front(
    rng: random.Random, style: str, split: str, font: Path | None = None
) -> tuple[Image.Image, str] | None:
    """A whole synthetic front's courtesy crop, cut by the reader itself (in `font`, or any of `split`)."""
    front, truth = make_front(rng, style=style, split=split, font=font, dpi=rng.choice((200, 200, 240)))
    crops = amt.prepare_crops(np.asarray(ImageOps.grayscale(front)), truth.dpi)
    if crops.courtesy is None:
        return None
    return crops.courtesy, truth.courtesy_text


# Installed faces that are in neither split of synth.FONTS, drawn for training only (tuning material, like the
# tune fonts; none of the held-out fonts' families). They are not in FONTS["tune"] because every font list
# change there redraws the benchmark's fronts (random.choice over a longer list takes other random numbers).
EXTRA_FONTS: dict[str, tuple[str, ...]] = {
    "handwritten": (
        "Purisa.ttf",
        "Purisa-Bold.ttf",
        "Purisa-Oblique.ttf",
        "Purisa-BoldOblique.ttf",
        "ComicNeue-Bold.otf",
        "ComicNeue-BoldItalic.otf",
        "ComicNeue-Light.otf",
        "ComicNeue-LightItalic.otf",
        "dkgIt.ttf",
        "dkgBI.ttf",
        # Debian's other hands (infra/apt-train-packages.txt): school cursive, pencil and pen, brush, marker,
        # felt-tip, secretary hand, script; the Japanese hands are drawn for their Latin figures.
        "Ecolier-court.ttf",
        "KleeOne-Regular.ttf",
        "KleeOne-SemiBold.ttf",
        "setofont.ttf",
        "kiloji.ttf",
        "kiloji_b.ttf",
        "kiloji_p.ttf",
        "lobster.otf",
        "LeckerliOne-Regular.ttf",
        "Havana-Regular.otf",
        "Joscelyn-Regular.otf",
        "AoyagiKouzanT.ttf",
        "YOzRCF.ttf",
        "YOzRC_i.ttf",
        "YOzBCF.ttf",
        "YuseiMagic-Regular.ttf",
        "Isabella.ttf",
        "StayPuft.ttf",
        "Z003-MediumItalic.otf",
    ),
    "printed": (
        "DejaVuSans-Oblique.ttf",
        "DejaVuSansCondensed.ttf",
        "DejaVuSansMono.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSans-Italic.ttf",
        "LiberationSansNarrow-Regular.ttf",
        "LiberationMono-Bold.ttf",
        "FreeMonoBold.ttf",
        "GNUTypewriter.ttf",
        "FantasqueSansMono-Regular.otf",
        "FantasqueSansMono-BoldItalic.otf",
        "OpenDyslexic-Regular.otf",
        "OpenDyslexic-Italic.otf",
        "Tuffy.ttf",
        "Tuffy_Bold_Italic.ttf",
    ),
}
HAND_SHARE = 0.3  # of the tuning samples, written by a procedural hand (`hand_layer`)
EXTRA_SHARE = 0.35  # in one of EXTRA_FONTS


def family(name: str) -> str:
    """The family of a font file ("LiberationMono-Bold.ttf" -> "LiberationMono"): kept out together."""
    return name.split(".")[0].split("-")[0]


def extra_fonts(leave_out: frozenset[str]) -> list[tuple[Path, str]]:
    """The installed EXTRA_FONTS (path, style), without the families of the fonts left out."""
    kept_out = {family(n) for n in leave_out}
    return [
        (path, style)
        for style, names in EXTRA_FONTS.items()
        for name in names
        if family(name) not in kept_out and (path := font_file(name)) is not None
    ]


def dataset(
    rng: random.Random, split: str, samples: int, front_share: float, leave_out: frozenset[str] = frozenset()
) -> list[Sample]:
    """`samples` crops drawn in the fonts of `split`, except those named in `leave_out` (and their families
    among EXTRA_FONTS); for the tuning split also by procedural hands and in EXTRA_FONTS."""
    pool = [(f, "handwritten") for f in fonts("handwritten", split)] + [
        (f, "printed") for f in fonts("printed", split)
    ]
    pool = [(f, style) for f, style in pool if f.name not in leave_out]
    if not pool:
        raise SystemExit(f"no {split} fonts installed: install the fonts in infra/apt-dev-packages.txt")
    extra = extra_fonts(leave_out) if split == "tune" else []
    hands = HAND_SHARE if split == "tune" else 0.0
    out: list[Sample] = []
    for i in range(samples):
        font, style = pool[i % len(pool)]
        got: tuple[Image.Image, str] | None
        r = rng.random()
        if r < hands:
            got = drawn_box(rng, None, "handwritten")
        elif extra and r < hands + EXTRA_SHARE:
            got = drawn_box(rng, *rng.choice(extra))
        elif rng.random() < front_share:
            # Without fonts left out, a front draws its own font from the split.
            got = from_front(rng, style, split, font if leave_out else None)
        else:
            got = drawn_box(rng, font, style)
        if got is None:
            continue
        x = normalise(got[0])
        if x is not None:
            out.append((x, got[1]))
    return out


# ---------------------------------------------------------------------------------------------- training


def batches(data: list[Sample], size: int, g: np.random.Generator) -> list[list[int]]:
    """Indices in batches of similar widths (little padding), in random order."""
    order = sorted(range(len(data)), key=lambda i: data[i][0].shape[1] + g.uniform(0, 24))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    return [groups[k] for k in g.permutation(len(groups))]


def to_tensor(data: list[Sample], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(data[i][0].shape[1] for i in idx)
    x = np.zeros((len(idx), 1, HEIGHT, width), np.float32)
    for j, i in enumerate(idx):
        x[j, 0, :, : data[i][0].shape[1]] = data[i][0]
    return torch.from_numpy(x), torch.tensor([data[i][0].shape[1] for i in idx])


def encode(text: str) -> list[int]:
    return [CHARSET.index(c) + 1 for c in text if c in CHARSET]


def train(model: Crnn, data: list[Sample], epochs: int, seed: int, lr: float = 2e-3) -> None:
    g = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    steps = epochs * math.ceil(len(data) / 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        model.train()
        for idx in batches(data, 32, g):
            x, widths = to_tensor(data, idx)
            targets = [encode(data[i][1]) for i in idx]
            logp = model(x, widths)
            loss = ctc(
                logp,
                torch.tensor([k for t in targets for k in t]),
                widths // 4,
                torch.tensor([len(t) for t in targets]),
            )
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        print(
            f"epoch {epoch + 1}: loss {total / len(data):.3f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


def read_all(model: Crnn, data: list[Sample]) -> list[str]:
    model.eval()
    out = []
    with torch.no_grad():
        for x, _ in data:
            logp = model(torch.from_numpy(x)[None, None], torch.tensor([x.shape[1]]))[:, 0]
            out.append(greedy_decode(np.exp(logp.numpy()))[0])
    return out


def accuracy(model: Crnn, data: list[Sample]) -> float:
    reads = read_all(model, data)
    return sum(r == t for r, (_, t) in zip(reads, data, strict=True)) / max(1, len(data))


def export(model: Crnn, path: Path) -> None:
    arrays = {
        name.replace("convs.", "conv"): tensor.numpy().astype(np.float16)  # convs.0.weight -> conv0.weight
        for name, tensor in model.state_dict().items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def check_numpy(model: Crnn, path: Path, data: list[Sample]) -> float:
    """The largest absolute difference between torch's and numpy's log-probabilities, the same (float16)
    weights in both."""
    net = Network.load(path)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
        model.eval()
        worst = 0.0
        for x, _ in data:
            ref = model(torch.from_numpy(x)[None, None], torch.tensor([x.shape[1]]))[:, 0].numpy()
            worst = max(worst, float(np.abs(ref - net.log_probs(x)).max()))
    return worst


def calibrate(path: Path, leave_out: frozenset[str], count: int = 200, seed: int = 202) -> None:
    """For CRNN_MIN: the numpy network at `path` reads `count` fronts drawn in the left-out tuning fonts
    (hands it never saw); wrong reads and reads by the probability of the best string."""
    net = Network.load(path)
    pool = [(f, st) for st in ("handwritten", "printed") for f in fonts(st, "tune") if f.name in leave_out]
    if not pool:
        return
    rng = random.Random(seed)
    rows: list[tuple[bool, float]] = []  # (right, probability) of each parsed reading
    for i in range(count):
        font, style = pool[i % len(pool)]
        front, truth = make_front(rng, style=style, font=font)
        crops = amt.prepare_crops(np.asarray(ImageOps.grayscale(front)), 200)
        read = read_line(crops.courtesy, net) if crops.courtesy is not None else None
        got = amt.crnn_candidate(read)
        if got.cents is not None and read is not None:
            rows.append((got.cents == round(float(truth.declared_amount) * 100), read.probability))
    worst = max((p for right, p in rows if not right), default=0.0)
    print(f"left-out tuning fonts, {count} fronts: largest probability of a wrong reading {worst:.4f}")
    for t in (0.9, 0.95, 0.98, 0.99, 0.995, 0.999):
        read_n = sum(p >= t for _, p in rows)
        wrong = sum(p >= t and not right for right, p in rows)
        print(f"- at >= {t}: {read_n} read, {wrong} wrong")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/amount_crnn_train.py", description=__doc__)
    parser.add_argument("--samples", type=int, default=12000, help="amount crops to draw (default 12000)")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--front-share",
        type=float,
        default=0.25,
        help="of the crops in tune fonts, the share cut from fronts",
    )
    parser.add_argument("--channels", default="16,32,64,96", help="the 4 conv layers' channels")
    parser.add_argument("--hidden", type=int, default=96, help="LSTM units per direction")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument(
        "--leave-out",
        default="",
        help="tuning fonts (file names, comma-separated) kept out of training: a model to calibrate CRNN_MIN "
        "on hands it never saw, without touching the held-out fonts",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    leave_out = frozenset(n for n in args.leave_out.split(",") if n)
    wanted = sum(len(names) for names in EXTRA_FONTS.values())
    found = len(extra_fonts(frozenset()))
    print(f"{found} of the {wanted} EXTRA_FONTS installed (see infra/apt-train-packages.txt)", flush=True)
    data = dataset(rng, "tune", args.samples, args.front_share, leave_out)
    cut = int(0.95 * len(data))
    train_set, valid = data[:cut], data[cut:]
    print(f"{len(data)} crops from the tuning fonts in {time.perf_counter() - started:.0f} s", flush=True)
    model = Crnn(tuple(int(c) for c in args.channels.split(",")), args.hidden)
    print(f"{sum(p.numel() for p in model.parameters())} parameters", flush=True)
    train(model, train_set, args.epochs, args.seed)
    print(f"validation (tuning fonts, unseen crops): {accuracy(model, valid):.3f} read exactly", flush=True)
    export(model, args.out)
    print(f"numpy vs torch, max abs diff of log-probabilities: {check_numpy(model, args.out, valid[:8]):.2e}")
    held = dataset(random.Random(args.seed + 1), "held_out", 300, 0.5)
    score = accuracy(model, held)
    print(f"held-out fonts: {score:.3f} read exactly on {len(held)} crops (not used for fitting)")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.perf_counter() - started:.0f} s")
    if leave_out:
        calibrate(args.out, leave_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
