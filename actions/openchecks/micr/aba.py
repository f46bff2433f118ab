"""The ABA routing number checksum (weights 3, 7, 1 repeated; the weighted sum is a multiple of 10)."""

from __future__ import annotations

_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def routing_checksum_ok(routing: str) -> bool:
    """True only for exactly nine ASCII digits whose weighted sum is a multiple of 10."""
    if len(routing) != 9 or not all("0" <= ch <= "9" for ch in routing):
        return False
    return sum(w * int(ch) for w, ch in zip(_WEIGHTS, routing, strict=True)) % 10 == 0


def check_digit(first_eight: str) -> str:
    """The ninth digit that makes `first_eight` a valid routing number."""
    if len(first_eight) != 8 or not all("0" <= ch <= "9" for ch in first_eight):
        raise ValueError(f"need eight digits, got {first_eight!r}")
    total = sum(w * int(ch) for w, ch in zip(_WEIGHTS, first_eight, strict=False))
    return str((10 - total % 10) % 10)
