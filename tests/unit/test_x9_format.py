"""The X9 writer, reader and validator on files the project writes: every field read back, control totals,
bundling, the Type 54 codes, and the validator catching each kind of damage without ever raising."""

from __future__ import annotations

import io
import random
import struct
from datetime import date, datetime

import pytest
from openchecks.check.bitonal import tiff_g4
from openchecks.x9.reader import iter_records
from openchecks.x9.records import LAYOUTS, RecordError, format_fields, split_fields
from openchecks.x9.show import records_as_dicts
from openchecks.x9.validate import validate, validate_bytes
from openchecks.x9.writer import FileSettings, Item, View, quality_values, write_cash_letter
from PIL import Image, ImageDraw

pytestmark = pytest.mark.unit


def _check_image(text: str, width: int = 1200, height: int = 550) -> Image.Image:
    im = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(im)
    draw.rectangle((20, 20, width - 20, height - 20), outline=40, width=3)
    draw.text((60, 60), text, fill=10)
    draw.line((100, 400, 900, 420), fill=0, width=4)
    return im


FRONT = tiff_g4(_check_image("FRONT"))
BACK = tiff_g4(_check_image("BACK"))


def _items(n: int, back: bool = True) -> list[Item]:
    out = []
    for i in range(n):
        out.append(
            Item(
                sequence_number=f"{i + 1:015d}",
                amount_cents=1000 + i,
                routing="063100277",
                on_us=f"{1000000 + i}/{100 + i}",
                front=View(lambda: FRONT, {"partial_image": "pass", "too_light_or_too_dark": "fail"}),
                back=View(lambda: BACK, None) if back else None,
                deposit_account="12345678",
                micr_valid="3" if i % 2 else "1",
                correction="3" if i % 2 else "0",
                key=f"dep-{i}",
            )
        )
    return out


SETTINGS = FileSettings(
    origin_routing="063100277",
    destination_routing="061000146",
    origin_name="OPENCHECKS BANK",
    destination_name="FED ATLANTA",
    business_date=date(2026, 12, 1),
    created=datetime(2026, 12, 1, 17, 5),
    bundle_size=2,
    contact_name="Ops",
    contact_phone="5550100",
)


def _write(items: list[Item], **changes: object) -> tuple[bytes, object]:
    settings = FileSettings(**{**SETTINGS.__dict__, **changes})
    buffer = io.BytesIO()
    totals = write_cash_letter(buffer, settings, items)
    return buffer.getvalue(), totals


@pytest.mark.parametrize("encoding", ["cp037", "ascii"])
def test_written_file_reads_back_field_by_field(encoding: str) -> None:
    items = _items(5)
    data, totals = _write(items, encoding=encoding)
    records = list(iter_records(io.BytesIO(data)))
    types = [r.type for r in records]
    assert types[:2] == ["01", "10"] and types[-2:] == ["90", "99"]
    assert types.count("20") == 3 == types.count("70")  # 2 + 2 + 1 items
    assert types.count("25") == 5 and types.count("26") == 5
    assert types.count("50") == 10 == types.count("52")
    assert types.count("54") == 5  # only the fronts have quality results
    details = [r for r in records if r.type == "25"]
    for item, rec in zip(items, details, strict=True):
        assert rec.value("item_amount") == f"{item.amount_cents:010d}"
        assert rec.value("payor_bank_routing_number") + rec.value("payor_bank_check_digit") == item.routing
        assert rec.value("on_us") == item.on_us
        assert rec.value("ece_institution_item_sequence_number") == item.sequence_number
        assert rec.value("micr_valid_indicator") == item.micr_valid
        assert rec.value("correction_indicator") == item.correction
        assert rec.value("documentation_type_indicator") == "G"
    addenda = [r for r in records if r.type == "26"]
    assert all(r.value("bofd_routing_number") == "063100277" for r in addenda)
    assert all(r.value("bofd_business_date") == "20261201" for r in addenda)
    assert [r.value("bofd_item_sequence_number") for r in addenda] == [i.sequence_number for i in items]
    assert all(r.value("truncation_indicator") == "Y" for r in addenda)
    assert [r.value("bofd_correction_indicator") for r in addenda] == [i.correction for i in items]
    images = [r for r in records if r.type == "52"]
    assert [r.image for r in images] == [FRONT, BACK] * 5
    views = [r.value("view_side_indicator") for r in records if r.type == "50"]
    assert views == ["0", "1"] * 5
    header = records[0]
    assert header.value("immediate_origin") == "063100277"
    assert header.value("immediate_destination") == "061000146"
    assert header.value("immediate_origin_name") == "OPENCHECKS BANK"
    assert header.value("file_creation_time") == "1705"
    assert header.value("standard_level") == "35"
    controls = [r for r in records if r.type == "70"]
    assert [r.value("items_within_bundle_count") for r in controls] == ["0002", "0002", "0001"]
    assert controls[0].value("bundle_total_amount") == f"{1000 + 1001:012d}"
    assert controls[0].value("micr_valid_total_amount") == f"{1000:012d}"  # the item with MICR valid 1
    assert controls[0].value("images_within_bundle_count") == "00004"
    file_control = records[-1]
    assert int(file_control.value("total_record_count")) == len(records) == totals.records  # type: ignore[attr-defined]
    assert int(file_control.value("file_total_amount")) == sum(i.amount_cents for i in items)
    assert int(file_control.value("total_item_count")) == 5
    report = validate_bytes(data)
    assert report.ok, report.problems
    assert report.warnings == []
    assert report.items == 5 and report.images == 10


def test_encodings_differ_only_in_code_page() -> None:
    ebcdic, _ = _write(_items(2), encoding="cp037")
    ascii_, _ = _write(_items(2), encoding="ascii")
    assert ebcdic != ascii_ and len(ebcdic) == len(ascii_)
    assert ebcdic[4:6] == b"\xf0\xf1" and ascii_[4:6] == b"01"
    as_a = [r.fields for r in iter_records(io.BytesIO(ascii_))]
    as_e = [r.fields for r in iter_records(io.BytesIO(ebcdic))]
    assert as_a == as_e


def test_item_without_back_is_a_warning_not_a_problem() -> None:
    data, _ = _write(_items(3, back=False))
    report = validate_bytes(data)
    assert report.ok, report.problems
    assert len(report.warnings) == 3 and "no back view" in report.warnings[0]


def test_quality_results_map_to_the_type_54_codes() -> None:
    values = quality_values(
        {
            "partial_image": "pass",
            "excessive_skew": "fail",
            "piggyback": "not_tested",
            "out_of_focus": "fail",
        }
    )
    assert values is not None
    assert values["partial_image"] == "2"  # tested, condition not present
    assert values["excessive_image_skew"] == "1"  # condition present
    assert values["piggyback_image"] == "0"  # not tested
    assert values["too_light_or_too_dark"] == "0"
    assert values["global_image_quality"] == "1"
    assert values["imaging_bank_specific_test"] == "1"
    assert quality_values({"partial_image": "pass"})["global_image_quality"] == "2"  # type: ignore[index]
    assert quality_values(None) is None
    nested = quality_values({"results": {"partial_image": "fail"}, "failed": ["partial_image"]})
    assert nested is not None and nested["partial_image"] == "1"
    text = format_fields("54", values)
    assert len(text) == 80 and split_fields("54", text)["excessive_image_skew"] == "1"


def test_formatting_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(RecordError, match="item_amount"):
        format_fields("25", {"item_amount": 12345678901})
    with pytest.raises(RecordError, match="not digits"):
        format_fields("01", {"immediate_origin": "06310O277"})
    assert format_fields("25", {"on_us": "123/45"})[27:47] == " " * 14 + "123/45"
    for layout in LAYOUTS.values():
        if not layout.variable:
            assert len(format_fields(layout.type, {})) == layout.length


def _replace(data: bytes, index: int, new_text: str) -> bytes:
    """The file with record `index` (1-based) replaced by `new_text` (ASCII files)."""
    out = bytearray()
    pos = 0
    i = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        i += 1
        body = data[pos + 4 : pos + 4 + n]
        if i == index:
            body = new_text.encode("ascii")
        out += struct.pack(">I", len(body)) + body
        pos += 4 + n
    return bytes(out)


def _index_of(data: bytes, record_type: str) -> int:
    return next(r.index for r in iter_records(io.BytesIO(data)) if r.type == record_type)


def test_validator_finds_each_kind_of_damage() -> None:
    data, _ = _write(_items(3), encoding="ascii")
    records = {r.index: r for r in iter_records(io.BytesIO(data))}
    i25 = _index_of(data, "25")
    text = records[i25].text
    more = text[:47] + "0000009999" + text[57:]
    problems = validate_bytes(_replace(data, i25, more)).problems
    assert any("bundle_total_amount" in p for p in problems)
    assert any("cash_letter_total_amount" in p for p in problems)
    assert any("file_total_amount" in p for p in problems)
    letters = text[:47] + "00000ABCDE" + text[57:]
    assert any(
        "item_amount must be digits" in p for p in validate_bytes(_replace(data, i25, letters)).problems
    )
    short = validate_bytes(_replace(data, i25, text[:70])).problems
    assert any("is 70 characters long" in p for p in short)
    # Order: a second file header after the cash letter header.
    i10 = _index_of(data, "10")
    wrong = _replace(data, i10 + 1, records[1].text)
    assert any("cannot follow a type 10" in p for p in validate_bytes(wrong).problems)
    # Truncated in the middle of an image.
    cut = validate_bytes(data[: len(data) // 2]).problems
    assert len(cut) >= 1 and "truncated" in cut[-1]
    # An image that is not bitonal Group 4.
    png = io.BytesIO()
    _check_image("PNG").save(png, "PNG")
    items = _items(1)
    items[0].front = View(lambda: png.getvalue(), None)
    bad, _ = _write(items, encoding="ascii")
    problems = validate_bytes(bad).problems
    assert any("front image is PNG, not TIFF" in p for p in problems)
    assert validate_bytes(bad, check_images=False).ok


def test_no_input_makes_the_reader_or_validator_raise() -> None:
    data, _ = _write(_items(2), encoding="ascii")
    rng = random.Random(11)
    samples = [b"", b"\x00", b"\x00\x00\x00\x50", data[:3], data + b"\x00\x00"]
    for _ in range(300):
        mutated = bytearray(data[: rng.randrange(1, len(data))] if rng.random() < 0.3 else data)
        for _ in range(rng.randrange(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        samples.append(bytes(mutated))
    for sample in samples:
        report = validate(io.BytesIO(sample))
        assert isinstance(report.problems, list)
        try:
            list(records_as_dicts(io.BytesIO(sample)))
        except ValueError as exc:  # X9FormatError: a sentence, never anything else
            assert str(exc)
    assert not validate_bytes(b"").ok
