"""Synthetic checks with known ground truth: `python -m openchecks.micr.synth OUTDIR --count N --seed S`.

Each check is drawn from scratch: the MICR line from the compact E-13B glyph definitions below
(rectangles in 0.013" modules, 9 modules high, on the standard 0.125" pitch), printed text in Pillow's
default font, rules, a scribbled signature, then paper tint, uneven camera-like lighting, rotation up to 5
degrees, placement mid-frame on a darker surface, blur, noise and JPEG artefacts. Every image gets a JSON file
beside it: routing (a valid ABA checksum unless the case is a deliberate `bad_checksum`), account, check
number, the MICR line, the declared amount, and whether the reader must accept it (`expect`: "accept" or
"review").

The courtesy amount (in the `$` box) and the legal amount (the line in words ending in "DOLLARS") are drawn
in a printed or a handwriting font from the Debian font packages in infra/apt-dev-packages.txt, each glyph
with a little jitter of size, baseline and spacing when handwritten; `amount_style` and `font` are in the
JSON. The fonts are split into a set for tuning and training (`split="tune"`) and a held-out set
(`split="held_out"`) that no threshold or model may see, to measure how a reader generalises.
`make_front` draws a flat front (no camera effects) at a known dpi, the input `read_amount` expects.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from openchecks.check.words import amount_to_words
from openchecks.micr.aba import check_digit
from openchecks.micr.symbols import AMOUNT, DASH, ON_US, TRANSIT

# E-13B glyphs as rectangles (x0, y0, x1, y1) in 0.013" modules: every glyph is 9 modules (0.117") high;
# strokes are thin (0.8) or thick (1.6). The first number is the glyph's width.
_T, _K = 0.8, 1.6
Rect = tuple[float, float, float, float]
GLYPHS: dict[str, tuple[float, tuple[Rect, ...]]] = {
    "0": (5.0, ((0.4, 0, 4.6, _T), (0.4, 9 - _T, 4.6, 9), (0, 0.4, 1.2, 8.6), (5 - _T, 0.4, 5, 8.6))),
    "1": (3.6, ((0.5, 0, 1.9, 1.2), (0.9, 0, 1.9, 5.2), (0, 5, 3.6, 9))),
    "2": (4.0, ((0, 0, 4, _T), (4 - _T, 0, 4, 5.2), (0, 4.5, 4, 5.3), (0, 4.5, _T, 9), (0, 9 - _T, 4, 9))),
    "3": (
        4.6,
        ((0, 0, 3.8, _T), (3.0, 0, 3.8, 4.6), (0, 4.2, 4.6, 5.0), (2.9, 4.2, 4.6, 9), (0, 9 - _T, 4.6, 9)),
    ),
    "4": (5.6, ((0, 0, _K, 6.4), (0, 5.6, 5.6, 6.4), (4.0, 4.8, 5.6, 9))),
    "5": (
        4.6,
        ((0, 0, 4.6, _T), (0, 0, _T, 5.0), (0, 4.2, 4.6, 5.0), (3.0, 4.2, 4.6, 9), (0, 9 - _T, 4.6, 9)),
    ),
    "6": (
        5.8,
        (
            (0, 0, _T, 9),
            (0, 0, 3.8, _T),
            (3.1, 0, 3.8, 2.3),
            (0, 5, 5.8, 5.8),
            (5, 5, 5.8, 9),
            (0, 8.2, 5.8, 9),
        ),
    ),
    "7": (
        4.6,
        ((0, 0, 4.6, _T), (0, 0, _T, 2.7), (3.8, 0, 4.6, 4.6), (2.1, 3.9, 4.6, 4.7), (2.1, 3.9, 2.9, 9)),
    ),
    "8": (
        6.0,
        (
            (0.6, 0, 5.4, _T),
            (0.6, 0, 1.4, 4.6),
            (4.6, 0, 5.4, 4.6),
            (0, 4.2, 6, 5.0),
            (0, 4.2, _K, 9),
            (4.4, 4.2, 6, 9),
            (0, 7.8, 6, 9),
        ),
    ),
    "9": (
        5.8,
        ((0, 0, 5.8, _T), (0, 0, _T, 5.4), (5.0, 0, 5.8, 5.4), (0, 4.4, 5.8, 5.4), (4.2, 4.4, 5.8, 9)),
    ),
    TRANSIT: (6.7, ((0, 1.6, 1.7, 7.6), (4.1, 0, 6.7, 2.9), (4.1, 6.3, 6.7, 9))),
    ON_US: (6.6, ((0, 1.0, 0.85, 7.1), (1.9, 1.0, 2.8, 7.1), (3.9, 0, 6.6, 4.0))),
    AMOUNT: (6.5, ((0, 5.3, 1.4, 9), (2.8, 2.8, 3.5, 6.8), (5.1, 0, 6.5, 3.9))),
    DASH: (6.0, ((0, 3.2, 1.6, 5.6), (2.4, 2.6, 4.4, 6.2), (5.2, 3.2, 6.0, 5.6))),
}
MODULE_IN = 0.013
PITCH_IN = 0.125
CHECK_SIZE_IN = (6.0, 2.75)

_PAYEES = (
    "Anna Michalik",
    "Jose Trinidad",
    "Blackvine Pte Ltd",
    "Acme Supply Co",
    "R. Okafor",
    "Mei Lin Tan",
)
_BANKS = ("FIRST NATIONAL BANK", "CENTRAL BANK", "RIVERSIDE CREDIT UNION", "BANK OF THE PLAINS")


@dataclass(frozen=True)
class Truth:
    """What a reader must find on a synthetic check."""

    micr: str
    routing: str
    account: str
    check_number: str
    declared_amount: str
    amount_cents: int | None
    expect: str
    case: str
    angle: float
    photo: bool
    amount_style: str = "printed"
    font: str = ""
    courtesy_text: str = ""
    legal_text: str = ""
    dpi: float = 0.0


AmountStyle = Literal["printed", "handwritten"]
FontSplit = Literal["tune", "held_out"]
FONT_DIRS = (Path("/usr/share/fonts"),)
# File names of the fonts, by style and split. Held-out fonts come from other families (bwht's six hands are
# six different writers) and are never used to tune thresholds or train the glyph model.
FONTS: dict[str, dict[str, tuple[str, ...]]] = {
    "printed": {
        "tune": (
            "DejaVuSans.ttf",
            "DejaVuSans-Bold.ttf",
            "LiberationSans-Regular.ttf",
            "LiberationMono-Regular.ttf",
            "FreeMono.ttf",
        ),
        "held_out": ("FreeSerif.ttf", "LiberationSerif-Bold.ttf", "FreeSans.ttf", "DejaVuSerif.ttf"),
    },
    "handwritten": {
        "tune": (
            "dkg.ttf",
            "dkgBd.ttf",
            "Humor-Sans.ttf",
            "Breip.ttf",
            "DancingScript-Regular.otf",
            "DancingScript-Bold.otf",
            "KaushanScript-Regular.otf",
            "BecauseWeBuild-Regular.otf",
            "BecauseWeConnect-Regular.otf",
            "BecauseWeCreate-Regular.otf",
            "femkeklaver.ttf",
            "TomsonTalks.ttf",
            "SteveHand.ttf",
            "ComicNeue-Regular.otf",
            "ComicNeue-Italic.otf",
        ),
        "held_out": (
            "BecauseWeLearn-Regular.otf",
            "BecauseWeMentor-Regular.otf",
            "BecauseWeOrganize-Regular.otf",
            "Kristi.ttf",
            "Rufscript010.ttf",
            "Delphine.ttf",
        ),
    },
}


@cache
def _font_index() -> dict[str, Path]:
    index: dict[str, Path] = {}
    for root in FONT_DIRS:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf"):
                    index.setdefault(path.name, path)
    return index


def fonts(style: str, split: str = "tune") -> list[Path]:
    """The installed fonts of `style` ("printed" | "handwritten") in `split` ("tune" | "held_out")."""
    return [path for name in FONTS[style][split] if (path := font_file(name)) is not None]


def font_file(name: str) -> Path | None:
    """The installed file of the font named `name` ("Kristi.ttf"), None when it is not installed."""
    return _font_index().get(name)


@cache
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def random_routing(rng: random.Random, valid: bool = True) -> str:
    """A nine-digit routing number whose checksum is valid (or deliberately invalid)."""
    first = f"{rng.choice((0, 1, 2, 3, 6, 7)):01d}{rng.randint(1, 9)}" + "".join(
        str(rng.randint(0, 9)) for _ in range(6)
    )
    digit = int(check_digit(first))
    if not valid:
        digit = (digit + rng.randint(1, 9)) % 10
    return first + str(digit)


def micr_line(rng: random.Random, routing: str, account: str, serial: str, amount_cents: int | None) -> str:
    """A US MICR line in one of the common layouts (personal, business with auxiliary on-us)."""
    if rng.random() < 0.5:
        line = f"{TRANSIT}{routing}{TRANSIT} {account}{ON_US} {serial}"
    else:
        line = f"{ON_US}{serial}{ON_US} {TRANSIT}{routing}{TRANSIT} {account}{ON_US}"
    if amount_cents is not None:
        line += f"   {AMOUNT}{amount_cents:010d}{AMOUNT}"
    return line


def draw_micr(draw: ImageDraw.ImageDraw, text: str, left: float, bottom: float, dpi: float) -> None:
    """Draw `text` (digits, the four symbols, spaces) on baseline `bottom`, starting at `left` (pixels)."""
    module = MODULE_IN * dpi
    pitch = PITCH_IN * dpi
    for i, ch in enumerate(text):
        glyph = GLYPHS.get(ch)
        if glyph is None:
            continue
        width, rects = glyph
        x0 = left + i * pitch + (pitch - width * module) / 2
        y0 = bottom - 9 * module
        for rx0, ry0, rx1, ry1 in rects:
            # Rounded pixel edges, so touching rectangles join without seams.
            box = (
                round(x0 + rx0 * module),
                round(y0 + ry0 * module),
                max(round(x0 + rx0 * module), round(x0 + rx1 * module) - 1),
                max(round(y0 + ry0 * module), round(y0 + ry1 * module) - 1),
            )
            draw.rectangle(box, fill=(20, 20, 25))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def random_cents(rng: random.Random) -> int:
    """An amount as checks carry them: whole dollars half the time, from $1 to $99,999 (log-uniform)."""
    dollars = int(10 ** rng.uniform(0, 5))
    return dollars * 100 + (0 if rng.random() < 0.5 else rng.randint(1, 99))


def courtesy_text(cents: int, style: str, rng: random.Random) -> str:
    """The figures in the `$` box as people write or print them: "1,042.00", "1042-00", "**1,042.00"."""
    dollars, rest = divmod(cents, 100)
    grouped = f"{dollars:,}"
    if style == "printed":
        return rng.choice((f"{grouped}.{rest:02d}", f"{dollars}.{rest:02d}", f"**{grouped}.{rest:02d}"))
    return rng.choice(
        (f"{dollars}.{rest:02d}", f"{grouped}.{rest:02d}", f"{dollars}-{rest:02d}", f"{dollars}.{rest:02d}")
    )


def draw_text_in(
    img: Image.Image,
    text: str,
    box: tuple[float, float, float, float],
    font_path: Path | None,
    ink: tuple[int, int, int],
    rng: random.Random,
    handwritten: bool,
) -> None:
    """Draw `text` left-aligned on the bottom of `box` (pixels), as large as fits its height and width.

    Handwritten text is drawn glyph by glyph with jitter (size, baseline, spacing) and a slight slant of the
    whole line, so no two amounts in one font look the same.
    """
    x0, y0, x1, y1 = box
    height = y1 - y0
    size = max(8, round(height * rng.uniform(0.8, 0.95)))
    while True:
        font = _truetype(str(font_path), size) if font_path else _font(size)
        width = font.getlength(text) * (1.08 if handwritten else 1.0)
        if width <= (x1 - x0) or size <= 8:
            break
        size = max(8, int(size * (x1 - x0) / width) - 1)
    layer = Image.new("L", (round(x1 - x0) + 2 * size, round(height) + 2 * size), 0)
    draw = ImageDraw.Draw(layer)
    base = size + round(height * 0.95)
    x = float(size)
    for ch in text if handwritten else (text,):
        scale = rng.uniform(0.88, 1.1) if handwritten else 1.0
        glyph_font = _truetype(str(font_path), max(8, round(size * scale))) if font_path else font
        dy = rng.uniform(-0.06, 0.06) * size if handwritten else 0.0
        draw.text((x, base + dy), ch, fill=255, font=glyph_font, anchor="ls")
        x += glyph_font.getlength(ch) + (rng.uniform(0.0, 0.12) * size if handwritten else 0.0)
    if handwritten:
        layer = layer.rotate(rng.uniform(-3, 3), resample=Image.Resampling.BICUBIC, center=(size, base))
    solid = Image.new("RGB", layer.size, ink)
    img.paste(solid, (round(x0) - size, round(y0) - size), layer)


def draw_check(
    rng: random.Random,
    truth_line: str,
    check_number: str,
    amount: str,
    dpi: float,
    *,
    style: str = "printed",
    font_path: Path | None = None,
    legal: str | None = None,
) -> Image.Image:
    """A clean check face (RGB) with the given MICR line and the amount in figures (`amount`) and words."""
    w, h = round(CHECK_SIZE_IN[0] * dpi), round(CHECK_SIZE_IN[1] * dpi)
    tint = tuple(rng.randint(215, 250) for _ in range(3))
    img = Image.new("RGB", (w, h), tint)
    draw = ImageDraw.Draw(img)
    ink = (rng.randint(10, 60), rng.randint(10, 60), rng.randint(30, 90))
    small, big = _font(max(10, round(0.09 * dpi))), _font(max(12, round(0.13 * dpi)))
    draw.text((0.3 * dpi, 0.2 * dpi), rng.choice(_PAYEES).upper(), fill=ink, font=big)
    draw.text((0.3 * dpi, 0.42 * dpi), f"{rng.randint(10, 9999)} MAIN ST", fill=ink, font=small)
    draw.text((w - 1.0 * dpi, 0.2 * dpi), check_number[-6:], fill=ink, font=big)
    draw.text(
        (w - 2.2 * dpi, 0.6 * dpi),
        f"DATE {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2026",
        fill=ink,
        font=small,
    )
    draw.text((0.3 * dpi, 0.95 * dpi), "PAY TO THE ORDER OF", fill=ink, font=small)
    draw.text((1.6 * dpi, 0.9 * dpi), rng.choice(_PAYEES), fill=ink, font=big)
    draw.line((1.5 * dpi, 1.08 * dpi, w - 1.6 * dpi, 1.08 * dpi), fill=ink, width=max(1, round(dpi / 150)))
    box = (w - 1.3 * dpi, 0.8 * dpi, w - 0.25 * dpi, 1.12 * dpi)
    draw.rectangle(box, outline=ink, width=max(1, round(dpi / 150)))
    draw.text((w - 1.48 * dpi, 0.86 * dpi), "$", fill=ink, font=_font(max(12, round(0.16 * dpi))))
    # The legal line: the amount in words above a rule that ends in "DOLLARS".
    legal_y = 1.45 * dpi
    draw.line((0.3 * dpi, legal_y, w - 1.05 * dpi, legal_y), fill=ink, width=max(1, round(dpi / 150)))
    draw.text((w - 1.0 * dpi, legal_y - 0.1 * dpi), "DOLLARS", fill=ink, font=small)
    handwritten = style == "handwritten"
    # The amounts' jitter has its own generator, seeded from what is drawn, so a check consumes the
    # main stream exactly as before the amounts were drawn.
    hand = random.Random(f"{amount}|{legal}|{dpi}|{style}|{font_path}")
    pen = (hand.randint(10, 40), hand.randint(10, 40), hand.randint(60, 140)) if handwritten else ink
    text_box = (box[0] + 0.06 * dpi, box[1] + 0.05 * dpi, box[2] - 0.05 * dpi, box[3] - 0.06 * dpi)
    draw_text_in(img, amount, text_box, font_path, pen, hand, handwritten)
    if legal:
        legal_box = (0.4 * dpi, legal_y - 0.24 * dpi, w - 1.15 * dpi, legal_y - 0.03 * dpi)
        draw_text_in(img, legal, legal_box, font_path, pen, hand, handwritten)
    draw.text((0.3 * dpi, 1.6 * dpi), rng.choice(_BANKS), fill=ink, font=small)
    draw.text((0.3 * dpi, 1.95 * dpi), "MEMO", fill=ink, font=small)
    draw.line((0.8 * dpi, 2.05 * dpi, 2.8 * dpi, 2.05 * dpi), fill=ink)
    draw.line((w - 2.6 * dpi, 2.05 * dpi, w - 0.3 * dpi, 2.05 * dpi), fill=ink)
    # A scribbled signature above the signature rule.
    x, y = w - 2.4 * dpi, 1.95 * dpi
    points = [(x + i * 0.08 * dpi, y - rng.uniform(0, 0.25) * dpi) for i in range(22)]
    draw.line(points, fill=(30, 30, 80), width=max(1, round(dpi / 100)), joint="curve")
    # The MICR line sits in the clear band at the bottom, about 3/16" above the edge.
    draw_micr(draw, truth_line, rng.uniform(0.35, 0.9) * dpi, h - rng.uniform(0.19, 0.26) * dpi, dpi)
    return img


def photograph(rng: random.Random, check: Image.Image, angle: float, photo: bool) -> Image.Image:
    """Camera-like effects: frame and placement, rotation, uneven lighting, blur, noise, JPEG artefacts."""
    if photo:
        bg = tuple(rng.randint(40, 120) for _ in range(3))
        frame = Image.new("RGB", (round(check.width * 1.35), round(check.height * 1.8)), bg)
        frame.paste(
            check, (rng.randint(0, frame.width - check.width), rng.randint(0, frame.height - check.height))
        )
        check = frame
    img = check.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=check.getpixel((0, 0))
    )
    arr = np.asarray(img, dtype=np.float32)
    hgt, wid = arr.shape[:2]
    yy, xx = np.ogrid[0:hgt, 0:wid]
    cx, cy = rng.uniform(0, wid), rng.uniform(0, hgt)
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2, dtype=np.float32) / max(wid, hgt)
    light = 1.0 - rng.uniform(0.1, 0.35) * dist + rng.uniform(-0.05, 0.05) * (xx / wid)
    noise = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(arr.shape, dtype=np.float32)
    arr = arr * light[..., None].astype(np.float32) + noise * np.float32(rng.uniform(2, 7))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.randint(45, 85))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _amount(
    rng: random.Random, style: str | None, split: str, font: Path | None
) -> tuple[str, Path | None, int]:
    chosen = style or ("handwritten" if rng.random() < 0.5 else "printed")
    if font is None:
        choices = fonts(chosen, split)
        font = rng.choice(choices) if choices else None
    return chosen, font, random_cents(rng)


def make_check(
    rng: random.Random,
    review_rate: float = 0.15,
    photo_rate: float = 0.5,
    *,
    style: str | None = None,
    split: str = "tune",
) -> tuple[Image.Image, Truth]:
    """One synthetic check image and its ground truth."""
    bad = rng.random() < review_rate
    routing = random_routing(rng, valid=not bad)
    account = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(6, 12)))
    serial = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(4, 6)))
    chosen, font, cents = _amount(rng, style, split, None)
    amount = f"{cents // 100}.{cents % 100:02d}"
    encoded = cents if rng.random() < 0.2 else None
    line = micr_line(rng, routing, account, serial, encoded)
    dpi = rng.uniform(170, 240)
    angle = rng.uniform(-5, 5)
    photo = rng.random() < photo_rate
    figures, words = courtesy_text(cents, chosen, rng), amount_to_words(cents, rng)
    face = draw_check(rng, line, serial, figures, dpi, style=chosen, font_path=font, legal=words)
    image = photograph(rng, face, angle, photo)
    truth = Truth(
        micr=line,
        routing=routing,
        account=account,
        check_number=serial,
        declared_amount=amount,
        amount_cents=encoded,
        expect="review" if bad else "accept",
        case="bad_checksum" if bad else "valid",
        angle=round(angle, 2),
        photo=photo,
        amount_style=chosen,
        font=font.name if font else "default",
        courtesy_text=figures,
        legal_text=words,
        dpi=round(dpi, 2),
    )
    return image, truth


def make_front(
    rng: random.Random,
    *,
    style: str | None = None,
    split: str = "tune",
    font: Path | None = None,
    dpi: int = 200,
) -> tuple[Image.Image, Truth]:
    """A flat check front at `dpi` (no camera effects, as `straighten` hands it on) and its ground truth."""
    routing = random_routing(rng)
    account = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(6, 12)))
    serial = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(4, 6)))
    chosen, font, cents = _amount(rng, style, split, font)
    line = micr_line(rng, routing, account, serial, None)
    figures, words = courtesy_text(cents, chosen, rng), amount_to_words(cents, rng)
    image = draw_check(rng, line, serial, figures, dpi, style=chosen, font_path=font, legal=words)
    arr = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(arr.shape, dtype=np.float32)
    image = Image.fromarray(np.clip(arr + noise * np.float32(rng.uniform(1, 4)), 0, 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.6)))
    truth = Truth(
        micr=line,
        routing=routing,
        account=account,
        check_number=serial,
        declared_amount=f"{cents // 100}.{cents % 100:02d}",
        amount_cents=None,
        expect="accept",
        case="valid",
        angle=0.0,
        photo=False,
        amount_style=chosen,
        font=font.name if font else "default",
        courtesy_text=figures,
        legal_text=words,
        dpi=float(dpi),
    )
    return image, truth


def generate(
    outdir: Path,
    count: int,
    seed: int,
    review_rate: float = 0.15,
    *,
    style: str | None = None,
    split: str = "tune",
) -> list[Path]:
    """Write `count` checks (check-NNNN.jpg + .json) into `outdir`; the same seed gives the same files."""
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        image, truth = make_check(rng, review_rate=review_rate, style=style, split=split)
        path = outdir / f"check-{i:04d}.jpg"
        image.save(path, quality=92)
        path.with_suffix(".json").write_text(json.dumps(asdict(truth), ensure_ascii=False, indent=1) + "\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openchecks.micr.synth", description=__doc__.split("\n")[0]
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--review-rate", type=float, default=0.15, help="share of checks with a bad checksum")
    parser.add_argument(
        "--amount-style", choices=("printed", "handwritten"), help="amounts written how (default mixed)"
    )
    parser.add_argument(
        "--fonts", choices=("tune", "held_out"), default="tune", help="which font set draws the amounts"
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    paths = generate(
        args.outdir, args.count, args.seed, args.review_rate, style=args.amount_style, split=args.fonts
    )
    print(f"wrote {len(paths)} checks to {args.outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
