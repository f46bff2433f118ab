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
from infra.feeds.whisk import FireResult, WhiskClient

KEY = "owner:secret"


class RecordingWhisk(WhiskClient):
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
    provider.create("alarm", "/guest/every-2s", KEY, {"cron": "*/2 * * * * *", "trigger_payload": "x"})
    time.sleep(4.5)
    provider.stop()
    before = len(whisk.fires)
    assert 2 <= before <= 3, whisk.fires

    # Stay down past at least one even second, and come back at an odd phase (x.3 s after an odd second)
    # so the catch-up fire is told apart from the scheduled ones, which land just after even seconds.
    time.sleep(2.0)
    time.sleep((1.3 - time.time() % 2) % 2)
    again = Provider(FeedStore(tmp_path / "feeds.sqlite3"), whisk)
    again.start()
    time.sleep(3.0)
    again.stop()
    after = whisk.fires[before:]
    assert all(body == {"payload": "x"} for _, _, body in whisk.fires)
    scheduled = [t for _, t, _ in whisk.fires if t % 2 < 0.5]
    catch_up = [t for _, t, _ in whisk.fires if t % 2 >= 0.5]
    # Exactly one coalesced catch-up fire (at restart, for the missed even seconds), not the backlog.
    assert catch_up == [after[0][1]], whisk.fires
    # The schedule itself: one fire per even second, none twice, and it goes on after the restart.
    slots = [int(t) for t in scheduled]
    assert len(slots) == len(set(slots)) and all(slot % 2 == 0 for slot in slots), whisk.fires
    assert len(after) >= 2, whisk.fires


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
