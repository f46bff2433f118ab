"""The bitonal rendition of a check for image exchange: black and white at 200 dpi (240 as an option), as a
TIFF 6.0 with CCITT Group 4 compression and the tags X9.100-181 allows.

`to_bitonal(image, dpi=200)` turns a straightened grey or colour check into mode "1": the background is
estimated on a coarse grid (so uneven light in a photo does not turn a corner black) and a pixel is black
where it is clearly darker than the paper around it. `tiff_g4(image, dpi=200)` encodes it: one strip,
BitsPerSample 1, Compression 4, PhotometricInterpretation 0 (WhiteIsZero, as X9.100-181 requires; Pillow
writes 1, BlackIsZero, so the bits are inverted before encoding and the tag is set to 0), X/YResolution at
`dpi` with ResolutionUnit 2 (inch).
"""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageChops, ImageFilter

DPIS = (200, 240)
# A pixel is black when it is under this fraction of the local paper brightness.
INK_RATIO = 0.72
# ...and at least this far (0-255) below it, so the paper's own grain stays white.
INK_MIN_DROP = 28
# Whatever the neighbourhood, a pixel under this fraction of the page's paper brightness is ink.
GLOBAL_INK_RATIO = 0.4


def _scaled(image: Image.Image, dpi: int, source_dpi: float | None) -> Image.Image:
    if source_dpi and abs(source_dpi - dpi) > 0.5:
        width = max(1, round(image.width * dpi / source_dpi))
        height = max(1, round(image.height * dpi / source_dpi))
        return image.resize((width, height), Image.Resampling.LANCZOS)
    return image


def _ink(grey: Image.Image, dpi: int) -> Image.Image:
    """Mode "1" with ink set (255) and paper clear (0): the inverse of the bitonal image, which is what a
    WhiteIsZero TIFF stores. In Pillow's C code: the paper's brightness on a coarse grid (brightest of each
    3x3 neighbourhood of cells), a threshold per cell (never under a floor from the page's paper), brought
    back to full size, one comparison."""
    step = max(4, dpi // 10)
    small = grey.resize((max(1, grey.width // step), max(1, grey.height // step)), Image.Resampling.BOX)
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
    threshold = ImageChops.lighter(threshold, floor).resize(grey.size, Image.Resampling.BILINEAR)
    # threshold - grey is above 0 exactly where the pixel is darker than its threshold: ink.
    return ImageChops.subtract(threshold, grey).point(_INK_LUT, "1")


# Paper brightness p -> the grey level under which a pixel is ink.
_THRESHOLD_LUT = [max(0, min(int(p * INK_RATIO), p - INK_MIN_DROP)) for p in range(256)]
_INK_LUT = [0] + [255] * 255
_INVERT_LUT = [255] + [0] * 255


def _invert(image: Image.Image) -> Image.Image:
    """Black <-> white of a bitonal image (any nonzero value counts as white, as Pillow's mode "1" does)."""
    return image.convert("L").point(_INVERT_LUT, "1")


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
        out = _invert(_ink(_grey(image, dpi, source_dpi), dpi))
    out.info["dpi"] = (dpi, dpi)
    return out


def _white_is_zero(data: bytearray) -> None:
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
        # A set bit must be black, what WhiteIsZero means: invert Pillow's (255 = white) convention.
        ink = _invert(_scaled(image, dpi, source_dpi))
    else:
        ink = _ink(_grey(image, dpi, source_dpi), dpi)
    buffer = io.BytesIO()
    ink.save(buffer, "TIFF", compression="group4", dpi=(dpi, dpi), strip_size=1 << 30)
    data = bytearray(buffer.getvalue())
    _white_is_zero(data)
    return bytes(data)
