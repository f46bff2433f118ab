"""The provider's alarm scheduler resumes from its persisted cursor: missed firings coalesce into one.

The platform is replaced by a recording client (the provider's only outside dependency); the scheduler,
the store and the clock are real.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from infra.feeds.provider import Provider
from infra.feeds.store import FeedStore
from infra.feeds.whisk import FireResult, TriggerClient

KEY = "owner:secret"


class RecordingWhisk(TriggerClient):
    """Accepts every fire and records (trigger, wall time, body)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")
        self.fires: list[tuple[str, float, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def fire(self, namespace: str, trigger: str, auth_key: str, payload: dict[str, Any]) -> FireResult:
        with self._lock:
            self.fires.append((f"/{namespace}/{trigger}", time.time(), payload))
        return FireResult(202, "")

    def get_trigger(self, namespace: str, trigger: str, auth_key: str) -> tuple[FireResult, dict[str, Any]]:
        return FireResult(200 if auth_key == KEY else 401, ""), {"rules": {}}


def test_alarms_resume_after_a_restart_without_double_fires(tmp_path: Path) -> None:
    whisk = RecordingWhisk()
    provider = Provider(FeedStore(tmp_path / "feeds.sqlite3"), whisk)
    provider.start()
    started = time.time()
    provider.create("alarm", "/guest/every-2s", KEY, {"cron": "*/2 * * * * *", "trigger_payload": "x"})
    # Two fires, however slowly a loaded machine schedules the provider's thread (a fixed 4.5 s saw one).
    deadline = time.monotonic() + 30
    while len(whisk.fires) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    provider.stop()
    before = len(whisk.fires)
    firsts = sum(1 for s in range(int(started) + 1, int(time.time()) + 1) if s % 2 == 0)
    assert 2 <= before <= firsts + 1, (firsts, whisk.fires)

    # Stay down past two even seconds, then run again. Counting fires (not their phase, which a loaded
    # machine blurs): the missed seconds give one coalesced catch-up fire, not a backlog of two, and the
    # schedule goes on.
    time.sleep(4.2)
    restarted = time.time()
    again = Provider(FeedStore(tmp_path / "feeds.sqlite3"), whisk)
    again.start()
    time.sleep(5.0)
    again.stop()
    stopped = time.time()
    after = whisk.fires[before:]
    assert all(body == {"payload": "x"} for _, _, body in whisk.fires)
    even_seconds = sum(1 for s in range(int(restarted) + 1, int(stopped) + 1) if s % 2 == 0)
    assert 2 <= len(after) <= even_seconds + 1, (even_seconds, whisk.fires)
    # No fire twice: fires are at least a second apart, except the catch-up right at restart.
    gaps = [b[1] - a[1] for a, b in zip(after[1:], after[2:], strict=False)]
    assert all(gap > 1.0 for gap in gaps), whisk.fires


def test_a_deleted_feed_stops_firing_and_a_stranger_cannot_touch_it(tmp_path: Path) -> None:
    whisk = RecordingWhisk()
    provider = Provider(FeedStore(tmp_path / "feeds.sqlite3"), whisk)
    provider.start()
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
        time.sleep(1.2)
        provider.delete("/guest/t", KEY)
        count = len(whisk.fires)
        assert count >= 1
        time.sleep(1.5)
        assert len(whisk.fires) == count
    finally:
        provider.stop()
