"""Synthetic check backs with a known endorsement, for tests and the benchmark.

`draw_back` returns the back as the straightened image of a check would show it: landscape, at the check's
real size and `dpi`. The payee's endorsement area is the 1.5 inches at the trailing edge (X9.100-111), which
on the back in this orientation is the left end; its text runs across the short side, as people write it
with the check turned upright. Drawn in that upright frame: the "ENDORSE HERE" caption, the writing lines
(the first with an "X"), the "DO NOT WRITE, STAMP OR SIGN BELOW THIS LINE" rule, the bank's endorsement zone
below it (sometimes with a depositary bank stamp), a security-features box and a faint microprint
background; then the endorsement (in a printed or a handwriting font, slightly tilted), the payee's
signature (the name in a handwriting font over a scribble), paper tint, uneven light and noise.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Style = Literal["printed", "handwritten"]
Font = ImageFont.FreeTypeFont

# Debian font files (infra/apt-dev-packages.txt). The reader was tuned on the "tuning" fonts only; the
# held-out ones measure how it generalises (bench/ocr_endorse.py reports them separately).
_FONTS = Path("/usr/share/fonts")
HANDWRITING_FONTS: dict[str, tuple[str, ...]] = {
    "tuning": (
        "truetype/fifthhorseman/dkg.ttf",
        "truetype/humor-sans/Humor-Sans.ttf",
        "truetype/breip/Breip.ttf",
        "truetype/tlwg/Purisa.ttf",
        "truetype/fifthhorseman/dkgBd.ttf",
    ),
    "held_out": (
        "opentype/dancingscript/DancingScript-Regular.otf",
        "opentype/kaushanscript/KaushanScript-Regular.otf",
        "truetype/rufscript/Rufscript010.ttf",
        "truetype/sjfonts/SteveHand.ttf",
        "opentype/comic-neue/ComicNeue-Regular.otf",
    ),
}
PRINTED_FONTS: dict[str, tuple[str, ...]] = {
    "tuning": (
        "truetype/dejavu/DejaVuSans.ttf",
        "truetype/liberation/LiberationSans-Regular.ttf",
        "truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    "held_out": (
        "truetype/freefont/FreeSans.ttf",
        "truetype/liberation/LiberationSerif-Regular.ttf",
        "truetype/freefont/FreeMono.ttf",
        "truetype/dejavu/DejaVuSerif.ttf",
    ),
}
# Signatures are always drawn in a script face, whatever the endorsement's style.
SIGNATURE_FONTS = (
    "opentype/dancingscript/DancingScript-Regular.otf",
    "truetype/fifthhorseman/dkgIt.ttf",
    "truetype/sjfonts/Delphine.ttf",
    "opentype/kaushanscript/KaushanScript-Regular.otf",
)
_CAPTION_FONT = "truetype/dejavu/DejaVuSans.ttf"
_CAPTION_BOLD = "truetype/dejavu/DejaVuSans-Bold.ttf"

ENDORSE_CAPTIONS = ("ENDORSE HERE", "ENDORSE CHECK HERE", "ENDORSE HERE:")
RULE_CAPTION = "DO NOT WRITE, STAMP OR SIGN BELOW THIS LINE"
RULE_SUBCAPTION = "RESERVED FOR FINANCIAL INSTITUTION USE"
STAMP_LINES = (
    ("PAY TO THE ORDER OF", "ANY BANK OR BANKER", "PRIOR ENDORSEMENTS GUARANTEED"),
    ("FOR DEPOSIT ONLY", "FIRST EXAMPLE BANK, N.A.", "T/R 011000015"),
    ("DEPOSITED", "EXAMPLE CREDIT UNION", "PEG"),
)
SECURITY_TEXT = (
    "SECURITY FEATURES",
    "Microprint signature line",
    "Security screen on back",
    "Chemically reactive paper",
    "Heat sensitive icon",
)


class FontMissingError(RuntimeError):
    """A font file draw_back needs is not installed (see infra/apt-dev-packages.txt)."""


def font_path(name: str) -> Path:
    """The file of a font named as in the tables above (under /usr/share/fonts), or an absolute path."""
    path = Path(name)
    return path if path.is_absolute() else _FONTS / path


def available_fonts(style: Style, group: Literal["tuning", "held_out", "all"] = "all") -> list[str]:
    """The fonts of `style` (and `group`) that are installed on this machine."""
    table = HANDWRITING_FONTS if style == "handwritten" else PRINTED_FONTS
    names = [*table["tuning"], *table["held_out"]] if group == "all" else list(table[group])
    return [n for n in names if font_path(n).is_file()]


def _load(name: str, size: int) -> Font:
    path = font_path(name)
    if not path.is_file():
        raise FontMissingError(
            f"the font {path} is not installed: apt-get install the packages in infra/apt-dev-packages.txt"
        )
    return ImageFont.truetype(str(path), size)


def _fit(name: str, text: str, size: int, width: int) -> Font:
    """The font at `size`, shrunk until `text` fits in `width` pixels."""
    font = _load(name, size)
    while size > 8 and font.getlength(text) > width:
        size = int(size * 0.92)
        font = _load(name, size)
    return font


def _wrap(text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _ink(rng: random.Random) -> tuple[int, int, int]:
    return rng.choice([(20, 30, 110), (25, 25, 35), (10, 40, 140), (40, 40, 60)])


def _paste_text(
    page: Image.Image,
    text: str,
    font: Font,
    xy: tuple[float, float],
    colour: tuple[int, int, int],
    angle: float,
) -> None:
    """Draw `text` with its baseline-left at `xy`, tilted by `angle` degrees, onto `page` (RGB)."""
    left, top, right, bottom = font.getbbox(text)
    pad = 6
    layer = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(layer).text((pad - left, pad - top), text, font=font, fill=255)
    width, height = layer.size
    if angle:
        # Rotated about its centre: the middle of the baseline stays at `xy`'s height, the ends tilt.
        layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    ascent = font.getmetrics()[0]
    x = int(xy[0] - pad - (layer.width - width) / 2)
    y = int(xy[1] - ascent + top - pad - (layer.height - height) / 2)
    page.paste(Image.new("RGB", layer.size, colour), (x, y), layer)


def _scribble(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    box: tuple[float, float, float, float],
    colour: tuple[int, int, int],
    width: int,
) -> None:
    """A signature-like loop scribble inside `box`."""
    x0, y0, x1, y1 = box
    points: list[tuple[float, float]] = []
    steps = rng.randint(40, 70)
    phase = rng.uniform(0, math.tau)
    loops = rng.uniform(4, 9)
    for i in range(steps):
        t = i / (steps - 1)
        x = x0 + (x1 - x0) * t + rng.uniform(-2, 2)
        y = (y0 + y1) / 2 + (y1 - y0) / 2 * math.sin(phase + t * loops * math.pi) * rng.uniform(0.4, 1.0)
        points.append((x, y))
    draw.line(points, fill=colour, width=width, joint="curve")
    # The closing underline flourish most signatures end with.
    tail = [(x0 + (x1 - x0) * 0.1, y1), (x1, y1 - (y1 - y0) * rng.uniform(0.0, 0.4))]
    draw.line(tail, fill=colour, width=width)


def _microprint(page: Image.Image, rng: random.Random, dpi: int) -> None:
    """The faint security background: a repeated line of small text in a light tint."""
    draw = ImageDraw.Draw(page)
    font = _load(_CAPTION_FONT, max(6, round(dpi * 0.045)))
    tint = rng.choice([(214, 222, 236), (226, 216, 226), (212, 228, 214)])
    word = rng.choice(["ORIGINAL DOCUMENT ", "SECURITY PAPER ", "VOID IF ALTERED "]) * 12
    step = max(6, round(dpi * 0.11))
    for i, y in enumerate(range(0, page.height, step)):
        draw.text((-(i * 17) % 120 - 120, y), word, font=font, fill=tint)


def _stamp(page: Image.Image, rng: random.Random, dpi: int, zone: tuple[int, int, int, int]) -> None:
    """A depositary bank's rubber stamp somewhere in the bank zone (never in the payee's area)."""
    lines = rng.choice(STAMP_LINES)
    font = _load(_CAPTION_BOLD, round(dpi * rng.uniform(0.07, 0.09)))
    gap = round(font.size * 1.25)
    width = int(max(font.getlength(t) for t in lines)) + 2 * gap // 2
    height = gap * len(lines) + gap // 2
    layer = Image.new("L", (width + 8, height + 8), 0)
    draw = ImageDraw.Draw(layer)
    draw.rectangle((2, 2, width + 4, height + 4), outline=255, width=max(2, dpi // 100))
    for i, text in enumerate(lines):
        draw.text((gap // 2 + 2, gap // 3 + i * gap), text, font=font, fill=255)
    layer = layer.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC, expand=True)
    # Rubber stamps print unevenly.
    mask = np.asarray(layer, dtype=np.float32) * np.random.default_rng(rng.getrandbits(32)).uniform(
        0.45, 1.0, size=(layer.height, layer.width)
    )
    layer = Image.fromarray(mask.astype(np.uint8))
    x0, y0, x1, y1 = zone
    x = rng.randint(x0, max(x0, x1 - layer.width))
    y = rng.randint(y0, max(y0, y1 - layer.height))
    colour = rng.choice([(110, 40, 140), (40, 60, 150), (150, 40, 50)])
    page.paste(Image.new("RGB", layer.size, colour), (x, y), layer)


def _security_box(page: Image.Image, rng: random.Random, dpi: int, top: int) -> None:
    draw = ImageDraw.Draw(page)
    size = max(7, round(dpi * 0.05))
    font = _load(_CAPTION_FONT, size)
    bold = _load(_CAPTION_BOLD, size)
    colour = (90, 90, 100)
    x0 = round(page.width * rng.uniform(0.08, 0.15))
    lines = SECURITY_TEXT[: rng.randint(3, len(SECURITY_TEXT))]
    height = round(size * 1.4) * len(lines) + size
    draw.rectangle((x0, top, page.width - x0, top + height), outline=colour, width=1)
    for i, text in enumerate(lines):
        draw.text(
            (x0 + size, top + size // 2 + i * round(size * 1.4)),
            text,
            font=bold if i == 0 else font,
            fill=colour,
        )


def _age(page: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    """Paper tint, uneven light, a little blur and sensor noise."""
    arr = np.asarray(page, dtype=np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, math.tau)
    ramp = (math.cos(angle) * xx / w + math.sin(angle) * yy / h) * rng.uniform(0.0, 0.18)
    light = 1.0 - ramp[..., None]
    tint = np.array(rng.choice([(250, 248, 240), (244, 246, 250), (252, 250, 246), (240, 240, 236)]))
    arr = arr * (tint / 255.0) * light
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(2.0, 6.0), arr.shape[:2])
    arr = np.clip(arr + noise[..., None], 0, 255).astype(np.uint8)
    image = Image.fromarray(arr)
    blur = rng.uniform(0.0, 0.8) * dpi / 200
    return image.filter(ImageFilter.GaussianBlur(blur)) if blur > 0.2 else image


def draw_back(
    rng: random.Random,
    *,
    endorsement: str | None,
    style: Style,
    size_in: tuple[float, float] = (6, 2.75),
    dpi: int = 200,
    payee: str | None,
    font: str | None = None,
    stamp: bool = False,
    fonts: Sequence[str] | None = None,
) -> Image.Image:
    """A check back (RGB, landscape, `size_in` inches at `dpi`) endorsed with `endorsement` and `payee`.

    `endorsement` is the text written in the payee's area ("For mobile deposit only") in `style`; `payee` is
    the name signed (a script face over a scribble); either may be None (both None: a back nobody endorsed).
    `font` picks the endorsement's font (a name from the tables above or a path); otherwise one is drawn from
    `fonts`, or from all installed fonts of `style`. `stamp` adds a depositary bank's stamp in the bank zone.
    Raises FontMissingError when a font it needs is not installed, ValueError when the text cannot fit.
    """
    long_px = round(max(size_in) * dpi)
    short_px = round(min(size_in) * dpi)
    # Drawn upright: the trailing edge at the top, text running across the short side.
    page = Image.new("RGB", (short_px, long_px), (255, 255, 255))
    _microprint(page, rng, dpi)
    draw = ImageDraw.Draw(page)
    grey = (rng.randint(40, 90),) * 3
    margin = round(dpi * rng.uniform(0.12, 0.22))

    caption = rng.choice(ENDORSE_CAPTIONS)
    caption_font = _load(_CAPTION_BOLD, round(dpi * rng.uniform(0.06, 0.075)))
    caption_y = round(dpi * rng.uniform(0.1, 0.16))
    draw.text((margin, caption_y), caption, font=caption_font, fill=grey)

    rule_y = round(dpi * rng.uniform(1.45, 1.6))
    first_line = caption_y + round(dpi * rng.uniform(0.42, 0.5))
    count = rng.randint(3, 4)
    spacing = (rule_y - round(dpi * 0.12) - first_line) / max(1, count - 1) if count > 1 else 0
    line_ys = [round(first_line + i * spacing) for i in range(count)]
    line_width = max(1, round(dpi / 200 * rng.choice([1, 1, 2])))
    for i, y in enumerate(line_ys):
        x0 = margin
        if i == 0 and rng.random() < 0.8:
            x_font = _load(_CAPTION_BOLD, round(dpi * 0.09))
            draw.text((margin, y - round(dpi * 0.1)), "X", font=x_font, fill=grey)
            x0 = margin + round(dpi * 0.12)
        draw.line((x0, y, short_px - margin, y), fill=grey, width=line_width)

    rule_font = _fit(_CAPTION_BOLD, RULE_CAPTION, round(dpi * 0.05), short_px - 2 * margin)
    draw.line((margin // 2, rule_y, short_px - margin // 2, rule_y), fill=grey, width=max(2, dpi // 100))
    draw.text((margin, rule_y + round(dpi * 0.025)), RULE_CAPTION, font=rule_font, fill=grey)
    sub_font = _fit(_CAPTION_FONT, RULE_SUBCAPTION, round(dpi * 0.045), short_px - 2 * margin)
    draw.text((margin, rule_y + round(dpi * 0.1)), RULE_SUBCAPTION, font=sub_font, fill=grey)
    _security_box(page, rng, dpi, round(long_px - dpi * rng.uniform(1.0, 1.3)))
    if stamp:
        zone = (margin, rule_y + round(dpi * 0.3), short_px - margin, round(long_px - dpi * 1.4))
        _stamp(page, rng, dpi, zone)

    # What the payee wrote, one entry per writing line: the signature and the endorsement's wrapped lines.
    usable = short_px - 2 * margin - round(dpi * 0.15)
    colour = _ink(rng)
    writings: list[tuple[str, Font, bool]] = []
    if endorsement:
        name = font or rng.choice(list(fonts) if fonts else available_fonts(style))
        height = dpi * (rng.uniform(0.13, 0.17) if style == "handwritten" else rng.uniform(0.09, 0.12))
        text_font = _load(name, round(height))
        wrapped = _wrap(endorsement, text_font, usable)
        room = count - (1 if payee else 0)
        while len(wrapped) > room and text_font.size > 10:
            text_font = _load(name, int(text_font.size * 0.9))
            wrapped = _wrap(endorsement, text_font, usable)
        if len(wrapped) > room:
            raise ValueError(f"the endorsement {endorsement!r} does not fit on the back's {count} lines")
        writings.extend((line, text_font, False) for line in wrapped)
    if payee:
        signature_font = _fit(
            rng.choice([f for f in SIGNATURE_FONTS if font_path(f).is_file()]),
            payee,
            round(dpi * rng.uniform(0.16, 0.2)),
            usable,
        )
        signature = (payee, signature_font, True)
        # Most people sign first, some write the restriction first.
        writings.insert(0 if rng.random() < 0.7 else len(writings), signature)
    start = 0 if len(writings) == count else rng.randint(0, count - len(writings))
    for slot, (text, text_font, is_signature) in enumerate(writings, start=start):
        y = line_ys[slot] - round(dpi * rng.uniform(0.015, 0.035))
        x = margin + round(dpi * rng.uniform(0.12, 0.25))
        tilt = rng.uniform(-4.0, 4.0) if style == "handwritten" or is_signature else rng.uniform(-1.0, 1.0)
        if is_signature:
            _paste_text(page, text, text_font, (x, y), colour, tilt)
            width = text_font.getlength(text)
            box = (x + width * 0.3, y - dpi * 0.12, min(short_px - margin, x + width * 1.05), y)
            _scribble(draw, rng, box, colour, max(1, round(dpi / 130)))
        elif style == "handwritten":
            # Word by word, each a little off the line and turned its own way, as a hand writes.
            y += round(dpi * rng.uniform(-0.01, 0.04))
            space = text_font.getlength(" ")
            for word in text.split():
                dy = dpi * rng.uniform(-0.025, 0.025) + math.sin(math.radians(-tilt)) * (x - margin)
                _paste_text(page, word, text_font, (x, y + dy), colour, tilt + rng.uniform(-2.5, 2.5))
                x += round(text_font.getlength(word) + space * rng.uniform(0.7, 1.5))
        else:
            _paste_text(page, text, text_font, (x, y), (25, 25, 30), tilt)
    back = _age(page, rng, dpi)
    # Landscape, the trailing edge (the payee's area) at the left.
    return back.rotate(90, expand=True)
