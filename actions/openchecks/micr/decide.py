"""Decide whether a read MICR line may be accepted automatically, with machine-readable reasons if not.

The rule is "never accept a wrong number": anything short of a well-formed line, a valid ABA checksum, every
routing/account/serial character read with high confidence, and an encoded amount (if any) equal to the
declared one sends the deposit to a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from openchecks.micr.aba import routing_checksum_ok
from openchecks.micr.parse import MicrFields

ACCEPTED = "accepted"
NEEDS_REVIEW = "needs_review"
# Lowest per-character confidence (Tesseract's 0-100) accepted in a scored field, per engine. On
# ../shared/data/micr-lines every correctly read e13b routing field stays above 90 (bench/bench_ocr.py);
# the legacy mcr2 engine reports lower values for the same quality.
MIN_CONFIDENCE = {"e13b": 90.0, "e13b-psm7": 90.0, "mcr2": 75.0}
DEFAULT_MIN_CONFIDENCE = 90.0
_AMOUNT = re.compile(r"^\s*\$?\s*(\d{1,12})(?:\.(\d{1,2}))?\s*$")
_SCORED_FIELDS = ("routing", "account", "check_number")


@dataclass(frozen=True)
class Decision:
    """`status` is "accepted" or "needs_review"; `reasons` lists why not accepted (empty when accepted)."""

    status: str
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "reasons": list(self.reasons)}


def amount_to_cents(amount: str | float | int) -> int:
    """Cents in a declared amount such as "1042.00", "$19.99" or 12; raises ValueError on anything else."""
    text = f"{amount:.2f}" if isinstance(amount, float) else str(amount)
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f"not an amount: {amount!r} (expected digits with up to two decimals, e.g. 1042.00)")
    cents = (match.group(2) or "").ljust(2, "0")
    return int(match.group(1)) * 100 + int(cents)


def field_confidences(fields: MicrFields, confidences: Sequence[float]) -> dict[str, float]:
    """The lowest confidence of the characters each scored field was read from."""
    out: dict[str, float] = {}
    for name in _SCORED_FIELDS:
        span = fields.spans.get(name)
        if span is None:
            continue
        values = [
            confidences[i] for i in range(span[0], min(span[1], len(confidences))) if fields.line[i].isdigit()
        ]
        out[name] = min(values, default=0.0)
    return out


def decide(
    fields: MicrFields | None,
    confidences: Sequence[float] = (),
    declared_amount: str | float | int | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> Decision:
    """Accept only a fully valid, confidently read line; otherwise list every reason for review.

    `fields` None means no MICR line was found. `confidences` is aligned with `fields.line` (one per
    character); when it is shorter than the line, the missing characters count as unread (confidence 0).
    """
    if fields is None:
        return Decision(NEEDS_REVIEW, ["no_micr_line_found"])
    reasons = list(fields.problems)
    if fields.routing and "routing_format_invalid" not in reasons and not routing_checksum_ok(fields.routing):
        reasons.append("routing_checksum_failed")
    if not fields.problems or fields.routing or fields.account:
        scores = field_confidences(fields, confidences)
        if any(value < min_confidence for value in scores.values()):
            reasons.append("low_confidence")
    if declared_amount is not None:
        try:
            declared = amount_to_cents(declared_amount)
        except ValueError:
            reasons.append("declared_amount_invalid")
        else:
            if fields.amount_cents is not None and fields.amount_cents != declared:
                reasons.append("amount_mismatch")
    unique = list(dict.fromkeys(reasons))
    return Decision(NEEDS_REVIEW if unique else ACCEPTED, unique)
