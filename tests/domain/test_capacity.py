"""Capacity forecasts from Prometheus's series: one trend per instance, named by it, the urgent ones first,
and a reason when there is nothing to fit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.capacity import (
    CapacityProblem,
    CapacityTrend,
    by_urgency,
    forecast_series,
    series_name,
    series_sums,
)
from bot.domain.metric_reports import Series

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)


def hourly(labels: dict[str, str], value_on_day: float, per_day: float, *, days: int = 30) -> Series:
    """A series of one point an hour: `value_on_day + per_day × days since START`."""
    points = tuple(
        (START + timedelta(hours=h), value_on_day + per_day * h / 24) for h in range(days * 24 + 1)
    )
    return Series(labels=labels, points=points)


def test_a_series_is_named_by_its_instance_and_any_other_label_it_kept() -> None:
    assert series_name("disk", {"instance": "web-1:9100"}, instance_label="instance") == "disk on web-1:9100"
    labels = {"__name__": "x", "node": "db-1", "mountpoint": "/data", "device": "sdb"}
    assert series_name("disk", labels, instance_label="node") == "disk (device=sdb, mountpoint=/data) on db-1"
    assert series_name("memory", {}, instance_label="instance") == "memory"


def test_sums_skip_gaps_and_count_days_from_the_origin() -> None:
    points = ((START, 10.0), (START + timedelta(hours=12), math.nan), (START + timedelta(days=2), 14.0))
    sums = series_sums(points, origin=START)
    assert (sums.n, sums.sx, sums.sy, sums.sxx) == (2, 2.0, 24.0, 4.0)


def test_each_instance_gets_its_own_date_and_a_flat_one_none() -> None:
    rising = hourly({"instance": "web-1"}, 60.25, 0.5)  # 75.25 % at the month's end
    flat = hourly({"instance": "db-1"}, 40.0, 0.0)
    trends, problem = forecast_series(
        "disk", [flat, rising], instance_label="instance", origin=START, now=END, threshold=90
    )
    assert problem is None
    web, db = sorted(trends, key=lambda t: t.resource, reverse=True)
    assert web.resource == "disk on web-1" and web.per_day == pytest.approx(0.5)
    assert web.latest == pytest.approx(75.25)
    assert web.reaches_at is not None
    assert abs(web.reaches_at - datetime(2026, 10, 30, 12, tzinfo=UTC)) < timedelta(seconds=1)
    assert db.resource == "disk on db-1" and db.reaches_at is None and not db.in_sight(END)


def test_the_horizon_decides_what_is_in_sight() -> None:
    rising = hourly({"instance": "web-1"}, 60.25, 0.5)
    trends, _ = forecast_series(
        "memory", [rising], instance_label="instance", origin=START, now=END, threshold=95, horizon_days=30
    )
    assert trends[0].days_left(END) == pytest.approx(39.5) and not trends[0].in_sight(END)
    assert trends[0].horizon_days == 30


def test_nothing_to_fit_is_a_problem_to_tell_not_an_empty_part() -> None:
    none, problem = forecast_series(
        "disk", [], instance_label="instance", origin=START, now=END, threshold=90
    )
    assert none == [] and problem == CapacityProblem("disk", "the query returned no series")
    single = Series({"instance": "web-1"}, ((START, 50.0), (START + timedelta(hours=1), math.nan)))
    none, problem = forecast_series(
        "memory", [single], instance_label="instance", origin=START, now=END, threshold=95
    )
    assert none == [] and problem is not None
    assert problem.reason == "no series has values at two different times to fit a line (1 returned)"


def test_the_soonest_threshold_comes_first_and_those_never_reaching_it_last() -> None:
    def trend(name: str, days: float | None) -> CapacityTrend:
        return CapacityTrend(name, 50.0, 0.1, 90.0, None if days is None else END + timedelta(days=days))

    found = by_urgency([trend("b", None), trend("c", 40), trend("a", None), trend("d", 3)])
    assert [t.resource for t in found] == ["d", "c", "a", "b"]
