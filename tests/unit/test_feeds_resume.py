"""The provider's alarm scheduler resumes from its persisted cursor: missed firings coalesce into one.

The platform is replaced by a recording client (the provider's only outside dependency); the scheduler and
the store are real, and time is a manual clock (tests/fixtures/clock.py): the test moves it a second at a
time and runs the scheduler's step (`Provider.fire_due`) as its thread would when its wait ends, so every
fire time is exact and nothing waits for the wall clock.
"""

from __future__ import annotations

import threading
from concurrent.futures import wait
from pathlib import Path
from typing import Any

from infra.feeds.provider import Provider
from infra.feeds.store import FeedStore
from infra.feeds.whisk import FireResult, TriggerClient
from tests.fixtures.clock import ManualClock

KEY = "owner:secret"


class RecordingWhisk(TriggerClient):
    """Accepts every fire and records (trigger, clock time, body)."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__("http://127.0.0.1:9")
        self.clock = clock
        self.fires: list[tuple[str, float, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def fire(self, namespace: str, trigger: str, auth_key: str, payload: dict[str, Any]) -> FireResult:
        with self._lock:
            self.fires.append((f"/{namespace}/{trigger}", self.clock.time(), payload))
        return FireResult(202, "")

    def get_trigger(self, namespace: str, trigger: str, auth_key: str) -> tuple[FireResult, dict[str, Any]]:
        return FireResult(200 if auth_key == KEY else 401, ""), {"rules": {}}


def run_for(provider: Provider, clock: ManualClock, seconds: int) -> None:
    """Move the clock one second at a time, each time running the scheduler's step and its fires."""
    for _ in range(seconds):
        clock.advance(1)
        _, fires = provider.fire_due()
        done, not_done = wait(fires, timeout=30)
        assert not not_done and all(f.exception() is None for f in done)


def test_alarms_resume_after_a_restart_without_double_fires(tmp_path: Path) -> None:
    clock = ManualClock()
    if clock.time() % 2 == 0:
        clock.advance(1)  # start on an odd second: */2 fires at t0 + 1, t0 + 3, ...
    t0 = clock.time()
    whisk = RecordingWhisk(clock)
    store = tmp_path / "feeds.sqlite3"
    provider = Provider(FeedStore(store), whisk, clock)
    provider.create("alarm", "/guest/every-2s", KEY, {"cron": "*/2 * * * * *", "trigger_payload": "x"})
    assert provider.fire_due()[1] == []  # nothing due at creation
    run_for(provider, clock, 4)
    provider.stop()
    assert [at - t0 for _, at, _ in whisk.fires] == [1, 3]

    # Down past two scheduled seconds (t0 + 5 and t0 + 7), then run again: the missed seconds give one
    # coalesced catch-up fire at restart, not a backlog of two, and the schedule goes on.
    clock.advance(4)
    again = Provider(FeedStore(store), whisk, clock)
    _, catch_up = again.fire_due()
    wait(catch_up, timeout=30)
    assert len(catch_up) == 1
    run_for(again, clock, 4)
    again.stop()
    assert [at - t0 for _, at, _ in whisk.fires] == [1, 3, 8, 9, 11]
    assert all(trigger == "/guest/every-2s" and body == {"payload": "x"} for trigger, _, body in whisk.fires)
    # The cursor is the scheduled time of the last fire (t0 + 11), persisted for the next restart.
    rec = FeedStore(store).get("/guest/every-2s")
    assert rec is not None and rec.cursor == int((t0 + 11) * 1000)


def test_a_deleted_feed_stops_firing_and_a_stranger_cannot_touch_it(tmp_path: Path) -> None:
    clock = ManualClock()
    whisk = RecordingWhisk(clock)
    provider = Provider(FeedStore(tmp_path / "feeds.sqlite3"), whisk, clock)
    try:
        provider.create("alarm", "/guest/t", KEY, {"cron": "* * * * * *"})
        read = provider.read("/guest/t", KEY)
        assert read["config"]["cron"] == "* * * * * *" and read["status"]["active"] is True
        try:
            provider.delete("/guest/t", "someone:else")
        except Exception as exc:
            assert getattr(exc, "status", None) == 401
        else:
            raise AssertionError("a stranger deleted the feed")
        run_for(provider, clock, 2)
        assert len(whisk.fires) == 2  # still firing every second
        provider.delete("/guest/t", KEY)
        run_for(provider, clock, 3)
        assert len(whisk.fires) == 2
    finally:
        provider.stop()
