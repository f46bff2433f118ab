"""Dates as the alarms package accepts them: epoch milliseconds (int or digit string) or ISO-8601 text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.feeds.errors import FeedError


def to_epoch_ms(value: Any, param: str) -> int:
    """Parse `value` (epoch ms, or ISO-8601; naive times are UTC) to epoch ms; FeedError names `param`."""
    if isinstance(value, bool):
        raise FeedError(f"{param} parameter '{value}' is not a valid date (epoch milliseconds or ISO-8601)")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise FeedError(
                f"{param} parameter '{value}' is not a valid date (epoch milliseconds or ISO-8601)"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    raise FeedError(f"{param} parameter '{value}' is not a valid date (epoch milliseconds or ISO-8601)")


def iso(ms: int) -> str:
    """Epoch ms as ISO-8601 UTC text with milliseconds and a Z, as JavaScript's toISOString()."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
