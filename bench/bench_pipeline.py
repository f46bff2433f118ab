"""Benchmark: the process-check pipeline with warm containers and caches vs. caches off and containers
recycled, side by side in one run, as ratios.

    .venv/bin/python bench/bench_pipeline.py [--deposits 10] [--image FRONT --back BACK] [--ocr-nice 0]
        [--platform] [--json]

It starts its own pouchdb-server and s3rver on free ports (never the stack's), provisions fresh databases
and buckets, and deposits the same check `--deposits` times per mode through the deposit API code
(presigned PUTs of both sides included). The check is a synthetic one (printed amount, endorsed back, both
photographed hand-held; tests/fixtures/checks.py, seed `--seed`) unless `--image`/`--back` name files.
A "container" is a Python process running one action's real `__main__.py`:
- warm: one long-lived process per action (each with its own temp dir, as separate containers have), so
  the module-global clients, the configuration document and the image cache survive between activations;
- recycled: a new process for every activation with OPENCHECKS_DISABLE_CACHES=1 and a fresh temp dir.
Both modes run Tesseract at the same CPU priority, `--ocr-nice` (the ocr_nice package parameter; default 0
here, 10 in the product, where it makes reading yield the local platform's cores to the API and the
database): at nice 10 on a machine shared with other work every Tesseract page waits for that work, in both
modes, which measures the machine's load rather than what a warm container saves.
Reported per step: median wall ms (parent's view, including process start when recycled), median in-action
ms (`_meta.ms`), cold-start share, and cache hit ratios read from the `_meta` flags; and the image cache's
hit rate: of every lookup ocr-check made (each side's download and straightening, then every read that
takes an image from the temp directory), the share that hit.

With `--platform` the same comparison runs through the local OpenWhisk (`python -m infra.whisk`, started here
with a 4096 MB container budget so the pipeline's containers are not evicted): manifest.yaml's actions,
sequence, trigger and rule are deployed (feeds and the Cloudant binding left out), each deposit goes through
the web API over HTTP, and the time is from confirming the upload to the final status. "Recycled" sets the
package parameter disable_caches and gives every action a new revision before each deposit, so each step
runs in a new container.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "actions")]

from infra.services.couchdb import couchdb_process  # noqa: E402
from infra.services.process import free_port  # noqa: E402
from infra.services.s3 import s3_process  # noqa: E402
from tests.integration.test_pipeline_support import (  # noqa: E402
    app_params,
    call_api,
    provisioned,
    token,
    upload,
)

STEPS = ("fetch_image", "ocr_check", "parse_check", "record_deposit")


class Check:
    """The check every deposit of a run sends: both sides' bytes and types, and the declared amount."""

    def __init__(self, front: bytes, back: bytes, declared: str, front_type: str, back_type: str) -> None:
        self.front, self.back, self.declared = front, back, declared
        self.front_type, self.back_type = front_type, back_type

    def create_body(self) -> dict[str, str]:
        return {
            "to_account": "12345678",
            "amount": self.declared,
            "content_type": self.front_type,
            "back_content_type": self.back_type,
        }


def image_hit_rate(lookups: list[dict[str, int]]) -> dict[str, Any]:
    """The image cache's hit rate over ocr-check's lookups (`_meta.image_lookups`)."""
    hits = sum(int(item.get("hit", 0)) for item in lookups)
    misses = sum(int(item.get("miss", 0)) for item in lookups)
    return {"hits": hits, "misses": misses, "hit_rate": hits / (hits + misses) if hits + misses else 0.0}


# One activation per stdin line: {"args": {...}} -> one JSON result line (what a warm container does).
WORKER = r"""
import importlib, json, sys
main = importlib.import_module(sys.argv[1] + ".__main__").main
for line in sys.stdin:
    result = main(json.loads(line)["args"])
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
"""


class Container:
    """A long-lived action process (a warm container)."""

    def __init__(self, step: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, step],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=env["TMPDIR"],
        )

    def run(self, args: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"args": args}) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return result

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def one_shot(step: str, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """A recycled container: a new process for one activation."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER, step],
        input=json.dumps({"args": args}) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=env["TMPDIR"],
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def base_env(tmp: Path, name: str, disable: bool) -> dict[str, str]:
    tmpdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "PYTHONPATH": f"{REPO / 'actions'}:{REPO}",
        "TMPDIR": str(tmpdir),
        "HOME": str(tmpdir),
    }
    if disable:
        env["OPENCHECKS_DISABLE_CACHES"] = "1"
    return env


def make_deposits(params: dict[str, Any], count: int, check: Check) -> list[dict[str, Any]]:
    payloads = []
    for i in range(count):
        alice = token(f"bench-{i}@example.com")  # one customer per deposit: the daily limit stays out of it
        fired: list[dict[str, Any]] = []
        status, created = call_api(params, "post", "/deposits", alice, check.create_body())
        assert status == 201, created
        assert upload(created, check.front).status_code == 200
        assert upload(created, check.back, "back").status_code == 200
        status, body = call_api(params, "post", f"/deposits/{created['id']}/uploaded", alice, fired=fired)
        assert status == 202, body
        payload = dict(fired[0])
        payload.pop("trigger")
        payloads.append(payload)
    return payloads


def run_mode(mode: str, params: dict[str, Any], payloads: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    walls: dict[str, list[float]] = {s: [] for s in STEPS}
    inner: dict[str, list[float]] = {s: [] for s in STEPS}
    colds: dict[str, int] = {s: 0 for s in STEPS}
    flags: dict[str, dict[str, int]] = {}
    lookups: list[dict[str, int]] = []
    totals: list[float] = []
    statuses: list[str] = []
    containers: dict[str, Container] = {}
    if mode == "warm":
        containers = {s: Container(s, base_env(tmp, s, False)) for s in STEPS}
    try:
        for payload in payloads:
            result: dict[str, Any] = dict(payload)
            started = time.perf_counter()
            for step in STEPS:
                args = {**params, **result}
                t0 = time.perf_counter()
                if mode == "warm":
                    result = containers[step].run(args)
                else:
                    result = one_shot(step, {**args, "disable_caches": "1"}, base_env(tmp, step, True))
                walls[step].append((time.perf_counter() - t0) * 1000)
                meta = result.get("_meta", {})
                inner[step].append(float(meta.get("ms", 0)))
                colds[step] += bool(meta.get("cold"))
                if step == "ocr_check" and isinstance(meta.get("image_lookups"), dict):
                    lookups.append(meta["image_lookups"])
                for name, value in (meta.get("cache") or {}).items():
                    flags.setdefault(f"{step}.{name}", {}).setdefault(value, 0)
                    flags[f"{step}.{name}"][value] += 1
                if "error" in result:
                    raise RuntimeError(f"{step} failed: {result['error']}")
            totals.append((time.perf_counter() - started) * 1000)
            statuses.append(str(result.get("status")))
    finally:
        for container in containers.values():
            container.stop()
    count = len(payloads)
    return {
        "deposits": count,
        "statuses": {s: statuses.count(s) for s in set(statuses)},
        "total_ms_median": statistics.median(totals),
        "steps": {
            s: {
                "wall_ms_median": statistics.median(walls[s]),
                "action_ms_median": statistics.median(inner[s]),
                "cold_share": colds[s] / count,
            }
            for s in STEPS
        },
        "cache": {k: {"hit_ratio": v.get("hit", 0) / sum(v.values()), **v} for k, v in sorted(flags.items())},
        "image_cache": image_hit_rate(lookups),
    }


ACTIONS = ("fetch-image", "ocr-check", "parse-check", "record-deposit")


def trimmed_manifest(target: Path) -> None:
    """manifest.yaml without what needs the feed provider and catalog (feeds, binding, notify sequence)."""
    import yaml

    doc = yaml.safe_load((REPO / "manifest.yaml").read_text())
    pkg = doc["project"]["packages"]["openchecks"]
    pkg.pop("dependencies", None)
    pkg["sequences"] = {"process-check": pkg["sequences"]["process-check"]}
    pkg["triggers"] = {"check-uploaded": pkg["triggers"]["check-uploaded"]}
    pkg["rules"] = {"process-uploaded-check": pkg["rules"]["process-uploaded-check"]}
    for spec in pkg["actions"].values():
        spec["function"] = str(REPO / spec["function"])
        spec["include"] = [[str(REPO / "actions" / "openchecks"), "openchecks"]]
    target.write_text(yaml.safe_dump(doc))


def _whisk_process(tmp: Path) -> Any:
    """The local OpenWhisk on a free port, with a 4096 MB container budget (nothing evicted)."""
    from infra.services.process import ManagedProcess

    port = free_port()
    return ManagedProcess(
        name="whisk",
        url=f"http://127.0.0.1:{port}",
        health_url=f"http://127.0.0.1:{port}/api/v1",
        argv=[
            sys.executable,
            "-m",
            "infra.whisk",
            "--port",
            str(port),
            "--data-dir",
            str(tmp / "whisk"),
            "--memory-budget-mb",
            "4096",
        ],
        log_path=tmp / "whisk.log",
        cwd=REPO,
        start_timeout=60,
    )


PLATFORM_SECRET = "bench-platform-token-secret-0123"


def _deploy(tmp: Path, couch_url: str, s3_url: str, whisk_url: str, guest: str, ocr_nice: int) -> None:
    """Provision the databases and buckets and deploy the trimmed manifest with its env file."""
    from infra.models import TESSDATA

    env_file = tmp / "bench.env"
    env_file.write_text(
        f"CLOUDANT_URL={couch_url}\nCOS_ENDPOINT={s3_url}\nCOS_HMAC_ACCESS_KEY_ID=S3RVER\n"
        f"COS_HMAC_SECRET_ACCESS_KEY=S3RVER\nTOKEN_SECRET={PLATFORM_SECRET}\n"
        f"OPENCHECKS_TESSDATA={TESSDATA}\nOPENCHECKS_OCR_NICE={ocr_nice}\n"
    )
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(tmp)}
    provision = [sys.executable, "-m", "openchecks.provision", "--env", str(env_file)]
    trimmed_manifest(tmp / "manifest.yaml")
    deploy = [sys.executable, "-m", "infra.deployer", "--manifest", str(tmp / "manifest.yaml")]
    deploy += ["--env", str(env_file), "--apihost", whisk_url, "--auth", guest]
    deploy.append("--allow-outside-project")  # the trimmed manifest is in tmp, the code in this checkout
    for command in (provision, deploy):
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=clean_env, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{command[2]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


class Platform:
    """The deployed app on the local OpenWhisk: deposits through its web API, actions through its REST API."""

    def __init__(self, whisk_url: str, guest: str, check: Check) -> None:
        import requests
        from openchecks import tokens

        self.requests = requests
        self.check = check
        self.wsk = requests.Session()
        self.wsk.auth = tuple(guest.split(":", 1))  # type: ignore[assignment]
        self.ns = f"{whisk_url}/api/v1/namespaces/_"
        self.api = f"{whisk_url}/api/v1/web/guest/openchecks/api"
        self.mint = tokens.mint
        self.count = 0

    def deposit(self) -> dict[str, Any]:
        """One deposit of both sides; its final document with `_elapsed_ms` from confirming the upload."""
        requests, api = self.requests, self.api
        self.count += 1  # one customer per deposit: the daily limit stays out of it
        bearer = self.mint(f"bench-{self.count}@example.com", "customer", 3600, PLATFORM_SECRET)
        headers = {"Authorization": f"Bearer {bearer}"}
        created = requests.post(f"{api}/deposits", headers=headers, timeout=60, json=self.check.create_body())
        if created.status_code != 201:
            raise RuntimeError(f"creating a deposit: {created.status_code} {created.text[:500]}")
        created = created.json()
        for prefix, data in (("", self.check.front), ("back_", self.check.back)):
            requests.put(
                created[f"{prefix}upload_url"],
                data=data,
                headers=created[f"{prefix}upload_headers"],
                timeout=60,
            ).raise_for_status()
        started = time.perf_counter()
        requests.post(f"{api}/deposits/{created['id']}/uploaded", headers=headers, timeout=60)
        while True:
            doc: dict[str, Any] = requests.get(
                f"{api}/deposits/{created['id']}", headers=headers, timeout=60
            ).json()
            if doc.get("status") not in ("received", "processing"):
                doc["_elapsed_ms"] = (time.perf_counter() - started) * 1000
                return doc
            time.sleep(0.01)  # the final status is seen within 10 ms

    def recycle(self, revision: int) -> None:
        """A new revision of every action: the next activation of each runs in a new container."""
        for name in ACTIONS:
            action = self.wsk.get(f"{self.ns}/actions/openchecks/{name}", timeout=30).json()
            notes = [a for a in action["annotations"] if a["key"] != "bench-revision"]
            notes.append({"key": "bench-revision", "value": revision})
            body = {
                "exec": action["exec"],
                "annotations": notes,
                "limits": action["limits"],
                "parameters": action.get("parameters", []),
            }
            url = f"{self.ns}/actions/openchecks/{name}"
            self.wsk.put(url, params={"overwrite": "true"}, timeout=60, json=body).raise_for_status()

    def disable_caches(self) -> None:
        """The package parameter disable_caches on (every later activation runs with the caches off)."""
        package = self.wsk.get(f"{self.ns}/packages/openchecks", timeout=30).json()
        params = [p for p in package["parameters"] if p["key"] != "disable_caches"]
        params.append({"key": "disable_caches", "value": "1"})
        url = f"{self.ns}/packages/openchecks"
        self.wsk.put(
            url, params={"overwrite": "true"}, timeout=30, json={"parameters": params}
        ).raise_for_status()

    def run(self, deposits: int) -> dict[str, Any]:
        """Warm (after one uncounted deposit that starts the containers), then recycled."""
        results: dict[str, Any] = {}
        self.deposit()
        results["warm"] = summarise_docs([self.deposit() for _ in range(deposits)])
        self.disable_caches()
        docs = []
        for i in range(deposits):
            self.recycle(i)
            docs.append(self.deposit())
        results["recycled"] = summarise_docs(docs)
        return results


def platform_mode(args: argparse.Namespace, check: Check) -> dict[str, Any]:
    from infra.whisk.keys import read_keys

    with tempfile.TemporaryDirectory(prefix="bench-platform-") as tmpname:
        tmp = Path(tmpname)
        whisk = _whisk_process(tmp)
        couch = couchdb_process(tmp / "couchdb", free_port())
        s3 = s3_process(tmp / "s3", free_port())
        for proc in (couch, s3, whisk):
            proc.start_and_wait()
        try:
            guest = read_keys(tmp / "whisk")["guest"]  # the platform's own random key
            _deploy(tmp, couch.url, s3.url, whisk.url, guest, args.ocr_nice)
            return Platform(whisk.url, guest, check).run(args.deposits)
        finally:
            for proc in (whisk, couch, s3):
                proc.stop()


def summarise_docs(docs: list[dict[str, Any]]) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    for name in ACTIONS:
        metas = [d["steps"][name] for d in docs if name in d.get("steps", {})]
        flags: dict[str, dict[str, int]] = {}
        for meta in metas:
            for cache, value in meta["cache"].items():
                flags.setdefault(cache, {}).setdefault(value, 0)
                flags[cache][value] += 1
        steps[name] = {
            "action_ms_median": statistics.median(m["ms"] for m in metas),
            "cold_share": sum(bool(m["cold"]) for m in metas) / len(metas),
            "cache": {k: v.get("hit", 0) / sum(v.values()) for k, v in flags.items()},
        }
    lookups = [d["steps"]["ocr-check"].get("image_lookups") or {} for d in docs if "ocr-check" in d["steps"]]
    return {
        "deposits": len(docs),
        "statuses": {s: [d["status"] for d in docs].count(s) for s in {d["status"] for d in docs}},
        "upload_to_final_ms_median": statistics.median(d["_elapsed_ms"] for d in docs),
        "steps": steps,
        "image_cache": image_hit_rate(lookups),
    }


def print_platform(results: dict[str, Any]) -> None:
    warm, cold = results["warm"], results["recycled"]
    print(
        f"through the local OpenWhisk: {warm['deposits']} deposits per mode "
        f"(outcomes warm {warm['statuses']}, recycled {cold['statuses']})"
    )
    print(
        f"{'step':<16}{'warm ms':>10}{'recycled ms':>13}{'ratio':>8}{'cold share w/r':>17}"
        "   cache hits (warm)"
    )
    for name in ACTIONS:
        w, c = warm["steps"][name], cold["steps"][name]
        ratio = c["action_ms_median"] / max(w["action_ms_median"], 0.1)
        hits = ", ".join(f"{k} {v:.0%}" for k, v in w["cache"].items())
        print(
            f"{name:<16}{w['action_ms_median']:>10.1f}{c['action_ms_median']:>13.1f}{ratio:>7.1f}x"
            f"{w['cold_share']:>10.0%} / {c['cold_share']:.0%}   {hits}"
        )
    w_total, c_total = warm["upload_to_final_ms_median"], cold["upload_to_final_ms_median"]
    print(f"{'upload->final':<16}{w_total:>10.1f}{c_total:>13.1f}{c_total / w_total:>7.1f}x")
    cache = warm["image_cache"]
    print(
        f"image cache (warm, ocr-check lookups): {cache['hit_rate']:.0%} hit "
        f"({cache['hits']} hits, {cache['misses']} misses)"
    )


def _type(path: Path) -> str:
    return "image/png" if path.suffix.lower() == ".png" else "image/jpeg"


def bench_check(args: argparse.Namespace) -> Check | None:
    """The files named, or a synthetic good check (printed amount, endorsed back, photographed)."""
    if args.image is None:
        from tests.fixtures.checks import synthetic_check

        made = synthetic_check(args.seed)
        return Check(made.front, made.back, made.declared, "image/jpeg", "image/jpeg")
    for path in (args.image, args.back):
        if path is None or not path.is_file():
            print(f"error: {path} does not exist; pass --image FRONT --back BACK", file=sys.stderr)
            return None
    back = args.back
    return Check(args.image.read_bytes(), back.read_bytes(), args.amount, _type(args.image), _type(back))


def check_name(args: argparse.Namespace) -> str:
    return args.image.name if args.image else f"a synthetic check (seed {args.seed})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deposits", type=int, default=10, help="deposits per mode (default 10)")
    parser.add_argument("--image", type=Path, help="the front (default: a synthetic check)")
    parser.add_argument("--back", type=Path, help="the back (with --image)")
    parser.add_argument("--amount", default="1042.00", help="declared amount with --image (default 1042.00)")
    parser.add_argument("--seed", type=int, default=1, help="the synthetic check's seed (default 1)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--platform", action="store_true", help="run through the local OpenWhisk instead")
    parser.add_argument(
        "--ocr-nice",
        type=int,
        default=0,
        help="the ocr_nice package parameter in both modes (default 0; the product's default is 10)",
    )
    args = parser.parse_args()
    check = bench_check(args)
    if check is None:
        return 2
    if args.platform:
        results = platform_mode(args, check)
        if args.json:
            print(json.dumps(results, indent=2, sort_keys=True))
        else:
            print_platform(results)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmpname:
        tmp = Path(tmpname)
        couch = couchdb_process(tmp / "couchdb", free_port())
        s3 = s3_process(tmp / "s3", free_port())
        couch.start_and_wait()
        s3.start_and_wait()
        try:
            params = provisioned(app_params(couch.url, s3.url, ""))
            params.pop("image_cache_dir")
            params["ocr_nice"] = args.ocr_nice
            warm_payloads = make_deposits(params, args.deposits, check)
            cold_payloads = make_deposits(params, args.deposits, check)
            warm = run_mode("warm", params, warm_payloads, tmp)
            cold = run_mode("recycled", params, cold_payloads, tmp)
        finally:
            couch.stop()
            s3.stop()
    if args.json:
        print(json.dumps({"warm": warm, "recycled": cold}, indent=2, sort_keys=True))
        return 0
    print(
        f"process-check on {args.deposits} deposits of {check_name(args)} per mode "
        f"(outcomes warm {warm['statuses']}, recycled {cold['statuses']})"
    )
    print(
        f"{'step':<16}{'warm ms':>10}{'recycled ms':>13}{'ratio':>8}   {'in-action warm':>15}{'recycled':>10}"
        f"{'cold share w/r':>17}"
    )
    for step in STEPS:
        w, c = warm["steps"][step], cold["steps"][step]
        print(
            f"{step:<16}{w['wall_ms_median']:>10.1f}{c['wall_ms_median']:>13.1f}"
            f"{c['wall_ms_median'] / w['wall_ms_median']:>7.1f}x   {w['action_ms_median']:>15.1f}"
            f"{c['action_ms_median']:>10.1f}{w['cold_share']:>10.0%} / {c['cold_share']:.0%}"
        )
    print(
        f"{'whole sequence':<16}{warm['total_ms_median']:>10.1f}{cold['total_ms_median']:>13.1f}"
        f"{cold['total_ms_median'] / warm['total_ms_median']:>7.1f}x"
    )
    print(
        "cache hit ratios (warm): " + ", ".join(f"{k} {v['hit_ratio']:.0%}" for k, v in warm["cache"].items())
    )
    cache = warm["image_cache"]
    print(
        f"image cache (warm, ocr-check lookups): {cache['hit_rate']:.0%} hit "
        f"({cache['hits']} hits, {cache['misses']} misses)"
    )
    print(
        "cache flags (recycled): "
        + ", ".join(f"{k} {sorted(set(v) - {'hit_ratio'})}" for k, v in cold["cache"].items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
