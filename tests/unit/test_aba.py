"""The ABA routing checksum: known numbers, every single-digit misread, malformed input."""

from __future__ import annotations

import pytest
from openchecks.micr.aba import check_digit, routing_checksum_ok

# Real routing numbers (the sample checks, and well-known published ones).
VALID = ["063100277", "121000248", "086500634", "011000015", "021000021", "026009593", "111000025"]


@pytest.mark.parametrize("routing", VALID)
def test_known_routing_numbers_pass(routing: str) -> None:
    assert routing_checksum_ok(routing)


@pytest.mark.parametrize("routing", VALID)
def test_every_single_digit_misread_fails(routing: str) -> None:
    # Weights 3, 7 and 1 are coprime with 10, so one wrong digit always breaks the sum.
    for position in range(9):
        for digit in "0123456789":
            if digit == routing[position]:
                continue
            misread = routing[:position] + digit + routing[position + 1 :]
            assert not routing_checksum_ok(misread), misread


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345678",
        "0631002770",
        "06310027A",
        "063 00277",
        "０６３１００２７７",
        "-63100277",
        "063100277\n",
    ],
)
def test_malformed_input_is_never_valid(text: str) -> None:
    assert not routing_checksum_ok(text)


@pytest.mark.parametrize("routing", VALID)
def test_check_digit_completes_the_number(routing: str) -> None:
    assert check_digit(routing[:8]) == routing[8]


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567x"])
def test_check_digit_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError, match="eight digits"):
        check_digit(bad)
