"""X9.100-187-2016 record layouts: every record type the project writes, plus the ones it meets in files from
elsewhere (returns 31-35, check addenda B/C, credits 61/62, routing summary 85, user record 68).

A layout is a list of fields in order, each with a length and a kind; positions follow from the order. Kinds
(the standard's field types):

- ``N``: digits only;                ``NB``: digits, or all blank (a conditional numeric field);
- ``A``/``AN``/``ANS``: alphabetic / alphanumeric / printable (with spaces);
- ``NBSM``: digits, blanks, dash and the on-us symbol ``/`` (MICR fields);
- ``D``: a date YYYYMMDD (``DB``: or blank);   ``T``: a time HHMM;   ``RT``: a 9-digit routing number;
- ``B``: reserved, must be blank;    ``V``: one of the listed values (``values``).

Numeric fields are right-justified and zero-filled, the others left-justified and blank-filled.
Record 52 (image view data) has a fixed part of 105 characters followed by three length-prefixed variable
parts (image reference key, digital signature, image data); ``IMAGE_DATA_PREFIX`` describes those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Field:
    name: str
    length: int
    kind: str
    values: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Layout:
    type: str
    name: str
    fields: tuple[Field, ...]
    # Records with a variable part (52, and the image-key records 27/34) may be longer than the fixed part.
    variable: bool = False
    length: int = 80
    positions: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)

    @property
    def fixed_length(self) -> int:
        return sum(f.length for f in self.fields)


def _f(name: str, length: int, kind: str, *values: str, required: bool = False) -> Field:
    return Field(name, length, kind, tuple(values), required)


def _m(name: str, length: int, kind: str, *values: str) -> Field:
    return Field(name, length, kind, tuple(values), True)


RECORD_TYPE = _m("record_type", 2, "N")

_LAYOUTS: list[Layout] = [
    Layout(
        "01",
        "file header",
        (
            RECORD_TYPE,
            _m("standard_level", 2, "V", "03", "30", "35"),
            _m("test_file_indicator", 1, "V", "T", "P"),
            _m("immediate_destination", 9, "RT"),
            _m("immediate_origin", 9, "RT"),
            _m("file_creation_date", 8, "D"),
            _m("file_creation_time", 4, "T"),
            _m("resend_indicator", 1, "V", "Y", "N"),
            _f("immediate_destination_name", 18, "ANS"),
            _f("immediate_origin_name", 18, "ANS"),
            _f("file_id_modifier", 1, "AN"),
            _f("country_code", 2, "A"),
            _f("user_field", 4, "ANS"),
            _f("companion_document_indicator", 1, "AN"),
        ),
    ),
    Layout(
        "10",
        "cash letter header",
        (
            RECORD_TYPE,
            _m("collection_type_indicator", 2, "V", "00", "01", "02", "03", "04", "05", "06", "20", "99"),
            _m("destination_routing_number", 9, "RT"),
            _m("ece_institution_routing_number", 9, "RT"),
            _m("cash_letter_business_date", 8, "D"),
            _m("cash_letter_creation_date", 8, "D"),
            _m("cash_letter_creation_time", 4, "T"),
            _m("record_type_indicator", 1, "V", "N", "E", "I", "F"),
            _f("documentation_type_indicator", 1, "V", " ", *"ABCDEFGHIJKLMZ"),
            _m("cash_letter_id", 8, "AN"),
            _f("originator_contact_name", 14, "ANS"),
            _f("originator_contact_phone_number", 10, "NB"),
            _f("fed_work_type", 1, "AN"),
            _f("returns_indicator", 1, "AN"),
            _f("user_field", 1, "ANS"),
            _f("reserved", 1, "B"),
        ),
    ),
    Layout(
        "20",
        "bundle header",
        (
            RECORD_TYPE,
            _m("collection_type_indicator", 2, "V", "00", "01", "02", "03", "04", "05", "06", "20", "99"),
            _m("destination_routing_number", 9, "RT"),
            _m("ece_institution_routing_number", 9, "RT"),
            _m("bundle_business_date", 8, "D"),
            _m("bundle_creation_date", 8, "D"),
            _f("bundle_id", 10, "AN"),
            _f("bundle_sequence_number", 4, "NB"),
            _f("cycle_number", 2, "AN"),
            _f("return_location_routing_number", 9, "NB"),
            _f("user_field", 5, "ANS"),
            _f("reserved", 12, "B"),
        ),
    ),
    Layout(
        "25",
        "check detail",
        (
            RECORD_TYPE,
            _f("auxiliary_on_us", 15, "NBSM"),
            _f("external_processing_code", 1, "ANS"),
            _m("payor_bank_routing_number", 8, "N"),
            _f("payor_bank_check_digit", 1, "NB"),
            _m("on_us", 20, "NBSM"),
            _m("item_amount", 10, "N"),
            _m("ece_institution_item_sequence_number", 15, "NB"),
            _f("documentation_type_indicator", 1, "V", " ", *"ABCDEFGHIJKLMZ"),
            _f("return_acceptance_indicator", 1, "V", " ", *"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            _f("micr_valid_indicator", 1, "V", " ", "1", "2", "3", "4"),
            _m("bofd_indicator", 1, "V", "Y", "N", "U"),
            _m("check_detail_record_addendum_count", 2, "N"),
            _f("correction_indicator", 1, "V", " ", "0", "1", "2", "3", "4"),
            _f("archive_type_indicator", 1, "V", " ", *"ABCDEFGHI"),
        ),
    ),
    Layout(
        "26",
        "check detail addendum A",
        (
            RECORD_TYPE,
            _m("check_detail_addendum_a_record_number", 1, "N"),
            _m("bofd_routing_number", 9, "RT"),
            _m("bofd_business_date", 8, "D"),
            _f("bofd_item_sequence_number", 15, "NB"),
            _f("deposit_account_number_at_bofd", 18, "ANS"),
            _f("bofd_deposit_branch", 5, "ANS"),
            _f("payee_name", 15, "ANS"),
            _m("truncation_indicator", 1, "V", "Y", "N"),
            _f("bofd_conversion_indicator", 1, "V", " ", *"0123456789ABC"),
            _f("bofd_correction_indicator", 1, "V", " ", "0", "1", "2", "3", "4"),
            _f("user_field", 1, "ANS"),
            _f("reserved", 3, "B"),
        ),
    ),
    Layout(
        "27",
        "check detail addendum B",
        (
            RECORD_TYPE,
            _f("variable_size_record_indicator", 1, "NB"),
            _f("microfilm_archive_sequence_number", 15, "ANS"),
            _f("length_of_image_reference_key", 4, "NB"),
            _f("rest", 58, "ANS"),
        ),
        variable=True,
    ),
    Layout(
        "28",
        "check detail addendum C",
        (
            RECORD_TYPE,
            _m("check_detail_addendum_c_record_number", 2, "N"),
            _m("endorsing_bank_routing_number", 9, "RT"),
            _m("bofd_endorsement_business_date", 8, "D"),
            _f("endorsing_bank_item_sequence_number", 15, "ANS"),
            _f("truncation_indicator", 1, "ANS"),
            _f("endorsing_bank_conversion_indicator", 1, "ANS"),
            _f("endorsing_bank_correction_indicator", 1, "ANS"),
            _f("return_reason", 1, "ANS"),
            _f("user_field", 19, "ANS"),
            _f("endorsing_bank_identifier", 1, "ANS"),
            _f("reserved", 20, "B"),
        ),
    ),
    Layout(
        "31",
        "return",
        (
            RECORD_TYPE,
            _m("payor_bank_routing_number", 8, "N"),
            _f("payor_bank_check_digit", 1, "NB"),
            _m("on_us_return_record", 20, "NBSM"),
            _m("item_amount", 10, "N"),
            _m("return_reason", 1, "AN"),
            _m("return_record_addendum_count", 2, "N"),
            _f("documentation_type_indicator", 1, "ANS"),
            _f("forward_bundle_date", 8, "DB"),
            _f("ece_institution_item_sequence_number", 15, "NB"),
            _f("external_processing_code", 1, "ANS"),
            _f("return_notification_indicator", 1, "ANS"),
            _f("return_archive_type_indicator", 1, "ANS"),
            _f("number_of_times_returned", 1, "NB"),
            _f("reserved", 8, "B"),
        ),
    ),
    Layout(
        "32",
        "return addendum A",
        (
            RECORD_TYPE,
            _m("return_addendum_a_record_number", 1, "N"),
            _f("bofd_routing_number", 9, "NB"),
            _f("bofd_business_date", 8, "DB"),
            _f("bofd_item_sequence_number", 15, "ANS"),
            _f("deposit_account_number_at_bofd", 18, "ANS"),
            _f("bofd_deposit_branch", 5, "ANS"),
            _f("payee_name", 15, "ANS"),
            _f("truncation_indicator", 1, "ANS"),
            _f("bofd_conversion_indicator", 1, "ANS"),
            _f("bofd_correction_indicator", 1, "ANS"),
            _f("user_field", 1, "ANS"),
            _f("reserved", 3, "B"),
        ),
    ),
    Layout(
        "33",
        "return addendum B",
        (
            RECORD_TYPE,
            _f("payor_bank_name", 18, "ANS"),
            _f("auxiliary_on_us", 15, "NBSM"),
            _f("payor_bank_item_sequence_number", 15, "ANS"),
            _f("payor_bank_business_date", 8, "DB"),
            _f("payor_account_name", 22, "ANS"),
        ),
    ),
    Layout(
        "34",
        "return addendum C",
        (
            RECORD_TYPE,
            _f("variable_size_record_indicator", 1, "NB"),
            _f("microfilm_archive_sequence_number", 15, "ANS"),
            _f("length_of_image_reference_key", 4, "NB"),
            _f("rest", 58, "ANS"),
        ),
        variable=True,
    ),
    Layout(
        "35",
        "return addendum D",
        (
            RECORD_TYPE,
            _m("return_addendum_d_record_number", 2, "N"),
            _f("endorsing_bank_routing_number", 9, "NB"),
            _f("bofd_endorsement_business_date", 8, "DB"),
            _f("endorsing_bank_item_sequence_number", 15, "ANS"),
            _f("truncation_indicator", 1, "ANS"),
            _f("endorsing_bank_conversion_indicator", 1, "ANS"),
            _f("endorsing_bank_correction_indicator", 1, "ANS"),
            _f("return_reason", 1, "ANS"),
            _f("user_field", 19, "ANS"),
            _f("endorsing_bank_identifier", 1, "ANS"),
            _f("reserved", 20, "B"),
        ),
    ),
    Layout(
        "50",
        "image view detail",
        (
            RECORD_TYPE,
            _m("image_indicator", 1, "V", "0", "1", "2"),
            _m("image_creator_routing_number", 9, "RT"),
            _m("image_creator_date", 8, "D"),
            _f("image_view_format_indicator", 2, "NB"),
            _f("image_view_compression_algorithm_identifier", 2, "NB"),
            _f("image_view_data_size", 7, "NB"),
            _m("view_side_indicator", 1, "V", "0", "1"),
            _m("view_descriptor", 2, "N"),
            _f("digital_signature_indicator", 1, "V", " ", "0", "1"),
            _f("digital_signature_method", 2, "NB"),
            _f("security_key_size", 5, "NB"),
            _f("start_of_protected_data", 7, "NB"),
            _f("length_of_protected_data", 7, "NB"),
            _f("image_recreate_indicator", 1, "V", " ", "0", "1"),
            _f("user_field", 8, "ANS"),
            _f("reserved", 1, "B"),
            _f("override_indicator", 1, "ANS"),
            _f("reserved_2", 13, "B"),
        ),
    ),
    Layout(
        "52",
        "image view data",
        (
            RECORD_TYPE,
            _m("ece_institution_routing_number", 9, "RT"),
            _m("bundle_business_date", 8, "D"),
            _f("cycle_number", 2, "AN"),
            _m("ece_institution_item_sequence_number", 15, "NB"),
            _f("security_originator_name", 16, "ANS"),
            _f("security_authenticator_name", 16, "ANS"),
            _f("security_key_name", 16, "ANS"),
            _f("clipping_origin", 1, "V", " ", "0", "1", "2", "3", "4"),
            _f("clipping_coordinate_h1", 4, "NB"),
            _f("clipping_coordinate_h2", 4, "NB"),
            _f("clipping_coordinate_v1", 4, "NB"),
            _f("clipping_coordinate_v2", 4, "NB"),
            _m("length_of_image_reference_key", 4, "N"),
        ),
        variable=True,
    ),
    Layout(
        "54",
        "image view analysis",
        (
            RECORD_TYPE,
            _m("global_image_quality", 1, "V", "0", "1", "2"),
            _m("global_image_usability", 1, "V", "0", "1", "2"),
            _m("imaging_bank_specific_test", 1, "V", "0", "1", "2"),
            _f("partial_image", 1, "V", "0", "1", "2"),
            _f("excessive_image_skew", 1, "V", "0", "1", "2"),
            _f("piggyback_image", 1, "V", "0", "1", "2"),
            _f("too_light_or_too_dark", 1, "V", "0", "1", "2"),
            _f("streaks_and_or_bands", 1, "V", "0", "1", "2"),
            _f("below_minimum_image_size", 1, "V", "0", "1", "2"),
            _f("exceeds_maximum_image_size", 1, "V", "0", "1", "2"),
            _f("reserved", 13, "B"),
            _f("image_enabled_pod", 1, "V", "0", "1", "2"),
            _f("source_document_bad", 1, "V", "0", "1", "2"),
            _f("date_usability", 1, "V", "0", "1", "2"),
            _f("payee_usability", 1, "V", "0", "1", "2"),
            _f("convenience_amount_usability", 1, "V", "0", "1", "2"),
            _f("amount_in_words_usability", 1, "V", "0", "1", "2"),
            _f("signature_usability", 1, "V", "0", "1", "2"),
            _f("payor_name_address_usability", 1, "V", "0", "1", "2"),
            _f("micr_line_usability", 1, "V", "0", "1", "2"),
            _f("memo_line_usability", 1, "V", "0", "1", "2"),
            _f("payor_bank_name_address_usability", 1, "V", "0", "1", "2"),
            _f("payee_endorsement_usability", 1, "V", "0", "1", "2"),
            _f("bofd_endorsement_usability", 1, "V", "0", "1", "2"),
            _f("transit_endorsement_usability", 1, "V", "0", "1", "2"),
            _f("reserved_2", 6, "B"),
            _f("user_field", 20, "ANS"),
            _f("reserved_3", 15, "B"),
        ),
    ),
    Layout(
        "61",
        "credit",
        (
            RECORD_TYPE,
            _f("auxiliary_on_us", 15, "NBSM"),
            _f("external_processing_code", 1, "ANS"),
            _m("payor_bank_routing_number", 9, "N"),
            _f("credit_account_number_on_us", 20, "NBSM"),
            _m("item_amount", 10, "N"),
            _f("ece_institution_item_sequence_number", 15, "NB"),
            _f("documentation_type_indicator", 1, "ANS"),
            _f("account_type_code", 1, "ANS"),
            _f("source_work_code", 1, "ANS"),
            _f("work_type", 1, "ANS"),
            _f("debit_credit_indicator", 1, "ANS"),
            _f("reserved", 3, "B"),
        ),
    ),
    Layout(
        "62",
        "credit item",
        (
            RECORD_TYPE,
            _f("auxiliary_on_us", 15, "NBSM"),
            _f("external_processing_code", 1, "ANS"),
            _m("posting_bank_routing_number", 9, "N"),
            _f("on_us", 20, "NBSM"),
            _m("item_amount", 14, "N"),
            _f("credit_item_sequence_number", 15, "NB"),
            _f("documentation_type_indicator", 1, "ANS"),
            _f("account_type_code", 1, "ANS"),
            _f("source_work_code", 2, "ANS"),
            _f("user_field", 16, "ANS"),
            _f("reserved", 4, "B"),
        ),
        length=100,
    ),
    Layout("68", "user record", (RECORD_TYPE, _f("rest", 78, "ANS")), variable=True),
    Layout(
        "70",
        "bundle control",
        (
            RECORD_TYPE,
            _m("items_within_bundle_count", 4, "N"),
            _m("bundle_total_amount", 12, "N"),
            _f("micr_valid_total_amount", 12, "NB"),
            _f("images_within_bundle_count", 5, "NB"),
            _f("user_field", 20, "ANS"),
            _f("credit_total_indicator", 1, "V", " ", "0", "1"),
            _f("reserved", 24, "B"),
        ),
    ),
    Layout(
        "85",
        "routing number summary",
        (
            RECORD_TYPE,
            _m("cash_letter_routing_number", 9, "RT"),
            _m("routing_number_total_amount", 14, "N"),
            _m("routing_number_item_count", 6, "N"),
            _f("user_field", 24, "ANS"),
            _f("reserved", 25, "B"),
        ),
    ),
    Layout(
        "90",
        "cash letter control",
        (
            RECORD_TYPE,
            _m("bundle_count", 6, "N"),
            _m("items_within_cash_letter_count", 8, "N"),
            _m("cash_letter_total_amount", 14, "N"),
            _f("images_within_cash_letter_count", 9, "NB"),
            _f("ece_institution_name", 18, "ANS"),
            _f("settlement_date", 8, "DB"),
            _f("credit_total_indicator", 1, "V", " ", "0", "1"),
            _f("reserved", 14, "B"),
        ),
    ),
    Layout(
        "99",
        "file control",
        (
            RECORD_TYPE,
            _m("cash_letter_count", 6, "N"),
            _m("total_record_count", 8, "N"),
            _m("total_item_count", 8, "N"),
            _m("file_total_amount", 16, "N"),
            _f("immediate_origin_contact_name", 14, "ANS"),
            _f("immediate_origin_contact_phone_number", 10, "NB"),
            _f("credit_total_indicator", 1, "V", " ", "0", "1"),
            _f("reserved", 15, "B"),
        ),
    ),
]

LAYOUTS: dict[str, Layout] = {}
for _layout in _LAYOUTS:
    _start = 0
    for _field in _layout.fields:
        _layout.positions[_field.name] = (_start, _start + _field.length)
        _start += _field.length
    if not _layout.variable:
        assert _start == _layout.length, (_layout.type, _start)
    LAYOUTS[_layout.type] = _layout

# Record 52 after its fixed 105 characters: key length (given) -> key, then 5-digit signature length ->
# signature, then 7-digit image length -> image data (binary, never code-page converted).
IMAGE_FIXED_LENGTH = LAYOUTS["52"].fixed_length  # 105
NUMERIC_KINDS = frozenset({"N", "NB"})
MAX_IMAGE_BYTES = 9_999_999

_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
_NBSM = re.compile(r"^[0-9 /*-]*$")


class RecordError(ValueError):
    """A record value cannot be formatted into its field (too long, wrong characters)."""


def format_fields(record_type: str, values: Mapping[str, object]) -> str:
    """The fixed part of a record as text: each field from `values` (missing ones blank, or zeros for a
    mandatory numeric field), justified and padded to its length. Raises RecordError when a value does not
    fit or is not of the field's kind, naming the field."""
    layout = LAYOUTS[record_type]
    parts: list[str] = []
    for f in layout.fields:
        if f.name == "record_type":
            parts.append(record_type)
            continue
        raw = values.get(f.name)
        text = "" if raw is None else str(raw)
        if len(text) > f.length:
            raise RecordError(f"record {record_type} field {f.name}: {text!r} is longer than {f.length}")
        if f.kind in NUMERIC_KINDS or f.kind in ("RT",):
            if text and not text.isdigit():
                raise RecordError(f"record {record_type} field {f.name}: {text!r} is not digits")
            text = text.rjust(f.length, "0") if text or f.kind == "N" else " " * f.length
        elif f.kind == "NBSM":
            if not _NBSM.match(text):
                raise RecordError(f"record {record_type} field {f.name}: {text!r} is not a MICR field")
            text = text.rjust(f.length)
        else:
            if not _PRINTABLE.match(text):
                raise RecordError(f"record {record_type} field {f.name}: {text!r} has unprintable characters")
            text = text.ljust(f.length)
        parts.append(text)
    return "".join(parts)


def split_fields(record_type: str, text: str) -> dict[str, str]:
    """The raw (unstripped) field values of a record's fixed part; fields beyond the text are ''."""
    layout = LAYOUTS[record_type]
    return {f.name: text[a:b] for f, (a, b) in ((f, layout.positions[f.name]) for f in layout.fields)}


def field_deviation(f: Field, value: str) -> str | None:
    """A departure from X9.100-187 in `value` that files from real banks carry and readers accept (the
    reference implementation moov-io/imagecashletter among them), to be reported as a warning rather than a
    problem; None when `value` is not one: digits padded with blanks instead of right-justified and
    zero-filled in a numeric field (a sequence number written '1   '), a MICR valid indicator of 0."""
    if f.name == "micr_valid_indicator" and value == "0":
        return "is 0, not a value of X9.100-187 (blank, 1 to 4); read as not given, as readers do"
    padded = value != value.strip() and value.strip().isdigit()
    if f.kind in NUMERIC_KINDS and len(value) == f.length and padded:
        return (
            f"is {value!r}: digits padded with blanks, where X9.100-187 right-justifies a numeric field and "
            "fills it with zeros"
        )
    return None


def _digits_problem(f: Field, value: str) -> str | None:
    return None if value.isdigit() else f"must be digits, not {value!r}"


def _digits_or_blank_problem(f: Field, value: str) -> str | None:
    return None if value.isdigit() else f"must be digits or blank, not {value!r}"


def _nbsm_problem(f: Field, value: str) -> str | None:
    return None if _NBSM.match(value) else f"must be digits, blanks, '-' or '/', not {value!r}"


def _date_problem(f: Field, value: str) -> str | None:
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return f"must be a date YYYYMMDD, not {value!r}"
    return None


def _time_problem(f: Field, value: str) -> str | None:
    if not value.isdigit() or int(value[:2]) > 23 or int(value[2:]) > 59:
        return f"must be a time HHMM, not {value!r}"
    return None


def _value_problem(f: Field, value: str) -> str | None:
    if value in f.values:
        return None
    return f"must be one of {', '.join(v.strip() or 'blank' for v in f.values)}"


def _letters_problem(f: Field, value: str) -> str | None:
    ok = value.replace(" ", "").isalpha() and value.isascii()
    return None if ok else f"must be letters, not {value!r}"


def _alphanumeric_problem(f: Field, value: str) -> str | None:
    stripped = value.replace(" ", "")
    ok = stripped.isalnum() and stripped.isascii()
    return None if ok else f"must be letters or digits, not {value!r}"


def _printable_problem(f: Field, value: str) -> str | None:
    return None if _PRINTABLE.match(value) else "has characters that are not printable"


# How a non-blank value of each field kind is checked (any other kind: printable characters).
_KIND_PROBLEMS: dict[str, Callable[[Field, str], str | None]] = {
    "N": _digits_problem,
    "RT": _digits_problem,
    "NB": _digits_or_blank_problem,
    "NBSM": _nbsm_problem,
    "D": _date_problem,
    "DB": _date_problem,
    "T": _time_problem,
    "V": _value_problem,
    "A": _letters_problem,
    "AN": _alphanumeric_problem,
}


def field_problem(f: Field, value: str) -> str | None:
    """Why `value` is not a valid value of `f`, or None."""
    blank = value.strip() == ""
    if len(value) != f.length:
        return f"is {len(value)} characters, not {f.length}"
    if f.kind == "B":
        return None if blank else "must be blank (reserved)"
    if blank:
        return "is mandatory but blank" if f.required else None
    return _KIND_PROBLEMS.get(f.kind, _printable_problem)(f, value)
