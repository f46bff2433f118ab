"""Three independent keys that tell a check deposited before, robust to what an edit or a misread changes.

1. The claim key (routing, account, serial): every field normalised the same way (spaces, dashes and MICR
   symbols dropped, leading zeros stripped; the routing number written with its nine digits and checked by
   its ABA checksum), so painting
   over a leading zero or reading `03661702511` for `003661702511` gives the same key. A check claimed by
   another deposit is a `duplicate`.
2. The item key (routing, serial, amount): the same check number of the same bank for the same amount, even
   when the account field was edited beyond recognition. A match sends the deposit to review as
   `possible_duplicate`.
3. The image key: a perceptual hash (pHash) of the straightened front, independent of every OCR result. Two
   photographs of one check differ by 6 to 26 of its 256 bits, two different checks by 42 or more (measured
   on synthetic checks and the real samples: `bench/bench_duplicates.py`), so a distance of at most
   `IMAGE_MATCH_BITS` is a near match: `possible_duplicate`. Candidates are found through a view of the
   hash's 16 bands of 16 bits, then compared on all 256 bits. Two hashes up to 15 bits apart always share a
   band (pigeonhole); further apart it is likely, not certain (every same-check pair of the benchmark did).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

MICR_SYMBOLS = "⑆⑇⑈⑉"  # transit, amount, on-us, dash (U+2446..U+2449)
NON_DIGITS = re.compile(r"[\s\-" + MICR_SYMBOLS + r"]")
DIGITS = re.compile(r"[0-9]+")

HASH_BITS = 256
HASH_SIDE = 64  # the grey image the DCT runs on
BAND_HEX = 4  # 16 bits per band
BANDS = (HASH_BITS // 4) // BAND_HEX  # 16 bands
IMAGE_MATCH_BITS = 32
# A straightened front this flat (standard deviation of its 64x64 grey image) has no hash worth comparing.
MIN_CONTRAST = 4.0

VIEW_DDOC = "duplicates"
VIEW_NAME = "image-bands"
# On the claims database: each deposit's `image-<deposit id>` document, one row per band.
VIEW_MAP = """function (doc) {
  if (doc.type !== 'image' || !doc.bands || !doc.hex) return;
  for (var i = 0; i < doc.bands.length; i++) emit(doc.bands[i], [doc.hex, doc.deposit_id]);
}"""


def digits(value: Any) -> str | None:
    """The field's digits with spaces, dashes and MICR symbols dropped; None when anything else is left."""
    if not isinstance(value, str):
        return None
    text = NON_DIGITS.sub("", value)
    return text if DIGITS.fullmatch(text) and text.isascii() else None


def _significant(value: Any, width: int) -> str | None:
    text = digits(value)
    if text is None or len(text) > width:
        return None
    return text.lstrip("0") or "0"


def routing_key(value: Any) -> str | None:
    """The routing number as nine digits (leading zeros restored), or None when that is no routing number
    (its ABA checksum fails)."""
    from openchecks.micr.aba import routing_checksum_ok

    text = _significant(value, 9)
    if text is None or text == "0":
        return None
    nine = text.zfill(9)
    return nine if routing_checksum_ok(nine) else None


def claim_key(routing: Any, account: Any, serial: Any) -> str | None:
    """The claim id of a check, or None when a field is missing or malformed (nothing to compare)."""
    route = routing_key(routing)
    acct = _significant(account, 17)
    number = _significant(serial, 15)
    if route is None or acct is None or number is None:
        return None
    return f"check-{route}-{acct}-{number}"


def item_key(routing: Any, serial: Any, amount_cents: Any) -> str | None:
    """The (routing, serial, amount) key, or None."""
    route = routing_key(routing)
    number = _significant(serial, 15)
    if route is None or number is None:
        return None
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        return None
    return f"item-{route}-{number}-{amount_cents}"


# ---------------------------------------------------------------------------------------- the image key


def image_hash(image: Image.Image) -> str | None:
    """The pHash of a straightened check as 64 hex digits: the signs, against their median, of the 16x16
    lowest frequencies of the DCT of its 64x64 grey image. None for an image with no contrast."""
    # Imported here: every action imports this module (through openchecks.deposits), and only ocr-check
    # hashes an image; numpy alone costs a cold container about 0.14 s of CPU.
    import cv2
    import numpy as np
    from PIL import Image

    grey = image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BOX)
    pixels = np.asarray(grey, dtype=np.float32)
    if float(pixels.std()) < MIN_CONTRAST:
        return None
    low = cv2.dct(pixels)[:16, :16].flatten()
    bits = low > np.median(low[1:])
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:0{HASH_BITS // 4}x}"


HASH_RE = re.compile(r"[0-9a-f]{64}")


def valid_hash(value: Any) -> str | None:
    """`value` when it is an image hash as `image_hash` writes it (64 lower-case hex digits), else None."""
    return value if isinstance(value, str) and HASH_RE.fullmatch(value) else None


def bands(hex_hash: str) -> list[str]:
    """The view keys of a hash: band index and its 16 bits (`"07:a3f0"`)."""
    return [f"{i:02d}:{hex_hash[i * BAND_HEX : (i + 1) * BAND_HEX]}" for i in range(BANDS)]


def distance(a: str, b: str) -> int:
    """Hamming distance of two hex hashes of the same length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def near(hex_hash: str, candidates: Iterable[tuple[str, str]], own_id: str) -> list[tuple[str, int]]:
    """(deposit id, distance) of the candidates within IMAGE_MATCH_BITS, nearest first, without `own_id`."""
    found: dict[str, int] = {}
    for deposit_id, other in candidates:
        if deposit_id == own_id or not isinstance(other, str) or len(other) != len(hex_hash):
            continue
        bits = distance(hex_hash, other)
        if bits <= IMAGE_MATCH_BITS:
            found[deposit_id] = min(bits, found.get(deposit_id, bits))
    return sorted(found.items(), key=lambda item: (item[1], item[0]))
