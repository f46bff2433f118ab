"""The four E-13B MICR symbols, and how each reader and data set writes them.

Every string this package returns uses the Unicode symbols below; other spellings are converted at the edge.
"""

from __future__ import annotations

TRANSIT = "\u2446"  # ⑆ frames the routing number
AMOUNT = "\u2447"  # ⑇ frames the encoded amount
ON_US = "\u2448"  # ⑈ ends the account number (and frames the auxiliary on-us field)
DASH = "\u2449"  # ⑉ separates parts of an account number

SYMBOLS = (TRANSIT, AMOUNT, ON_US, DASH)
DIGITS = "0123456789"

# The letters used by the e13b model and by ../shared/data/micr-lines/truth.json.
LETTER_TO_SYMBOL = {"A": TRANSIT, "B": AMOUNT, "C": ON_US, "D": DASH}
SYMBOL_TO_LETTER = {symbol: letter for letter, symbol in LETTER_TO_SYMBOL.items()}

# The characters written by the legacy mcr2 model (the original openchecks model).
MCR2_TO_SYMBOL = {"[": TRANSIT, "$": AMOUNT, "@": ON_US, "-": DASH}


def from_letters(text: str) -> str:
    """Turn a line written with A/B/C/D into one written with the Unicode symbols."""
    return "".join(LETTER_TO_SYMBOL.get(ch, ch) for ch in text)


def to_letters(text: str) -> str:
    """Turn a line written with the Unicode symbols into one written with A/B/C/D (for ASCII-only output)."""
    return "".join(SYMBOL_TO_LETTER.get(ch, ch) for ch in text)
