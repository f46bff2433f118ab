"""The money attacks: the same check deposited twice after an edit, and the daily limit raced.

`edited_silesia()` is the attack of issue 13: the MICR account field of `silesia-1278.png` with its first `0`
painted over in the paper's colour, so it reads `03661702511` for `003661702511`; deposited by another
customer after the original, it must not be accepted a second time. The concurrency figures are the ones
the issue measured (twelve parallel $50,000 deposits against a $100,000 daily limit).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

# The first `0` of the account field in silesia-1278.png (pixels, measured from the image's dark columns).
SILESIA_ACCOUNT_FIRST_ZERO = (517, 656, 549, 695)
SILESIA_ACCOUNT = "003661702511"
EDITED_ACCOUNT = "03661702511"

PARALLEL_CREATES = 12
PARALLEL_AMOUNT = "50000.00"
DAILY_LIMIT_CENTS = 10_000_000


def edited_silesia(original: Path) -> bytes:
    """silesia-1278.png with the first 0 of its account field painted over (PNG bytes)."""
    image = Image.open(original).convert("RGB")
    pixels = np.asarray(image).copy()
    left, top, right, bottom = SILESIA_ACCOUNT_FIRST_ZERO
    around = pixels[top - 12 : top - 4, left:right].reshape(-1, 3)
    pixels[top:bottom, left:right] = np.median(around, axis=0).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()
