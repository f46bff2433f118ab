"""The money attacks: the same check deposited twice after an edit, the daily limit raced, and a reviewer
clearing their own deposit or a duplicate.

`edited_silesia()` is the attack of issue 13: the MICR account field of `silesia-1278.png` with its first `0`
painted over in the paper's colour, so it reads `03661702511` for `003661702511`; deposited by another
customer after the original, it must not be accepted a second time. The concurrency figures are the ones
the issue measured (twelve parallel $50,000 deposits against a $100,000 daily limit). `OWN_DEPOSIT_REVIEWS`
are what a reviewer tries on a deposit made under their own email (each must be 403 `own_deposit`);
`DUPLICATE_RELEASES` what a reviewer tries to get a `duplicate` accepted while the deposit it duplicates is
still held, with the answer each must get.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# The first `0` of the account field in silesia-1278.png (pixels, measured from the image's dark columns).
SILESIA_ACCOUNT_FIRST_ZERO = (517, 656, 549, 695)
SILESIA_ACCOUNT = "003661702511"
EDITED_ACCOUNT = "03661702511"

PARALLEL_CREATES = 12
PARALLEL_AMOUNT = "50000.00"
DAILY_LIMIT_CENTS = 10_000_000

OWN_DEPOSIT_REVIEWS: tuple[dict[str, Any], ...] = (
    {"action": "approve"},
    {"action": "approve", "reason": "looks fine to me"},
    {"action": "reject", "reason": "x"},
    {"action": "correct", "fields": {"check_number": "1279"}},
    {"action": "retry"},
)
DUPLICATE_RELEASES: tuple[tuple[dict[str, Any], int, str], ...] = (
    ({"action": "approve"}, 409, "duplicate_not_approvable"),
    ({"action": "approve", "reason": "the customer insists"}, 409, "duplicate_not_approvable"),
    ({"action": "override"}, 400, "reason_required"),
    ({"action": "override", "reason": "first was unreadable"}, 409, "duplicate_still_held"),
    ({"action": "correct", "fields": {"account": "3661702511"}}, 200, ""),  # still the same check
)


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
