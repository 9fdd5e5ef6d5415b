"""The faketime runner's instants: issue #13's calendar edges, the Monday one computed from the real date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.faketime_run import instants, next_monday_ten_past_midnight


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 30, 0, 9, tzinfo=UTC), datetime(2026, 11, 30, 0, 10, tzinfo=UTC)),  # Monday
        (datetime(2026, 11, 30, 0, 10, tzinfo=UTC), datetime(2026, 12, 7, 0, 10, tzinfo=UTC)),
        (datetime(2026, 11, 30, 1, 24, tzinfo=UTC), datetime(2026, 12, 7, 0, 10, tzinfo=UTC)),
        (datetime(2026, 12, 6, 23, 59, tzinfo=UTC), datetime(2026, 12, 7, 0, 10, tzinfo=UTC)),  # Sunday
        (datetime(2027, 12, 29, 12, tzinfo=UTC), datetime(2028, 1, 3, 0, 10, tzinfo=UTC)),  # over New Year
    ],
)
def test_the_monday_instant_is_the_next_monday_at_ten_past_midnight(
    now: datetime, expected: datetime
) -> None:
    assert next_monday_ten_past_midnight(now) == expected


def test_the_five_instants_of_issue_13() -> None:
    clock = datetime(2026, 11, 30, 1, 24, tzinfo=UTC)
    found = {i.label: i.at.strftime("%Y-%m-%d %H:%M %a") for i in instants(clock)}
    assert found == {
        "monday-00:10": "2026-12-07 00:10 Mon",
        "after-spring-dst": "2027-03-29 00:10 Mon",
        "autumn-dst-fold": "2027-10-31 01:30 Sun",
        "new-year": "2027-01-01 00:30 Fri",
        "leap-day": "2028-02-29 12:00 Tue",
    }
