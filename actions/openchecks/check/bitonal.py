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

import numpy as np
from PIL import Image, ImageChops, ImageFilter

DPIS = (200, 240)
# A pixel is black when it is under this fraction of the local paper brightness.
INK_RATIO = 0.72
# ...and at least this far (0-255) below it, so the paper's own grain stays white.
INK_MIN_DROP = 28


def _scaled(image: Image.Image, dpi: int, source_dpi: float | None) -> Image.Image:
    if source_dpi and abs(source_dpi - dpi) > 0.5:
        width = max(1, round(image.width * dpi / source_dpi))
        height = max(1, round(image.height * dpi / source_dpi))
        return image.resize((width, height), Image.Resampling.LANCZOS)
    return image


def to_bitonal(image: Image.Image, dpi: int = 200, source_dpi: float | None = None) -> Image.Image:
    """Mode "1" (0 black, 255 white) of `image`, resampled to `dpi` when `source_dpi` is given and differs;
    the result carries `info["dpi"]`."""
    if dpi not in DPIS:
        raise ValueError(f"the bitonal image is made at 200 or 240 dpi, not {dpi}")
    if image.mode == "1":
        out = _scaled(image, dpi, source_dpi)
        out = out if out.mode == "1" else out.convert("1", dither=Image.Dither.NONE)
        out.info["dpi"] = (dpi, dpi)
        return out
    grey = _scaled(image.convert("L"), dpi, source_dpi)
    # Paper brightness: the brightest values on a coarse grid, smoothed and brought back to full size.
    step = max(4, dpi // 10)
    small = grey.resize((max(1, grey.width // step), max(1, grey.height // step)), Image.Resampling.BOX)
    paper = small.filter(ImageFilter.MaxFilter(3)).resize(grey.size, Image.Resampling.BILINEAR)
    g = np.asarray(grey, dtype=np.int16)
    p = np.asarray(paper, dtype=np.int16)
    black = (g * 100 < p * int(INK_RATIO * 100)) & (p - g >= INK_MIN_DROP)
    out = Image.fromarray(np.where(black, 0, 255).astype(np.uint8), mode="L").convert(
        "1", dither=Image.Dither.NONE
    )
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
    bitonal = to_bitonal(image, dpi, source_dpi) if image.mode != "1" or source_dpi else image
    # Inverted, so that a set bit is black: what WhiteIsZero means.
    inverted = ImageChops.invert(bitonal.convert("L")).convert("1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    inverted.save(buffer, "TIFF", compression="group4", dpi=(dpi, dpi), strip_size=1 << 30)
    data = bytearray(buffer.getvalue())
    _white_is_zero(data)
    return bytes(data)
