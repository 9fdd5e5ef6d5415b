"""A clock for opsbot under test: it runs at real speed from an instant the test picks, and jumps on."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta


class MovableClock:
    """Starts at `start` (so no test depends on today's date or time of day), ticks with real time, and
    `jump` moves it on (an hour passes in no time)."""

    def __init__(self, start: datetime) -> None:
        self._start, self._began, self.ahead = start, time.monotonic(), timedelta(0)

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began) + self.ahead

    def jump(self, by: timedelta) -> None:
        self.ahead += by


@dataclass
class SetClock:
    """A clock that says exactly what the test set last: `clock.now = …`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now
