"""Persisted feeds: one SQLite row per trigger with its configuration, owner key, status and cursor.

SQLite commits are atomic and durable, so a cursor written after a successful fire survives a crash of the
provider at any point: after a restart each feed resumes from exactly its last recorded position.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    trigger TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    auth_key TEXT NOT NULL,
    config TEXT NOT NULL,
    active INTEGER NOT NULL,
    reason TEXT,
    date_changed INTEGER NOT NULL,
    cursor TEXT
)
"""


def now_ms() -> int:
    """The wall clock in epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass
class FeedRecord:
    """One feed: `trigger` is "/namespace/name"; `cursor` is the last fired time (alarms) or seq (changes)."""

    trigger: str
    feed: str
    auth_key: str
    config: dict[str, Any]
    active: bool = True
    reason: dict[str, Any] | None = None
    date_changed: int = field(default_factory=now_ms)
    cursor: Any = None

    @property
    def namespace(self) -> str:
        """The trigger's namespace (as given by the feed action, possibly `_`)."""
        return self.trigger.split("/")[1]

    @property
    def name(self) -> str:
        """The trigger's simple name."""
        return self.trigger.split("/", 2)[2]


class FeedStore:
    """Thread-safe access to the feeds table in `path` (created when missing)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))  # it holds the triggers' keys: owner only
        os.chmod(path, 0o600)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def put(self, rec: FeedRecord) -> None:
        """Insert or replace the whole record."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.trigger,
                    rec.feed,
                    rec.auth_key,
                    json.dumps(rec.config),
                    int(rec.active),
                    json.dumps(rec.reason) if rec.reason is not None else None,
                    rec.date_changed,
                    json.dumps(rec.cursor),
                ),
            )

    def get(self, trigger: str) -> FeedRecord | None:
        """The record for trigger "/ns/name", or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM feeds WHERE trigger = ?", (trigger,)).fetchone()
        return _record(row) if row else None

    def all(self) -> list[FeedRecord]:
        """Every record."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM feeds ORDER BY trigger").fetchall()
        return [_record(row) for row in rows]

    def delete(self, trigger: str) -> bool:
        """Remove the record; True when there was one."""
        with self._lock:
            cur = self._db.execute("DELETE FROM feeds WHERE trigger = ?", (trigger,))
        return cur.rowcount > 0

    def set_cursor(self, trigger: str, cursor: Any) -> None:
        """Record the feed's position (committed before this returns)."""
        with self._lock:
            self._db.execute("UPDATE feeds SET cursor = ? WHERE trigger = ?", (json.dumps(cursor), trigger))

    def set_status(self, trigger: str, active: bool, reason: dict[str, Any] | None) -> None:
        """Mark the feed active or not, with the reason shown by READ."""
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET active = ?, reason = ?, date_changed = ? WHERE trigger = ?",
                (int(active), json.dumps(reason) if reason is not None else None, now_ms(), trigger),
            )


def _record(row: tuple[Any, ...]) -> FeedRecord:
    trigger, feed, auth_key, config, active, reason, date_changed, cursor = row
    return FeedRecord(
        trigger=trigger,
        feed=feed,
        auth_key=auth_key,
        config=json.loads(config),
        active=bool(active),
        reason=json.loads(reason) if reason else None,
        date_changed=date_changed,
        cursor=json.loads(cursor) if cursor is not None else None,
    )
