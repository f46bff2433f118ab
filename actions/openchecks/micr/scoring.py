"""Scores for a MICR reader against ground truth: exact line, character error rate, routing field."""

from __future__ import annotations

from dataclasses import dataclass

from openchecks.micr.symbols import LETTER_TO_SYMBOL, TRANSIT


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between `a` and `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalise(text: str) -> str:
    """A line for comparison: Unicode symbols, no spaces."""
    return "".join(LETTER_TO_SYMBOL.get(ch, ch) for ch in text if not ch.isspace())


def routing_field(text: str) -> str | None:
    """The nine digits between two transit symbols in a normalised line, or None without such a field."""
    line = normalise(text)
    start = line.find(TRANSIT)
    while start >= 0:
        end = line.find(TRANSIT, start + 1)
        if end < 0:
            return None
        inner = line[start + 1 : end]
        if len(inner) == 9 and inner.isdigit():
            return inner
        start = end
    return None


@dataclass
class LineScore:
    """Running totals over many lines."""

    lines: int = 0
    exact: int = 0
    char_errors: int = 0
    chars: int = 0
    routing_total: int = 0
    routing_exact: int = 0

    def add(self, truth: str, read: str) -> None:
        t, r = normalise(truth), normalise(read)
        self.lines += 1
        self.exact += t == r
        self.char_errors += edit_distance(t, r)
        self.chars += len(t)
        want = routing_field(t)
        if want is not None:
            self.routing_total += 1
            self.routing_exact += routing_field(r) == want

    @property
    def exact_rate(self) -> float:
        return self.exact / self.lines if self.lines else 0.0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    @property
    def routing_rate(self) -> float:
        return self.routing_exact / self.routing_total if self.routing_total else 0.0
