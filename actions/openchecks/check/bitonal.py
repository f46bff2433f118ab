"""The bitonal rendition of a check for image exchange: black and white at 200 dpi (240 as an option), as a
TIFF 6.0 with CCITT Group 4 compression and the tags X9.100-181 allows.

`to_bitonal(image, dpi=200)` turns a straightened grey or colour check into mode "1": the background is
estimated on a coarse grid (so uneven light in a photo does not turn a corner black) and a pixel is black
where it is clearly darker than the paper around it. `tiff_g4(image, dpi=200)` encodes it: one strip,
BitsPerSample 1, Compression 4, PhotometricInterpretation 0 (WhiteIsZero, as X9.100-181 requires: a set bit
is black), X/YResolution at `dpi` with ResolutionUnit 2 (inch).

Speed (an export renders two of these per item): the threshold is computed on a coarse grid in Pillow's C
code, the comparison is one numpy operation whose result is packed to bits (numpy.packbits), and Pillow's
TIFF writer (libtiff's Group 4 encoder) writes them; its tag 262 is then set to 0 in place, since Pillow
writes 1. (Calling libtiff directly through ctypes saved about 1 ms of the 4.6 ms per image: not worth a
hand-written binding.)
"""

from __future__ import annotations

import io
import struct

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageChops, ImageFilter

DPIS = (200, 240)
# A pixel is black when it is under this fraction of the local paper brightness.
INK_RATIO = 0.72
# ...and at least this far (0-255) below it, so the paper's own grain stays white.
INK_MIN_DROP = 28
# Whatever the neighbourhood, a pixel under this fraction of the page's paper brightness is ink.
GLOBAL_INK_RATIO = 0.4
# The threshold varies smoothly in steps of this many pixels (0.02 inch at 200 dpi).
SMOOTH_CELL = 4


def _scaled(image: Image.Image, dpi: int, source_dpi: float | None) -> Image.Image:
    """`image` at `dpi`: averaged down (BOX) or interpolated up (BILINEAR); a bitonal rendition gains nothing
    from a sharper filter, which costs several times as much."""
    if source_dpi and abs(source_dpi - dpi) > 0.5:
        width = max(1, round(image.width * dpi / source_dpi))
        height = max(1, round(image.height * dpi / source_dpi))
        shrink = width < image.width
        return image.resize((width, height), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR)
    return image


def _ink_mask(grey: Image.Image, dpi: int) -> NDArray[np.bool_]:
    """True where `grey` (mode "L") is ink: the paper's brightness on a coarse grid (brightest of each 3x3
    neighbourhood of cells), a threshold per cell (never under a floor from the page's paper), brought back to
    full size, one comparison."""
    step = max(4, dpi // 10)
    cols, rows = max(1, grey.width // step), max(1, grey.height // step)
    if grey.width >= step and grey.height >= step:
        small = grey.reduce(step, (0, 0, cols * step, rows * step))  # box averages, in C
    else:
        small = grey.resize((cols, rows), Image.Resampling.BOX)
    threshold = small.filter(ImageFilter.MaxFilter(3)).point(_THRESHOLD_LUT)
    # Inside a large dark area the "paper" found nearby is dark too; anything far below the page's paper is
    # ink all the same (a bold logo or bar stays solid), while a shadowed corner of paper is not that dark.
    histogram = small.histogram()
    total, seen, paper = sum(histogram), 0, 255
    for level in range(255, -1, -1):
        seen += histogram[level]
        if seen >= total * 0.05:
            paper = level
            break
    floor = Image.new("L", small.size, int(paper * GLOBAL_INK_RATIO))
    threshold = ImageChops.lighter(threshold, floor)
    # Back to full size smoothly but cheaply: bilinear onto a grid of SMOOTH_CELL pixels (a small image), then
    # each grid value repeated over its cell (a full-size bilinear resize costs more than all the rest).
    cells = (-(-grey.width // SMOOTH_CELL), -(-grey.height // SMOOTH_CELL))
    threshold = threshold.resize(cells, Image.Resampling.BILINEAR).resize(grey.size, Image.Resampling.NEAREST)
    return np.asarray(grey) < np.asarray(threshold)


def _from_mask(mask: NDArray[np.bool_], value_where_true: int) -> Image.Image:
    """A mode "1" image: `value_where_true` (0 or 255) where `mask` is true, the other value elsewhere."""
    bits = np.packbits(mask if value_where_true else ~mask, axis=1)
    return Image.frombytes("1", (mask.shape[1], mask.shape[0]), bits.tobytes())


def _ink(grey: Image.Image, dpi: int) -> Image.Image:
    """Mode "1" with ink set (255) and paper clear (0): the inverse of the bitonal image, which is what a
    WhiteIsZero TIFF stores."""
    return _from_mask(_ink_mask(grey, dpi), 255)


# Paper brightness p -> the grey level under which a pixel is ink.
_THRESHOLD_LUT = [max(0, min(int(p * INK_RATIO), p - INK_MIN_DROP)) for p in range(256)]


def _grey(image: Image.Image, dpi: int, source_dpi: float | None) -> Image.Image:
    return _scaled(image if image.mode == "L" else image.convert("L"), dpi, source_dpi)


def to_bitonal(image: Image.Image, dpi: int = 200, source_dpi: float | None = None) -> Image.Image:
    """Mode "1" (0 black, 255 white) of `image`, resampled to `dpi` when `source_dpi` is given and differs;
    the result carries `info["dpi"]`."""
    if dpi not in DPIS:
        raise ValueError(f"the bitonal image is made at 200 or 240 dpi, not {dpi}")
    if image.mode == "1":
        out = _scaled(image, dpi, source_dpi)
        out = out if out.mode == "1" else out.convert("1", dither=Image.Dither.NONE)
    else:
        out = _from_mask(_ink_mask(_grey(image, dpi, source_dpi), dpi), 0)
    out.info["dpi"] = (dpi, dpi)
    return out


def _white_is_zero(data: bytearray | memoryview) -> None:
    """Set PhotometricInterpretation (tag 262) of the first IFD to 0 in place."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    for k in range(count):
        entry = ifd + 2 + 12 * k
        tag, kind = struct.unpack(order + "HH", data[entry : entry + 4])
        if tag == 262 and kind == 3:
            data[entry + 8 : entry + 10] = struct.pack(order + "H", 0)
            return
    raise ValueError("the encoder wrote no PhotometricInterpretation tag")


def tiff_g4(image: Image.Image, dpi: int = 200, source_dpi: float | None = None) -> bytes:
    """TIFF 6.0, CCITT Group 4, one strip, WhiteIsZero, at `dpi` (see the module docstring)."""
    if dpi not in DPIS:
        raise ValueError(f"the bitonal image is made at 200 or 240 dpi, not {dpi}")
    if image.mode == "1":
        # A set bit must be black, what WhiteIsZero means: ink is where Pillow's mode "1" is 0.
        scaled = _scaled(image, dpi, source_dpi)
        if scaled.mode != "1":
            scaled = scaled.convert("1", dither=Image.Dither.NONE)
        ink = ~np.asarray(scaled)
    else:
        ink = _ink_mask(_grey(image, dpi, source_dpi), dpi)
    bits = np.packbits(ink, axis=1)  # rows of bytes, most significant bit first (FillOrder 1), ink = 1
    return _pillow_g4(bits, ink.shape[1], ink.shape[0], dpi)


def _pillow_g4(bits: NDArray[np.uint8], width: int, height: int, dpi: int) -> bytes:
    """The same TIFF through Pillow's writer: Pillow writes PhotometricInterpretation 1 (BlackIsZero) with a
    set bit white, so the image holds the ink as white and the tag is then set to 0 in place."""
    ink = Image.frombytes("1", (width, height), bits.tobytes())
    buffer = io.BytesIO()
    ink.save(buffer, "TIFF", compression="group4", dpi=(dpi, dpi), strip_size=1 << 30)
    with buffer.getbuffer() as view:
        _white_is_zero(view)
    return buffer.getvalue()
