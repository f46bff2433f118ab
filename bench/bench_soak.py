"""Soak benchmark: deposits at a steady low rate for a long time, watching memory and open files.

    .venv/bin/python bench/bench_soak.py [--minutes 10] [--interval 4] [--sample 15] [--json]

It starts its own local stack (free ports, temp dir), deploys manifest.yaml (all rules active), and makes
one deposit every `--interval` seconds (synthetic checks, reused in turn) for `--minutes`. Every `--sample`
seconds it records, for each stack process (supervisor, CouchDB, S3, OpenWhisk, feed provider) and for the
action containers together, the resident memory (VmRSS) and the number of open file descriptors, from
/proc. The first sample is taken after a warm-up (`--warmup` seconds of the same load), so start-up and
first imports do not count as growth.

Reported per process: RSS and fds at the start and the end of the measured window (each the median of the
first/last three samples), the growth, and the least-squares slope per minute; plus the deposits made and
whether every one reached a final status. Growth is what matters: a steady state shows a slope near zero.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from bench.bench_load import Check, synthetic_checks  # noqa: E402
from tests.fixtures.app import FINAL, App, deploy_app  # noqa: E402
from tests.fixtures.stack import LocalStack, start_stack  # noqa: E402

SERVICES = ("couchdb", "s3", "whisk", "feeds", "oidc")


def rss_kb(pid: int) -> int:
    """Resident set size of `pid` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (node servers run under a shell or npm wrapper sometimes)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            kids = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            out.append(int(kid))
            todo.append(int(kid))
    return out


def container_pids(data_dir: Path) -> list[int]:
    root = str(data_dir.resolve())
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if b"launcher.py" in (proc / "cmdline").read_bytes() and os.readlink(proc / "cwd").startswith(
                root
            ):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def sample(stack: LocalStack) -> dict[str, dict[str, int]]:
    """{process: {"rss_kb", "fds", "pid"}} for the stack's services (with their own children, containers
    excluded) and the action containers as one entry."""
    status = stack.status()
    containers = set(container_pids(stack.data_dir))
    out: dict[str, dict[str, int]] = {}
    supervisor = int((status.get("supervisor") or {}).get("pid") or 0)
    if supervisor:
        out["supervisor"] = {"pid": supervisor, "rss_kb": rss_kb(supervisor), "fds": fd_count(supervisor)}
    for name in SERVICES:
        pid = int((status.get(name) or {}).get("pid") or 0)
        if not pid:
            continue
        group = [pid] + [p for p in children(pid) if p not in containers]
        out[name] = {
            "pid": pid,
            "rss_kb": sum(rss_kb(p) for p in group),
            "fds": sum(fd_count(p) for p in group),
        }
    out["containers"] = {
        "pid": len(containers),
        "rss_kb": sum(rss_kb(p) for p in containers),
        "fds": sum(fd_count(p) for p in containers),
    }
    return out


def slope_per_minute(times: list[float], values: list[float]) -> float:
    if len(times) < 2:
        return 0.0
    mean_t, mean_v = statistics.fmean(times), statistics.fmean(values)
    denom = sum((t - mean_t) ** 2 for t in times)
    if denom == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / denom * 60


class Depositor(threading.Thread):
    """One deposit every `interval` seconds until stopped."""

    def __init__(self, app: App, images: list[Check], interval: float) -> None:
        super().__init__(daemon=True)
        self.app, self.images, self.interval = app, images, interval
        self.ids: list[str] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        index = 0
        next_at = time.monotonic()
        while not self.stopping.is_set():
            check = self.images[index % len(self.images)]
            headers = self.app.headers(f"soak-{index % 10}@example.com")
            try:
                self.ids.append(
                    self.app.deposit(headers, check.front, "image/jpeg", check.amount, check.back)
                )
            except Exception as exc:  # keep soaking; the report lists what failed
                self.errors.append(f"{index}: {type(exc).__name__}: {str(exc)[:160]}")
            index += 1
            next_at += self.interval
            self.stopping.wait(max(0.0, next_at - time.monotonic()))


def run(args: argparse.Namespace) -> dict[str, Any]:
    samples: list[tuple[float, dict[str, dict[str, int]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        stack = start_stack(Path(tmp) / "stack")
        try:
            app = deploy_app(stack, Path(tmp), stale_after_seconds=120)
            images = synthetic_checks(args.distinct, args.seed)
            depositor = Depositor(app, images, args.interval)
            depositor.start()
            time.sleep(args.warmup)
            started = time.monotonic()
            end = started + args.minutes * 60
            while time.monotonic() < end:
                samples.append((time.monotonic() - started, sample(stack)))
                time.sleep(min(args.sample, max(0.0, end - time.monotonic())))
            samples.append((time.monotonic() - started, sample(stack)))
            depositor.stopping.set()
            depositor.join(timeout=120)
            docs = app.settle(depositor.ids, timeout=600, sweep_after=20)
        finally:
            stack.cli("stop")
    processes: dict[str, Any] = {}
    for name in samples[0][1]:
        series = [(t, s[name]) for t, s in samples if name in s]
        times = [t for t, _ in series]
        half = len(times) // 2
        report: dict[str, Any] = {
            "restarts_seen": len({v["pid"] for _, v in series}) - 1 if name != "containers" else None
        }
        for metric in ("rss_kb", "fds"):
            values = [float(v[metric]) for _, v in series]
            first, last = statistics.median(values[:3]), statistics.median(values[-3:])
            report[metric] = {
                "start": first,
                "end": last,
                "growth": last - first,
                "growth_pct": round((last - first) / first * 100, 1) if first else 0.0,
                "slope_per_min": round(slope_per_minute(times, values), 2),
                # a process that levels off grows in the first half and not in the second
                "slope_first_half_per_min": round(slope_per_minute(times[:half], values[:half]), 2),
                "slope_second_half_per_min": round(slope_per_minute(times[half:], values[half:]), 2),
                "max": max(values),
                # the median of each sixth of the window: the shape of the curve, not just its ends
                "sixths": [
                    statistics.median(values[i * len(values) // 6 : (i + 1) * len(values) // 6] or values)
                    for i in range(6)
                ],
            }
        processes[name] = report
    not_final = [i for i, d in docs.items() if not d or d.get("status") not in FINAL]
    return {
        "minutes": args.minutes,
        "interval_s": args.interval,
        "deposits": len(depositor.ids),
        "deposit_errors": depositor.errors[:10],
        "all_final": not not_final,
        "not_final": len(not_final),
        "samples": len(samples),
        "processes": processes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=45.0, help="seconds of load before measuring")
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between deposits")
    parser.add_argument("--sample", type=float, default=15.0, help="seconds between samples")
    parser.add_argument("--distinct", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0 or args.sample <= 0:
        parser.error("--minutes, --interval and --sample must be > 0")
    result = run(args)
    if not args.json:
        print(
            f"{result['deposits']} deposits over {args.minutes} min (+{args.warmup} s warm-up), all final: "
            f"{result['all_final']}, {result['samples']} samples"
        )
        print(
            f"{'process':<12}{'RSS start MB':>14}{'end MB':>9}{'growth %':>10}{'MB/min':>9}"
            f"{'1st half':>10}{'2nd half':>10}{'fds start':>11}{'end':>6}{'fds/min':>9}"
        )
        for name, rep in result["processes"].items():
            rss, fds = rep["rss_kb"], rep["fds"]
            print(
                f"{name:<12}{rss['start'] / 1024:>14.1f}{rss['end'] / 1024:>9.1f}{rss['growth_pct']:>10.1f}"
                f"{rss['slope_per_min'] / 1024:>9.2f}{rss['slope_first_half_per_min'] / 1024:>10.2f}"
                f"{rss['slope_second_half_per_min'] / 1024:>10.2f}{fds['start']:>11.0f}{fds['end']:>6.0f}"
                f"{fds['slope_per_min']:>9.2f}"
            )
    print(json.dumps(result))
    return 0 if result["all_final"] and not result["deposit_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
