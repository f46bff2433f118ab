"""OpenCV as the readers use it: one worker thread, set once when the first reader module imports it.

OpenCV's own thread pool is a loss on images this small: its workers spin waiting for work, so on the
2-core stack it costs CPU that the other processes need. Measured on a synthetic check photo (1600x1200):
`cvtColor` RGB->Lab of the 480x360 analysis image took 18.0 ms of CPU with the default 2 threads and 0.9 ms
with 1; `geometry.straighten` 48 -> 38 ms of CPU per side. `OPENCHECKS_CV_THREADS` overrides the count.
"""

from __future__ import annotations

import os

import cv2

DEFAULT_THREADS = 1


def threads_from_env(environ: os._Environ[str] | dict[str, str] = os.environ) -> int:
    """The thread count to give OpenCV: `OPENCHECKS_CV_THREADS` when it is a positive integer, else 1."""
    value = environ.get("OPENCHECKS_CV_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_THREADS


cv2.setNumThreads(threads_from_env())

__all__ = ["cv2", "threads_from_env"]
