"""Digest statistics: changes, ranking, noisy rules, incident targets, least-squares capacity projection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.capacity import Sums, capacity_trend, fit_line, fit_sums
from bot.domain.digests import (
    Change,
    GroupStat,
    RuleNoise,
    changes_by_severity,
    fill_buckets,
    noisy_rules,
    rank_issues,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_changes_against_the_period_before() -> None:
    assert Change(42, 36).describe("last week") == "42 (▲ 17 % vs 36 last week)"
    assert Change(3, 6).describe() == "3 (▼ 50 % vs 6 before)"
    assert Change(0, 0).describe() == "0"
    assert Change(5, 0).describe("last week") == "5 (none last week)"
    changes = changes_by_severity({"critical": 2}, {"info": 1})
    assert list(changes) == ["critical", "warning", "info"]
    assert changes["critical"] == Change(2, 0) and changes["info"] == Change(0, 1)


def test_top_issues_rank_by_severity_then_count_then_time_firing() -> None:
    groups = [
        GroupStat("a", "A", "warning", 50, 100),
        GroupStat("b", "B", "critical", 2, 10),
        GroupStat("c", "C", "critical", 2, 99),
        GroupStat("d", "D", "info", 500, 1e6),
    ]
    assert [g.key for g in rank_issues(groups)] == ["c", "b", "a"]


def test_noisy_rules_need_enough_alerts_and_a_high_false_positive_rate() -> None:
    rules = [
        RuleNoise("Flappy", total=10, noise=2, quick_unacked=6),
        RuleNoise("Rare", total=2, noise=2, quick_unacked=0),
        RuleNoise("Real", total=20, noise=0, quick_unacked=3),
        RuleNoise("Half", total=4, noise=1, quick_unacked=1),
    ]
    found = noisy_rules(rules)
    assert [r.alertname for r in found] == ["Flappy", "Half"]
    assert found[0].false_positive_rate == pytest.approx(0.8)


def test_least_squares_fit_from_sums() -> None:
    points = [(float(x), 10 + 2 * x) for x in range(10)]
    fit = fit_line(fit_sums(points))
    assert fit is not None
    assert fit.slope == pytest.approx(2) and fit.intercept == pytest.approx(10)
    assert fit_line(Sums(1, 0, 1, 0, 0)) is None
    assert fit_line(fit_sums([(3.0, 1.0), (3.0, 2.0)])) is None  # one time only: no slope


def test_capacity_projects_the_critical_date_and_flags_it_under_90_days() -> None:
    start = NOW - timedelta(days=30)
    growing = fit_sums([(d, 70 + 0.5 * d) for d in range(30)])  # 85 % by now, +0.5 %/day
    trend = capacity_trend("disk /", growing, origin=start, now=NOW, threshold=90)
    assert trend is not None and trend.per_day == pytest.approx(0.5)
    assert trend.reaches_at is not None
    assert trend.days_left(NOW) == pytest.approx(10, abs=0.01)
    assert trend.flagged(NOW)
    slow = capacity_trend(
        "memory", fit_sums([(d, 50 + 0.1 * d) for d in range(30)]), origin=start, now=NOW, threshold=95
    )
    assert slow is not None and not slow.flagged(NOW)
    flat = capacity_trend(
        "memory", fit_sums([(d, 50.0) for d in range(30)]), origin=start, now=NOW, threshold=95
    )
    assert flat is not None and flat.reaches_at is None and not flat.flagged(NOW)


def test_buckets_fill_missing_days_with_zero() -> None:
    starts = [NOW + timedelta(days=i) for i in range(3)]
    found = fill_buckets(starts, [(0, "critical", 2), (2, "info", 5), (-1, "info", 9)])
    assert found.counts["critical"] == (2, 0, 0)
    assert found.counts["info"] == (0, 0, 5)
    assert found.counts["warning"] == (0, 0, 0)
