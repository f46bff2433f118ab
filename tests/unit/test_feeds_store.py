"""The feed store keeps records and cursors across a close and reopen (a provider restart)."""

from __future__ import annotations

from pathlib import Path

from infra.feeds.store import FeedRecord, FeedStore


def test_records_and_cursors_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite3"
    store = FeedStore(path)
    store.put(
        FeedRecord(
            trigger="/guest/t",
            feed="changes",
            auth_key="u:k",
            config={"dbname": "d"},
            cursor={"seq": 0, "fired": 0},
        )
    )
    store.set_cursor("/guest/t", {"seq": "12-abc", "fired": 4})
    store.set_status("/guest/t", False, {"kind": "AUTO", "message": "m"})
    store.close()

    again = FeedStore(path)
    rec = again.get("/guest/t")
    assert rec is not None
    assert (rec.namespace, rec.name, rec.cursor) == ("guest", "t", {"seq": "12-abc", "fired": 4})
    assert rec.active is False and rec.reason == {"kind": "AUTO", "message": "m"}
    assert again.delete("/guest/t") is True
    assert again.get("/guest/t") is None and again.delete("/guest/t") is False
    again.close()
