"""OpenCV runs the readers' image work on one thread unless OPENCHECKS_CV_THREADS says otherwise."""

from __future__ import annotations

import pytest
from openchecks.cvthreads import cv2, threads_from_env


def test_importing_a_reader_leaves_opencv_on_one_thread() -> None:
    import openchecks.check.geometry  # noqa: F401

    assert cv2.getNumThreads() == threads_from_env()


@pytest.mark.parametrize(
    ("value", "threads"), [(None, 1), ("", 1), ("2", 2), ("0", 1), ("-3", 1), ("many", 1)]
)
def test_the_thread_count_comes_from_the_environment(value: str | None, threads: int) -> None:
    environ = {} if value is None else {"OPENCHECKS_CV_THREADS": value}
    assert threads_from_env(environ) == threads
