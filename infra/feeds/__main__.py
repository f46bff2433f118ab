"""`python -m infra.feeds --port P --data-dir D --whisk-api URL`: run the feed provider until SIGTERM.

Prints "feed provider ready on http://127.0.0.1:P" once it accepts requests.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from infra import ports
from infra.feeds.api import ProviderServer
from infra.feeds.provider import Provider
from infra.feeds.store import FeedStore
from infra.feeds.whisk import TriggerClient


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, resume the stored feeds, serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m infra.feeds", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=ports.FEEDS)
    parser.add_argument("--data-dir", type=Path, required=True, help="where feeds.sqlite3 is kept")
    parser.add_argument(
        "--whisk-api", required=True, help=f"the OpenWhisk API host, e.g. {ports.local_url('whisk')}"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    store = FeedStore(args.data_dir / "feeds.sqlite3")
    provider = Provider(store, TriggerClient(args.whisk_api))
    server = ProviderServer((args.host, args.port), provider)
    provider.start()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"feed provider ready on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        provider.stop()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
