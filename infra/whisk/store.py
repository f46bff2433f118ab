"""Entities and activations of the local OpenWhisk, persisted in SQLite so they survive a restart.

Entities (actions, packages, triggers, rules) are few: they are all kept in memory as well, and every
write goes to both. Activations live only in SQLite (WAL, synchronous=NORMAL: no fsync per activation).
One connection guarded by a lock serves every thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

COLLECTIONS = ("actions", "packages", "triggers", "rules")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    namespace TEXT NOT NULL,
    collection TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (namespace, collection, name)
);
CREATE TABLE IF NOT EXISTS activations (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    path TEXT NOT NULL,
    start INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activations_by_start ON activations (namespace, start);
"""


class Store:
    """The platform's state. Entity documents returned are shared: callers must copy before changing them."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The store holds package parameters (token secrets, passwords): its owner alone may read it. SQLite
        # gives the -wal and -shm files the database file's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        for suffix in ("-wal", "-shm", "-journal"):
            try:
                os.chmod(f"{path}{suffix}", 0o600)
            except FileNotFoundError:
                pass
        self._lock = threading.Lock()
        self._closed = False
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._entities: dict[tuple[str, str, str], dict[str, Any]] = {}
        for ns, coll, name, doc in self._db.execute("SELECT namespace, collection, name, doc FROM entities"):
            self._entities[(ns, coll, name)] = json.loads(doc)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()

    # ---- entities ------------------------------------------------------------------------------------
    def get(self, namespace: str, collection: str, name: str) -> dict[str, Any] | None:
        return self._entities.get((namespace, collection, name))

    def put(self, namespace: str, collection: str, name: str, doc: dict[str, Any]) -> None:
        text = json.dumps(doc, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO entities (namespace, collection, name, doc) VALUES (?, ?, ?, ?)",
                (namespace, collection, name, text),
            )
            self._entities[(namespace, collection, name)] = doc

    def delete(self, namespace: str, collection: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            self._db.execute(
                "DELETE FROM entities WHERE namespace = ? AND collection = ? AND name = ?",
                (namespace, collection, name),
            )
            return self._entities.pop((namespace, collection, name), None)

    def list_entities(
        self, namespace: str, collection: str, prefix: str | None = None
    ) -> list[dict[str, Any]]:
        """Entities of one collection, newest update first.

        `prefix` None: top-level entities only; "pkg/": that package's actions; "": all (packaged too).
        """
        docs = [
            doc
            for (ns, coll, name), doc in list(self._entities.items())
            if ns == namespace
            and coll == collection
            and ((prefix is None and "/" not in name) or (prefix is not None and name.startswith(prefix)))
        ]
        docs.sort(key=lambda d: d.get("updated", 0), reverse=True)
        return docs

    # ---- activations ---------------------------------------------------------------------------------
    def put_activation(self, record: dict[str, Any], path: str) -> None:
        text = json.dumps(record, separators=(",", ":"))
        with self._lock:
            if self._closed:  # an activation that outlived a shutdown: nothing left to record it in
                return
            self._db.execute(
                "INSERT OR REPLACE INTO activations (id, namespace, path, start, doc) VALUES (?, ?, ?, ?, ?)",
                (record["activationId"], record["namespace"], path, record["start"], text),
            )

    def get_activation(self, namespace: str, activation_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM activations WHERE id = ? AND namespace = ?", (activation_id, namespace)
            ).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _activation_filter(
        namespace: str, path: str | None, since: int | None, upto: int | None
    ) -> tuple[str, list[Any]]:
        """The WHERE clause (and its arguments) shared by listing and counting activations."""
        sql = " WHERE namespace = ?"
        args: list[Any] = [namespace]
        for column, op, value in (("path", "=", path), ("start", ">=", since), ("start", "<=", upto)):
            if value is not None:
                sql += f" AND {column} {op} ?"
                args.append(value)
        return sql, args

    def list_activations(
        self,
        namespace: str,
        path: str | None,
        since: int | None,
        upto: int | None,
        skip: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Activation records of a namespace, newest first, filtered by path ("act", "pkg/act") and start."""
        where, args = self._activation_filter(namespace, path, since, upto)
        sql = "SELECT doc FROM activations" + where + " ORDER BY start DESC, rowid DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, skip]).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count_activations(self, namespace: str, path: str | None, since: int | None, upto: int | None) -> int:
        where, args = self._activation_filter(namespace, path, since, upto)
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM activations" + where, args).fetchone()[0])
