"""The bitonal Group 4 rendition: polarity (black stays black, white stays white, in the file too), the
paper of an unevenly lit photo staying white, the tags X9.100-181 asks for, resampling to 200/240 dpi."""

from __future__ import annotations

import io
import struct

import pytest
from openchecks.check.bitonal import tiff_g4, to_bitonal
from openchecks.export import render_view
from openchecks.x9.validate import image_problems
from PIL import Image, ImageDraw, JpegImagePlugin

from tests.conftest import SHARED_DATA

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


def _page(width: int = 1200, height: int = 550) -> Image.Image:
    page = Image.new("L", (width, height), 228)
    draw = ImageDraw.Draw(page)
    draw.rectangle((width // 12, height // 5, width // 2, height // 2), fill=25)
    for y in range(height // 10, height - 20, max(8, height // 12)):
        draw.line((width // 2 + 20, y, width - 40, y), fill=60, width=max(1, width // 600))
    return page


def test_a_real_scan_is_written_as_x9_181_requires() -> None:
    """Pillow's Group 4 writer with WhiteIsZero set in place: valid for X9.100-181, the tags as required, and
    ink on the page (a real scan when ../shared is there)."""
    check = SHARED_DATA / "checks" / "silesia-1278.png"
    page = Image.open(check) if check.is_file() else _page()
    data = tiff_g4(page, 200, 200.0)
    assert image_problems(data) == ([], [])
    decoded = Image.open(io.BytesIO(data))
    assert decoded.size == page.size
    tags = _tags(data)
    assert (tags[259][1], tags[262][1], tags[258][1], tags[296][1], tags[273][0]) == (4, 0, 1, 2, 1)
    assert 0.01 < _black_share(decoded) < 0.5  # ink, not a blank or black page


class _Store:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def get(self, bucket: str, key: str) -> bytes:
        return self.data


def test_a_jpeg_stored_at_twice_the_dpi_is_decoded_at_half_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 400 dpi the JPEG decoder itself halves the image (Image.draft): the TIFF is at 200 dpi, the size of
    the check at 200 dpi, and its ink where the page's is."""
    page = _page(2400, 1100)
    stored = io.BytesIO()
    page.save(stored, "JPEG", quality=90)
    drafts: list[tuple[int, int]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        result = original(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = render_view(_Store(stored.getvalue()), ("archive", "k", 400.0), 200)
    assert drafts == [(1200, 550)]  # decoded at half size, not decoded whole and shrunk
    decoded = Image.open(io.BytesIO(data))
    assert decoded.size == (1200, 550)
    assert decoded.info["dpi"] == pytest.approx((200, 200))
    assert image_problems(data) == ([], [])
    grey = decoded.convert("L")
    assert grey.getpixel((300, 250)) == 0 and grey.getpixel((300, 450)) == 255
    # At the same dpi nothing is reduced.
    drafts.clear()
    render_view(_Store(stored.getvalue()), ("archive", "k", 200.0), 200)
    assert drafts == [(2400, 1100)]
