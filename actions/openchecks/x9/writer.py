"""Writing an X9.100-187 image cash letter, one record at a time.

`X9Writer` frames and encodes single records. `write_cash_letter` writes a whole file of one cash letter
from an iterable of `Item`s: it pulls one item at a time and asks it for its images only when it writes them,
so memory stays flat however many items there are. Bundles hold at most `FileSettings.bundle_size` items;
the control records (70, 90, 99) carry the sums of what they close.

Per item: 25 check detail, 26 addendum A, then for the front (view side 0) and, when there is one, the back
(view side 1): 50 image view detail, 52 image view data (TIFF 6.0, CCITT Group 4) and 54 image view analysis
(only when quality results were recorded for that side).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO, Literal

from openchecks.x9.reader import Encoding
from openchecks.x9.records import MAX_IMAGE_BYTES, RecordError, format_fields

QualityResult = Literal["pass", "fail", "not_tested"]
# Deposit quality test -> type 54 field (the out-of-focus test is ours: the "imaging bank specific test").
QUALITY_FIELDS: dict[str, str] = {
    "partial_image": "partial_image",
    "excessive_skew": "excessive_image_skew",
    "piggyback": "piggyback_image",
    "too_light_or_too_dark": "too_light_or_too_dark",
    "streaks_and_bands": "streaks_and_or_bands",
    "below_minimum_size": "below_minimum_image_size",
    "exceeds_maximum_size": "exceeds_maximum_image_size",
}
# pass: the condition is not present (2); fail: present (1); not tested (0).
QUALITY_CODES: dict[str, str] = {"pass": "2", "fail": "1", "not_tested": "0"}


class X9Writer:
    """Frames (4-byte big-endian length) and encodes records onto a binary stream; counts them."""

    def __init__(self, stream: BinaryIO, encoding: Encoding = "cp037") -> None:
        self.stream = stream
        self.encoding = encoding
        self.records = 0
        self.bytes = 0

    def _emit(self, data: bytes, tail: bytes = b"") -> None:
        self.stream.write(struct.pack(">I", len(data) + len(tail)))
        self.stream.write(data)
        if tail:
            self.stream.write(tail)
        self.records += 1
        self.bytes += 4 + len(data) + len(tail)

    def write(self, record_type: str, values: Mapping[str, object]) -> None:
        self._emit(format_fields(record_type, values).encode(self.encoding))

    def write_image_data(self, values: Mapping[str, object], image: bytes) -> None:
        """A 52 record: its fixed part, no image reference key, no signature, then `image` as is."""
        if len(image) > MAX_IMAGE_BYTES:
            raise RecordError(f"an image of {len(image)} bytes does not fit the 7-digit image length")
        head = format_fields("52", {**values, "length_of_image_reference_key": "0000"})
        head += "00000" + f"{len(image):07d}"
        self._emit(head.encode(self.encoding), image)


@dataclass(frozen=True)
class FileSettings:
    """What the file says about who sends it to whom, and how it is laid out."""

    origin_routing: str  # our bank: immediate origin, ECE institution, BOFD, image creator
    destination_routing: str  # immediate destination and cash letter destination
    origin_name: str = ""
    destination_name: str = ""
    business_date: date | None = None  # default: the creation date
    created: datetime | None = None  # local time of the cut-off (date and HHMM in the headers)
    cycle_number: str = "01"
    cash_letter_id: str = "1"
    file_id_modifier: str = "A"
    contact_name: str = ""
    contact_phone: str = ""
    production: bool = False  # test file indicator P, otherwise T
    bundle_size: int = 300
    encoding: Encoding = "cp037"


@dataclass
class View:
    """One side of the check: the TIFF Group 4 bytes (loaded only when written) and its quality results."""

    load: Callable[[], bytes]
    quality: Mapping[str, Any] | None = None


@dataclass
class Item:
    """One check: what the 25 and 26 records say about it, and its views."""

    sequence_number: str  # up to 15 digits, unique in the file
    amount_cents: int
    routing: str  # 9 digits: payor bank routing (8) + check digit
    on_us: str  # account and serial as the MICR on-us field: "12345678/1001"
    front: View
    back: View | None = None
    auxiliary_on_us: str = ""
    deposit_account: str = ""  # the customer's account at the BOFD (us)
    micr_valid: str = "1"  # 1 good read, 2 fields missing, 3 read error, 4 both
    correction: str = "0"  # 0 none, 3 repaired with operator intervention
    key: str = ""  # the caller's own id for the item (deposit id), returned in the totals


@dataclass
class Totals:
    items: int = 0
    amount_cents: int = 0
    images: int = 0
    bundles: int = 0
    records: int = 0
    bytes: int = 0
    keys: list[str] = field(default_factory=list)


def quality_values(quality: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The 54 record's values for one side's quality results; None when nothing was recorded."""
    if quality and isinstance(quality.get("results"), Mapping):  # a whole QualityReport.to_dict()
        quality = quality["results"]
    if not quality:
        return None
    values: dict[str, str] = {}
    tested = False
    failed = False
    for test, name in QUALITY_FIELDS.items():
        result = str(quality.get(test, "not_tested"))
        code = QUALITY_CODES.get(result, "0")
        values[name] = code
        tested = tested or code != "0"
        failed = failed or code == "1"
    values["global_image_quality"] = "0" if not tested else ("1" if failed else "2")
    focus = QUALITY_CODES.get(str(quality.get("out_of_focus", "not_tested")), "0")
    values["imaging_bank_specific_test"] = focus
    values["user_field"] = "" if focus == "0" else f"OUT_OF_FOCUS={'Y' if focus == '1' else 'N'}"
    values["global_image_usability"] = "0"
    for name in (
        "image_enabled_pod",
        "source_document_bad",
        "date_usability",
        "payee_usability",
        "convenience_amount_usability",
        "amount_in_words_usability",
        "signature_usability",
        "payor_name_address_usability",
        "micr_line_usability",
        "memo_line_usability",
        "payor_bank_name_address_usability",
        "payee_endorsement_usability",
        "bofd_endorsement_usability",
        "transit_endorsement_usability",
    ):
        values[name] = "0"
    return values


def write_cash_letter(stream: BinaryIO, settings: FileSettings, items: Iterable[Item]) -> Totals:
    """Write a complete file (01, one cash letter 10..90, 99) of `items` to `stream`; return its totals."""
    if settings.bundle_size < 1 or settings.bundle_size > 9999:
        raise RecordError("the bundle size must be from 1 to 9999 items")
    created = settings.created or datetime.now()
    business = settings.business_date or created.date()
    day = business.strftime("%Y%m%d")
    created_day = created.strftime("%Y%m%d")
    w = X9Writer(stream, settings.encoding)
    origin = settings.origin_routing
    dest = settings.destination_routing
    w.write(
        "01",
        {
            "standard_level": "35",
            "test_file_indicator": "P" if settings.production else "T",
            "immediate_destination": dest,
            "immediate_origin": origin,
            "file_creation_date": created_day,
            "file_creation_time": created.strftime("%H%M"),
            "resend_indicator": "N",
            "immediate_destination_name": settings.destination_name[:18],
            "immediate_origin_name": settings.origin_name[:18],
            "file_id_modifier": settings.file_id_modifier,
            "country_code": "US",
        },
    )
    w.write(
        "10",
        {
            "collection_type_indicator": "01",
            "destination_routing_number": dest,
            "ece_institution_routing_number": origin,
            "cash_letter_business_date": day,
            "cash_letter_creation_date": created_day,
            "cash_letter_creation_time": created.strftime("%H%M"),
            "record_type_indicator": "I",
            "documentation_type_indicator": "G",
            "cash_letter_id": settings.cash_letter_id[:8],
            "originator_contact_name": settings.contact_name[:14],
            "originator_contact_phone_number": settings.contact_phone[:10],
        },
    )
    totals = Totals()
    bundle: Totals | None = None
    micr_valid_cents = 0

    def close_bundle(b: Totals, valid_cents: int) -> None:
        w.write(
            "70",
            {
                "items_within_bundle_count": b.items,
                "bundle_total_amount": b.amount_cents,
                "micr_valid_total_amount": valid_cents,
                "images_within_bundle_count": b.images,
                "credit_total_indicator": "0",
            },
        )

    for item in items:
        if bundle is not None and bundle.items >= settings.bundle_size:
            close_bundle(bundle, micr_valid_cents)
            bundle = None
        if bundle is None:
            totals.bundles += 1
            bundle = Totals()
            micr_valid_cents = 0
            w.write(
                "20",
                {
                    "collection_type_indicator": "01",
                    "destination_routing_number": dest,
                    "ece_institution_routing_number": origin,
                    "bundle_business_date": day,
                    "bundle_creation_date": created_day,
                    "bundle_id": str(totals.bundles),
                    "bundle_sequence_number": str(totals.bundles),
                    "cycle_number": settings.cycle_number,
                    "return_location_routing_number": origin,
                },
            )
        w.write(
            "25",
            {
                "auxiliary_on_us": item.auxiliary_on_us,
                "payor_bank_routing_number": item.routing[:8],
                "payor_bank_check_digit": item.routing[8:9],
                "on_us": item.on_us,
                "item_amount": item.amount_cents,
                "ece_institution_item_sequence_number": item.sequence_number,
                "documentation_type_indicator": "G",
                "micr_valid_indicator": item.micr_valid,
                "bofd_indicator": "Y",
                "check_detail_record_addendum_count": "01",
                "correction_indicator": item.correction,
                "archive_type_indicator": "B",
            },
        )
        w.write(
            "26",
            {
                "check_detail_addendum_a_record_number": "1",
                "bofd_routing_number": origin,
                "bofd_business_date": day,
                "bofd_item_sequence_number": item.sequence_number,
                "deposit_account_number_at_bofd": item.deposit_account[:18],
                "truncation_indicator": "Y",
                "bofd_conversion_indicator": "2",
                "bofd_correction_indicator": item.correction,  # we are the BOFD: our repair, if any
            },
        )
        views = [("0", item.front)] + ([("1", item.back)] if item.back is not None else [])
        for side, view in views:
            image = view.load()
            w.write(
                "50",
                {
                    "image_indicator": "1",
                    "image_creator_routing_number": origin,
                    "image_creator_date": day,
                    "image_view_format_indicator": "00",
                    "image_view_compression_algorithm_identifier": "00",
                    "image_view_data_size": len(image),
                    "view_side_indicator": side,
                    "view_descriptor": "00",
                    "digital_signature_indicator": "0",
                    "image_recreate_indicator": "0",
                },
            )
            w.write_image_data(
                {
                    "ece_institution_routing_number": origin,
                    "bundle_business_date": day,
                    "cycle_number": settings.cycle_number,
                    "ece_institution_item_sequence_number": item.sequence_number,
                    "clipping_origin": "0",
                },
                image,
            )
            del image
            analysis = quality_values(view.quality)
            if analysis is not None:
                w.write("54", analysis)
            bundle.images += 1
        bundle.items += 1
        bundle.amount_cents += item.amount_cents
        if item.micr_valid == "1":
            micr_valid_cents += item.amount_cents
        totals.items += 1
        totals.amount_cents += item.amount_cents
        totals.images += len(views)
        totals.keys.append(item.key)
    if bundle is not None:
        close_bundle(bundle, micr_valid_cents)
    w.write(
        "90",
        {
            "bundle_count": totals.bundles,
            "items_within_cash_letter_count": totals.items,
            "cash_letter_total_amount": totals.amount_cents,
            "images_within_cash_letter_count": totals.images,
            "ece_institution_name": settings.origin_name[:18],
            "credit_total_indicator": "0",
        },
    )
    w.write(
        "99",
        {
            "cash_letter_count": 1,
            "total_record_count": w.records + 1,
            "total_item_count": totals.items,
            "file_total_amount": totals.amount_cents,
            "immediate_origin_contact_name": settings.contact_name[:14],
            "immediate_origin_contact_phone_number": settings.contact_phone[:10],
            "credit_total_indicator": "0",
        },
    )
    totals.records = w.records
    totals.bytes = w.bytes
    return totals
