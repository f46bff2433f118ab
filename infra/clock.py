"""An injectable clock for the parts of infra/ that wait: the feed provider and the container pool.

`SYSTEM_CLOCK` is real time. A virtual clock for the feed provider's tests was tried and removed: advancing
it in steps with short real-time pauses did not guarantee the scheduler thread ran between steps, and under
CI load a test saw no fire at all. A test clock needs a hand-off (advance only once every waiter is
blocked), or no thread at all: the pool's tests (tests/fixtures/clock.py's ManualClock) move the clock and
then call the step the pool's thread would run (`ContainerPool.reap_idle`), or the pool's own code reads the
clock when a container is released; no test relies on a thread waking up in virtual time.
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
