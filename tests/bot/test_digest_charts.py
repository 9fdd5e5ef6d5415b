"""Digest charts are PNGs: alerts per day by severity; weekly alerts, incidents and KPI trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digest_charts import alerts_by_severity, monthly_overview
from bot.domain.digests import fill_buckets

PNG = b"\x89PNG\r\n\x1a\n"
DAYS = [datetime(2026, 11, 16, tzinfo=UTC) + timedelta(days=i) for i in range(7)]


def test_alerts_per_day_by_severity() -> None:
    buckets = fill_buckets(DAYS, [(0, "critical", 3), (1, "warning", 10), (6, "info", 2)])
    assert alerts_by_severity(buckets, title="Alerts per day").startswith(PNG)
    assert alerts_by_severity(fill_buckets(DAYS, []), title="quiet week").startswith(PNG)


def test_monthly_overview_with_and_without_kpis() -> None:
    weeks = DAYS[:5]
    buckets = fill_buckets(weeks, [(2, "warning", 40)])
    kpis = {"latency_p95": (900.0, None, 950.0, 1000.0, 0.0)}
    assert monthly_overview(buckets, (1, 0, 2, 0, 1), kpis, title="October").startswith(PNG)
    assert monthly_overview(buckets, (0, 0, 0, 0, 0), {}, title="October").startswith(PNG)


def test_mathtext_in_names_and_titles_is_drawn_as_written() -> None:
    from bot.ticket_chart import matrix_chart

    bait = r"$\frac{x$ for $5"
    buckets = fill_buckets(DAYS[:5], [(2, "warning", 40)])
    assert monthly_overview(
        buckets, (1, 0, 2, 0, 1), {bait: (1.0, 2.0, 3.0, 4.0, 5.0)}, title=bait
    ).startswith(PNG)
    assert alerts_by_severity(buckets, title=bait).startswith(PNG)
    assert matrix_chart({"Quick Win": 1}, {"Quick Win": [bait]}, subtitle=bait).startswith(PNG)
