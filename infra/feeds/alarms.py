"""The alarm feeds' parameters and schedules: `alarm` (cron), `interval` (minutes) and `once` (date).

Semantics follow apache/openwhisk-package-alarms: a 6-field cron has seconds FIRST (node `cron` style,
so `*/2 * * * * *` is every 2 s); `interval` starts at `startDate` (default: 30 s after creation) and repeats
every `minutes`; `once` fires at `date` and then, per `deleteAfterFire`, stays (inactive), deletes its
trigger (`true`), or deletes the trigger's rules and the trigger (`rules`). All times are epoch ms.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from infra.feeds.dates import to_epoch_ms
from infra.feeds.errors import FeedError

ALARM_KINDS = ("alarm", "interval", "once")
INTERVAL_DEFAULT_DELAY_MS = 30_000


@dataclass
class AlarmSpec:
    """A validated alarm feed configuration (what READ reports under `config`, minus name/namespace)."""

    kind: str
    payload: Any = None
    cron: str | None = None
    timezone: str | None = None
    minutes: int | None = None
    date: int | None = None
    startDate: int | None = None
    stopDate: int | None = None
    deleteAfterFire: str = "false"
    strict: bool = False

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON object (round-trips through `AlarmSpec(**obj)`)."""
        return asdict(self)

    def fire_body(self) -> dict[str, Any]:
        """The trigger body: an object payload as-is, a string wrapped as {"payload": s}, nothing as {}."""
        return trigger_body(self.payload)

    def next_after(self, after_ms: int) -> int | None:
        """The first scheduled time strictly after `after_ms`, or None when the schedule is over."""
        if self.kind == "once":
            assert self.date is not None
            return self.date if self.date > after_ms else None
        if self.kind == "interval":
            assert self.minutes is not None and self.startDate is not None
            period = self.minutes * 60_000
            if after_ms < self.startDate:
                due = self.startDate
            else:
                due = self.startDate + ((after_ms - self.startDate) // period + 1) * period
        else:
            start = after_ms if self.startDate is None else max(after_ms, self.startDate - 1)
            due = _cron_next(self._cron_iter(start))
        if self.stopDate is not None and due > self.stopDate:
            return None
        return due

    def latest_at_or_before(self, now_ms: int) -> int | None:
        """The last scheduled time at or before `now_ms` (for coalescing firings missed while down)."""
        if self.kind == "once":
            assert self.date is not None
            return self.date if self.date <= now_ms else None
        if self.kind == "interval":
            assert self.minutes is not None and self.startDate is not None
            if now_ms < self.startDate:
                return None
            period = self.minutes * 60_000
            latest = self.startDate + ((now_ms - self.startDate) // period) * period
        else:
            latest = _cron_prev(self._cron_iter(now_ms + 1))
            if self.startDate is not None and latest < self.startDate:
                return None
        if self.stopDate is not None and latest > self.stopDate:
            return None
        return latest

    def _cron_iter(self, start_ms: int) -> croniter:
        assert self.cron is not None
        tz = ZoneInfo(self.timezone or "UTC")
        start = datetime.fromtimestamp(start_ms / 1000, tz)
        return croniter(self.cron, start, ret_type=datetime, second_at_beginning=_has_seconds(self.cron))


def _cron_next(it: croniter) -> int:
    return int(it.get_next(datetime).timestamp() * 1000)


def _cron_prev(it: croniter) -> int:
    return int(it.get_prev(datetime).timestamp() * 1000)


def _has_seconds(cron: str) -> bool:
    return len(cron.split()) == 6


def trigger_body(payload: Any) -> dict[str, Any]:
    """What the provider POSTs to the trigger for a `trigger_payload` value."""
    if payload is None:
        return {}
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, str):
        return {"payload": payload}
    return {"payload": json.dumps(payload)}


def _parse_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FeedError(f"{param} parameter must be true or false, not {value!r}")


def _future_date(params: dict[str, Any], key: str, now_ms: int) -> int | None:
    if params.get(key) in (None, ""):
        return None
    ms = to_epoch_ms(params[key], key)
    if ms <= now_ms:
        raise FeedError(f"{key} parameter '{params[key]}' must be sometime in the future")
    return ms


def _parse_once(spec: AlarmSpec, params: dict[str, Any], now_ms: int) -> None:
    if params.get("date") in (None, ""):
        raise FeedError("once trigger feeds must include a date parameter")
    spec.date = _future_date(params, "date", now_ms)
    delete = params.get("deleteAfterFire", False)
    delete_text = str(delete).lower() if isinstance(delete, bool | str) else ""
    if delete_text not in ("false", "true", "rules"):
        raise FeedError(f"deleteAfterFire parameter must be false, true or rules, not {delete!r}")
    spec.deleteAfterFire = delete_text


def _parse_interval(spec: AlarmSpec, params: dict[str, Any], now_ms: int) -> None:
    minutes = params.get("minutes")
    if isinstance(minutes, str) and minutes.strip().isdigit():
        minutes = int(minutes)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise FeedError("interval trigger feeds must include a minutes parameter (a positive integer)")
    spec.minutes = minutes
    if spec.startDate is None:
        spec.startDate = now_ms + INTERVAL_DEFAULT_DELAY_MS


def _parse_cron(spec: AlarmSpec, params: dict[str, Any], now_ms: int) -> None:
    cron = params.get("cron")
    if not isinstance(cron, str) or not cron.strip():
        raise FeedError("alarms trigger feeds must include a cron parameter")
    cron = " ".join(cron.split())
    fields = len(cron.split())
    if fields not in (5, 6) or not croniter.is_valid(cron, second_at_beginning=fields == 6):
        raise FeedError(
            f"cron pattern '{cron}' is not valid: use 5 fields (minute hour day month weekday) "
            "or 6 with seconds first"
        )
    spec.cron = cron
    if params.get("timezone") not in (None, ""):
        try:
            ZoneInfo(str(params["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            tz = params["timezone"]
            raise FeedError(f"timezone parameter '{tz}' is not a known time zone") from None
        spec.timezone = str(params["timezone"])
    spec.strict = _parse_bool(params.get("strict", False), "strict")


def _parse_window(spec: AlarmSpec, params: dict[str, Any], now_ms: int) -> None:
    """startDate, stopDate (both in the future) and whether maxTriggers may go with them."""
    spec.startDate = _future_date(params, "startDate", now_ms)
    spec.stopDate = _future_date(params, "stopDate", now_ms)
    if params.get("maxTriggers") not in (None, -1, "-1") and spec.stopDate is not None:
        raise FeedError("maxTriggers is not allowed together with stopDate")


# the repeating kinds -> what each adds to the shared window (a once feed has a date instead)
_REPEATING: dict[str, Callable[[AlarmSpec, dict[str, Any], int], None]] = {
    "interval": _parse_interval,
    "alarm": _parse_cron,
}


def parse_alarm(kind: str, params: dict[str, Any], now_ms: int) -> AlarmSpec:
    """Validate the parameters of feed `kind` (alarm|interval|once) at `now_ms`; FeedError if bad."""
    if kind not in ALARM_KINDS:
        raise FeedError(f"unknown alarm feed {kind!r}; expected one of {', '.join(ALARM_KINDS)}")
    spec = AlarmSpec(kind=kind, payload=params.get("trigger_payload"))
    if kind == "once":
        _parse_once(spec, params, now_ms)
        return spec
    _parse_window(spec, params, now_ms)
    _REPEATING[kind](spec, params, now_ms)
    if spec.startDate is not None and spec.stopDate is not None and spec.stopDate <= spec.startDate:
        raise FeedError("stopDate parameter must be after startDate")
    if spec.next_after(now_ms) is None:
        raise FeedError("the schedule never fires between startDate and stopDate")
    return spec


def spec_from_json(obj: dict[str, Any]) -> AlarmSpec:
    """Rebuild an AlarmSpec stored with `to_json` (extra keys such as the raw `_params` are ignored)."""
    return AlarmSpec(**{k: v for k, v in obj.items() if k in AlarmSpec.__dataclass_fields__})


def read_config(spec: AlarmSpec, namespace: str, name: str) -> dict[str, Any]:
    """The `config` object of READ, keyed as the alarms package reports it."""
    config: dict[str, Any] = {"name": name, "namespace": namespace, "payload": spec.payload}
    if spec.kind == "alarm":
        config.update(cron=spec.cron, strict=spec.strict)
        if spec.timezone:
            config["timezone"] = spec.timezone
    elif spec.kind == "interval":
        config["minutes"] = spec.minutes
    else:
        config.update(date=spec.date, deleteAfterFire=spec.deleteAfterFire)
    if spec.startDate is not None:
        config["startDate"] = spec.startDate
    if spec.stopDate is not None:
        config["stopDate"] = spec.stopDate
    return config
