"""Reading an X9.100-187 file: framing (4-byte big-endian length before each record), the code page (EBCDIC
037 or ASCII, told apart by the first record), and each record's fields.

`iter_records(stream)` yields `Record`s one at a time, so a file of any size is read in constant memory
(one record, at most one image, at a time). Framing that cannot be followed (a truncated length or record, an
absurd length, a file that does not start with a file header) raises `X9FormatError` with the byte offset.
Problems inside a record that do not stop the reading (an image view data record whose inner lengths do not
add up) are kept in `Record.problems` for the validator.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from openchecks.x9.records import IMAGE_FIXED_LENGTH, LAYOUTS, split_fields

Encoding = Literal["cp037", "ascii"]
# No record but an image view data record is longer than a few hundred characters; an image is at most
# 9,999,999 bytes (its 7-digit length), so anything longer is not an X9 record.
MAX_RECORD_LENGTH = IMAGE_FIXED_LENGTH + 9999 + 5 + 99999 + 7 + 9_999_999
UNFRAMED = (
    "The file starts with a record type 01 but without the 4-byte record length X9.100-187 puts before every "
    "record: unframed (one record per line) files are not accepted."
)


class X9FormatError(ValueError):
    """The file cannot be read as X9 records (the message says where and why)."""


@dataclass
class Record:
    index: int  # 1-based position in the file
    offset: int  # byte offset of the length prefix
    type: str
    length: int  # the record's length without its prefix
    text: str  # the record's characters (for 52: the fixed part and the lengths, without the binary parts)
    fields: dict[str, str]
    image: bytes | None = None
    image_reference_key: str = ""
    signature: bytes = b""
    problems: list[str] = field(default_factory=list)
    # Departures from the standard that do not stop the reading (a length written '0    '), for the validator
    warnings: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    def where(self) -> str:
        return f"record {self.index} (type {self.type}, byte {self.offset})"


def detect_encoding(first: bytes) -> Encoding:
    if first[:2] == b"01":
        return "ascii"
    if first[:2] == b"\xf0\xf1":
        return "cp037"
    raise X9FormatError(
        "The file does not start with an X9 file header (record type 01 in EBCDIC or ASCII after a 4-byte "
        "length); it is not an X9.100-187 file."
    )


def _decode(data: bytes, encoding: Encoding) -> str:
    # cp037 maps every byte; ASCII bytes above 127 become U+FFFD, which the validator reports.
    return data.decode(encoding, errors="replace")


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _length(record: Record, name: str, text: str, digits: int) -> int | None:
    """The value of a length inside a 52 record: `digits` digits; digits padded with blanks ('0    ', what
    some writers put in the signature length) are read as the number and noted as a warning; anything else is
    a problem (None)."""
    if len(text) == digits and text.isdigit():
        return int(text)
    if len(text) == digits and text.strip().isdigit():
        record.warnings.append(
            f"{name} is {text!r}: digits padded with blanks, where X9.100-187 wants {digits} digits "
            "(zero-filled); read as " + str(int(text))
        )
        return int(text)
    record.problems.append(f"{name} {text!r} is not a {digits}-digit number")
    return None


def _parse_image_data(record: Record, data: bytes, encoding: Encoding) -> None:
    """Split a 52 record into its fixed part, key, signature and image, noting what does not add up."""
    pos = IMAGE_FIXED_LENGTH
    if len(data) < pos:
        record.problems.append(f"is {len(data)} bytes, shorter than the {pos} of its fixed part")
        return
    key_text = record.fields.get("length_of_image_reference_key", "")
    key_len = int(key_text) if key_text.isdigit() else None
    if key_len is None and len(key_text) == 4 and key_text.strip().isdigit():
        key_len = int(key_text)  # blank-padded: the field check warns about it
    if key_len is None:
        record.problems.append(f"length of image reference key {key_text!r} is not a number")
        return
    record.image_reference_key = _decode(data[pos : pos + key_len], encoding)
    pos += key_len
    sig_text = _decode(data[pos : pos + 5], encoding)
    record.fields["length_of_digital_signature"] = sig_text
    sig_len = _length(record, "length of digital signature", sig_text, 5)
    if sig_len is None:
        return
    pos += 5
    record.signature = data[pos : pos + sig_len]
    pos += sig_len
    img_text = _decode(data[pos : pos + 7], encoding)
    record.fields["length_of_image_data"] = img_text
    image_len_or_none = _length(record, "length of image data", img_text, 7)
    if image_len_or_none is None:
        return
    pos += 7
    image_len = image_len_or_none
    record.image = data[pos : pos + image_len]
    record.text = _decode(data[:pos], encoding)
    if len(record.image) != image_len:
        record.problems.append(
            f"says its image is {image_len} bytes but only {len(record.image)} follow in the record"
        )
    elif pos + image_len != len(data):
        record.problems.append(
            f"has {len(data) - pos - image_len} bytes after its image data (the lengths do not add up)"
        )


def iter_records(stream: BinaryIO, encoding: Encoding | None = None) -> Iterator[Record]:
    """Yield every record of the file in order (see the module docstring)."""
    offset = 0
    index = 0
    while True:
        prefix = _read_exact(stream, 4)
        if not prefix:
            return
        if len(prefix) < 4:
            raise X9FormatError(
                f"The file ends inside a record length at byte {offset} ({len(prefix)} of 4 bytes): it is "
                "truncated."
            )
        (length,) = struct.unpack(">I", prefix)
        index += 1
        if index == 1 and prefix[:2] in (b"01", b"\xf0\xf1"):
            raise X9FormatError(UNFRAMED)
        if length < 2 or length > MAX_RECORD_LENGTH:
            raise X9FormatError(
                f"Record {index} at byte {offset} has the length {length}, which no X9 record has: the file "
                "is not X9 framed (4-byte big-endian length before each record) or is damaged there."
            )
        data = _read_exact(stream, length)
        if len(data) < length:
            raise X9FormatError(
                f"Record {index} at byte {offset} should be {length} bytes but the file ends after "
                f"{len(data)}: it is truncated."
            )
        if encoding is None:
            encoding = detect_encoding(data)
        record_type = _decode(data[:2], encoding)
        layout = LAYOUTS.get(record_type)
        if layout is not None and layout.type == "52":
            text = _decode(data[:IMAGE_FIXED_LENGTH], encoding)
            record = Record(index, offset, record_type, length, text, split_fields("52", text))
            _parse_image_data(record, data, encoding)
        else:
            text = _decode(data, encoding)
            fields = split_fields(record_type, text) if layout is not None else {}
            record = Record(index, offset, record_type, length, text, fields)
        yield record
        offset += 4 + length


def file_encoding(stream: BinaryIO) -> Encoding:
    """The code page of a file, from its first record (the stream is left where it was)."""
    at = stream.tell()
    head = stream.read(6)
    stream.seek(at)
    if len(head) < 6:
        raise X9FormatError("The file is too short to be an X9 file (no complete first record).")
    if head[:2] in (b"01", b"\xf0\xf1"):
        raise X9FormatError(UNFRAMED)
    return detect_encoding(head[4:6])
