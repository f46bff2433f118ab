"""LogCollector: OpenWhisk's log line format, sentinel framing, truncation and bounded memory."""

from __future__ import annotations

import re
import threading
import time

from infra.whisk.logs import (
    LOG_FAILURE,
    MIN_LINE_COST,
    SENTINEL,
    LogCollector,
    format_line,
    format_timestamp,
    truncation_notice,
)

END = SENTINEL + b"\n"


def messages(lines: list[str]) -> list[str]:
    return [line[31:] for line in lines]


def test_timestamp_has_nanoseconds_and_the_line_is_padded_like_openwhisk() -> None:
    assert format_timestamp(1_700_000_000_000_000_123) == "2023-11-14T22:13:20.000000123Z"
    line = format_line(1_700_000_000_000_000_123, "stdout", "  hello  \n")
    assert line == "2023-11-14T22:13:20.000000123Z stdout:   hello  "  # only the line end goes (stripLineEnd)
    assert re.match(r"^.{30} stderr: x$", format_line(0, "stderr", "x"))


def test_an_activation_ends_when_both_streams_sent_their_sentinel() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"one\ntw")
    logs.feed("stdout", b"o\n" + END + b"next activation\n")
    logs.feed("stderr", b"err\n" + END)
    assert messages(logs.take(1)) == ["stdout: one", "stdout: two", "stderr: err"]
    logs.feed("stderr", END)
    logs.feed("stdout", END)
    assert messages(logs.take(1)) == ["stdout: next activation"]


def test_output_without_newline_before_the_sentinel_is_dropped_as_openwhisk_drops_it() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"kept\n    indented\nno newline" + END)
    logs.feed("stderr", END)
    assert messages(logs.take(1)) == ["stdout: kept", "stdout:     indented"]


def test_a_sentinel_split_across_chunks_is_found() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"a\n" + SENTINEL[:10])
    logs.feed("stdout", SENTINEL[10:] + b"\n")
    logs.feed("stderr", END)
    assert messages(logs.take(1)) == ["stdout: a"]


def test_a_missing_sentinel_yields_the_lines_and_openwhisk_notice() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"partial\n" + END)
    started = time.monotonic()
    lines = logs.take(0.2)
    assert time.monotonic() - started >= 0.2
    assert messages(lines) == ["stdout: partial", f"stderr: {LOG_FAILURE}"]


def test_end_of_file_counts_as_the_end_of_the_activation() -> None:
    logs = LogCollector()
    logs.feed("stderr", b"Traceback\nlast words without newline")
    logs.close("stdout")
    logs.close("stderr")
    assert messages(logs.take(5)) == ["stderr: Traceback", "stderr: last words without newline"]


def test_take_waits_for_a_sentinel_arriving_later() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"x\n" + END)
    timer = threading.Timer(0.1, logs.feed, args=("stderr", END))
    timer.start()
    assert messages(logs.take(5)) == ["stdout: x"]
    timer.join()


def test_logs_over_the_limit_are_truncated_with_openwhisk_notice() -> None:
    logs = LogCollector(limit_bytes=1000)
    logs.feed("stdout", b"".join(b"%099d\n" % i for i in range(50)) + END)
    logs.feed("stderr", END)
    lines = logs.take(1)
    assert len(lines) == 11
    assert messages(lines)[-1] == "stderr: " + truncation_notice(1000)
    assert (
        truncation_notice(1000)
        == "Logs were truncated because the total bytes size exceeds the limit of 1000 bytes."
    )
    logs.feed("stdout", b"small\n" + END)  # the next activation starts with a fresh budget
    logs.feed("stderr", END)
    assert messages(logs.take(1)) == ["stdout: small"]


def test_a_flood_of_tiny_lines_is_bounded_in_lines_kept() -> None:
    limit = 100_000
    logs = LogCollector(limit_bytes=limit)
    for _ in range(100):
        logs.feed("stdout", b"z\n" * 50_000)
    logs.feed("stdout", END)
    logs.feed("stderr", END)
    lines = logs.take(1)
    assert len(lines) == limit // MIN_LINE_COST + 1
    assert lines[-1].endswith(truncation_notice(limit))


def test_an_endless_line_is_stored_in_pieces() -> None:
    logs = LogCollector()
    logs.feed("stdout", b"y" * 200_000)
    logs.feed("stdout", b"\n")
    logs.feed("stdout", b"y" * 100_000)
    logs.feed("stdout", b"y" * 100_000 + b"\nshort\n" + END)
    logs.feed("stderr", END)
    lines = logs.take(1)
    assert [len(line) for line in lines[:3]] == [31 + 8 + 200_000, 31 + 8 + 100_000, 31 + 8 + 100_000]
    assert messages(lines)[3:] == ["stdout: short"]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    logs = LogCollector()
    logs.feed("stdout", "ü".encode() + b"\xff\n" + END)
    logs.feed("stderr", END)
    assert messages(logs.take(1)) == ["stdout: ü\ufffd"]
