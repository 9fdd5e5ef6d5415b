"""Proposed thresholds: the value at which only the real firings would have fired, rounded sensibly."""

from __future__ import annotations

import pytest

from bot.domain.threshold_proposals import (
    Firing,
    Move,
    fires_above,
    percentile,
    propose,
    rounded_up,
    value_of,
)


def real(*values: float) -> list[Firing]:
    return [Firing(True, v) for v in values]


def false(*values: float | None) -> list[Firing]:
    return [Firing(False, v) for v in values]


def test_a_host_rule_is_raised_just_above_its_false_firings_and_below_its_real_ones() -> None:
    p = propose("HostHighCpu", false(81.2, 83.4, 87.3) + real(96.0, 99.5), current=80, above=True)
    assert (p.move, p.current, p.suggested) == (Move.RAISE, 80, 88)
    assert (p.false_observed, p.false_kept, p.real_lost, p.observed) == (3, 0, 0, 5)


def test_rounding_takes_more_digits_where_two_would_reach_a_real_firing() -> None:
    p = propose("HostHighCpu", false(87.3) + real(87.5), current=80, above=True)
    assert p.suggested == 87.3 and p.real_lost == 0 and p.false_kept == 0


def test_false_firings_above_the_lowest_real_one_cannot_be_cut_without_losing_it() -> None:
    p = propose("HostHighCpu", false(85.0, 97.0) + real(90.0), current=80, above=True)
    assert p.suggested == 85 and p.false_kept == 1 and p.real_lost == 0


def test_values_that_do_not_separate_noise_from_real_firings_propose_nothing() -> None:
    p = propose("HostHighCpu", false(95.0, 97.0) + real(90.0, 91.0), current=80, above=True)
    assert p.move is Move.NONE and p.suggested is None


def test_with_no_real_firing_the_95th_percentile_of_the_false_ones_is_proposed() -> None:
    values = [float(v) for v in range(81, 101)]  # 20 false firings at 81 … 100
    p = propose("HostHighMemory", false(*values), current=80, above=True)
    assert p.suggested == 99 and p.false_kept == 1 and p.real_lost == 0


def test_a_rule_with_no_value_observed_gets_no_proposal() -> None:
    p = propose("ApiLatency", [*false(None, None), Firing(True, None)])
    assert p.move is Move.NONE and p.observed == 0


def test_a_rule_whose_false_firings_had_no_value_gets_no_proposal() -> None:
    p = propose("ApiLatency", false(None) + real(1.5))
    assert p.move is Move.NONE and p.observed == 1 and p.false_observed == 0


def test_an_alertmanager_rule_firing_on_low_values_is_lowered() -> None:
    # free disk in %: real firings at 2 and 3, false ones at 9 and 12
    p = propose("DiskFreeLow", false(9.0, 12.0) + real(2.0, 3.0))
    assert p.fires_above is False and not p.assumed_direction
    assert (p.move, p.suggested, p.false_kept, p.real_lost) == (Move.LOWER, 9, 0, 0)


def test_with_only_false_firings_and_no_known_rule_the_direction_is_an_assumption() -> None:
    p = propose("QueueDepth", false(120.0, 1234.0, 400.0))
    assert p.assumed_direction and p.fires_above
    assert (p.move, p.suggested, p.current) == (Move.RAISE, 1300, None)


def test_a_current_threshold_already_above_the_observed_values_is_kept() -> None:
    p = propose("HostDiskFull", false(91.0, 92.0), current=95, above=True)
    assert (p.move, p.suggested) == (Move.KEEP, 95)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(87.3, 88), (88.0, 88), (1234.0, 1300), (0.01234, 0.013), (0.5, 0.5), (99.01, 100), (0.0, 0.0)],
)
def test_rounding_up_to_two_significant_digits(value: float, expected: float) -> None:
    assert rounded_up(value) == pytest.approx(expected)


def test_rounding_never_lowers_below_a_current_threshold_above_the_value() -> None:
    assert rounded_up(70.2, floor=80) == 80


def test_rounding_gives_up_and_keeps_the_value_when_no_digit_count_stays_below() -> None:
    assert rounded_up(5.0, below=5.0) == 5.0


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [([3.0, 1.0, 2.0], 95, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0), ([7.0], 95, 7.0), ([1.0, 2.0], 0, 1.0)],
)
def test_nearest_rank_percentile(values: list[float], pct: float, expected: float) -> None:
    assert percentile(values, pct) == expected


def test_the_direction_is_read_from_real_against_false_values() -> None:
    assert fires_above(false(10.0) + real(20.0)) is True
    assert fires_above(false(20.0) + real(10.0)) is False
    assert fires_above(false(20.0)) is None


@pytest.mark.parametrize(
    ("annotations", "labels", "expected"),
    [
        ({"value": "97.5"}, {}, 97.5),
        ({"summary": "p95 latency is 1.2s", "value": "1.2s"}, {}, 1.2),
        ({"summary": "Latency is above 1.2s on api-3"}, {}, None),  # a summary states the threshold
        ({"value": "4e3 messages"}, {}, 4000.0),
        ({"value": "n/a"}, {"value": "7"}, 7.0),
        ({"summary": "Disk almost full"}, {"value": "-3"}, -3.0),
        ({"summary": "Disk almost full"}, {}, None),
        ({"value": "nan"}, {}, None),
    ],
)
def test_the_value_an_alert_states(
    annotations: dict[str, str], labels: dict[str, str], expected: float | None
) -> None:
    assert value_of(annotations, labels) == expected
