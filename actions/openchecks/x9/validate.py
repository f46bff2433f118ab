"""Checking an X9.100-187 file: framing, record order, record lengths, field formats, control totals and
counts, and that every image decodes as a bitonal CCITT Group 4 TIFF.

`validate(stream)` returns a `Report` with one line per problem and one per warning; it never raises for
anything in the file (a damaged one included): what cannot be read becomes a problem. A file is valid when
there are no problems; warnings do not make it invalid. Warnings are what the standard asks for but files
from real banks do not always do, and what the reference implementation (moov-io/imagecashletter) accepts:

- digits padded with blanks in a numeric field ('1   ' for a sequence number), a 52 record's signature
  length written '0    ', a MICR valid indicator of 0;
- control counts (items, records, images, bundles, cash letters) and the MICR valid total that do not match
  what they close (the money totals must match: a wrong amount is a problem);
- an image view whose data is a placeholder (a few bytes, not an image), or whose detail gives its size as
  0; an image view data record whose item sequence number is not its item's;
- an item with no back view, an image at an unusual resolution.

The project's own writer writes none of these (its tests check that its files have no warning).
`openchecks x9 validate --strict` counts warnings as problems.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from openchecks.x9.reader import Record, X9FormatError, iter_records
from openchecks.x9.records import IMAGE_FIXED_LENGTH, LAYOUTS, field_deviation, field_problem

MAX_PROBLEMS = 200
# A check 12 x 6 inches at 600 dpi; anything bigger is not decoded (a crafted header could ask for gigabytes).
MAX_IMAGE_PIXELS = 7200 * 3600
ITEM_TYPES = frozenset({"25", "31"})
CREDIT_TYPES = frozenset({"61", "62"})
# What may follow each record type (68, a user record, may appear anywhere between 01 and 99).
_ITEM_NEXT = {"25", "31", "61", "62", "70"}
NEXT: dict[str, set[str]] = {
    "start": {"01"},
    "01": {"10"},
    "10": {"20", "61", "62", "90"},
    "61": {"61", "62", "20"} | _ITEM_NEXT,
    "62": {"61", "62", "20"} | _ITEM_NEXT,
    "20": {"25", "31", "61", "62", "70"},
    "25": {"26", "27", "28", "50"} | _ITEM_NEXT,
    "26": {"26", "27", "28", "50"} | _ITEM_NEXT,
    "27": {"27", "28", "50"} | _ITEM_NEXT,
    "28": {"28", "50"} | _ITEM_NEXT,
    "31": {"32", "33", "34", "35", "50"} | _ITEM_NEXT,
    "32": {"32", "33", "34", "35", "50"} | _ITEM_NEXT,
    "33": {"33", "34", "35", "50"} | _ITEM_NEXT,
    "34": {"34", "35", "50"} | _ITEM_NEXT,
    "35": {"35", "50"} | _ITEM_NEXT,
    "50": {"52"},
    "52": {"54", "50"} | _ITEM_NEXT,
    "54": {"50"} | _ITEM_NEXT,
    "70": {"20", "85", "90"},
    "85": {"85", "90"},
    "90": {"10", "99"},
    "99": set(),
}
ADDENDA = {"25": {"26", "27", "28"}, "31": {"32", "33", "34", "35"}}
# Image data shorter than this cannot be an image (a TIFF header alone is 8 bytes): it is a placeholder.
PLACEHOLDER_BYTES = 8
MONEY_TOTALS = frozenset({"bundle_total_amount", "cash_letter_total_amount", "file_total_amount"})


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 0
    items: int = 0
    images: int = 0
    encoding: str = ""
    more: int = 0  # problems beyond MAX_PROBLEMS, not listed

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more += 1

    def warn(self, text: str) -> None:
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(text)

    def lines(self) -> list[str]:
        out = list(self.problems)
        if self.more:
            out.append(f"... and {self.more} more problems")
        return out


def describe_image(data: bytes) -> dict[str, object]:
    """What an image is (format, compression, size, dpi, mode, photometric) or why it cannot be decoded."""
    from PIL import Image

    out: dict[str, object] = {"bytes": len(data)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                out["format"] = im.format or "unknown"
                out["width"], out["height"] = im.size
                if im.width * im.height > MAX_IMAGE_PIXELS:
                    out["error"] = f"is {im.width}x{im.height} pixels, far more than a check at 240 dpi"
                    return out
                out["mode"] = im.mode
                out["compression"] = str(im.info.get("compression", ""))
                dpi = im.info.get("dpi")
                if dpi:
                    out["dpi"] = [round(float(dpi[0])), round(float(dpi[1]))]
                tags = getattr(im, "tag_v2", None)
                if tags is not None:
                    out["photometric"] = tags.get(262)
                    out["strips"] = len(tags.get(273) or ())
                out["frames"] = getattr(im, "n_frames", 1)
                im.load()
    except Exception as exc:  # any decoder failure on foreign bytes is a finding, not a crash
        out["error"] = f"does not decode as an image ({type(exc).__name__}: {str(exc)[:80]})"
    return out


def image_problems(data: bytes) -> tuple[list[str], list[str]]:
    """(problems, warnings) for one view's image against X9.100-181: TIFF, bitonal, Group 4, one image."""
    info = describe_image(data)
    if "error" in info:
        return [str(info["error"])], []
    problems: list[str] = []
    notes: list[str] = []
    if info.get("format") != "TIFF":
        problems.append(f"is {info.get('format')}, not TIFF")
    if info.get("mode") != "1":
        problems.append(f"is not bitonal (mode {info.get('mode')})")
    if info.get("compression") != "group4":
        problems.append(f"is not CCITT Group 4 compressed ({info.get('compression') or 'none'})")
    if info.get("photometric") not in (None, 0):
        problems.append(f"has photometric interpretation {info.get('photometric')}, X9.100-181 requires 0")
    if info.get("frames") != 1:
        problems.append(f"holds {info.get('frames')} images, not one")
    dpi = info.get("dpi")
    if not dpi:
        notes.append("has no resolution")
    elif dpi not in ([200, 200], [240, 240]):
        notes.append(f"is at {dpi[0]}x{dpi[1]} dpi (200 or 240 expected)")  # type: ignore[index]
    return problems, notes


def _records(stream: BinaryIO, report: Report) -> Iterator[Record]:
    try:
        yield from iter_records(stream)
    except X9FormatError as exc:
        report.problem(str(exc))


def validate(stream: BinaryIO, check_images: bool = True) -> Report:
    """Validate the whole file (see the module docstring)."""
    report = Report()
    previous = "start"
    # Running sums: (items, amount, micr valid amount, images) per bundle / cash letter / file.
    b_items = b_amount = b_valid = b_images = 0
    l_items = l_amount = l_images = l_bundles = 0
    f_items = f_amount = f_letters = 0
    credits = 0
    item: Record | None = None
    addenda = 0
    sides: set[str] = set()
    pending_50: Record | None = None
    last: Record | None = None

    def close_item() -> None:
        nonlocal item
        if item is None:
            return
        field_name = (
            "check_detail_record_addendum_count" if item.type == "25" else "return_record_addendum_count"
        )
        declared = item.value(field_name)
        if declared.isdigit() and int(declared) != addenda:
            report.problem(f"{item.where()}: {field_name} is {declared} but {addenda} addenda follow")
        if item.type == "25" and "0" in sides and "1" not in sides:
            report.warn(f"{item.where()}: the item has a front view but no back view")
        item = None

    for rec in _records(stream, report):
        report.records += 1
        last = rec
        where = rec.where()
        layout = LAYOUTS.get(rec.type)
        if layout is None:
            report.problem(f"{where}: unknown record type {rec.type!r}")
            if report.records == 1:
                break
            continue
        # length
        if rec.type == "52":
            if rec.length < IMAGE_FIXED_LENGTH + 12:
                report.problem(f"{where}: an image view data record of {rec.length} bytes is too short")
        elif not layout.variable and rec.length != layout.length:
            report.problem(
                f"{where}: is {rec.length} characters long; a type {rec.type} record is {layout.length}"
            )
        elif layout.variable and rec.length < layout.length:
            report.problem(
                f"{where}: is {rec.length} characters long, under the {layout.length} of a type {rec.type}"
            )
        for p in rec.problems:
            report.problem(f"{where}: {p}")
        for w in rec.warnings:
            report.warn(f"{where}: {w}")
        if "\ufffd" in rec.text:
            report.problem(f"{where}: has bytes that are not ASCII characters")
        # fields
        for f in layout.fields:
            if f.name == "rest" or f.name not in rec.fields:
                continue
            value = rec.fields[f.name]
            if len(value) < f.length:
                continue  # a short record, reported above
            why = field_problem(f, value)
            if why:
                deviation = field_deviation(f, value)
                if deviation:
                    report.warn(f"{where}: {f.name} {deviation}")
                else:
                    report.problem(f"{where}: {f.name} {why}")
        # order
        if rec.type != "68":
            if rec.type not in NEXT[previous]:
                expected = ", ".join(sorted(NEXT[previous])) or "the end of the file"
                report.problem(
                    f"{where}: a type {rec.type} record cannot follow a type {previous} record "
                    f"(expected {expected})"
                )
            previous = rec.type
        # item structure
        if rec.type in ITEM_TYPES or rec.type in CREDIT_TYPES or rec.type in ("70", "20", "90", "99", "85"):
            close_item()
        if rec.type in ITEM_TYPES:
            item, addenda, sides = rec, 0, set()
            amount_text = rec.value("item_amount")
            amount = int(amount_text) if amount_text.isdigit() else 0
            b_items += 1
            b_amount += amount
            if rec.type == "25" and rec.value("micr_valid_indicator") == "1":
                b_valid += amount
            report.items += 1
        elif item is not None and rec.type in ADDENDA.get(item.type, set()):
            addenda += 1
        elif rec.type in CREDIT_TYPES:
            amount_text = rec.value("item_amount")
            credits += int(amount_text) if amount_text.isdigit() else 0
        elif rec.type == "50":
            pending_50 = rec
            b_images += 1
            report.images += 1
            sides.add(rec.value("view_side_indicator"))
        elif rec.type == "52":
            if pending_50 is not None:
                size = pending_50.value("image_view_data_size")
                if rec.image is not None and size.isdigit() and int(size) != len(rec.image):
                    n_bytes = len(rec.image)
                    text = (
                        f"{where}: the image is {n_bytes} byte{'s' * (n_bytes != 1)} but its image view "
                        f"detail says {size}"
                    )
                    if int(size) == 0:
                        report.warn(text + " (not given)")
                    else:
                        report.problem(text)
                seq = rec.value("ece_institution_item_sequence_number")
                if item is not None and seq != item.value("ece_institution_item_sequence_number"):
                    report.warn(
                        f"{where}: its item sequence number {seq!r} is not its item's "
                        f"({item.value('ece_institution_item_sequence_number')!r})"
                    )
                side = "back" if pending_50.value("view_side_indicator") == "1" else "front"
                present = pending_50.value("image_indicator") != "0"
                if present and rec.image is not None and _placeholder(rec.image):
                    report.warn(
                        f"{where}: the {side} image is {len(rec.image)} byte{'s' * (len(rec.image) != 1)} "
                        f"({rec.image[:PLACEHOLDER_BYTES]!r}), a placeholder and not an image"
                    )
                elif check_images and rec.image is not None and present and not rec.problems:
                    problems, notes = image_problems(rec.image)
                    for p in problems:
                        report.problem(f"{where}: the {side} image {p}")
                    for n in notes:
                        report.warn(f"{where}: the {side} image {n}")
            pending_50 = None
        elif rec.type == "70":
            _check_count(report, rec, "items_within_bundle_count", b_items, "items in the bundle")
            _check_count(report, rec, "bundle_total_amount", b_amount, "the bundle's item amounts")
            if rec.value("micr_valid_total_amount"):
                _check_count(
                    report,
                    rec,
                    "micr_valid_total_amount",
                    b_valid,
                    "the amounts of its items with MICR valid 1",
                )
            if rec.value("images_within_bundle_count"):
                _check_count(report, rec, "images_within_bundle_count", b_images, "image views in the bundle")
            l_items += b_items
            l_amount += b_amount
            l_images += b_images
            l_bundles += 1
            b_items = b_amount = b_valid = b_images = 0
        elif rec.type == "90":
            with_credits = rec.value("credit_total_indicator") == "1"
            _check_count(report, rec, "bundle_count", l_bundles, "bundles in the cash letter")
            _check_count(report, rec, "items_within_cash_letter_count", l_items, "items in the cash letter")
            _check_count(
                report,
                rec,
                "cash_letter_total_amount",
                l_amount + (credits if with_credits else 0),
                "the cash letter's item amounts",
            )
            if rec.value("images_within_cash_letter_count"):
                _check_count(
                    report, rec, "images_within_cash_letter_count", l_images, "image views in the cash letter"
                )
            f_items += l_items
            f_amount += l_amount + (credits if with_credits else 0)
            f_letters += 1
            l_items = l_amount = l_images = l_bundles = credits = 0
        elif rec.type == "99":
            _check_count(report, rec, "cash_letter_count", f_letters, "cash letters in the file")
            _check_count(report, rec, "total_record_count", report.records, "records in the file")
            _check_count(report, rec, "total_item_count", f_items, "items in the file")
            _check_count(report, rec, "file_total_amount", f_amount, "the file's item amounts")
    if report.records == 0 and not report.problems:
        report.problem("The file is empty: an X9 file has at least a file header and a file control record.")
    elif last is not None and previous != "99" and not _stopped(report):
        report.problem(f"The file ends after a type {previous} record, without its file control record (99).")
    return report


def _stopped(report: Report) -> bool:
    """Whether the reading stopped on a framing error (which already says the file is cut short)."""
    return any("truncated" in p or "not X9 framed" in p for p in report.problems)


def _check_count(report: Report, rec: Record, name: str, actual: int, what: str) -> None:
    """A control total against the sum of what it closes: a money total that differs is a problem, a count
    (or the MICR valid total) a warning (real banks' files carry such counts; see the module docstring)."""
    text = rec.value(name)
    if not text.isdigit():
        return  # the field check has reported it
    if int(text) != actual:
        line = f"{rec.where()}: {name} is {int(text)} but {what} come to {actual}"
        if name in MONEY_TOTALS:
            report.problem(line)
        else:
            report.warn(line)


def _placeholder(image: bytes) -> bool:
    """Whether image data is a stand-in rather than an image: a few bytes, or nothing but blanks or zeros."""
    return len(image) < PLACEHOLDER_BYTES or not image.strip(b" \x00\x40")


def validate_bytes(data: bytes, check_images: bool = True) -> Report:
    return validate(io.BytesIO(data), check_images)
