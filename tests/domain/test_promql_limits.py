from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.promql_limits import QueryLimits, TooCostly, capped_step, check_query, parse_duration

LIMITS = QueryLimits(max_length=200, max_points=1000, max_lookback=timedelta(days=35), max_series=500)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("300ms", 0.3), ("2w", 14 * 86400), ("1y", 365 * 86400)],
)
def test_promql_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "a-z", "5m3", "m5", "$x"])
def test_what_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    "promql",
    [
        "sum(rate(http_requests_total[5m]))",
        "max_over_time(up[1d:5m])",  # 288 points
        "max_over_time(up[10h:])",  # 600 points at the default 1m resolution
        'up{path=~"[a-z]+:[0-9]"}',  # brackets inside a string are not ranges
        "up offset 30d",
    ],
)
def test_queries_within_the_caps_pass(promql: str) -> None:
    check_query(promql, LIMITS)


@pytest.mark.parametrize(
    ("promql", "said"),
    [
        ("max_over_time(up[30d:1s])", "asks for 2,592,000 points per series"),
        ("max_over_time(up[30d:1s])", "e.g. `[30d:44m]`"),
        ("max_over_time(up[1d:])", "1,440 points"),  # no resolution: Prometheus's default 1m
        ("avg_over_time(up[400d])", "looks back further than the 5w"),
        ("up" + " + up" * 60, "characters long; at most 200"),
    ],
)
def test_too_costly_queries_are_refused_with_the_cap_to_stay_within(promql: str, said: str) -> None:
    with pytest.raises(TooCostly) as caught:
        check_query(promql, LIMITS)
    assert said in str(caught.value)


def test_range_steps_are_coarsened_to_the_points_cap() -> None:
    assert capped_step(timedelta(days=30), timedelta(seconds=1), max_points=1000) == timedelta(seconds=2592)
    assert capped_step(timedelta(hours=1), timedelta(seconds=15), max_points=1000) == timedelta(seconds=15)
    assert capped_step(timedelta(minutes=5), timedelta(0), max_points=1000) == timedelta(seconds=1)
