"""Load benchmark: N deposits over about a minute from C concurrent clients through the public deposit API.

    .venv/bin/python bench/bench_load.py [--deposits 200] [--clients 8] [--seconds 60] [--compare] [--json]

It starts its own local stack (`python -m infra.stack up` on free ports in a temp dir; never the fixed
ports), provisions and deploys manifest.yaml (every rule active, the alarm included), then each client
creates a deposit, PUTs both sides to their presigned URLs and confirms it, paced so that all N are
submitted over `--seconds`. Images: synthetic whole checks (tests/fixtures/checks.py: a printed amount, an
endorsed back, both photographed hand-held), one distinct check per deposit by default (kept on disk, see
`synthetic_checks`); `--distinct K` reuses K of them round-robin, so later copies of a check end as
`duplicate` (reported in the outcomes). It waits until every deposit is in a final
status (running find-new-checks, as the alarm would, whenever the platform is idle and deposits are stuck).

Reported: deposits recorded (exactly N documents, each with one outcome), deposits/s (N over the time from
the first create to the last final status), p50/p99 from upload (PUT done) to final status (the outcome's
history timestamp), API call latency p50/p99, containers the platform started (GET /local/stats), and the
cold-start share of the primitive activations (an `initTime` annotation means a cold start), and the CPU
seconds per deposit of every process of the stack from /proc (bench/proccpu.py: each service, each action's
containers, the benchmark client apart) with the 2-core throughput they imply (2 / stack CPU s per deposit)
and the load average before and after: on a shared machine CPU per deposit is the figure that holds. Per
pipeline step, the CPU inside its activations (`_meta.cpu_ms` in each deposit's `steps`): per deposit in all,
the median of the warm activations, and the cold ones' count and median; what a step's containers spent
beyond that sum went outside activations (interpreter start, imports, idle threads).

`--compare` first runs the same load on a stack with the platform's scheduling as it was before the load
work (`BASELINE`: 16 background workers, strict FIFO queue, no interactive reserve; and Tesseract at normal
priority, the `ocr_nice` package parameter 0 through the env file's OPENCHECKS_OCR_NICE), then on the
defaults, and prints both side by side.
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from bench.proccpu import CpuSampler, stack_classifier  # noqa: E402
from tests.fixtures.app import FINAL, App, deploy_app  # noqa: E402
from tests.fixtures.stack import LocalStack, start_stack  # noqa: E402

# The platform options that reproduce the scheduling before the load work (see the module docstring).
BASELINE = "--background-workers 16 --starve-after-s 0 --interactive-reserve-mb 0"
# ...with Tesseract at normal priority: the package parameter, as a deployment would set it.
BASELINE_ENV = {"OPENCHECKS_OCR_NICE": "0"}


@dataclass(frozen=True)
class Check:
    front: bytes
    back: bytes
    amount: str


# The configuration's default largest single check: the API refuses a bigger one (400 over_item_limit).
ITEM_LIMIT = 50_000.0
CHECK_CACHE = Path(tempfile.gettempdir()) / "openchecks-bench-checks"


def synthetic_checks(count: int, seed: int) -> list[Check]:
    """`count` distinct synthetic whole checks (both sides as JPEG) with their declared amounts, numbers
    seed * 1000 on, skipping any declared over ITEM_LIMIT; kept in CHECK_CACHE by number (one costs about
    0.8 s of CPU to make, and the same number makes the same check)."""
    from tests.fixtures.checks import synthetic_check

    CHECK_CACHE.mkdir(exist_ok=True)
    out: list[Check] = []
    number = seed * 1000 - 1
    while len(out) < count:
        number += 1
        path = CHECK_CACHE / f"{number}.json"
        try:
            saved = json.loads(path.read_text())
            check = Check(bytes.fromhex(saved["front"]), bytes.fromhex(saved["back"]), saved["amount"])
        except (OSError, ValueError, KeyError):
            made = synthetic_check(number)
            check = Check(made.front, made.back, made.declared)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(
                json.dumps({"front": check.front.hex(), "back": check.back.hex(), "amount": check.amount})
            )
            tmp.replace(path)
        if float(check.amount) <= ITEM_LIMIT:
            out.append(check)
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def epoch(iso_text: str) -> float:
    return datetime.strptime(iso_text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def outcome_time(doc: dict[str, Any]) -> float | None:
    """When the deposit got its (first) final status, from its history."""
    for entry in doc.get("history", []):
        if entry.get("status") in FINAL:
            return epoch(entry["at"])
    return None


def activation_cpu(docs: Any, recorded: int) -> dict[str, dict[str, float]]:
    """Per pipeline step, from each final deposit's `steps[step]._meta.cpu_ms` (the process CPU during the
    activation, every thread): per deposit in all, the median of warm activations, and the cold ones' count
    and median. The container's CPU beyond that sum is spent outside activations (its start, the imports)."""
    by_step: dict[str, dict[str, list[float]]] = {}
    for doc in docs:
        for step, meta in dict((doc or {}).get("steps") or {}).items():
            if isinstance(meta, dict) and isinstance(meta.get("cpu_ms"), int | float):
                entry = by_step.setdefault(step, {"warm": [], "cold": []})
                entry["cold" if meta.get("cold") else "warm"].append(float(meta["cpu_ms"]) / 1000)
    out: dict[str, dict[str, float]] = {}
    for step, entry in sorted(by_step.items()):
        out[step] = {
            "per_deposit": round(sum(entry["warm"] + entry["cold"]) / recorded, 4),
            "warm_median": round(percentile(entry["warm"], 0.5), 4),
            "cold": len(entry["cold"]),
            "cold_median": round(percentile(entry["cold"], 0.5), 4),
        }
    return out


def supervisor_pid(stack: LocalStack) -> int:
    return int((stack.data_dir / "run" / "supervisor.pid").read_text().split()[0])


def stats(stack: LocalStack) -> dict[str, Any]:
    resp = stack.wsk.get(f"{stack.api_host}/local/stats", timeout=30)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def cold_share(app: App, since_ms: int) -> tuple[int, int]:
    """(cold, total) over the primitive activations since `since_ms` (sequences and triggers excluded)."""
    cold = total = 0
    for record in activation_pages(app, since_ms, docs=False):
        annotations = {a["key"]: a["value"] for a in record.get("annotations", [])}
        if annotations.get("kind") in (None, "sequence") or "limits" not in annotations:
            continue
        total += 1
        cold += 1 if "initTime" in annotations else 0
    return cold, total


def app_requests(app: App, since_ms: int) -> dict[str, dict[str, int]]:
    """The Cloudant and COS requests the actions sent since `since_ms`, by action and then by method and
    kind of path: the sum of every primitive activation's `_meta.requests` (openchecks.reqcount; a web
    action's `_meta` is in its answer's body; sequences and triggers are left out)."""
    out: dict[str, dict[str, int]] = {}
    for record in activation_pages(app, since_ms, docs=True):
        annotations = {a["key"]: a["value"] for a in record.get("annotations", [])}
        if annotations.get("kind") in (None, "sequence"):
            continue  # a sequence's result is its last step's: counted there
        result = (record.get("response") or {}).get("result") or {}
        body = result.get("body") if isinstance(result.get("body"), dict) else result
        meta = body.get("_meta") if isinstance(body, dict) else None
        counted = meta.get("requests") if isinstance(meta, dict) else None
        if not isinstance(counted, dict):
            continue
        mine = out.setdefault(str(record.get("name", "?")), {})
        for key, value in counted.items():
            mine[key] = mine.get(key, 0) + int(value)
    return out


def couchdb_requests(stack: LocalStack, since: float, until: float) -> dict[str, int]:
    """Every request pouchdb-server logged from `since` to `until` (epoch s, whole seconds), whoever sent it
    (the actions, the feed provider's changes reader, the supervisor's health probes, this benchmark), by
    method and kind of path (openchecks.reqcount.path_kind)."""
    from email.utils import parsedate_to_datetime

    from openchecks.reqcount import path_kind

    out: dict[str, int] = {}
    try:
        lines = (stack.data_dir / "couchdb" / "log.txt").read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        # [Thu, 03 Dec 2026 14:59:01 GMT] [info] [<0.000.0>] 127.0.0.1 - - GET /deposits/dep-1 200
        if not line.startswith("[") or " - - " not in line:
            continue
        try:
            at = parsedate_to_datetime(line[1 : line.index("]")]).timestamp()
        except (ValueError, TypeError):
            continue
        if not int(since) <= at <= until:
            continue
        method, _, rest = line.split(" - - ", 1)[1].partition(" ")
        key = f"{method} {path_kind(rest.split(' ', 1)[0])}"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def per_deposit(counts: dict[str, int], deposits: int) -> dict[str, float]:
    return {k: round(v / max(deposits, 1), 2) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def activation_pages(app: App, since_ms: int, docs: bool) -> Iterator[dict[str, Any]]:
    """Every activation record since `since_ms`, newest first, 200 a request (with their results when
    `docs`; App.activations stops at 1000)."""
    skip = 0
    while True:
        page = app.stack.wsk.get(
            app.stack.ns_url("activations"),
            params={"limit": "200", "skip": str(skip), "since": str(since_ms), "docs": str(docs).lower()},
            timeout=60,
        ).json()
        yield from page
        if len(page) < 200:
            return
        skip += 200


class Submitter:
    """Paced deposits through the public API from several client threads; records timings per deposit."""

    def __init__(self, app: App, images: list[Check], customers: int) -> None:
        self.app = app
        self.images = images
        self.headers = [app.headers(f"load-{i:03d}@example.com") for i in range(customers)]
        self.records: dict[str, dict[str, float]] = {}
        self.errors: list[str] = []
        self.api_ms: list[float] = []
        self.lock = threading.Lock()

    def _timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        with self.lock:
            self.api_ms.append((time.perf_counter() - started) * 1000)
        return result

    def one(self, index: int) -> None:
        check = self.images[index % len(self.images)]
        headers = self.headers[index % len(self.headers)]
        try:
            created = self._timed(lambda: self.app.create(headers, "image/jpeg", check.amount))
            for side, data in (("front", check.front), ("back", check.back)):
                put = self.app.upload(created, data, side)
                if put.status_code != 200:
                    raise RuntimeError(f"{side} upload HTTP {put.status_code}")
            uploaded = time.time()
            confirmed = self._timed(lambda: self.app.confirm(headers, created["id"]))
            if confirmed.status_code != 202:
                raise RuntimeError(f"confirm HTTP {confirmed.status_code}: {confirmed.text[:200]}")
            with self.lock:
                self.records[created["id"]] = {"uploaded": uploaded, "confirmed": time.time()}
        except Exception as exc:  # a benchmark reports failures instead of stopping at the first
            with self.lock:
                self.errors.append(f"deposit {index}: {type(exc).__name__}: {exc}")

    def run(self, count: int, clients: int, seconds: float) -> float:
        """Submit `count` deposits, the i-th not before start + i * seconds / count; returns the start."""
        start = time.time()

        def paced(index: int) -> None:
            delay = start + index * seconds / count - time.time()
            if delay > 0:
                time.sleep(delay)
            self.one(index)

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(paced, range(count)))
        return start


def run(
    args: argparse.Namespace, whisk_args: str | None = None, app_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One load run on a fresh stack; `whisk_args`, if given, replaces OPENCHECKS_WHISK_ARGS for it;
    `app_env` adds lines to the app's env file (package parameters)."""
    saved = os.environ.get("OPENCHECKS_WHISK_ARGS")
    if whisk_args is not None:
        os.environ["OPENCHECKS_WHISK_ARGS"] = whisk_args
    try:
        return _run(args, app_env)
    finally:
        if saved is None:
            os.environ.pop("OPENCHECKS_WHISK_ARGS", None)
        else:
            os.environ["OPENCHECKS_WHISK_ARGS"] = saved


def _run(args: argparse.Namespace, app_env: dict[str, str] | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        stack = start_stack(Path(tmp) / "stack")
        try:
            app = deploy_app(stack, Path(tmp), stale_after_seconds=args.stale_after, extra_env=app_env)
            images = synthetic_checks(args.distinct or args.deposits, args.seed)
            before = stats(stack)
            since_ms = int(time.time() * 1000)
            submitter = Submitter(app, images, args.customers)
            sampler = CpuSampler([supervisor_pid(stack)], stack_classifier(REPO))
            load_before = os.getloadavg()
            sampler.start()
            start = submitter.run(args.deposits, args.clients, args.seconds)
            submitted = time.time()
            ids = list(submitter.records)
            docs = app.settle(ids, timeout=args.settle_timeout, sweep_after=20)
            settled = time.time()
            usage = sampler.stop()
            load_after = os.getloadavg()
            after = stats(stack)
            cold, total = cold_share(app, since_ms)
            by_action = app_requests(app, since_ms)
            couch_log = couchdb_requests(stack, since_ms / 1000, settled)
            mine = [d for d in app.deposit_docs().values() if str(d.get("email", "")).startswith("load-")]
        finally:
            stack.cli("stop")
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    not_final: list[str] = []
    several = 0
    last_final = start
    for deposit_id, doc in docs.items():
        if not doc or doc.get("status") not in FINAL:
            not_final.append(deposit_id)
            continue
        outcomes[doc["status"]] = outcomes.get(doc["status"], 0) + 1
        several += sum(1 for h in doc["history"] if h["status"] in FINAL) > 1
        done = outcome_time(doc)
        if done is not None:
            latencies.append(done - submitter.records[deposit_id]["uploaded"])
            last_final = max(last_final, done)
    recorded = max(len(latencies), 1)
    step_cpu = activation_cpu(docs.values(), recorded)
    app_total: dict[str, int] = {}
    for counted in by_action.values():
        for key, value in counted.items():
            app_total[key] = app_total.get(key, 0) + value
    stack_cpu = sum(usage["cpu"].values())
    return {
        "deposits": args.deposits,
        "distinct_checks": min(args.distinct or args.deposits, args.deposits),
        "load_average_1min": [round(load_before[0], 2), round(load_after[0], 2)],
        "cpu_s_by_process": usage["cpu"],
        "cpu_s_per_deposit_by_process": {
            role: round(value / recorded, 4) for role, value in usage["cpu"].items() if value
        },
        "cpu_s_reaped_children": usage["reaped"],
        "stack_cpu_s_per_deposit": round(stack_cpu / recorded, 4),
        "activation_cpu_s": step_cpu,
        "bench_client_cpu_s_per_deposit": round(usage["own"]["bench client"] / recorded, 4),
        "implied_2core_deposits_per_second": round(2 * recorded / max(stack_cpu, 1e-9), 2),
        "clients": args.clients,
        "submitted": len(ids),
        "submit_errors": submitter.errors[:10],
        "recorded_documents": len(mine),
        "all_final": not not_final,
        "not_final": not_final[:10],
        "more_than_one_outcome": several,
        "outcomes": outcomes,
        "submit_seconds": round(submitted - start, 1),
        "total_seconds": round(last_final - start, 1),
        "settle_wall_seconds": round(settled - start, 1),
        "deposits_per_second": round(len(latencies) / max(last_final - start, 1e-9), 3),
        "upload_to_final_p50_s": round(percentile(latencies, 0.5), 2),
        "upload_to_final_p99_s": round(percentile(latencies, 0.99), 2),
        "upload_to_final_mean_s": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "api_call_p50_ms": round(percentile(submitter.api_ms, 0.5), 1),
        "api_call_p99_ms": round(percentile(submitter.api_ms, 0.99), 1),
        "containers_started": after["started"] - before["started"],
        "cold_starts_pool": after["cold_starts"] - before["cold_starts"],
        "warm_handoffs": after.get("warm_handoffs", 0) - before.get("warm_handoffs", 0),
        "activations": total,
        "cold_activations": cold,
        "cold_start_share": round(cold / total, 3) if total else 0.0,
        "app_requests_per_deposit": round(sum(app_total.values()) / recorded, 2),
        "app_requests_per_deposit_by_kind": per_deposit(app_total, recorded),
        "app_requests_per_deposit_by_action": {
            name: round(sum(c.values()) / recorded, 2) for name, c in sorted(by_action.items())
        },
        "couchdb_log_requests_per_deposit": round(sum(couch_log.values()) / recorded, 2),
        "couchdb_log_requests_per_deposit_by_kind": per_deposit(couch_log, recorded),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deposits", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0, help="submit the deposits over this long")
    parser.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="distinct synthetic checks, reused in turn (0, the default: one per deposit, no duplicates)",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=50,
        help="customer identities the clients use (50: 200 distinct checks stay under the daily limit)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stale-after", type=int, default=120, help="stale_after_seconds for the sweep")
    parser.add_argument("--settle-timeout", type=float, default=1800.0)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--compare", action="store_true", help="run the BASELINE scheduling first, then compare"
    )
    args = parser.parse_args(argv)
    if args.deposits < 1 or args.clients < 1 or args.seconds < 0:
        parser.error("--deposits and --clients must be >= 1, --seconds >= 0")
    results = {"baseline": run(args, BASELINE, BASELINE_ENV)} if args.compare else {}
    results["default"] = run(args)
    if not args.json:
        for name, result in results.items():
            print(f"--- {name}: {summary(result)}")
        if args.compare:
            base, new = results["baseline"], results["default"]
            print(
                "default against baseline: deposits/s x"
                f"{new['deposits_per_second'] / max(base['deposits_per_second'], 1e-9):.2f}, "
                f"upload->final p50 {base['upload_to_final_p50_s']} -> {new['upload_to_final_p50_s']} s, "
                f"API p50 {base['api_call_p50_ms']} -> {new['api_call_p50_ms']} ms, containers "
                f"{base['containers_started']} -> {new['containers_started']}"
            )
    print(json.dumps(results if args.compare else results["default"]))
    ok = all(
        r["all_final"] and not r["submit_errors"] and r["more_than_one_outcome"] == 0
        for r in results.values()
    )
    return 0 if ok else 1


def summary(result: dict[str, Any]) -> str:
    return (
        f"{result['submitted']}/{result['deposits']} deposits from {result['clients']} clients in "
        f"{result['submit_seconds']} s, {result['recorded_documents']} documents, all final: "
        f"{result['all_final']}, outcomes {result['outcomes']}\n"
        f"{result['deposits_per_second']} deposits/s over {result['total_seconds']} s; upload->final "
        f"p50 {result['upload_to_final_p50_s']} s, p99 {result['upload_to_final_p99_s']} s; "
        f"API call p50 {result['api_call_p50_ms']} ms, p99 {result['api_call_p99_ms']} ms\n"
        f"containers started {result['containers_started']}, warm hand-offs {result['warm_handoffs']}, "
        f"cold-start share {result['cold_start_share']} "
        f"({result['cold_activations']}/{result['activations']} activations)\n"
        f"{result['distinct_checks']} distinct checks; load average {result['load_average_1min']}; "
        f"stack CPU {result['stack_cpu_s_per_deposit']} s per deposit (implied on 2 cores: "
        f"{result['implied_2core_deposits_per_second']} deposits/s), bench client "
        f"{result['bench_client_cpu_s_per_deposit']} s; by process: "
        + ", ".join(f"{k} {v}" for k, v in result["cpu_s_per_deposit_by_process"].items())
        + "\nCPU s inside activations (per deposit; warm median; cold count, median): "
        + ", ".join(
            f"{step} {v['per_deposit']} ({v['warm_median']}; {v['cold']}, {v['cold_median']})"
            for step, v in result.get("activation_cpu_s", {}).items()
        )
        + f"\nCloudant and COS requests per deposit sent by the actions: "
        f"{result['app_requests_per_deposit']} ("
        + ", ".join(f"{k} {v}" for k, v in result["app_requests_per_deposit_by_action"].items())
        + "); by kind: "
        + ", ".join(f"{k} {v}" for k, v in result["app_requests_per_deposit_by_kind"].items())
        + f"\nCouchDB requests per deposit in pouchdb-server's log (every caller): "
        f"{result['couchdb_log_requests_per_deposit']}; by kind: "
        + ", ".join(f"{k} {v}" for k, v in result["couchdb_log_requests_per_deposit_by_kind"].items())
    )


if __name__ == "__main__":
    sys.exit(main())
