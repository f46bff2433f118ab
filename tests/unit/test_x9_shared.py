"""The validator and reader on the X9 files in ../shared/data/x9 (from moov-io/imagecashletter's test data):
the valid files pass, the fuzzer's crashers and the malformed ones are refused with sentences, and the CLI
exits 0/1 accordingly without a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openchecks.cli import main
from openchecks.x9.reader import iter_records
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


def test_a_micr_valid_indicator_of_zero_is_refused() -> None:
    with (_x9() / "without-micrValidIndicator.icl").open("rb") as stream:
        report = validate(stream)
    assert any("micr_valid_indicator must be one of" in p for p in report.problems)


@pytest.mark.parametrize(
    "name", ["BNK20180905121042882-A.icl", "BNK20181010121042882-A.icl", "creditRecord61.icl"]
)
def test_return_and_credit_files_are_read_whole_and_their_faults_named(name: str) -> None:
    """Every record is read (returns 31-35, credits 61/62, addenda 27/28); the validator names what these
    files break: left-justified sequence numbers in NB fields, a 5-digit signature length written '0    ',
    and the 1-byte 'images' (they are not TIFF)."""
    with (_x9() / name).open("rb") as stream:
        records = list(iter_records(stream))
    assert records[0].type == "01" and records[-1].type == "99"
    with (_x9() / name).open("rb") as stream:
        report = validate(stream)
    assert report.records == len(records)
    assert not report.ok
    assert any("length of digital signature '0    '" in p for p in report.problems)
    assert not any("cannot follow" in p for p in report.problems)  # the record order is right


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
    assert main(["x9", "validate", str(folder / "without-micrValidIndicator.icl")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("record ") for line in lines)
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
