"""The storm rule: when a new alert group goes into its channel's roll-up instead of a message of its own."""

from __future__ import annotations

import pytest

from bot.domain.alerts import Severity
from bot.domain.storms import groups_to_open, rolls_up


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


def test_a_source_opens_at_most_the_cap_of_new_groups_in_a_minute() -> None:
    wanted = [(f"g{i}", Severity.WARNING) for i in range(10)]
    assert groups_to_open(wanted, opened_last_minute=0, cap=4) == ["g0", "g1", "g2", "g3"]
    assert groups_to_open(wanted, opened_last_minute=3, cap=4) == ["g0"]
    assert groups_to_open(wanted, opened_last_minute=4, cap=4) == []
    assert groups_to_open(wanted, opened_last_minute=9, cap=4) == []  # over already (another replica)


def test_under_the_cap_every_new_group_opens() -> None:
    wanted = [("a", Severity.INFO), ("b", Severity.CRITICAL)]
    assert groups_to_open(wanted, opened_last_minute=0, cap=100) == ["a", "b"]


def test_at_the_cap_the_most_severe_open_first_and_keep_their_arrival_order() -> None:
    wanted = [
        ("info", Severity.INFO),
        ("warn1", Severity.WARNING),
        ("crit1", Severity.CRITICAL),
        ("warn2", Severity.WARNING),
        ("crit2", Severity.CRITICAL),
    ]
    assert groups_to_open(wanted, opened_last_minute=0, cap=3) == ["warn1", "crit1", "crit2"]
