"""The legal amount in words: numbers to check English ("One thousand forty-two and 00/100") and back.

`parse_legal` is forgiving the way OCR output needs: case, hyphens, stray punctuation, a trailing
"DOLLARS" or dash line, common misspellings ("fourty", "forthy") and one- or two-letter OCR slips are all
mapped to the number words by edit distance. It reports how much it had to guess (`quality`), so a reader can
weigh the result, and returns None where the words do not make one number.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_FILLERS = ("and", "dollars", "dollar", "only", "cents", "cent", "no", "xx", "exactly")
VOCABULARY: dict[str, int | None] = {
    **{w: i for i, w in enumerate(ONES)},
    **{w: 10 * i for i, w in enumerate(TENS) if w},
    **dict(SCALES),
    **dict.fromkeys(_FILLERS),
}
# Misspellings people write, mapped to the word they mean.
_KNOWN = {"fourty": "forty", "forthy": "forty", "ninty": "ninety", "nineth": "nine", "twelfe": "twelve"}
# "42/100" as OCR reads it: "42/l00", "xx/1OO", "00 / 1DD", "no/t00".
_FRACTION = re.compile(r"(?<![^\s])([0-9oOxXnN]{1,2}|no|xx)\s*/\s*[1lIt|!][0oODQ]{2}(?![0-9])", re.IGNORECASE)


def _under_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(ONES[n])
    return words


def number_words(dollars: int) -> str:
    """`dollars` in words, lower case: 1042 -> "one thousand forty-two"."""
    if dollars < 0:
        raise ValueError("an amount cannot be negative")
    if dollars == 0:
        return "zero"
    parts: list[str] = []
    for scale, name in ((1_000_000, "million"), (1000, "thousand"), (1, "")):
        chunk = (dollars // scale) % 1000
        if chunk:
            parts += _under_thousand(chunk) + ([name] if name else [])
    return " ".join(parts)


def amount_to_words(cents: int, rng: random.Random | None = None) -> str:
    """The legal line for `cents` as people write it: "One thousand forty-two and 00/100".

    With `rng`, one of the common variants is chosen (case, "and" after hundred, "Dollars", "xx/100").
    """
    dollars, rest = divmod(cents, 100)
    words = number_words(dollars)
    if rng is None:
        return f"{words[0].upper()}{words[1:]} and {rest:02d}/100"
    if rng.random() < 0.3:
        words = words.replace("hundred ", "hundred and ")
    case = rng.random()
    if case < 0.5:
        words = words[0].upper() + words[1:]
    elif case < 0.7:
        words = words.title()
    elif case < 0.85:
        words = words.upper()
    cents_text = "xx" if rest == 0 and rng.random() < 0.15 else f"{rest:02d}"
    tail = rng.choice(("", "", " Dollars", " dollars"))
    return f"{words} and {cents_text}/100{tail}"


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` once it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def closest_word(token: str) -> tuple[str | None, int]:
    """The vocabulary word nearest `token` and the edits it took (None when nothing is near enough)."""
    token = _KNOWN.get(token, token)
    if token in VOCABULARY:
        return token, 0
    if len(token) < 3:
        return None, 0
    limit = 1 if len(token) < 6 else 2
    best, best_d = None, limit + 1
    for word in VOCABULARY:
        if len(word) < 3:
            continue
        d = _edit_distance(token, word, limit)
        if d < best_d:
            best, best_d = word, d
    return (best, best_d) if best_d <= limit else (None, 0)


@dataclass(frozen=True)
class LegalParse:
    """What a legal line says: `cents`, the number words found, and `quality` (1.0: every word exact)."""

    cents: int
    words: tuple[str, ...]
    quality: float
    fraction: bool


def parse_legal(text: str) -> LegalParse | None:
    """Read a legal amount line ("One thousand forty-two and 00/100 DOLLARS") as cents, or None."""
    cents = 0
    fraction = False
    match = _FRACTION.search(text)
    if match:
        num = match.group(1).lower()
        if num in ("xx", "no", "x", "n"):
            cents = 0
        elif num.replace("o", "0").isdigit():
            cents = int(num.replace("o", "0"))
        else:
            return None
        fraction = True
        text = text[: match.start()] + " " + text[match.end() :]
    tokens = [_letters(t) for t in re.split(r"[^a-z0-9]+", text.lower()) if t]
    words: list[str] = []
    edits = 0
    gaps: list[int] = []  # unknown tokens after each number word
    for token in tokens:
        word, dist = closest_word(token) if token else (None, 0)
        if word is None:
            if words:
                gaps.append(len(words))
            continue
        words.append(word)
        edits += dist
    number = [w for w in words if VOCABULARY[w] is not None]
    if not number:
        return None
    dollars = _words_value(number)
    if dollars is None:
        return None
    # Noise between number words may hide a word (a misread "forty"): it costs much; noise after the last
    # word (a dash line read as letters) costs little.
    inner = sum(1 for g in gaps if g < len(words))
    quality = max(0.0, 1.0 - 0.15 * edits - 0.6 * inner - 0.05 * (len(gaps) - inner))
    return LegalParse(cents=dollars * 100 + cents, words=tuple(number), quality=quality, fraction=fraction)


def _letters(token: str) -> str:
    """A token with the digits OCR puts for letters (F0RTY, e1ght) turned back; a number stays ''."""
    if not any(c.isalpha() for c in token):
        return ""
    return token.translate(str.maketrans("0158", "olsb"))


def _words_value(words: list[str]) -> int | None:
    """The value of a run of number words, or None when they do not make one number."""
    total = current = 0
    last: str | None = None  # the kind of the previous word: "unit", "teen", "ten", "scale"
    largest_scale = 10**12
    for word in words:
        value = VOCABULARY[word]
        assert value is not None
        if word in SCALES:
            if current == 0 and word != "hundred" and total == 0:
                return None
            if word == "hundred":
                if current == 0 or current >= 100:
                    return None
                current *= 100
            else:
                if value >= largest_scale:
                    return None
                largest_scale = value
                total += max(current, 1) * value
                current = 0
            last = "scale"
            continue
        kind = "ten" if value >= 20 else "teen" if value >= 10 else "unit"
        if last in ("unit", "teen") or (last == "ten" and kind != "unit"):
            return None  # "two three", "twenty thirty": not one number
        if kind != "unit" and current % 100:
            return None
        current += value
        last = kind
    return total + current


def _distance(a: str, b: str) -> int:
    """Levenshtein distance by bit-parallel rows (Myers' algorithm, Hyyro's form): one pass over `b`."""
    if not a:
        return len(b)
    full = (1 << len(a)) - 1
    last = 1 << (len(a) - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = full, 0, len(a)
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


@lru_cache(maxsize=4096)
def legal_match(text: str, cents: int) -> float:
    """How well a (misread) legal line `text` spells the amount `cents`, 0..1.

    The words before the fraction are compared letter by letter with the words of the dollars (fillers such
    as "and" and "dollars" left out on both sides); a fraction that names other cents costs a third, a
    and a missing one nothing. This checks a courtesy reading against handwriting
    Tesseract cannot read word for word ("firety-Seren Thousand" still spells 97,000 better than 92,000).
    Without a readable fraction the cents are neither confirmed nor contradicted.
    """
    match = _FRACTION.search(text)
    head = text[: match.start()] if match else text
    tokens = [_letters(t) for t in re.split(r"[^a-z0-9]+", head.lower())]
    seen = "".join(t for t in tokens if t and closest_word(t)[0] not in _FILLERS)
    want = number_words(cents // 100).replace("-", "").replace(" ", "")
    if not seen:
        return 0.0
    score = max(0.0, 1.0 - _distance(seen, want) / max(len(seen), len(want)))
    if match:
        num = match.group(1).lower()
        written = (
            0
            if num in ("xx", "no", "x", "n")
            else int(num.replace("o", "0"))
            if num.replace("o", "0").isdigit()
            else -1
        )
        if written != cents % 100:
            score *= 0.5
    return score


def fraction_cents(text: str) -> int | None:
    """The cents a legal line's fraction names ("and 42/100" -> 42, "xx/100" -> 0), None when unreadable."""
    match = _FRACTION.search(text)
    if not match:
        return None
    num = match.group(1).lower()
    if num in ("xx", "no", "x", "n"):
        return 0
    num = num.replace("o", "0")
    return int(num) if num.isdigit() else None
