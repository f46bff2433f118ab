"""A file as JSON-able data for `openchecks x9 show`: each record with its fields (trimmed), images as their
size and format instead of their bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from openchecks.x9.reader import iter_records
from openchecks.x9.records import LAYOUTS
from openchecks.x9.validate import describe_image


def records_as_dicts(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """One dict per record: index, type, name, length, fields; for a 52 record `image` is a description.
    Raises X9FormatError (from the reader) where the framing cannot be followed."""
    for rec in iter_records(stream):
        layout = LAYOUTS.get(rec.type)
        out: dict[str, Any] = {
            "index": rec.index,
            "offset": rec.offset,
            "type": rec.type,
            "name": layout.name if layout else "unknown",
            "length": rec.length,
            "fields": {k: v.strip() for k, v in rec.fields.items() if k != "record_type"},
        }
        if layout is None:
            out["text"] = rec.text[:200]
        if rec.image is not None:
            out["image"] = describe_image(rec.image)
        if rec.problems:
            out["problems"] = list(rec.problems)
        yield out
