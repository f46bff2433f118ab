"""The alarm schedules: cron with and without seconds, time zones, start/stop dates, coalescing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.feeds.alarms import parse_alarm
from infra.feeds.errors import FeedError


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


NOW = ms("2026-03-01T10:00:00.500")


def test_six_fields_have_seconds_first() -> None:
    spec = parse_alarm("alarm", {"cron": "*/2 * * * * *"}, NOW)
    first = spec.next_after(NOW)
    assert first == ms("2026-03-01T10:00:02")
    assert spec.next_after(first) == ms("2026-03-01T10:00:04")


def test_five_fields_fire_on_minutes() -> None:
    spec = parse_alarm("alarm", {"cron": "*/15 * * * *"}, NOW)
    assert spec.next_after(NOW) == ms("2026-03-01T10:15:00")


def test_timezone_shifts_the_schedule() -> None:
    # 09:00 in New York on 1 March (EST, UTC-5) is 14:00 UTC.
    spec = parse_alarm("alarm", {"cron": "0 9 * * *", "timezone": "America/New_York"}, NOW)
    assert spec.next_after(NOW) == ms("2026-03-01T14:00:00")


def test_start_and_stop_dates_bound_a_cron() -> None:
    start = ms("2026-03-01T11:00:00")
    stop = ms("2026-03-01T11:02:30")
    params = {"cron": "* * * * *", "startDate": start, "stopDate": "2026-03-01T11:02:30Z"}
    spec = parse_alarm("alarm", params, NOW)
    assert spec.stopDate == stop
    fires = []
    t = NOW
    while (nxt := spec.next_after(t)) is not None:
        fires.append(nxt)
        t = nxt
    assert fires == [start, start + 60_000, start + 120_000]


def test_missed_firings_coalesce_to_the_latest() -> None:
    spec = parse_alarm("alarm", {"cron": "*/2 * * * * *"}, NOW)
    later = ms("2026-03-01T10:05:03.100")
    assert spec.latest_at_or_before(later) == ms("2026-03-01T10:05:02")


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [("* * * *", "not valid"), ("61 * * * *", "not valid"), ("* * * * * * *", "not valid"), ("", "cron")],
)
def test_bad_cron_is_refused(cron: str, fragment: str) -> None:
    with pytest.raises(FeedError) as err:
        parse_alarm("alarm", {"cron": cron}, NOW)
    assert fragment in err.value.message
    assert err.value.status == 400


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(FeedError, match="Mars/Olympus"):
        parse_alarm("alarm", {"cron": "* * * * *", "timezone": "Mars/Olympus"}, NOW)


def test_start_date_in_the_past_is_refused() -> None:
    with pytest.raises(FeedError, match="must be sometime in the future"):
        parse_alarm("alarm", {"cron": "* * * * *", "startDate": NOW - 1000}, NOW)


def test_strict_accepts_text_booleans() -> None:
    assert parse_alarm("alarm", {"cron": "* * * * *", "strict": "true"}, NOW).strict is True
    with pytest.raises(FeedError, match="strict"):
        parse_alarm("alarm", {"cron": "* * * * *", "strict": "maybe"}, NOW)
