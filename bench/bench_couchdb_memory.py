"""Does the local CouchDB server's memory level off? Far more deposit-like writes than a soak makes.

    .venv/bin/python bench/bench_couchdb_memory.py [--rounds 6] [--docs 1500] [--json]

It starts its own pouchdb-server (the stack's, on a free port, in a temp dir), creates a database with the
Mango index find-new-checks uses and a longpoll `_changes` reader (as the feed provider does), then runs
`--rounds` rounds; each writes `--docs` new documents of about 1 KB and updates each three times (received ->
processing -> processing -> accepted, as the pipeline does), with a `_find` for stuck deposits every ten
documents. After each round it records the server's resident memory (VmRSS, with its children).

A leak grows with the work done; a cache or a lazily collected heap rises to a level and then moves within
a band. Reported: RSS at the start and after every round, with documents and revisions written so far.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from bench.bench_soak import children, rss_kb  # noqa: E402
from infra.services.couchdb import couchdb_process, create_database  # noqa: E402
from infra.services.process import free_port  # noqa: E402

STATUSES = ("processing", "processing", "accepted")


def server_rss_mb(pid: int) -> float:
    return round(sum(rss_kb(p) for p in [pid, *children(pid)]) / 1024, 1)


def poll_changes(url: str, stop: threading.Event) -> None:
    since: Any = "now"
    while not stop.is_set():
        try:
            params = {"feed": "longpoll", "since": since, "timeout": 2000}
            since = requests.get(f"{url}/_changes", params=params, timeout=10).json().get("last_seq", since)
        except (requests.RequestException, ValueError):
            time.sleep(0.5)


def write_round(session: requests.Session, db: str, docs: int) -> int:
    """`docs` new documents, each updated len(STATUSES) times; returns the revisions written."""
    for i in range(docs):
        doc: dict[str, Any] = {"_id": uuid.uuid4().hex, "status": "received", "pad": "x" * 800}
        for status in (None, *STATUSES):
            if status is not None:
                doc["status"] = status
            doc["updated"] = f"{time.time():.3f}"
            resp = session.put(f"{db}/{doc['_id']}", json=doc, timeout=30)
            resp.raise_for_status()
            doc["_rev"] = resp.json()["rev"]
        if i % 10 == 0:
            selector = {"status": "processing", "updated": {"$lt": f"{time.time() - 300:.3f}"}}
            found = session.post(f"{db}/_find", json={"selector": selector, "limit": 50}, timeout=30)
            found.raise_for_status()
    return docs * (1 + len(STATUSES))


def run(rounds: int, docs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-couchdb-") as tmp:
        server = couchdb_process(Path(tmp), free_port())
        server.start_and_wait()
        stop = threading.Event()
        try:
            pid = server.pid
            assert pid is not None
            create_database(server.url, "deposits")
            db = f"{server.url}/deposits"
            index = {"index": {"fields": ["status", "updated"]}}
            requests.post(f"{db}/_index", json=index, timeout=30).raise_for_status()
            threading.Thread(target=poll_changes, args=(db, stop), daemon=True).start()
            session = requests.Session()
            rows = [{"round": 0, "documents": 0, "revisions": 0, "rss_mb": server_rss_mb(pid)}]
            revisions = 0
            for number in range(1, rounds + 1):
                started = time.monotonic()
                revisions += write_round(session, db, docs)
                rows.append(
                    {
                        "round": number,
                        "documents": number * docs,
                        "revisions": revisions,
                        "seconds": round(time.monotonic() - started, 1),
                        "rss_mb": server_rss_mb(pid),
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        finally:
            stop.set()
            server.stop()
    after_first = [r["rss_mb"] for r in rows[1:]]
    return {
        "rounds": rows,
        "rss_start_mb": rows[0]["rss_mb"],
        "rss_after_round_1_mb": after_first[0],
        "rss_band_mb": [min(after_first), max(after_first)],
        "rss_last_mb": after_first[-1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--docs", type=int, default=1500, help="new documents per round")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    if args.rounds < 2 or args.docs < 1:
        parser.error("--rounds must be >= 2 and --docs >= 1")
    result = run(args.rounds, args.docs)
    if not args.json:
        for row in result["rounds"]:
            print(
                f"round {row['round']}: {row['documents']:>6} documents, {row['revisions']:>6} revisions, "
                f"pouchdb-server RSS {row['rss_mb']} MB"
            )
        low, high = result["rss_band_mb"]
        print(
            f"RSS {result['rss_start_mb']} MB at the start, {low}-{high} MB after rounds 1-{args.rounds} "
            f"(last {result['rss_last_mb']} MB)"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
