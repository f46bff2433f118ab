"""Accept or review: a misread number must never be accepted."""

from __future__ import annotations

import pytest
from openchecks.micr.aba import routing_checksum_ok
from openchecks.micr.decide import amount_to_cents, decide, field_confidences
from openchecks.micr.parse import parse_micr_line

GOOD = "A063100277A 003661702511C 1278"


def confident(line: str, value: float = 99.0) -> list[float]:
    return [value] * len(line)


def test_a_clean_confident_line_is_accepted() -> None:
    decision = decide(parse_micr_line(GOOD), confident(GOOD), "1042.00")
    assert decision.status == "accepted"
    assert decision.reasons == []
    assert decision.to_dict() == {"status": "accepted", "reasons": []}


def test_no_line_found() -> None:
    assert decide(None).reasons == ["no_micr_line_found"]


def test_without_confidences_nothing_is_accepted() -> None:
    decision = decide(parse_micr_line(GOOD))
    assert decision.status == "needs_review"
    assert "low_confidence" in decision.reasons


@pytest.mark.parametrize("position", range(9))
def test_original_openchecks_failure_a_misread_routing_digit_is_never_accepted(position: int) -> None:
    # The original parser had no checksum and accepted any misread routing number.
    routing = "063100277"
    for digit in "0123456789":
        if digit == routing[position]:
            continue
        misread = routing[:position] + digit + routing[position + 1 :]
        line = f"A{misread}A 003661702511C 1278"
        decision = decide(parse_micr_line(line), confident(line))
        assert decision.status == "needs_review"
        assert "routing_checksum_failed" in decision.reasons


def test_a_transposition_that_passes_the_checksum_is_caught_by_confidence() -> None:
    # Swapping neighbours 5 apart under weights 3 and 7 keeps the checksum valid: only confidence can tell.
    routing = "063100277"
    swaps = [routing[:i] + routing[i + 1] + routing[i] + routing[i + 2 :] for i in range(8)]
    passing = [s for s in swaps if s != routing and routing_checksum_ok(s)]
    assert passing, "expected at least one undetectable transposition of 063100277"
    line = f"A{passing[0]}A 003661702511C 1278"
    low = confident(line)
    low[1 + next(i for i in range(9) if passing[0][i] != routing[i])] = 62.0
    decision = decide(parse_micr_line(line), low)
    assert decision.status == "needs_review"
    assert decision.reasons == ["low_confidence"]


@pytest.mark.parametrize(("field", "index"), [("routing", 5), ("account", 14), ("check_number", 28)])
def test_low_confidence_in_any_scored_field_means_review(field: str, index: int) -> None:
    fields = parse_micr_line(GOOD)
    confidences = confident(GOOD)
    confidences[index] = 40.0
    assert field_confidences(fields, confidences)[field] == 40.0
    assert decide(fields, confidences).reasons == ["low_confidence"]


def test_low_confidence_outside_the_fields_does_not_matter() -> None:
    confidences = confident(GOOD)
    confidences[0] = 10.0  # the transit symbol itself
    confidences[11] = 10.0  # the space
    assert decide(parse_micr_line(GOOD), confidences).status == "accepted"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("A85871713 A18635887571A 11638", "routing_format_invalid"),
        ("063100277 003661702511 1278", "unparseable_line"),
        ("A063100277A C 1278", "account_missing"),
        ("A063100277A 003661702511C", "check_number_missing"),
    ],
)
def test_malformed_lines_are_reviewed(line: str, reason: str) -> None:
    decision = decide(parse_micr_line(line), confident(line))
    assert decision.status == "needs_review"
    assert reason in decision.reasons


def test_encoded_amount_must_match_the_declared_one() -> None:
    line = "A063100277A 003661702511C 1278 B0000104200B"
    fields = parse_micr_line(line)
    assert decide(fields, confident(line), "1042.00").status == "accepted"
    assert decide(fields, confident(line), "$1042").status == "accepted"
    mismatch = decide(fields, confident(line), "1042.01")
    assert mismatch.reasons == ["amount_mismatch"]


def test_a_malformed_declared_amount_is_a_reason() -> None:
    assert decide(parse_micr_line(GOOD), confident(GOOD), "ten dollars").reasons == [
        "declared_amount_invalid"
    ]


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1042.00", 104200),
        ("19.99", 1999),
        ("0.09", 9),
        ("12", 1200),
        ("$5.5", 550),
        (12000.42, 1200042),
        (7, 700),
    ],
)
def test_amount_to_cents(text: str | float, cents: int) -> None:
    assert amount_to_cents(text) == cents


@pytest.mark.parametrize("text", ["", "1,042.00", "1042.001", "-5", "abc", "1e3"])
def test_amount_to_cents_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        amount_to_cents(text)
