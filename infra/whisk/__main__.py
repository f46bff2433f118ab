"""`python -m infra.whisk`: run the local OpenWhisk in the foreground.

Prints one line `openwhisk ready on http://HOST:PORT (data DIR)` when it answers (its keys are in DIR's
`auth.guest` and `auth.whisk.system`, and `DIR/.wskprops` for WSK_CONFIG_FILE); SIGTERM or SIGINT stop
it cleanly (every container is stopped, the store closed).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from infra import ports
from infra.whisk.keys import WELL_KNOWN_KEYS
from infra.whisk.server import Platform

log = logging.getLogger("infra.whisk")


def default_data_dir() -> Path:
    base = os.environ.get("OPENCHECKS_DATA")
    if base:
        return Path(base) / "whisk"
    return Path(__file__).resolve().parents[2] / ".data" / "whisk"


def parse_env_pairs(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--runtime-env needs KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.whisk", description="The local OpenWhisk platform."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=ports.WHISK, help=f"port (default {ports.WHISK}; 0 = any free port)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="entities, activations and containers")
    parser.add_argument(
        "--memory-budget-mb", type=int, default=2048, help="memory for all containers (default 2048)"
    )
    parser.add_argument("--idle-timeout-s", type=float, default=600, help="idle containers are removed after")
    parser.add_argument("--prewarm", type=int, default=0, help="prewarmed Python containers to keep")
    parser.add_argument(
        "--interactive-reserve-mb",
        type=int,
        default=None,
        help="budget background (non-blocking) runs may not use, kept for blocking invokes and web actions "
        "(default: an eighth of the budget, 128 to 512 MB)",
    )
    parser.add_argument(
        "--background-workers",
        type=int,
        default=None,
        help="non-blocking activations (triggers, async invokes) run at once, the rest wait in order "
        "(default: one per CPU, at least 2)",
    )
    parser.add_argument(
        "--starve-after-s",
        type=float,
        default=5.0,
        help="a queued run waiting this long is served before warm hand-offs (default 5; 0 = strict FIFO)",
    )
    parser.add_argument(
        "--runtime-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="the invoker's extra container variables; as OpenWhisk's runtime proxy passes only __OW_* "
        "variables to the action process, other names never reach an action",
    )
    parser.add_argument(
        "--well-known-keys",
        action="store_true",
        help="serve OpenWhisk's published guest and whisk.system keys instead of this data directory's "
        "random ones (any web page can use them: for tools that cannot be given a key; no REST CORS then)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name (or address) to answer besides loopback ones and --host (repeatable)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="when running as root, still run actions as root (default: each container its own uid)",
    )
    parser.add_argument("--log-level", default=os.environ.get("OPENCHECKS_WHISK_LOG", "INFO"))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.memory_budget_mb < 128 or args.idle_timeout_s <= 0 or args.prewarm < 0:
        parser.error("--memory-budget-mb must be >= 128, --idle-timeout-s > 0, --prewarm >= 0")
    reserve = args.interactive_reserve_mb
    if reserve is not None and not 0 <= reserve < args.memory_budget_mb:
        parser.error("--interactive-reserve-mb must be >= 0 and below --memory-budget-mb")
    if args.starve_after_s < 0 or (args.background_workers is not None and args.background_workers < 1):
        parser.error("--starve-after-s must be >= 0, --background-workers >= 1")
    data_dir = args.data_dir or default_data_dir()
    try:
        runtime_env = parse_env_pairs(args.runtime_env)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        platform = Platform(
            data_dir,
            host=args.host,
            port=args.port,
            memory_budget_mb=args.memory_budget_mb,
            idle_timeout_s=args.idle_timeout_s,
            prewarm=args.prewarm,
            runtime_env=runtime_env,
            interactive_reserve_mb=reserve,
            starve_after_s=args.starve_after_s,
            background_workers=args.background_workers,
            keys=dict(WELL_KNOWN_KEYS) if args.well_known_keys else None,
            allowed_hosts=tuple(args.allow_host),
            sandboxed=False if args.no_sandbox else None,
        )
    except OSError as exc:
        print(f"cannot start the platform on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    platform.start()
    if args.well_known_keys:
        log.warning("serving OpenWhisk's well-known keys: any web page can drive this platform")
    print(f"openwhisk ready on {platform.api_host} (data {data_dir})", flush=True)
    stopping.wait()
    platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
