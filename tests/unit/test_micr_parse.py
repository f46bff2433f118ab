"""Splitting MICR lines into fields: the layouts seen on real checks, spaces, symbols, and broken lines."""

from __future__ import annotations

import pytest
from openchecks.micr.parse import parse_micr_line
from openchecks.micr.symbols import AMOUNT, DASH, ON_US, TRANSIT, from_letters, to_letters


@pytest.mark.parametrize(
    ("line", "routing", "account", "check_number"),
    [
        # Personal check: routing, account ended by on-us, serial after it (silesia-1278.png).
        ("A063100277A 003661702511C 1278", "063100277", "003661702511", "1278"),
        # Cashier's check: serial in the auxiliary on-us field (wells-cashiers.jpg), spaces in the account.
        ("C0150482880C A121000248A 4861 507788C", "121000248", "4861507788", "0150482880"),
        # Business check with the account framed by on-us symbols (photo-central-bank.jpg).
        ("C003396915C A086500634A C122226433C", "086500634", "122226433", "003396915"),
        # Serial before the account, both ended by on-us symbols.
        ("A031300465A 1172C 0238D0145C", "031300465", "02380145", "1172"),
        # Tesseract puts spaces around the narrow "1".
        ("A 0 6 3 1 0 0 2 7 7 A 1 2 3 4 5 6 C 1 0 0 1", "063100277", "123456", "1001"),
    ],
)
def test_layouts(line: str, routing: str, account: str, check_number: str) -> None:
    fields = parse_micr_line(line)
    assert (fields.routing, fields.account, fields.check_number) == (routing, account, check_number)
    assert fields.problems == ()


def test_unicode_and_letters_parse_the_same() -> None:
    letters = "C0150482880C A121000248A 4861507788C"
    assert parse_micr_line(letters).to_dict() == parse_micr_line(from_letters(letters)).to_dict()
    assert to_letters(from_letters(letters)) == letters


def test_amount_field_in_cents() -> None:
    fields = parse_micr_line(
        f"{TRANSIT}031300465{TRANSIT}{ON_US}0238{DASH}0145{ON_US}1172{AMOUNT}0000120000{AMOUNT}"
    )
    assert fields.amount_cents == 120000
    assert fields.account == "02380145"
    assert fields.check_number == "1172"
    assert fields.problems == ()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("", "unparseable_line"),
        ("   ", "unparseable_line"),
        ("0631002770036617025111278", "unparseable_line"),
        ("A063100277 003661702511C", "unparseable_line"),
        ("AA 003661702511C 1278", "routing_missing"),
        ("A85871713 A18635887571A 11638", "routing_format_invalid"),
        ("A85871713 A18635887571A 11638", "extra_transit_symbol"),
        ("A0631002771A 003661702511C 1278", "routing_format_invalid"),
        ("A0631D00277A 003661702511C 1278", "routing_format_invalid"),
        ("A063100277A C 1278", "account_missing"),
        ("A063100277A 123C 1278", "account_format_invalid"),
        ("A063100277A 003661702511C", "check_number_missing"),
        ("A063100277A 003661702511", "on_us_symbol_missing"),
        ("A063100277A 003661702511C 1278 B00001B", "amount_format_invalid"),
        ("A063100277A 003661702511C 1278 B0000012000", "amount_format_invalid"),
        ("A063100277A 0036617O2511C 1278", "unexpected_characters"),
    ],
)
def test_broken_lines_report_problems(line: str, problem: str) -> None:
    assert problem in parse_micr_line(line).problems


def test_spans_point_at_the_characters_read() -> None:
    line = "C0150482880C A121000248A 4861 507788C"
    fields = parse_micr_line(line)
    text = fields.line
    for name, value in (("routing", "121000248"), ("account", "4861507788"), ("check_number", "0150482880")):
        start, end = fields.spans[name]
        assert text[start:end].replace(" ", "") == value


def test_to_dict_is_plain_data() -> None:
    data = parse_micr_line("A063100277A 003661702511C 1278").to_dict()
    assert data["routing"] == "063100277"
    assert data["problems"] == []
    assert "spans" not in data


@pytest.mark.parametrize("left", ["C2", "2", "2C", "C12C3", "CC"])
def test_noise_left_of_the_routing_is_not_a_serial(left: str) -> None:
    fields = parse_micr_line(f"{left}A063100277A 003661702511C 1278")
    assert fields.check_number == "1278"
    assert fields.auxiliary_on_us is None
