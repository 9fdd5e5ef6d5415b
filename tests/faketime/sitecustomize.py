"""Loaded by every Python process of a `tests/faketime_run.py` run (its folder leads PYTHONPATH).

libfaketime 0.9.10 (Debian bookworm) mishandles `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` when
the monotonic clock is left real (FAKETIME_DONT_FAKE_MONOTONIC=1, which asyncio and timed lock waits
need): it shifts the deadline by the fake offset, so Python 3.11's `time.sleep` fails with EINVAL
(wolfcw/libfaketime#426). Faking the monotonic clock instead hangs every timed lock wait. So under
faketime only, `time.sleep` waits on a lock with a time-out, which libfaketime passes through intact.
"""

from __future__ import annotations

import os
import threading
import time

_real_sleep = time.sleep


def _sleep(seconds: float) -> None:
    """Block the calling thread for `seconds`, like time.sleep, without clock_nanosleep."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        threading.Event().wait(left)


if "libfaketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep
