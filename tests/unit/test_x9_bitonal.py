"""The bitonal Group 4 rendition: polarity (black stays black, white stays white, in the file too), the
paper of an unevenly lit photo staying white, the tags X9.100-181 asks for, resampling to 200/240 dpi."""

from __future__ import annotations

import io
import struct

import pytest
from openchecks.check.bitonal import tiff_g4, to_bitonal
from openchecks.x9.validate import image_problems
from PIL import Image, ImageDraw

pytestmark = pytest.mark.unit


def _tags(data: bytes) -> dict[int, tuple[int, int]]:
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    out = {}
    for k in range(count):
        tag, kind, n, value = struct.unpack(order + "HHII", data[ifd + 2 + 12 * k : ifd + 14 + 12 * k])
        out[tag] = (n, value & 0xFFFF if kind == 3 else value)
    return out


def _black_share(image: Image.Image) -> float:
    grey = image.convert("L")
    return grey.histogram()[0] / (grey.width * grey.height)


def test_polarity_survives_the_file() -> None:
    for colour, expected in ((255, 255), (1, 255), (0, 0)):
        data = tiff_g4(Image.new("1", (400, 200), colour))
        assert Image.open(io.BytesIO(data)).convert("L").getextrema() == (expected, expected), colour
    page = Image.new("L", (1200, 550), 230)
    ImageDraw.Draw(page).rectangle((100, 100, 500, 300), fill=20)
    decoded = Image.open(io.BytesIO(tiff_g4(page))).convert("L")
    assert decoded.getpixel((300, 200)) == 0 and decoded.getpixel((800, 400)) == 255
    assert decoded.tobytes() == to_bitonal(page).convert("L").tobytes()


def test_uneven_light_leaves_the_paper_white_and_the_ink_black() -> None:
    # Paper from 250 (left) down to 110 (right), ink at half the paper's brightness around it.
    page = Image.linear_gradient("L").rotate(90).resize((1200, 550)).point(lambda v: 110 + v * 140 // 255)
    page = page.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    draw = ImageDraw.Draw(page)
    for x in range(50, 1150, 100):
        paper = page.getpixel((x + 40, 20))
        draw.rectangle((x, 200, x + 30, 260), fill=int(paper) // 2)  # type: ignore[arg-type]
    bitonal = to_bitonal(page)
    assert bitonal.mode == "1"
    assert _black_share(bitonal.crop((0, 0, 1200, 150))) < 0.01  # the paper, dark corner included
    for x in range(50, 1150, 100):
        assert bitonal.getpixel((x + 15, 230)) == 0, x


def test_the_tiff_has_the_tags_x9_100_181_asks_for() -> None:
    data = tiff_g4(Image.new("L", (1200, 550), 240), dpi=240, source_dpi=200)
    tags = _tags(data)
    assert tags[259][1] == 4  # CCITT Group 4
    assert tags[262][1] == 0  # WhiteIsZero
    assert tags[258][1] == 1  # one bit per sample
    assert tags[296][1] == 2  # resolution in inches
    assert tags[273][0] == 1 and tags[279][0] == 1  # one strip
    assert (tags[256][1], tags[257][1]) == (1440, 660)  # resampled from 200 to 240 dpi
    assert image_problems(data) == ([], [])
    assert Image.open(io.BytesIO(data)).info["dpi"] == pytest.approx((240, 240))


def test_only_200_or_240_dpi() -> None:
    with pytest.raises(ValueError, match="200 or 240"):
        tiff_g4(Image.new("L", (10, 10)), dpi=300)
