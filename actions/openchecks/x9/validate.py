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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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
    checker = _Validator(Report(), check_images)
    for rec in _records(stream, checker.report):
        if not checker.record(rec):
            break
    return checker.finish()


class _Validator:
    """One pass over the records: each record's own checks, the record order, and the running sums
    (items, amounts, MICR valid amounts, images) that the bundle, cash letter and file controls close."""

    def __init__(self, report: Report, check_images: bool) -> None:
        self.report = report
        self.check_images = check_images
        self.previous = "start"
        self.last: Record | None = None
        self.b_items = self.b_amount = self.b_valid = self.b_images = 0
        self.l_items = self.l_amount = self.l_images = self.l_bundles = 0
        self.f_items = self.f_amount = self.f_letters = 0
        self.credits = 0
        self.item: Record | None = None
        self.addenda = 0
        self.sides: set[str] = set()
        self.pending_50: Record | None = None
        self.by_type: dict[str, Callable[[Record], None]] = {
            "50": self._image_detail,
            "52": self._image_data,
            "70": self._bundle_control,
            "90": self._letter_control,
            "99": self._file_control,
        }

    def record(self, rec: Record) -> bool:
        """Check one record; False when the file is not worth reading further (no known first record)."""
        report = self.report
        report.records += 1
        self.last = rec
        layout = LAYOUTS.get(rec.type)
        if layout is None:
            report.problem(f"{rec.where()}: unknown record type {rec.type!r}")
            return report.records != 1
        self._shape(rec, layout)
        self._fields(rec, layout)
        self._order(rec)
        if rec.type in ITEM_TYPES or rec.type in CREDIT_TYPES or rec.type in ("70", "20", "90", "99", "85"):
            self._close_item()
        if rec.type in ITEM_TYPES:
            self._open_item(rec)
        elif self.item is not None and rec.type in ADDENDA.get(self.item.type, set()):
            self.addenda += 1
        elif rec.type in CREDIT_TYPES:
            self.credits += _amount(rec)
        elif rec.type in self.by_type:
            self.by_type[rec.type](rec)
        return True

    def finish(self) -> Report:
        report = self.report
        if report.records == 0 and not report.problems:
            report.problem(
                "The file is empty: an X9 file has at least a file header and a file control record."
            )
        elif self.last is not None and self.previous != "99" and not _stopped(report):
            report.problem(
                f"The file ends after a type {self.previous} record, without its file control record (99)."
            )
        return report

    # ------------------------------------------------------------------------------- each record alone

    def _shape(self, rec: Record, layout: Any) -> None:
        """Its length for its type, what the reader found wrong, and characters that are not ASCII."""
        report, where = self.report, rec.where()
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

    def _fields(self, rec: Record, layout: Any) -> None:
        """Each field's format: a problem, or a warning for a departure real files carry."""
        for f in layout.fields:
            if f.name == "rest" or f.name not in rec.fields:
                continue
            value = rec.fields[f.name]
            if len(value) < f.length:
                continue  # a short record, reported above
            why = field_problem(f, value)
            if not why:
                continue
            deviation = field_deviation(f, value)
            if deviation:
                self.report.warn(f"{rec.where()}: {f.name} {deviation}")
            else:
                self.report.problem(f"{rec.where()}: {f.name} {why}")

    def _order(self, rec: Record) -> None:
        if rec.type == "68":
            return
        if rec.type not in NEXT[self.previous]:
            expected = ", ".join(sorted(NEXT[self.previous])) or "the end of the file"
            self.report.problem(
                f"{rec.where()}: a type {rec.type} record cannot follow a type {self.previous} record "
                f"(expected {expected})"
            )
        self.previous = rec.type

    # ---------------------------------------------------------------------------------------- items

    def _open_item(self, rec: Record) -> None:
        self.item, self.addenda, self.sides = rec, 0, set()
        amount = _amount(rec)
        self.b_items += 1
        self.b_amount += amount
        if rec.type == "25" and rec.value("micr_valid_indicator") == "1":
            self.b_valid += amount
        self.report.items += 1

    def _close_item(self) -> None:
        item = self.item
        if item is None:
            return
        field_name = (
            "check_detail_record_addendum_count" if item.type == "25" else "return_record_addendum_count"
        )
        declared = item.value(field_name)
        if declared.isdigit() and int(declared) != self.addenda:
            self.report.problem(
                f"{item.where()}: {field_name} is {declared} but {self.addenda} addenda follow"
            )
        if item.type == "25" and "0" in self.sides and "1" not in self.sides:
            self.report.warn(f"{item.where()}: the item has a front view but no back view")
        self.item = None

    def _image_detail(self, rec: Record) -> None:
        self.pending_50 = rec
        self.b_images += 1
        self.report.images += 1
        self.sides.add(rec.value("view_side_indicator"))

    def _image_data(self, rec: Record) -> None:
        """The image against its view detail (size, item sequence number), and the image itself."""
        detail, self.pending_50 = self.pending_50, None
        if detail is None:
            return
        report, where = self.report, rec.where()
        size = detail.value("image_view_data_size")
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
        item = self.item
        if item is not None and seq != item.value("ece_institution_item_sequence_number"):
            report.warn(
                f"{where}: its item sequence number {seq!r} is not its item's "
                f"({item.value('ece_institution_item_sequence_number')!r})"
            )
        side = "back" if detail.value("view_side_indicator") == "1" else "front"
        present = detail.value("image_indicator") != "0"
        if not present or rec.image is None:
            return
        if _placeholder(rec.image):
            report.warn(
                f"{where}: the {side} image is {len(rec.image)} byte{'s' * (len(rec.image) != 1)} "
                f"({rec.image[:PLACEHOLDER_BYTES]!r}), a placeholder and not an image"
            )
        elif self.check_images and not rec.problems:
            problems, notes = image_problems(rec.image)
            for p in problems:
                report.problem(f"{where}: the {side} image {p}")
            for n in notes:
                report.warn(f"{where}: the {side} image {n}")

    # ------------------------------------------------------------------------------------- controls

    def _bundle_control(self, rec: Record) -> None:
        report = self.report
        _check_count(report, rec, "items_within_bundle_count", self.b_items, "items in the bundle")
        _check_count(report, rec, "bundle_total_amount", self.b_amount, "the bundle's item amounts")
        if rec.value("micr_valid_total_amount"):
            _check_count(
                report,
                rec,
                "micr_valid_total_amount",
                self.b_valid,
                "the amounts of its items with MICR valid 1",
            )
        if rec.value("images_within_bundle_count"):
            _check_count(
                report, rec, "images_within_bundle_count", self.b_images, "image views in the bundle"
            )
        self.l_items += self.b_items
        self.l_amount += self.b_amount
        self.l_images += self.b_images
        self.l_bundles += 1
        self.b_items = self.b_amount = self.b_valid = self.b_images = 0

    def _letter_control(self, rec: Record) -> None:
        report = self.report
        total = self.l_amount + (self.credits if rec.value("credit_total_indicator") == "1" else 0)
        _check_count(report, rec, "bundle_count", self.l_bundles, "bundles in the cash letter")
        _check_count(report, rec, "items_within_cash_letter_count", self.l_items, "items in the cash letter")
        _check_count(report, rec, "cash_letter_total_amount", total, "the cash letter's item amounts")
        if rec.value("images_within_cash_letter_count"):
            _check_count(
                report,
                rec,
                "images_within_cash_letter_count",
                self.l_images,
                "image views in the cash letter",
            )
        self.f_items += self.l_items
        self.f_amount += total
        self.f_letters += 1
        self.l_items = self.l_amount = self.l_images = self.l_bundles = self.credits = 0

    def _file_control(self, rec: Record) -> None:
        report = self.report
        _check_count(report, rec, "cash_letter_count", self.f_letters, "cash letters in the file")
        _check_count(report, rec, "total_record_count", report.records, "records in the file")
        _check_count(report, rec, "total_item_count", self.f_items, "items in the file")
        _check_count(report, rec, "file_total_amount", self.f_amount, "the file's item amounts")


def _amount(rec: Record) -> int:
    text = rec.value("item_amount")
    return int(text) if text.isdigit() else 0


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
