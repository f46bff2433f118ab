"""CPU seconds by process of a local stack, from /proc: what each part of the stack spent during a run.

    sampler = CpuSampler(root_pids=[supervisor_pid], classify=stack_role)
    sampler.start()            # a first sample, then one every `interval` s in a thread
    ...                        # the run
    usage = sampler.stop()     # {role: cpu seconds} over the run (utime + stime of every thread)

Every process below the roots (found through the ppid links in /proc/<pid>/stat) is sampled; a process is
keyed by (pid, start time) so a reused pid is a new process. A process that started during the run counts
from zero; one that ended counts up to its last sample (a run's tail of at most `interval` s can be missed;
`reaped` reports, per role, what the roots' children that were reaped added to their parents' cutime/cstime,
which covers processes too short-lived to be sampled at all). `own` (this process: the benchmark client) is
reported apart. Linux only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

PREWARMED = "container (prewarmed, no code yet)"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, int, float, float] | None:
    """(ppid, start time, utime+stime s, cutime+cstime s) of `pid`, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3); ppid 4, utime 14, stime 15, cutime 16, cstime 17, starttime 22
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    start = int(fields[19])
    return ppid, start, (utime + stime) / TICK, (cutime + cstime) / TICK


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def descendants(roots: Iterable[int]) -> set[int]:
    """The roots and every process below them now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        info = _stat(int(entry))
        if info is not None:
            children.setdefault(info[0], []).append(int(entry))
    found: set[int] = set()
    todo = [pid for pid in roots if Path(f"/proc/{pid}").exists()]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


def _action_names(repo: Path) -> dict[str, str]:
    """sha256 of each action's __main__.py -> its manifest name (fetch_image -> fetch-image)."""
    out = {}
    for main in (repo / "actions").glob("*/__main__.py"):
        out[hashlib.sha256(main.read_bytes()).hexdigest()] = main.parent.name.replace("_", "-")
    return out


def stack_classifier(repo: Path) -> Callable[[int, list[str]], str]:
    """A role for each process of a local stack: the service, or `container <action>` (the action found
    by its code in the container's working directory)."""
    names = _action_names(repo)

    def classify(pid: int, argv: list[str]) -> str:
        text = " ".join(argv)
        if "launcher.py" in text:
            try:
                code = (Path(os.readlink(f"/proc/{pid}/cwd")) / "__main__.py").read_bytes()
            except OSError:
                return PREWARMED
            return f"container {names.get(hashlib.sha256(code).hexdigest(), 'other')}"
        for needle, role in (
            ("pouchdb-server", "pouchdb-server"),
            ("s3rver", "s3rver"),
            ("infra.services.couchgate", "couchdb gate"),
            ("oidc", "oidc provider"),
            ("infra.whisk", "local OpenWhisk"),
            ("infra.feeds", "feed provider"),
            ("infra.stack", "supervisor"),
        ):
            if needle in text:
                return role
        return argv[0].rsplit("/", 1)[-1] if argv else "unknown"

    return classify


class CpuSampler:
    """Samples the CPU time of every process below `root_pids` (see the module docstring)."""

    def __init__(
        self,
        root_pids: Iterable[int],
        classify: Callable[[int, list[str]], str],
        interval: float = 0.25,
    ) -> None:
        self.roots = list(root_pids)
        self.classify = classify
        self.interval = interval
        self._first: dict[tuple[int, int], float] = {}
        self._last: dict[tuple[int, int], float] = {}
        self._reaped_first: dict[tuple[int, int], float] = {}
        self._reaped_last: dict[tuple[int, int], float] = {}
        self._role: dict[tuple[int, int], str] = {}
        self._own_first = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    def _sample(self) -> None:
        for pid in descendants(self.roots):
            info = _stat(pid)
            if info is None:
                continue
            key = (pid, info[1])
            if key not in self._role:
                self._role[key] = self.classify(pid, _cmdline(pid))
                # a process first seen after the start began during the run: it counts from zero
                self._first[key] = info[2] if not self._started else 0.0
                self._reaped_first[key] = info[3] if not self._started else 0.0
            elif self._role[key] == PREWARMED:
                # a prewarmed container gets its action's code when it is first used
                self._role[key] = self.classify(pid, _cmdline(pid))
            self._last[key] = info[2]
            self._reaped_last[key] = info[3]

    def start(self) -> None:
        self._sample()
        self._own_first = _own_cpu()
        self._started = True
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> dict[str, dict[str, float]]:
        """{"cpu": {role: s}, "reaped": {role of the parent: s}, "own": {"bench client": s}}."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        cpu: dict[str, float] = {}
        reaped: dict[str, float] = {}
        for key, role in self._role.items():
            cpu[role] = cpu.get(role, 0.0) + self._last[key] - self._first[key]
            extra = self._reaped_last[key] - self._reaped_first[key]
            if extra:
                reaped[role] = reaped.get(role, 0.0) + extra
        own = _own_cpu() - self._own_first
        return {
            "cpu": {role: round(value, 2) for role, value in sorted(cpu.items())},
            "reaped": {role: round(value, 2) for role, value in sorted(reaped.items())},
            "own": {"bench client": round(own, 2)},
        }


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system
