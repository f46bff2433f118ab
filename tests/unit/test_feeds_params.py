"""Feed parameters: interval, once, trigger payloads, dates, and the cloudant changes configuration."""

from __future__ import annotations

import pytest

from infra.feeds.alarms import parse_alarm, read_config, spec_from_json, trigger_body
from infra.feeds.changes import change_event, parse_changes
from infra.feeds.dates import iso, to_epoch_ms
from infra.feeds.errors import FeedError
from infra.feeds.provider import split_trigger

NOW = 1_800_000_000_000


def test_interval_starts_thirty_seconds_after_creation_by_default() -> None:
    spec = parse_alarm("interval", {"minutes": 5}, NOW)
    assert spec.startDate == NOW + 30_000
    first = spec.next_after(NOW)
    assert first == NOW + 30_000
    assert spec.next_after(first) == first + 5 * 60_000
    assert spec.latest_at_or_before(first + 11 * 60_000) == first + 10 * 60_000


@pytest.mark.parametrize("minutes", [0, -3, "x", 1.5, None, True])
def test_interval_needs_positive_whole_minutes(minutes: object) -> None:
    with pytest.raises(FeedError, match="minutes"):
        parse_alarm("interval", {"minutes": minutes}, NOW)


def test_once_fires_once_at_its_date() -> None:
    spec = parse_alarm("once", {"date": NOW + 5000, "deleteAfterFire": "rules"}, NOW)
    assert spec.next_after(NOW) == NOW + 5000
    assert spec.next_after(NOW + 5000) is None
    assert spec.deleteAfterFire == "rules"


@pytest.mark.parametrize(("given", "stored"), [(True, "true"), (False, "false"), ("RULES", "rules")])
def test_delete_after_fire_values(given: object, stored: str) -> None:
    assert parse_alarm("once", {"date": NOW + 1, "deleteAfterFire": given}, NOW).deleteAfterFire == stored


def test_once_refuses_a_past_date_and_a_bad_delete_option() -> None:
    with pytest.raises(FeedError, match="future"):
        parse_alarm("once", {"date": NOW - 1}, NOW)
    with pytest.raises(FeedError, match="deleteAfterFire"):
        parse_alarm("once", {"date": NOW + 1, "deleteAfterFire": "sometimes"}, NOW)
    with pytest.raises(FeedError, match="date parameter"):
        parse_alarm("once", {}, NOW)


def test_stop_date_must_follow_start_date() -> None:
    with pytest.raises(FeedError, match="stopDate"):
        parse_alarm("interval", {"minutes": 1, "startDate": NOW + 100_000, "stopDate": NOW + 50_000}, NOW)


def test_trigger_payload_shapes() -> None:
    assert trigger_body({"a": 1}) == {"a": 1}
    assert trigger_body("hello") == {"payload": "hello"}
    assert trigger_body("") == {"payload": ""}
    assert trigger_body(None) == {}


def test_read_config_round_trips_through_json() -> None:
    spec = parse_alarm("alarm", {"cron": "0 * * * *", "trigger_payload": {"k": "v"}, "timezone": "UTC"}, NOW)
    again = spec_from_json({**spec.to_json(), "_params": {"ignored": True}})
    config = read_config(again, "guest", "t")
    assert config == {
        "name": "t",
        "namespace": "guest",
        "payload": {"k": "v"},
        "cron": "0 * * * *",
        "strict": False,
        "timezone": "UTC",
    }


def test_dates_in_both_notations() -> None:
    assert to_epoch_ms("2027-01-15T12:00:00Z", "date") == to_epoch_ms("2027-01-15T12:00:00", "date")
    assert to_epoch_ms("1800000000000", "date") == NOW
    assert iso(NOW + 7) == "2027-01-15T08:00:00.007Z"
    with pytest.raises(FeedError, match="startDate parameter 'soon'"):
        to_epoch_ms("soon", "startDate")


def test_changes_from_a_url_with_credentials() -> None:
    spec = parse_changes({"dbname": "checks", "url": "http://bob:secret@127.0.0.1:5984/"})
    assert (spec.url, spec.username, spec.password) == ("http://127.0.0.1:5984", "bob", "secret")
    assert spec.db_url == "http://127.0.0.1:5984/checks"
    assert "secret" not in str(spec.read_config("guest", "t"))


def test_changes_from_host_and_protocol() -> None:
    spec = parse_changes(
        {"dbname": "d", "host": "example.cloudant.com", "username": "u", "password": "p", "iamApiKey": "k"}
    )
    assert spec.url == "https://example.cloudant.com"
    assert spec.auth == ("u", "p")
    assert spec.iamApiKey == "k"
    assert parse_changes({"dbname": "d", "host": "localhost", "port": 5984, "protocol": "http"}).url == (
        "http://localhost:5984"
    )


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"url": "http://x"}, "dbname"),
        ({"dbname": "d"}, "url, or host"),
        ({"dbname": "d", "url": "ftp://x"}, "http(s)"),
        ({"dbname": "d", "url": "http://x", "filter": "_selector"}, "ddoc/filter"),
        ({"dbname": "d", "url": "http://x", "filter": "nodesign"}, "ddoc/filter"),
        ({"dbname": "d", "url": "http://x", "query_params": {"a": 1}}, "only allowed together with filter"),
        ({"dbname": "d", "url": "http://x", "filter": "a/b", "query_params": "{bad"}, "JSON object"),
    ],
)
def test_bad_changes_parameters(params: dict[str, object], fragment: str) -> None:
    with pytest.raises(FeedError) as err:
        parse_changes(params)
    assert fragment in err.value.message


def test_query_params_may_be_json_text() -> None:
    spec = parse_changes(
        {"dbname": "d", "url": "http://x", "filter": "mail/by_status", "query_params": '{"status": "new"}'}
    )
    assert spec.query_params == {"status": "new"}


def test_change_event_shape() -> None:
    change = {"id": "a", "seq": 7, "changes": [{"rev": "1-x"}], "doc": {"ignored": True}}
    assert change_event(change, "db") == {"id": "a", "seq": 7, "changes": [{"rev": "1-x"}], "dbname": "db"}


def test_trigger_names() -> None:
    assert split_trigger("/guest/t") == ("guest", "t")
    assert split_trigger("guest/t") == ("guest", "t")
    for bad in ("t", "/a/b/c", "", None, "//t"):
        with pytest.raises(FeedError):
            split_trigger(bad)
