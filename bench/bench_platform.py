"""Benchmark of the local OpenWhisk (a script, not a test).

    .venv/bin/python bench/bench_platform.py [--warm 300] [--cold 25] [--per-caller 20] [--prewarm 0]
                                             [--memory-budget-mb 1024] [--json-only]

Starts the platform as a subprocess (`python -m infra.whisk`) on a free port with a temp data dir, then
measures, side by side in one run:
- warm blocking invoke of a trivial Python action end to end through HTTP with a keep-alive
  `requests.Session` (median, p99), also with `trust_env=False` and with the stdlib http.client;
- the same activation through an in-process ContainerPool (no HTTP, no controller);
- the same function called directly in-process (the floor);
- cold start: the action is updated (new revision -> new container) before each invoke; client latency
  and the activation's `initTime`;
- containers started versus concurrent callers (1, 2, 4, 8), read from the pool's stats (`/local/stats`).
Prints a table, then one JSON line. Targets: warm median <= 5 ms, cold start <= 300 ms.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from infra.whisk.activation import ActionCode, Limits, RunRequest  # noqa: E402
from infra.whisk.pool import ContainerPool  # noqa: E402
from tests.fixtures.whisk import GUEST_AUTH, LocalPlatform  # noqa: E402

TRIVIAL = "def main(args):\n    return {'ok': True, 'n': args.get('n', 0)}\n"


def trivial_main(args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "n": args.get("n", 0)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(seconds: list[float]) -> dict[str, float]:
    values = [s * 1000 for s in seconds]
    return {
        "median_ms": round(statistics.median(values), 3),
        "p99_ms": round(pct(values, 0.99), 3),
        "min_ms": round(min(values), 3),
        "n": len(values),
    }


class Client:
    def __init__(self, api_host: str, trust_env: bool = True) -> None:
        self.api_host = api_host
        self.session = requests.Session()
        # requests scans the environment for proxies on every call unless told not to (~1 ms here)
        self.session.trust_env = trust_env
        user, _, key = GUEST_AUTH.partition(":")
        self.session.auth = (user, key)
        self.base = f"{api_host}/api/v1/namespaces/_"

    def put_action(self, name: str, code: str, memory: int = 256) -> None:
        body = {"exec": {"kind": "python:3.11", "code": code}, "limits": {"memory": memory}}
        resp = self.session.put(
            f"{self.base}/actions/{name}", params={"overwrite": "true"}, json=body, timeout=30
        )
        resp.raise_for_status()

    def invoke(self, name: str, params: dict[str, Any], result: bool = True) -> requests.Response:
        q = {"blocking": "true", "result": "true" if result else "false"}
        return self.session.post(f"{self.base}/actions/{name}", params=q, json=params, timeout=120)

    def stats(self) -> dict[str, Any]:
        return dict(self.session.get(f"{self.api_host}/local/stats", timeout=10).json())


def bench_warm_raw(api_host: str, calls: int) -> dict[str, float]:
    """The same warm invoke with the stdlib http.client: the HTTP client's own cost left out."""
    host, port = api_host.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {
        "Authorization": "Basic " + base64.b64encode(GUEST_AUTH.encode()).decode(),
        "Content-Type": "application/json",
    }
    timings = []
    try:
        for i in range(calls):
            body = json.dumps({"n": i})
            started = time.perf_counter()
            conn.request(
                "POST", "/api/v1/namespaces/_/actions/bench-warm?blocking=true&result=true", body, headers
            )
            resp = conn.getresponse()
            resp.read()
            timings.append(time.perf_counter() - started)
            if resp.status != 200:
                raise RuntimeError(f"warm invoke failed: {resp.status}")
    finally:
        conn.close()
    return ms(timings)


def bench_warm(client: Client, calls: int) -> dict[str, float]:
    client.put_action("bench-warm", TRIVIAL)
    for i in range(10):  # warm up: container started, connection open
        client.invoke("bench-warm", {"n": i}).raise_for_status()
    timings = []
    for i in range(calls):
        started = time.perf_counter()
        resp = client.invoke("bench-warm", {"n": i})
        timings.append(time.perf_counter() - started)
        if resp.status_code != 200:
            raise RuntimeError(f"warm invoke failed: {resp.status_code} {resp.text}")
    return ms(timings)


def bench_pool_direct(work_dir: Path, calls: int) -> dict[str, float]:
    pool = ContainerPool("http://127.0.0.1:9", work_dir, memory_budget_mb=1024)
    code = ActionCode(fqn="/guest/bench-direct", revision="1", kind="python:3.11", code=TRIVIAL, binary=False)
    try:
        timings = []
        for i in range(calls + 10):
            req = RunRequest(code, {"n": i}, Limits(), uuid.uuid4().hex, "guest")
            started = time.perf_counter()
            result = pool.run(req)
            if i >= 10:
                timings.append(time.perf_counter() - started)
            if result.status_code != 0:
                raise RuntimeError(f"pool run failed: {result.result}")
        return ms(timings)
    finally:
        pool.shutdown()


def bench_floor(calls: int) -> dict[str, float]:
    timings = []
    for i in range(calls):
        started = time.perf_counter()
        trivial_main({"n": i})
        timings.append(time.perf_counter() - started)
    return ms(timings)


def bench_cold(client: Client, runs: int) -> dict[str, Any]:
    timings, init_times = [], []
    for i in range(runs):
        client.put_action("bench-cold", TRIVIAL + f"# revision {i}\n")
        started = time.perf_counter()
        resp = client.invoke("bench-cold", {"n": i}, result=False)
        timings.append(time.perf_counter() - started)
        record = resp.json()
        init = next((a["value"] for a in record["annotations"] if a["key"] == "initTime"), None)
        if init is None:
            raise RuntimeError("a cold invoke did not run /init: the revision did not force a new container")
        init_times.append(float(init) / 1000)
    out: dict[str, Any] = ms(timings)
    out["init_time_median_ms"] = round(statistics.median(init_times) * 1000, 3)
    return out


def bench_concurrency(client: Client, callers: int, per_caller: int) -> dict[str, Any]:
    name = f"bench-conc-{callers}"
    client.put_action(name, "import time\n\ndef main(args):\n    time.sleep(0.02)\n    return {}\n")
    before = client.stats()
    errors: list[str] = []
    timings: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        own = Client(client.api_host)
        for _ in range(per_caller):
            started = time.perf_counter()
            resp = own.invoke(name, {})
            elapsed = time.perf_counter() - started
            with lock:
                timings.append(elapsed)
                if resp.status_code != 200:
                    errors.append(resp.text)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    after = client.stats()
    live = after.get("actions", {}).get(f"/guest/{name}", {}).get("live", 0)
    return {
        "callers": callers,
        "containers_started": after["started"] - before["started"],
        "containers_live_for_action": live,
        "invokes": callers * per_caller,
        "errors": len(errors),
        "throughput_per_s": round(callers * per_caller / wall, 1),
        **ms(timings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warm", type=int, default=300, help="warm invokes (>= 200)")
    parser.add_argument("--cold", type=int, default=25, help="cold starts (>= 20)")
    parser.add_argument("--per-caller", type=int, default=20, help="invokes per concurrent caller")
    parser.add_argument("--memory-budget-mb", type=int, default=1024)
    parser.add_argument("--prewarm", type=int, default=0, help="prewarmed containers (cuts cold starts)")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-whisk-") as tmp:
        platform = LocalPlatform(
            Path(tmp) / "platform",
            extra_args=["--memory-budget-mb", str(args.memory_budget_mb), "--prewarm", str(args.prewarm)],
        ).start()
        try:
            client = Client(platform.api_host)
            report: dict[str, Any] = {
                "warm_http": bench_warm(client, args.warm),
                "warm_http_trust_env_off": bench_warm(Client(platform.api_host, trust_env=False), args.warm),
                "warm_http_stdlib_client": bench_warm_raw(platform.api_host, args.warm),
                "warm_pool_direct": bench_pool_direct(Path(tmp) / "direct", args.warm),
                "direct_function_call": bench_floor(args.warm),
                "cold_http": bench_cold(client, args.cold),
                "concurrency": [bench_concurrency(client, c, args.per_caller) for c in (1, 2, 4, 8)],
                "memory_budget_mb": args.memory_budget_mb,
                "prewarm": args.prewarm,
                "action_memory_mb": 256,
            }
        finally:
            platform.stop()
    if not args.json_only:
        print(f"{'measurement':<34}{'median ms':>12}{'p99 ms':>12}{'n':>6}")
        keys = (
            "warm_http",
            "warm_http_trust_env_off",
            "warm_http_stdlib_client",
            "warm_pool_direct",
            "direct_function_call",
            "cold_http",
        )
        for key in keys:
            row = report[key]
            print(f"{key:<34}{row['median_ms']:>12.3f}{row['p99_ms']:>12.3f}{row['n']:>6}")
        print(f"{'cold start initTime (median)':<34}{report['cold_http']['init_time_median_ms']:>12.3f}")
        print()
        header = f"{'callers':>8}{'containers started':>20}{'invokes':>9}"
        print(header + f"{'median ms':>11}{'p99 ms':>9}{'req/s':>8}")
        for row in report["concurrency"]:
            print(
                f"{row['callers']:>8}{row['containers_started']:>20}{row['invokes']:>9}"
                f"{row['median_ms']:>11.2f}{row['p99_ms']:>9.2f}{row['throughput_per_s']:>8.1f}"
            )
        print()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
