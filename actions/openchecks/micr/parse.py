"""Split a MICR E-13B line into its fields and check their formats.

A US check line reads, left to right: an optional auxiliary on-us field (⑈serial⑈), the routing number between
two transit symbols (⑆routing⑆), the on-us field (account number ended by ⑈, often with the serial number on
one side of it), and an optional amount field (⑇0000012345⑇, in cents). Spaces inside a field carry no meaning
(Tesseract inserts them around the narrow "1") and are dropped; dashes (⑉) inside the account are dropped too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openchecks.micr.symbols import AMOUNT, DASH, DIGITS, LETTER_TO_SYMBOL, ON_US, SYMBOLS, TRANSIT

# Field lengths a US check can carry (ANSI X9.13 positions; account numbers run up to 17 digits).
ROUTING_LENGTH = 9
ACCOUNT_LENGTHS = range(4, 18)
CHECK_NUMBER_LENGTHS = range(1, 16)
AMOUNT_LENGTH = 10

Span = tuple[int, int]


@dataclass(frozen=True)
class MicrFields:
    """The fields of one MICR line; `problems` lists machine-readable format faults (empty when well formed).

    `spans` maps "routing", "account" and "check_number" to the [start, end) character range of `line` that
    the field was read from, so per-character confidences can be attributed to fields.
    """

    line: str
    routing: str | None = None
    account: str | None = None
    check_number: str | None = None
    auxiliary_on_us: str | None = None
    on_us: str | None = None
    amount_cents: int | None = None
    problems: tuple[str, ...] = ()
    spans: dict[str, Span] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "routing": self.routing,
            "account": self.account,
            "check_number": self.check_number,
            "auxiliary_on_us": self.auxiliary_on_us,
            "on_us": self.on_us,
            "amount_cents": self.amount_cents,
            "problems": list(self.problems),
        }


def _on_us_field(
    line: str,
    span: Span | None,
    name: str,
    lengths: range,
    spans: dict[str, Span],
    problems: list[str],
) -> str | None:
    """The digits of one on-us field (account or check number): its span goes into `spans`; a missing field
    adds `<name>_missing` to `problems`, one of a length not in `lengths` `<name>_format_invalid`."""
    digits: str | None = None
    if span is not None:
        digits, span, _ = _digits(line, *span)
    if not digits or not span:
        problems.append(f"{name}_missing")
        return None
    spans[name] = span
    if len(digits) not in lengths:
        problems.append(f"{name}_format_invalid")
    return digits


def _digits(text: str, start: int, end: int) -> tuple[str, Span | None, bool]:
    """Digits of text[start:end] (spaces, dashes dropped), their span, and whether anything else was there."""
    out = []
    first = last = -1
    foreign = False
    for i in range(start, end):
        ch = text[i]
        if ch in DIGITS:
            out.append(ch)
            first = i if first < 0 else first
            last = i
        elif ch not in (" ", DASH):
            foreign = True
    return "".join(out), ((first, last + 1) if first >= 0 else None), foreign


def _segments(text: str, start: int, end: int) -> tuple[list[Span], Span | None]:
    """Split text[start:end] at on-us symbols: the ranges each ended by ⑈, and the unterminated tail."""
    closed: list[Span] = []
    seg_start = start
    for i in range(start, end):
        if text[i] == ON_US:
            closed.append((seg_start, i))
            seg_start = i + 1
    return closed, ((seg_start, end) if seg_start < end else None)


def _routing(line: str, open_t: int, close_t: int, spans: dict[str, Span], problems: list[str]) -> str:
    """The digits between the first two transit symbols (its span into `spans`; format faults into
    `problems`)."""
    routing, routing_span, foreign = _digits(line, open_t + 1, close_t)
    if routing_span is not None:
        spans["routing"] = routing_span
    if not routing:
        problems.append("routing_missing")
    elif foreign or DASH in line[open_t + 1 : close_t] or len(routing) != ROUTING_LENGTH:
        problems.append("routing_format_invalid")
    return routing


def _amount(line: str, close_t: int, problems: list[str]) -> tuple[int | None, int]:
    """The amount field, if any, closes the line (⑇ten digits⑇): its cents (None when absent or malformed)
    and where the fields before it end."""
    amounts = [i for i, ch in enumerate(line) if ch == AMOUNT]
    if not amounts:
        return None, len(line)
    if len(amounts) != 2 or amounts[0] < close_t:
        problems.append("amount_format_invalid")
        return None, amounts[0]
    amount, _, bad = _digits(line, amounts[0] + 1, amounts[1])
    if bad or len(amount) != AMOUNT_LENGTH or line[amounts[1] + 1 :].strip():
        problems.append("amount_format_invalid")
        return None, amounts[0]
    return int(amount), amounts[0]


def _auxiliary(line: str, open_t: int, problems: list[str]) -> tuple[str | None, Span | None]:
    """The auxiliary on-us field: whatever sits left of the first transit symbol (business and cashier's
    checks), kept only when framed by on-us symbols; its digits and span."""
    aux_text = line[:open_t].strip()
    if not aux_text:
        return None, None
    auxiliary, aux_span, _ = _digits(line, 0, open_t)
    # A real auxiliary on-us field is framed by on-us symbols; anything else there is noise.
    inner = aux_text[1:-1]
    framed = len(aux_text) > 2 and aux_text[0] == aux_text[-1] == ON_US and ON_US not in inner
    if auxiliary and not (framed and all(ch in DIGITS + DASH + " " for ch in inner)):
        problems.append("auxiliary_on_us_format_invalid")
        return None, None
    return auxiliary or None, aux_span


def _on_us_spans(
    line: str, start: int, end: int, has_auxiliary: bool, problems: list[str]
) -> tuple[Span | None, Span | None]:
    """Where the account and the serial sit in the on-us field line[start:end]: the account is the last
    field an on-us symbol ends, a serial sits on its other side."""
    closed, tail = _segments(line, start, end)
    has_on_us = bool(closed)
    closed = [s for s in closed if _digits(line, *s)[0]]
    tail_digits = tail if tail and _digits(line, *tail)[0] else None
    if closed:
        return closed[-1], tail_digits or (closed[0] if len(closed) > 1 else None)
    if tail_digits and has_on_us:
        return None, tail_digits  # digits only after the on-us symbol: a serial, with the account missing
    if tail_digits:
        if not has_auxiliary:
            problems.append("on_us_symbol_missing")
        return tail_digits, None
    return None, None


def parse_micr_line(text: str) -> MicrFields:
    """Parse a MICR line written with the Unicode symbols (or with A/B/C/D, as the e13b model writes them).

    Never raises: a line that cannot be split yields `problems` such as "unparseable_line", "routing_missing",
    "routing_format_invalid", "account_missing", "account_format_invalid", "check_number_missing",
    "amount_format_invalid", "unexpected_characters", "extra_transit_symbol".
    """
    line = "".join(LETTER_TO_SYMBOL.get(ch, ch) for ch in text.rstrip("\n"))
    problems: list[str] = []
    spans: dict[str, Span] = {}
    if any(ch not in DIGITS and ch not in SYMBOLS and ch != " " for ch in line):
        problems.append("unexpected_characters")

    transits = [i for i, ch in enumerate(line) if ch == TRANSIT]
    if len(transits) < 2 or not any(ch in DIGITS for ch in line):
        return MicrFields(line=line, problems=(*problems, "unparseable_line", "routing_missing"))
    if len(transits) > 2:
        problems.append("extra_transit_symbol")
    open_t, close_t = transits[0], transits[1]

    routing = _routing(line, open_t, close_t, spans, problems)
    amount_cents, end = _amount(line, close_t, problems)
    auxiliary, aux_span = _auxiliary(line, open_t, problems)
    on_us_end = transits[2] if len(transits) > 2 else end
    account_span, serial_span = _on_us_spans(line, close_t + 1, on_us_end, auxiliary is not None, problems)
    if aux_span is not None:
        serial_span = aux_span  # the auxiliary on-us field carries the serial when present

    account = _on_us_field(line, account_span, "account", ACCOUNT_LENGTHS, spans, problems)
    check_number = _on_us_field(line, serial_span, "check_number", CHECK_NUMBER_LENGTHS, spans, problems)

    return MicrFields(
        line=line,
        routing=routing or None,
        account=account,
        check_number=check_number,
        auxiliary_on_us=auxiliary,
        on_us=line[close_t + 1 : on_us_end].strip() or None,
        amount_cents=amount_cents,
        problems=tuple(problems),
        spans=spans,
    )
