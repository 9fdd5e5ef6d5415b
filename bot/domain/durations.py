"""Durations as people type and read them in chat."""

from __future__ import annotations

import re
from datetime import timedelta


def humanize_duration(delta: timedelta) -> str:
    """Say a duration the way people do in chat: 45 s, 14 min, 3 h 5 min, 2 d 4 h."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


DURATION = re.compile(r"^(\d+)\s*(s|m|min|h|d|w)$")
UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `15m`, `4h`, `7d`, `1w`; raise ValueError with the accepted forms."""
    found = DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration (use e.g. 30m, 4h, 1d)")
    return timedelta(seconds=int(found.group(1)) * UNIT_SECONDS[found.group(2)])
