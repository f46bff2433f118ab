"""Per-activation log collection for a local action container, in OpenWhisk's format and limits.

A container's stdout and stderr are read line by line on background threads and fed to a LogCollector. The
container (like the proxy) ends every activation with a sentinel line on both streams; ``take()`` returns
the lines of one activation once both sentinels (or end of file) have been seen. Lines are formatted as
OpenWhisk stores them: ``<ISO-8601 UTC timestamp with nanoseconds, padded to 30> <stream>: <message>``
(indentation kept). A last line without a newline ends up on the sentinel's line and is dropped, as
OpenWhisk's reader drops it. Memory is bounded by the log limit: once an activation's log bytes exceed it,
further lines are dropped and the truncation notice is added.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

SENTINEL = b"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"
STREAMS = ("stdout", "stderr")
DEFAULT_LIMIT_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024  # longer lines are stored in pieces
# Local deviation: a line costs at least this much of the limit, so floods of tiny lines stay small in memory.
MIN_LINE_COST = 64
LOG_FAILURE = "There was an issue while collecting your logs. Data might be missing."


def truncation_notice(limit_bytes: int) -> str:
    return f"Logs were truncated because the total bytes size exceeds the limit of {limit_bytes} bytes."


def format_timestamp(ns: int) -> str:
    """Epoch nanoseconds as Docker writes them: 2024-01-01T00:00:00.123456789Z."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def format_line(ns: int, stream: str, message: str) -> str:
    """One stored log line, as OpenWhisk's LogLine.toFormattedString: only the line end is stripped."""
    if message.endswith("\n"):
        message = message[:-1]
    if message.endswith("\r"):
        message = message[:-1]
    return f"{format_timestamp(ns):<30} {stream}: {message}"


@dataclass
class _Segment:
    """The raw lines of one activation: (epoch ns, stream, message)."""

    lines: list[tuple[int, str, str]] = field(default_factory=list)
    size: int = 0
    truncated: bool = False


class LogCollector:
    """Thread-safe, bounded collector of one container's output, cut into activations by sentinels."""

    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._cond = threading.Condition()
        self._current = _Segment()
        self._next = _Segment()  # lines of a stream that already ended this activation belong to the next one
        self._ended: set[str] = set()  # streams whose sentinel was seen for the current activation
        self._closed: set[str] = set()  # streams at end of file
        self._partial: dict[str, bytes] = {}  # per stream, the start of a line whose newline has not come yet
        self._cut: set[str] = set()  # streams whose last line was stored in pieces, its newline still to come

    def feed(self, stream: str, data: bytes, ns: int | None = None) -> None:
        """Add a chunk read from ``stream`` (cut anywhere: a partial line waits for its newline)."""
        stamp = time.time_ns() if ns is None else ns
        with self._cond:
            pending = self._partial.pop(stream, b"") + data
            if self._segment(stream).truncated and SENTINEL not in pending:
                # nothing of this chunk will be kept: skip the line split, keep a tail a sentinel may start in
                tail = pending[pending.rfind(b"\n") + 1 :]
                self._partial[stream] = tail[-len(SENTINEL) :]
                return
            lines = pending.split(b"\n")
            if stream in self._cut and lines[0] == b"":
                lines.pop(0)  # the newline ending a line already stored in pieces
            self._cut.discard(stream)
            partial = lines.pop()
            if len(partial) > MAX_LINE_BYTES:  # an endless line is stored in pieces
                lines.append(partial)
                partial = b""
                self._cut.add(stream)
            if partial:
                self._partial[stream] = partial
            for line in lines:
                self._line(stream, line.rstrip(b"\r"), stamp)

    def _segment(self, stream: str) -> _Segment:
        return self._next if stream in self._ended else self._current

    def _line(self, stream: str, text: bytes, ns: int) -> None:
        if text.endswith(SENTINEL):
            # Output without a final newline shares the sentinel's line, and OpenWhisk's log reader drops
            # every line containing the sentinel: that output is lost, as on OpenWhisk.
            if stream in self._ended:
                self._next = _Segment()  # a second sentinel before take(): an activation nobody collected
            self._ended.add(stream)
            self._cond.notify_all()
        else:
            self._add(stream, text, ns)

    def _add(self, stream: str, text: bytes, ns: int) -> None:
        segment = self._segment(stream)
        if segment.truncated:
            return
        cost = max(len(text) + 1, MIN_LINE_COST)
        if segment.size + cost > self.limit_bytes:
            segment.truncated = True
            return
        segment.size += cost
        segment.lines.append((ns, stream, text.decode("utf-8", errors="replace")))

    def note(self, stream: str, message: str) -> None:
        """Add a line from the platform itself (e.g. why an init failed); not counted against the limit."""
        with self._cond:
            self._current.lines.append((time.time_ns(), stream, message))

    def close(self, stream: str) -> None:
        """Mark ``stream`` at end of file: no sentinel will come (a last line without newline is kept)."""
        with self._cond:
            partial = self._partial.pop(stream, b"")
            if partial:
                self._line(stream, partial, time.time_ns())
            self._closed.add(stream)
            self._cond.notify_all()

    def take(self, wait_s: float) -> list[str]:
        """Return the formatted lines of the activation that just ended and start the next one.

        Waits up to ``wait_s`` for both sentinels (or end of file); if they do not come, the lines so far are
        returned with OpenWhisk's log-failure notice.
        """
        deadline = time.monotonic() + wait_s
        with self._cond:
            while not self._complete():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            complete = self._complete()
            segment, self._current, self._next = self._current, self._next, _Segment()
            self._ended.clear()
        formatted = [format_line(ns, stream, message) for ns, stream, message in segment.lines]
        if segment.truncated:
            formatted.append(format_line(time.time_ns(), "stderr", truncation_notice(self.limit_bytes)))
        if not complete:
            formatted.append(format_line(time.time_ns(), "stderr", LOG_FAILURE))
        return formatted

    def _complete(self) -> bool:
        return all(stream in self._ended or stream in self._closed for stream in STREAMS)
