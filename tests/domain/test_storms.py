"""The storm rule: when a new alert group goes into its channel's roll-up instead of a message of its own."""

from __future__ import annotations

import pytest

from bot.domain.alerts import Severity
from bot.domain.storms import OpenedGroups, groups_to_open, rolls_up


@pytest.mark.parametrize(
    ("new_groups", "expected"),
    [(1, False), (10, False), (11, True), (500, True)],
)
def test_more_than_the_threshold_of_new_groups_in_a_minute_is_a_storm(
    new_groups: int, expected: bool
) -> None:
    assert (
        rolls_up(severity=Severity.WARNING, new_groups_last_minute=new_groups, threshold=10, storm_open=False)
        is expected
    )


def test_an_open_storm_takes_every_new_group_even_as_the_rate_drops() -> None:
    assert rolls_up(severity=Severity.INFO, new_groups_last_minute=1, threshold=10, storm_open=True)


def test_critical_groups_are_never_rolled_up() -> None:
    assert not rolls_up(severity=Severity.CRITICAL, new_groups_last_minute=500, threshold=10, storm_open=True)


def test_a_threshold_of_zero_turns_roll_ups_off() -> None:
    assert not rolls_up(severity=Severity.WARNING, new_groups_last_minute=500, threshold=0, storm_open=True)


def opened(total: int = 0, lesser: int = 0) -> OpenedGroups:
    return OpenedGroups(total=total, lesser=lesser)


def test_a_source_opens_at_most_the_cap_of_new_groups_in_a_minute() -> None:
    wanted = [(f"g{i}", Severity.CRITICAL) for i in range(10)]
    assert groups_to_open(wanted, opened=opened(), cap=4) == ["g0", "g1", "g2", "g3"]
    assert groups_to_open(wanted, opened=opened(3), cap=4) == ["g0"]
    assert groups_to_open(wanted, opened=opened(4), cap=4) == []
    assert groups_to_open(wanted, opened=opened(9), cap=4) == []  # over already (another replica)


def test_under_the_cap_every_new_group_opens() -> None:
    wanted = [("a", Severity.INFO), ("b", Severity.CRITICAL)]
    assert groups_to_open(wanted, opened=opened(), cap=100) == ["a", "b"]


def test_lesser_groups_take_at_most_half_the_cap_so_pages_that_follow_still_open() -> None:
    storm = [(f"w{i}", Severity.WARNING) for i in range(300)]
    assert groups_to_open(storm, opened=opened(), cap=100) == [f"w{i}" for i in range(50)]
    after_the_storm = [("page", Severity.CRITICAL), ("more", Severity.INFO)]
    assert groups_to_open(after_the_storm, opened=opened(50, 50), cap=100) == ["page"]
    assert groups_to_open([("w", Severity.WARNING)], opened=opened(), cap=1) == ["w"]  # half of 1, rounded up


def test_at_the_cap_the_most_severe_open_first_and_keep_their_arrival_order() -> None:
    wanted = [
        ("info", Severity.INFO),
        ("warn1", Severity.WARNING),
        ("crit1", Severity.CRITICAL),
        ("warn2", Severity.WARNING),
        ("crit2", Severity.CRITICAL),
    ]
    assert groups_to_open(wanted, opened=opened(), cap=3) == ["warn1", "crit1", "crit2"]
    assert groups_to_open(wanted, opened=opened(1, 1), cap=4) == ["warn1", "crit1", "crit2"]
