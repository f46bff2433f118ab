"""An injectable clock for the parts of infra/ that wait: the feed provider and the container pool.

`SYSTEM_CLOCK` is real time. `ManualClock` is virtual time for tests: it moves only when the test calls
`advance()`, and a wait on it ends when the virtual deadline passes (or the condition or event is
signalled), so a test of a 2-second schedule runs in milliseconds.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds for measuring intervals."""
        ...

    def wait(self, condition: threading.Condition, timeout: float) -> bool:
        """`condition.wait(timeout)` (the caller holds the condition); True when notified."""
        ...

    def wait_event(self, event: threading.Event, timeout: float) -> bool:
        """`event.wait(timeout)`: True when the event is set."""
        ...


def now_ms(clock: Clock) -> int:
    """The clock's wall time in epoch milliseconds."""
    return int(clock.time() * 1000)


class SystemClock:
    """Real time."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, condition: threading.Condition, timeout: float) -> bool:
        return condition.wait(timeout)

    def wait_event(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout)


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """Virtual time, moved by `advance()`; waits poll every `poll_s` of real time for the deadline."""

    def __init__(self, start: float = 1_767_225_600.0, poll_s: float = 0.001) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.poll_s = poll_s

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def run_for(self, seconds: float, step: float = 0.1, settle_s: float = 0.005) -> None:
        """Advance `seconds` in steps of `step`, letting the other threads run `settle_s` after each."""
        steps = max(1, round(seconds / step))
        for _ in range(steps):
            self.advance(seconds / steps)
            time.sleep(settle_s)

    def wait(self, condition: threading.Condition, timeout: float) -> bool:
        deadline = self.time() + timeout
        while self.time() < deadline:
            if condition.wait(self.poll_s):
                return True
        return False

    def wait_event(self, event: threading.Event, timeout: float) -> bool:
        deadline = self.time() + timeout
        while self.time() < deadline:
            if event.wait(self.poll_s):
                return True
        return event.is_set()
