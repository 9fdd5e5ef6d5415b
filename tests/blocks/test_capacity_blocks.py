"""The deep dive's capacity part: dates as of the month's end, the horizon, and a line for what could not be
forecast (one when every resource failed alike), outside text escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.blocks.digest_parts import capacity_part
from bot.blocks.digests import render_digest
from bot.domain.capacity import HOST_SAMPLES, CapacityProblem, CapacityTrend
from bot.domain.digest_periods import month_period
from bot.domain.digests import (
    AlertSection,
    Change,
    IncidentStats,
    MonthlyDigest,
    TicketSummary,
    fill_buckets,
)
from sandbox.blockkit import validate_blocks

MONTH = month_period(date(2026, 9, 1), "UTC")
NO_INCIDENTS = IncidentStats({}, 0, 0, 0, 0)
PROMETHEUS = "Prometheus at http://127.0.0.1:9090"


def month(**fields: Any) -> MonthlyDigest:
    """September's deep dive, generated years later: the capacity part must read the same."""
    base = MonthlyDigest(
        team="ops",
        period=MONTH,
        alerts=AlertSection({s: Change(0, 0) for s in ("critical", "warning", "info")}, (), ()),
        incidents=NO_INCIDENTS,
        incidents_before=NO_INCIDENTS,
        kpis=(),
        tickets=TicketSummary(False),
        recurring=(),
        capacity=(),
        per_week_alerts=fill_buckets(MONTH.week_boundaries()[:-1], []),
        per_week_incidents=(0,) * (len(MONTH.week_boundaries()) - 1),
        kpi_weeks={},
        generated_at=datetime(2029, 1, 1, tzinfo=UTC),
    )
    return replace(base, **fields)


def trend(name: str, days_after_month: float | None, *, horizon: float = 365) -> CapacityTrend:
    reaches = None if days_after_month is None else MONTH.end + timedelta(days=days_after_month)
    return CapacityTrend(name, 75.25, 0.5, 90.0, reaches, horizon)


def test_dates_and_the_horizon_are_judged_from_the_months_end() -> None:
    digest = month(
        capacity=(trend("disk on web-1", 29.5), trend("memory on web-1", 200), trend("disk on db-1", None)),
        capacity_source=PROMETHEUS,
    )
    lines = capacity_part(digest).lines
    assert lines == (
        "• ⚠️ disk on web-1: 75.2 % now, +0.50 %/day — reaches 90 % around 2026-10-30",
        "• memory on web-1: 75.2 % now, +0.50 %/day — reaches 90 % around 2027-04-19",
        "• disk on db-1: 75.2 % now, +0.50 %/day — 90 % not within the 365-day horizon",
        "_Usage per instance from Prometheus at http://127.0.0.1:9090._",
    )
    shorter = month(capacity=(trend("memory on web-1", 200, horizon=90),))
    assert capacity_part(shorter).lines == (
        "• memory on web-1: 75.2 % now, +0.50 %/day — 90 % not within the 90-day horizon",
    )


def test_one_line_when_prometheus_failed_for_every_resource_else_one_each() -> None:
    down = "Prometheus at http://127.0.0.1:9090 did not answer within 10 s."
    both = (CapacityProblem("disk", down), CapacityProblem("memory", down))
    lines = capacity_part(month(capacity_problems=both, capacity_source=PROMETHEUS)).lines
    assert lines[0] == f"• Capacity forecast unavailable: {down}"
    assert len(lines) == 2 and "No host samples" not in lines[1]
    one = (CapacityProblem("memory", "Prometheus rejected the query: parse error <!here>"),)
    lines = capacity_part(month(capacity=(trend("disk on web-1", 29.5),), capacity_problems=one)).lines
    rejected = "Prometheus rejected the query: parse error &lt;!here&gt;"
    assert lines[1] == f"• Memory forecast unavailable: {rejected}"


def test_instance_labels_are_outside_text_and_many_series_are_capped_before_the_problems() -> None:
    hostile = tuple(trend(f"disk on <!channel> web-{i} *x*", 10 + i) for i in range(40))
    problem = (CapacityProblem("memory", "the query returned no series"),)
    digest = month(capacity=hostile, capacity_problems=problem, capacity_source=PROMETHEUS)
    lines = capacity_part(digest).lines
    assert "&lt;!channel&gt; web-0" in lines[0] and "<!channel>" not in "".join(lines)
    assert lines[10] == "… and 30 more series"
    assert lines[11] == "• Memory forecast unavailable: the query returned no series"
    assert validate_blocks(render_digest(digest)["blocks"]) == []


def test_host_samples_read_as_before() -> None:
    assert capacity_part(month(capacity_source=HOST_SAMPLES)).lines == ("No host samples this month.",)
    lines = capacity_part(month(capacity=(trend("disk /", 5),), capacity_source=HOST_SAMPLES)).lines
    assert lines == ("• ⚠️ disk /: 75.2 % now, +0.50 %/day — reaches 90 % around 2026-10-06",)
