"""The validator and reader on the X9 files in ../shared/data/x9 (from moov-io/imagecashletter's test data):
the valid files pass without a warning, the real-world files moov accepts pass with warnings that name each
departure from the standard, what moov refuses and the fuzzer's crashers are refused with sentences, and the
CLI exits 0/1 accordingly (--strict: warnings count) without a traceback."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from openchecks.cli import main
from openchecks.x9.reader import iter_records
from openchecks.x9.records import LAYOUTS
from openchecks.x9.validate import validate

from tests.conftest import require_shared_data

pytestmark = [pytest.mark.unit, pytest.mark.needs_shared]


def _x9() -> Path:
    folder = require_shared_data() / "x9"
    if not folder.is_dir():
        pytest.skip(f"needs {folder} (absent on this checkout)")
    return folder


@pytest.mark.parametrize("name", ["valid-ascii.x937", "valid-ebcdic.x937"])
def test_valid_files_pass(name: str) -> None:
    with (_x9() / name).open("rb") as stream:
        report = validate(stream)
    assert report.ok, report.problems
    assert report.warnings == []
    assert (report.records, report.items, report.images) == (12, 1, 2)


def test_ascii_and_ebcdic_files_hold_the_same_records() -> None:
    folder = _x9()
    with (folder / "valid-ascii.x937").open("rb") as a, (folder / "valid-ebcdic.x937").open("rb") as e:
        ra, re_ = list(iter_records(a)), list(iter_records(e))
    assert [r.fields for r in ra] == [r.fields for r in re_]
    assert [r.image for r in ra] == [r.image for r in re_]
    detail = next(r for r in ra if r.type == "25")
    assert detail.value("item_amount") == "0000010000"
    assert detail.value("on_us") == "1211-1234-56789/"


# What the files from real banks do that X9.100-187 does not ask for, by a phrase of its warning.
KINDS = {
    "padded": "digits padded with blanks, where X9.100-187 right-justifies",
    "signature": "length of digital signature is '0    '",
    "placeholder": "a placeholder and not an image",
    "size": "image view detail says 0000000 (not given)",
    "sequence": "is not its item's",
    "count": " come to ",
    "back": "no back view",
    "micr0": "micr_valid_indicator is 0",
}


def _kinds(warnings: list[str]) -> dict[str, int]:
    found = Counter(kind for line in warnings for kind, phrase in KINDS.items() if phrase in line)
    assert sum(found.values()) == len(warnings), warnings  # no warning of another kind, none of two
    return dict(found)


# moov-io/imagecashletter reads these and its Validate() returns no error (TestICLFiles,
# TestICLCreditItemFile, TestICLCreditRecord61File): they are valid here too, with warnings naming every
# departure from the standard. (records, items, image views) and the warnings each file carries:
REAL_WORLD = {
    "BNK20180905121042882-A.icl": (
        (74, 8, 8),
        # 2 cash letters of a forward bundle and a return bundle, 2 items each, 1 view per item; the control
        # records' item counts are those of a larger file (14 + 16 items per letter, 60 in the file).
        {"padded": 24, "signature": 8, "size": 8, "placeholder": 8, "back": 4, "sequence": 4, "count": 7},
    ),
    "without-micrValidIndicator.icl": ((12, 1, 2), {"micr0": 1, "count": 1}),
    "BNK20181010121042882-A.icl": (
        (39, 4, 4),
        {"padded": 15, "signature": 4, "size": 4, "placeholder": 4, "back": 4, "sequence": 2, "count": 6},
    ),
    "creditRecord61.icl": (
        (39, 4, 4),
        {"padded": 4, "signature": 4, "size": 4, "placeholder": 4, "back": 4, "sequence": 4, "count": 1},
    ),
}


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_real_world_files_moov_accepts_are_valid_with_their_departures_warned(name: str) -> None:
    (records, items, images), kinds = REAL_WORLD[name]
    with (_x9() / name).open("rb") as stream:
        report = validate(stream)
    assert report.problems == []
    assert (report.records, report.items, report.images) == (records, items, images)
    assert _kinds(report.warnings) == kinds
    assert not any("cannot follow" in w for w in report.warnings)  # the record order is right


def test_the_warnings_say_what_the_file_holds() -> None:
    with (_x9() / "without-micrValidIndicator.icl").open("rb") as stream:
        report = validate(stream)
    assert report.warnings == [
        "record 4 (type 25, byte 252): micr_valid_indicator is 0, not a value of X9.100-187 (blank, 1 to 4); "
        "read as not given, as readers do",
        "record 10 (type 70, byte 16884): micr_valid_total_amount is 10000 but the amounts of its items with "
        "MICR valid 1 come to 0",
    ]
    with (_x9() / "BNK20180905121042882-A.icl").open("rb") as stream:
        report = validate(stream)
    assert (
        "record 3 (type 20, byte 168): bundle_sequence_number is '1   ': digits padded with blanks, where "
        "X9.100-187 right-justifies a numeric field and fills it with zeros" in report.warnings
    )
    placeholder = (
        "record 9 (type 52, byte 672): the front image is 1 byte (b' '), a placeholder and not an image"
    )
    assert placeholder in report.warnings


def _mutated(name: str, record_type: str, field_name: str, value: str) -> bytes:
    """An ASCII file with one field of the first record of `record_type` overwritten (same length)."""
    data = bytearray((_x9() / name).read_bytes())
    rec = next(r for r in iter_records(io.BytesIO(bytes(data))) if r.type == record_type)
    start, end = LAYOUTS[record_type].positions[field_name]
    assert len(value) == end - start
    at = rec.offset + 4 + start
    data[at : at + len(value)] = value.encode("ascii")
    return bytes(data)


@pytest.mark.parametrize(
    ("record_type", "field_name", "value", "phrase"),
    [
        # moov's validators refuse these too (isMICRValidIndicator, isNumeric, validateDate, addendum count)
        ("25", "micr_valid_indicator", "5", "micr_valid_indicator must be one of"),
        ("25", "item_amount", "00000A0000", "item_amount must be digits"),
        ("01", "file_creation_date", "20181332", "must be a date"),
        ("25", "check_detail_record_addendum_count", "02", "but 1 addenda follow"),
        ("25", "bofd_indicator", "X", "bofd_indicator must be one of"),
        # and these are stricter than moov: a money total that does not add up, blanks inside digits
        ("70", "bundle_total_amount", "000000010001", "bundle_total_amount is 10001"),
        ("25", "ece_institution_item_sequence_number", "0000000 0001104", "must be digits or blank"),
    ],
)
def test_what_moov_refuses_is_still_refused(
    record_type: str, field_name: str, value: str, phrase: str
) -> None:
    data = _mutated("valid-ascii.x937", record_type, field_name, value)
    report = validate(io.BytesIO(data))
    assert not report.ok
    assert any(phrase in p for p in report.problems), report.problems


def test_the_crashers_stay_refused_and_the_samples_pass_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    folder = _x9()
    for name in REAL_WORLD:
        assert main(["x9", "validate", str(folder / name)]) == 0, name
        captured = capsys.readouterr()
        assert captured.out == ""  # no problem lines
        assert "warning: record " in captured.err and f"{name}: valid (" in captured.err
        assert main(["x9", "validate", "--strict", str(folder / name)]) == 1, name
        lines = capsys.readouterr().out.splitlines()
        assert lines and all(line.startswith("record ") for line in lines)
    assert main(["x9", "validate", "--strict", str(folder / "valid-ascii.x937")]) == 0
    capsys.readouterr()


def test_every_crasher_is_refused_with_a_sentence() -> None:
    crashers = sorted((_x9() / "crashers").iterdir())
    assert crashers
    for path in crashers:
        with path.open("rb") as stream:
            report = validate(stream)
        assert not report.ok, path.name
        assert all(p.endswith(".") or ":" in p for p in report.problems)


def test_cli_validate_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    folder = _x9()
    assert main(["x9", "validate", str(folder / "valid-ebcdic.x937")]) == 0
    assert capsys.readouterr().out == ""
    assert main(["x9", "validate", str(folder / "without-micrValidIndicator.icl")]) == 0
    assert capsys.readouterr().out == ""
    crashers = sorted((folder / "crashers").iterdir())
    assert main(["x9", "validate", "--quiet", *map(str, crashers)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(crashers)  # one line each: framing stops the reading
    assert main(["x9", "show", str(folder / "valid-ascii.x937")]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["encoding"] == "ascii" and len(shown["records"]) == 12
    image = next(r["image"] for r in shown["records"] if r["type"] == "52")
    assert image["format"] == "TIFF" and image["compression"] == "group4" and image["bytes"] == 7408
    assert main(["x9", "show", str(crashers[0])]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "4-byte record length" in captured.err
    assert main(["x9", "validate", str(folder / "no-such-file")]) == 2


def test_show_reads_the_ebcdic_file() -> None:
    data = (_x9() / "valid-ebcdic.x937").read_bytes()
    names = [r.type for r in iter_records(io.BytesIO(data))]
    assert names == ["01", "10", "20", "25", "26", "50", "52", "50", "52", "70", "90", "99"]


def test_crashers_framed_line_by_line_are_read_to_the_end_and_refused() -> None:
    """The fuzzer's inputs are one record per line; framed as X9 wants, every record reaches the field,
    order and total checks (the damage is inside the records), and none makes the validator raise."""
    import struct

    from openchecks.x9.show import records_as_dicts

    for path in sorted((_x9() / "crashers").iterdir()):
        lines = [line for line in path.read_bytes().split(b"\n") if line]
        framed = b"".join(struct.pack(">I", len(line)) + line for line in lines)
        report = validate(io.BytesIO(framed))
        assert not report.ok, path.name
        if not lines[0].startswith(b"01"):  # no file header: nothing further is read
            assert report.problems == [
                "The file does not start with an X9 file header (record type 01 in EBCDIC or ASCII after a "
                "4-byte length); it is not an X9.100-187 file."
            ]
            continue
        assert report.records == len(lines), path.name
        assert len(list(records_as_dicts(io.BytesIO(framed)))) == len(lines)
