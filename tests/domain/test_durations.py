from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.durations import humanize_duration, parse_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 s"),
        (14 * 60 + 3, "14 min"),
        (3 * 3600 + 300, "3 h 5 min"),
        (7200, "2 h"),
        (2 * 86400 + 4 * 3600, "2 d 4 h"),
    ],
)
def test_humanize_duration(seconds: int, text: str) -> None:
    assert humanize_duration(timedelta(seconds=seconds)) == text


def test_parse_duration() -> None:
    assert parse_duration("4h") == timedelta(hours=4)
    assert parse_duration("15m") == parse_duration("15min") == timedelta(minutes=15)
    assert parse_duration("1w") == timedelta(days=7)
    for bad in ("0h", "soon", "4 hours", ""):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad)
