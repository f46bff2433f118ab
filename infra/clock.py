"""An injectable clock for the parts of infra/ that wait: the feed provider and the container pool.

`SYSTEM_CLOCK` is real time. No test relies on a thread waking up in virtual time (a virtual clock advanced
in steps with short real-time pauses did not guarantee that the feed scheduler's thread ran between steps,
and under CI load a test saw no fire at all). A test moves its clock (tests/fixtures/clock.py's ManualClock)
and then calls the step the thread would run: the pool's `ContainerPool.reap_idle`, the feed provider's
`Provider.fire_due`; or the pool's own code reads the clock when a container is released.
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
