"""The container pool on real launcher processes: warm reuse, temp dirs, budget, queue, failures, prewarm."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.whisk.activation import (
    APPLICATION_ERROR,
    DEVELOPER_ERROR,
    SUCCESS,
    WHISK_ERROR,
    ActionCode,
    Limits,
    RunRequest,
    RunResult,
)
from infra.whisk.pool import ContainerPool, remove_stale_container_dirs
from tests.fixtures.clock import ManualClock

pytestmark = pytest.mark.local_only

PoolFactory = Callable[..., ContainerPool]

COUNTER = """
import os, tempfile
# Module global: counts the activations this container has served (the seed's example of a warm cache).
served = 0
def main(args):
    global served
    served += 1
    cache = os.path.join(tempfile.gettempdir(), "cache.txt")
    seen = os.path.exists(cache)
    with open(cache, "w") as f:
        f.write("cached")
    return {"count": served, "seen": seen, "tmp": tempfile.gettempdir()}
"""

GATE = """
import os, time
def main(args):
    while not os.path.exists(args["gate"]):
        time.sleep(0.005)
    return {"pid": os.getpid()}
"""

SLEEPER = """
import time
def main(args):
    time.sleep(args.get("sleep", 0.3))
    return {"slept": True}
"""


def request(
    code: str,
    args: Any = None,
    *,
    fqn: str = "/guest/act",
    revision: str = "1",
    timeout_ms: int = 20_000,
    memory_mb: int = 128,
    logs_mb: int = 10,
    init_env: dict[str, str] | None = None,
) -> RunRequest:
    action = ActionCode(fqn, revision, "python:3.11", textwrap.dedent(code), False, init_env=init_env or {})
    limits = Limits(timeout_ms=timeout_ms, memory_mb=memory_mb, logs_mb=logs_mb)
    return RunRequest(action, {} if args is None else args, limits, uuid.uuid4().hex, "guest")


@pytest.fixture
def make_pool(tmp_path: Path) -> Iterator[PoolFactory]:
    pools: list[ContainerPool] = []

    def make(**options: Any) -> ContainerPool:
        pool = ContainerPool("http://127.0.0.1:9", tmp_path / f"pool{len(pools)}", **options)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.shutdown()


def wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_module_globals_survive_warm_runs_and_reset_in_a_new_revision(make_pool: PoolFactory) -> None:
    pool = make_pool()
    results = [pool.run(request(COUNTER)) for _ in range(3)]
    assert [r.result["count"] for r in results] == [1, 2, 3]
    assert [r.cold for r in results] == [True, False, False]
    assert results[0].init_time_ms is not None and results[1].init_time_ms is None
    assert len({r.container_id for r in results}) == 1
    new_revision = pool.run(request(COUNTER, revision="2"))
    assert new_revision.result["count"] == 1 and new_revision.cold
    assert new_revision.container_id != results[0].container_id
    assert pool.run(request(COUNTER)).result["count"] == 4  # the old revision's container is still warm


def test_idle_containers_are_removed_and_their_temp_dir_deleted(make_pool: PoolFactory) -> None:
    pool = make_pool(idle_timeout_s=0.3)
    first = pool.run(request(COUNTER))
    second = pool.run(request(COUNTER))
    assert (first.result["seen"], second.result["seen"]) == (False, True)
    tmp = Path(first.result["tmp"])
    assert tmp.is_dir()
    wait_for(lambda: pool.stats()["live"] == 0 and not tmp.exists())
    again = pool.run(request(COUNTER))
    assert again.cold and again.result["count"] == 1 and again.result["seen"] is False


def test_idle_time_is_measured_by_the_pool_clock_from_each_release(
    make_pool: PoolFactory, tmp_path: Path
) -> None:
    # The real-time reaper is the test above; here the clock moves by hand, the test runs the reaper's look.
    clock = ManualClock()
    pool = make_pool(idle_timeout_s=600, clock=clock)
    old = pool.run(request(COUNTER, fqn="/guest/old"))
    clock.advance(300)
    new = pool.run(request(COUNTER, fqn="/guest/new"))
    gate = tmp_path / "gate"
    busy = threading.Thread(target=pool.run, args=(request(GATE, {"gate": str(gate)}, fqn="/guest/busy"),))
    busy.start()
    wait_for(lambda: pool.stats()["busy"] == 1)
    clock.advance(299)
    assert pool.reap_idle() == 0 and pool.stats()["live"] == 3
    clock.advance(1)  # old: idle for 600 s; new: 300 s; busy: running for 300 s
    assert pool.reap_idle() == 1
    assert set(pool.stats()["actions"]) == {"/guest/new", "/guest/busy"}
    assert not Path(old.result["tmp"]).exists() and Path(new.result["tmp"]).is_dir()
    clock.advance(1000)
    assert pool.reap_idle() == 1 and set(pool.stats()["actions"]) == {"/guest/busy"}  # never a busy one
    gate.touch()
    busy.join(timeout=30)
    clock.advance(599)
    assert pool.reap_idle() == 0 and pool.stats()["idle"] == 1  # its idle time starts at its release
    clock.advance(1)
    assert pool.reap_idle() == 1 and pool.stats()["live"] == 0
    again = pool.run(request(COUNTER, fqn="/guest/new"))
    assert again.cold and again.result["count"] == 1


def test_a_new_container_gets_a_fresh_temp_dir(make_pool: PoolFactory) -> None:
    pool = make_pool()
    pool.run(request(COUNTER))
    other = pool.run(request(COUNTER, fqn="/guest/other"))
    assert other.result["seen"] is False


def test_successful_result_fields(make_pool: PoolFactory) -> None:
    pool = make_pool()
    cold = pool.run(request("def main(args):\n    print('hi')\n    return {'echo': args}\n", {"a": 1}))
    assert cold.status_code == SUCCESS and cold.result == {"echo": {"a": 1}}
    assert cold.logs[0].endswith(" stdout: hi") and len(cold.logs) == 1
    assert cold.end_ms >= cold.start_ms and cold.duration_ms >= (cold.init_time_ms or 0)
    assert cold.wait_time_ms >= 0 and cold.container_id


def test_init_and_run_see_the_activation_context(make_pool: PoolFactory) -> None:
    code = """
    import os
    KEYS = ("__OW_ACTIVATION_ID", "__OW_ACTION_NAME", "DB_NAME", "__OW_API_HOST")
    AT_INIT = {k: os.environ.get(k) for k in KEYS}
    def main(args):
        return {"init": AT_INIT, "run": os.environ["__OW_ACTIVATION_ID"], "ns": os.environ["__OW_NAMESPACE"]}
    """
    pool = make_pool()
    first = request(code, fqn="/guest/pkg/ctx", init_env={"DB_NAME": "deposits"})
    r1 = pool.run(first)
    assert r1.result["init"] == {
        "__OW_ACTIVATION_ID": first.activation_id,
        "__OW_ACTION_NAME": "/guest/pkg/ctx",
        "DB_NAME": "deposits",
        "__OW_API_HOST": "http://127.0.0.1:9",
    }
    second = request(code, fqn="/guest/pkg/ctx", init_env={"DB_NAME": "deposits"})
    r2 = pool.run(second)
    assert r2.result["run"] == second.activation_id and r2.result["ns"] == "guest"
    assert r2.result["init"]["__OW_ACTIVATION_ID"] == first.activation_id


def process_state(pid: int) -> str:
    """The state letter in /proc/<pid>/stat (Z for a zombie), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def run_parallel(
    pool: ContainerPool, requests: list[RunRequest], *, in_order: bool = False
) -> list[RunResult]:
    """Run the requests from one thread each; ``in_order``: each is running or queued before the next."""
    results: list[RunResult | None] = [None] * len(requests)

    def call(i: int) -> None:
        results[i] = pool.run(requests[i])

    def entered() -> int:
        stats = pool.stats()
        return int(stats["busy"]) + int(stats["queued"]) + sum(r is not None for r in results)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    for count, thread in enumerate(threads, 1):
        thread.start()
        if in_order:
            wait_for(lambda n=count: entered() >= n)  # type: ignore[misc]
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.parametrize("callers", [1, 2, 6])
def test_parallel_runs_start_containers_up_to_the_budget_and_queue_the_rest(
    make_pool: PoolFactory, callers: int
) -> None:
    pool = make_pool(memory_budget_mb=512)  # room for 4 containers of 128 MB
    results = run_parallel(pool, [request(SLEEPER, {"sleep": 0.3}) for _ in range(callers)])
    assert all(r.status_code == SUCCESS for r in results)
    containers = {r.container_id for r in results}
    assert len(containers) == min(callers, 4)
    assert pool.stats()["started"] == min(callers, 4)
    if callers > 4:
        waited = sorted(r.wait_time_ms for r in results)
        assert waited[-1] >= 250, waited  # the queued ones waited for a busy container to be released
        assert sum(1 for r in results if not r.cold) == callers - 4


def test_the_oldest_idle_container_of_another_action_is_evicted_for_room(
    make_pool: PoolFactory,
) -> None:
    pool = make_pool(memory_budget_mb=256)
    a = pool.run(request(COUNTER, fqn="/guest/a", memory_mb=128))
    b = pool.run(request(COUNTER, fqn="/guest/b", memory_mb=128))
    c = pool.run(request(COUNTER, fqn="/guest/c", memory_mb=128))
    assert all(r.status_code == SUCCESS for r in (a, b, c))
    assert set(pool.stats()["actions"]) == {"/guest/b", "/guest/c"}
    assert not Path(a.result["tmp"]).exists()
    assert pool.run(request(COUNTER, fqn="/guest/b", memory_mb=128)).result["count"] == 2


def test_a_released_container_goes_to_a_queued_run_of_its_own_action(make_pool: PoolFactory) -> None:
    # Both slots run `a`; queued: c, a, b, c, a, b. Strict FIFO would evict every released container for the
    # next run of another action (8 cold starts); handing it to a queued run of its own action needs 4.
    pool = make_pool(memory_budget_mb=256, starve_after_s=60)
    order = ["a", "b", "c", "a", "b", "c", "a", "b"]
    results = run_parallel(
        pool, [request(SLEEPER, {"sleep": 0.3}, fqn=f"/guest/{name}") for name in order], in_order=True
    )
    assert all(r.status_code == SUCCESS for r in results)
    cold = [name for name, r in zip(order, results, strict=True) if r.cold]
    assert sorted(cold) == ["a", "b", "c", "c"], cold
    stats = pool.stats()
    assert stats["cold_starts"] == 4 and stats["warm_handoffs"] == 4


def test_a_run_waiting_too_long_is_served_before_warm_hand_offs(make_pool: PoolFactory) -> None:
    # One slot, kept busy by a stream of `a` runs that would always find a queued `a` to hand it to.
    pool = make_pool(memory_budget_mb=128, starve_after_s=0.5)
    stream = [request(SLEEPER, {"sleep": 0.2}, fqn="/guest/a") for _ in range(12)]
    b_result: list[RunResult] = []
    done = threading.Event()

    def feed() -> None:
        pending: list[threading.Thread] = []
        for req in stream:
            thread = threading.Thread(target=pool.run, args=(req,))
            thread.start()
            pending.append(thread)
            time.sleep(0.1)
        for thread in pending:
            thread.join()
        done.set()

    feeder = threading.Thread(target=feed)
    feeder.start()
    wait_for(lambda: pool.stats()["busy"] == 1)
    b_result.append(pool.run(request(SLEEPER, {"sleep": 0.05}, fqn="/guest/b")))
    b_finished_first = not done.is_set()
    feeder.join(timeout=30)
    assert b_result[0].status_code == SUCCESS
    assert b_finished_first, "b waited for the whole stream of a runs"
    assert 500 <= b_result[0].wait_time_ms < 1500, b_result[0].wait_time_ms


@pytest.mark.parametrize("queued_s", [4, 5])
def test_a_run_queued_for_starve_after_s_by_the_pool_clock_goes_before_a_warm_hand_off(
    make_pool: PoolFactory, tmp_path: Path, queued_s: float
) -> None:
    # One slot busy with `a`; queued: b, then another `a`. When the slot is released, `a` would get it warm,
    # unless b has waited starve_after_s (5 s on the pool's clock, moved by hand; real time: the test above).
    clock = ManualClock()
    pool = make_pool(memory_budget_mb=128, starve_after_s=5.0, clock=clock)
    gate = tmp_path / "gate"
    fqns = ["/guest/a", "/guest/b", "/guest/a"]
    results: dict[int, RunResult] = {}
    threads: list[threading.Thread] = []

    def start(i: int) -> None:
        req = request(GATE, {"gate": str(gate)}, fqn=fqns[i])
        threads.append(threading.Thread(target=lambda: results.__setitem__(i, pool.run(req))))
        threads[-1].start()

    start(0)
    wait_for(lambda: pool.stats()["busy"] == 1)
    start(1)
    wait_for(lambda: pool.stats()["queued"] == 1)
    clock.advance(queued_s)
    start(2)
    wait_for(lambda: pool.stats()["queued"] == 2)
    gate.touch()
    for thread in threads:
        thread.join(timeout=30)
    first_a, b, second_a = results[0], results[1], results[2]
    assert all(r.status_code == SUCCESS for r in results.values())
    if queued_s < 5:  # the warm hand-off: the second `a` reuses the first one's container, b waits for it
        assert not second_a.cold and second_a.container_id == first_a.container_id
        assert second_a.end_ms <= b.start_ms
    else:  # b is served first, evicting the idle `a` container; the second `a` starts cold after b
        assert b.cold and second_a.cold and b.end_ms <= second_a.start_ms
    assert pool.stats()["warm_handoffs"] == (1 if queued_s < 5 else 0)


def test_interactive_runs_keep_a_reserve_that_background_runs_cannot_take(make_pool: PoolFactory) -> None:
    pool = make_pool(memory_budget_mb=384, interactive_reserve_mb=128)
    background = [request(SLEEPER, {"sleep": 0.8}, fqn=f"/guest/batch{i}") for i in range(3)]
    threads = [threading.Thread(target=pool.run, args=(req,)) for req in background]
    for thread in threads:
        thread.start()
    wait_for(lambda: pool.stats()["busy"] == 2 and pool.stats()["queued"] == 1)  # the cap is 256 MB
    interactive = request(SLEEPER, {"sleep": 0.05}, fqn="/guest/web")
    interactive.interactive = True
    result = pool.run(interactive)
    assert result.status_code == SUCCESS and result.wait_time_ms < 300, result.wait_time_ms
    for thread in threads:
        thread.join(timeout=10)
    assert pool.stats()["queued"] == 0


def test_interactive_runs_are_queued_ahead_of_background_runs(make_pool: PoolFactory) -> None:
    pool = make_pool(memory_budget_mb=128)
    first = request(SLEEPER, {"sleep": 0.4}, fqn="/guest/x")
    later = [request(SLEEPER, {"sleep": 0.1}, fqn=f"/guest/y{i}") for i in range(3)]
    later[2].interactive = True
    results = run_parallel(pool, [first, *later], in_order=True)
    ends = [r.end_ms for r in results]
    assert ends[3] < ends[1] < ends[2], ends  # the interactive one overtook both queued background runs


def test_a_background_run_larger_than_the_cap_still_runs_alone(make_pool: PoolFactory) -> None:
    pool = make_pool(memory_budget_mb=256, interactive_reserve_mb=128)
    assert pool.run(request(COUNTER, memory_mb=256)).status_code == SUCCESS


def test_an_action_larger_than_the_whole_budget_is_refused(make_pool: PoolFactory) -> None:
    pool = make_pool(memory_budget_mb=256)
    result = pool.run(request(COUNTER, memory_mb=512))
    assert result.status_code == WHISK_ERROR and "memory budget" in result.result["error"]


def test_a_timeout_kills_the_container_and_is_recorded(make_pool: PoolFactory) -> None:
    pool = make_pool()
    hang = (
        "import time\ndef main(args):\n    print('start')\n    time.sleep(args.get('s', 60))\n    return {}"
    )
    assert pool.run(request(hang, {"s": 0})).status_code == SUCCESS  # init outside the short time limit
    result = pool.run(request(hang, timeout_ms=300))
    assert result.status_code == DEVELOPER_ERROR and result.timed_out and not result.cold
    assert result.result == {"error": "The action exceeded its time limits of 300 milliseconds."}
    assert any(line.endswith("stdout: start") for line in result.logs)
    assert pool.stats()["live"] == 0
    after = pool.run(request(hang, {"s": 0}))
    assert after.status_code == SUCCESS and after.cold


def test_an_init_over_the_time_limit_is_recorded(make_pool: PoolFactory) -> None:
    pool = make_pool()
    result = pool.run(request("import time\ntime.sleep(60)\n", timeout_ms=300))
    assert result.status_code == DEVELOPER_ERROR and result.timed_out and result.init_time_ms is not None
    assert result.result == {
        "error": "The action exceeded its time limits of 300 milliseconds during initialization."
    }
    assert pool.stats()["live"] == 0


@pytest.mark.parametrize(
    "body",
    [
        "import os; os._exit(1)",
        "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)",
        "import sys, time; sys.stdout.close(); sys.stderr.close(); time.sleep(60)",
    ],
    ids=["exit", "segfault", "hang-with-closed-streams"],
)
def test_crashing_or_hanging_actions_never_break_the_pool(make_pool: PoolFactory, body: str) -> None:
    pool = make_pool()
    code = f"def main(args):\n    if args.get('go'):\n        {body}\n    return {{}}"
    assert pool.run(request(code, fqn="/guest/bad")).status_code == SUCCESS  # warm: the limit is for the run
    bad = pool.run(request(code, {"go": True}, fqn="/guest/bad", timeout_ms=1000))
    assert bad.status_code == DEVELOPER_ERROR and not bad.cold
    assert pool.stats()["live"] == 0
    good = pool.run(request(COUNTER))
    assert good.status_code == SUCCESS


def test_a_flood_of_output_is_truncated_and_bounded(make_pool: PoolFactory) -> None:
    pool = make_pool()
    flood = "def main(args):\n    for i in range(100_000):\n        print('y' * 50)\n    return {'ok': True}"
    result = pool.run(request(flood, logs_mb=1))
    assert result.status_code == SUCCESS
    notice = "Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes."
    assert result.logs[-1].endswith(notice)
    assert sum(len(line) for line in result.logs) < 4 * 1024 * 1024
    endless = "def main(args):\n    while args.get('go'):\n        print('z' * 1000)\n    return {}"
    assert pool.run(request(endless, fqn="/guest/endless")).status_code == SUCCESS
    hung = pool.run(request(endless, {"go": 1}, fqn="/guest/endless", timeout_ms=1000, logs_mb=1))
    assert hung.status_code == DEVELOPER_ERROR and hung.timed_out and not hung.cold
    assert "truncated" in hung.logs[-1] or "truncated" in hung.logs[-2]
    assert pool.run(request(COUNTER)).status_code == SUCCESS


def test_errors_map_to_openwhisk_statuses(make_pool: PoolFactory) -> None:
    pool = make_pool()
    app = pool.run(request("def main(args):\n    return {'error': 'declined'}\n", fqn="/guest/app"))
    assert (app.status_code, app.result) == (APPLICATION_ERROR, {"error": "declined"})
    raised = pool.run(request("def main(args):\n    raise KeyError('k')\n", fqn="/guest/raise"))
    assert raised.status_code == APPLICATION_ERROR and raised.result == {"error": "'k'"}
    scalar = pool.run(request("def main(args):\n    return 'text'\n", fqn="/guest/scalar"))
    assert scalar.status_code == DEVELOPER_ERROR
    assert scalar.result == {"error": "The action did not return a dictionary or array."}
    big = pool.run(request("def main(args):\n    return {'b': 'x' * 2_000_000}\n", fqn="/guest/big"))
    assert big.status_code == APPLICATION_ERROR
    assert big.result["error"].startswith("The action produced a response that exceeded the allowed length:")
    hog = "def main(args):\n    return {'n': len(bytearray(3 * 1024 ** 3))}\n"
    memory = pool.run(request(hog, fqn="/guest/mem"))
    assert memory.status_code == DEVELOPER_ERROR
    assert memory.result == {"error": "The action exhausted its memory and was aborted."}


def test_an_init_failure_is_a_developer_error_and_the_container_is_dropped(
    make_pool: PoolFactory,
) -> None:
    pool = make_pool()
    result = pool.run(request("raise RuntimeError('no config')\n"))
    assert result.status_code == DEVELOPER_ERROR
    assert result.result == {"error": "Cannot start action. Check logs for details."}
    assert result.init_time_ms is not None and result.cold
    assert any("RuntimeError: no config" in line for line in result.logs)
    assert pool.stats()["live"] == 0
    empty = pool.run(request(""))
    assert empty.result == {"error": "Missing main/no code to execute."}


def test_prewarmed_processes_are_used_and_replenished(make_pool: PoolFactory) -> None:
    pool = make_pool(prewarm=1)
    wait_for(lambda: pool.stats()["prewarmed"] == 1)
    first = pool.run(request(COUNTER))
    assert first.cold and first.init_time_ms is not None and first.status_code == SUCCESS
    assert pool.stats()["prewarm_used"] == 1 and pool.stats()["cold_starts"] == 0
    warm = pool.run(request(COUNTER))
    assert not warm.cold and warm.init_time_ms is None and warm.result["count"] == 2
    wait_for(lambda: pool.stats()["prewarmed"] == 1)
    assert pool.stats()["started"] == 2


def test_shutdown_destroys_everything_and_refuses_new_runs(make_pool: PoolFactory) -> None:
    pool = make_pool(prewarm=1)
    tmp = Path(pool.run(request(COUNTER)).result["tmp"])
    pool.shutdown()
    assert not tmp.exists()
    assert pool.stats()["live"] == 0 and pool.stats()["prewarmed"] == 0
    assert pool.run(request(COUNTER)).status_code == WHISK_ERROR


def test_shutdown_ends_busy_and_queued_runs(make_pool: PoolFactory, tmp_path: Path) -> None:
    pool = make_pool(memory_budget_mb=128)
    marker = tmp_path / "running"
    code = f"import time\ndef main(args):\n    open({str(marker)!r}, 'w').close()\n    time.sleep(30)\n"
    reqs = [request(code), request(code)]
    results: list[RunResult] = []
    threads = [threading.Thread(target=lambda r=r: results.append(pool.run(r))) for r in reqs]
    for thread in threads:
        thread.start()
    wait_for(lambda: marker.exists() and pool.stats()["queued"] == 1)
    pool.shutdown()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(r.status_code for r in results) == [DEVELOPER_ERROR, WHISK_ERROR]


def test_a_container_killed_while_idle_is_replaced_not_used(make_pool: PoolFactory) -> None:
    pool = make_pool()
    code = "import os\ndef main(args):\n    return {'pid': os.getpid()}\n"
    first = pool.run(request(code))
    os.kill(first.result["pid"], signal.SIGKILL)
    wait_for(lambda: process_state(first.result["pid"]) in ("Z", "gone"))
    second = pool.run(request(code))
    assert second.status_code == SUCCESS and second.cold
    assert second.result["pid"] != first.result["pid"]
    assert pool.stats()["live"] == 1


def test_container_dirs_left_by_a_dead_platform_are_removed_at_start(
    make_pool: PoolFactory, tmp_path: Path
) -> None:
    live = make_pool()
    live.run(request(COUNTER))
    (live_dir,) = list(live.work_dir.glob("wsk*"))
    stale = live.work_dir / "wsk7-dead00"
    (stale / "tmp").mkdir(parents=True)
    (stale / "tmp" / "cached.bin").write_bytes(b"x")
    removed = remove_stale_container_dirs(live.work_dir)
    assert removed == [stale] and not stale.exists() and live_dir.is_dir()


def test_extra_env_reaches_every_container_only_as_ow_variables(make_pool: PoolFactory) -> None:
    # as the runtime's proxy: the invoker's extra container variables reach the action only if __OW_*
    pool = make_pool(extra_env={"__OW_LOCAL": "yes", "OPENCHECKS_LOCAL": "yes"})
    names = ("__OW_LOCAL", "OPENCHECKS_LOCAL")
    code = f"import os\ndef main(a):\n    return {{k: os.environ.get(k) for k in {names!r}}}\n"
    assert pool.run(request(code)).result == {"__OW_LOCAL": "yes", "OPENCHECKS_LOCAL": None}


def test_none_not_json_and_exit_are_developer_errors_that_end_the_container(make_pool: PoolFactory) -> None:
    pool = make_pool()
    none = pool.run(request("def main(args):\n    return None\n", fqn="/guest/none"))
    assert none.status_code == DEVELOPER_ERROR
    assert none.result == {"error": "The action did not produce a valid JSON or JSON Array response: null\n"}
    again = pool.run(request("def main(args):\n    return None\n", fqn="/guest/none"))
    assert again.cold and again.container_id != none.container_id  # OpenWhisk destroys it after the failure
    for fqn, body in (("/guest/obj", "return {'o': object()}"), ("/guest/exit", "exit()")):
        result = pool.run(request(f"def main(args):\n    {body}\n", fqn=fqn))
        assert (result.status_code, result.result) == (DEVELOPER_ERROR, {"error": "command exited"})
