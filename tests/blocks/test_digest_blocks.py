"""Digest rendering: within Block Kit's limits however much history there is, and as terminal text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.blocks.digests import render_digest, render_text
from bot.domain.capacity import CapacityTrend
from bot.domain.digest_periods import month_period, week_period
from bot.domain.digests import (
    AlertSection,
    Change,
    GroupStat,
    IncidentStats,
    KpiSummary,
    MonthlyDigest,
    RecurringProblem,
    Response,
    RuleNoise,
    TicketSummary,
    WeeklyDigest,
    fill_buckets,
)
from bot.domain.incident_report import IncidentFacts
from bot.domain.kpis import Comparison, Kpi, trend
from bot.domain.review_checklist import WEEKLY_ITEMS, Finding, ItemSpec, no_source
from sandbox.blockkit import validate_blocks

WEEK = week_period(date(2026, 11, 18), "Europe/Berlin")
LONG = "X" * 400
LATENCY = Kpi("latency_p95", "API latency p95", "q", unit="ms", target=2000, comparison=Comparison.BELOW)
UPTIME = Kpi("uptime", "Uptime", "q", unit="%", target=99.9, comparison=Comparison.ABOVE)


def alerts(n: int) -> AlertSection:
    return AlertSection(
        by_severity={"critical": Change(12_345, 10_000), "warning": Change(0, 3), "info": Change(5, 0)},
        top_names=tuple((f"{LONG}{i}", 1000 - i) for i in range(n)),
        noisiest=tuple(GroupStat(f"{LONG}{i}", f"{LONG}{i}", "warning", 999, 1e7) for i in range(n)),
    )


def incident(i: int) -> IncidentFacts:
    at = WEEK.start + timedelta(hours=i)
    return IncidentFacts(
        number=i, title=LONG, level=1 + i % 4, level_name="Critical", status="resolved", declared_at=at,
        declared_by="U1", respond_due=at + timedelta(minutes=5), resolve_due=at + timedelta(hours=1),
        acked_at=at + timedelta(minutes=3 + i % 5), resolved_at=at + timedelta(minutes=50 + i),
    )  # fmt: skip


def weekly(n: int) -> WeeklyDigest:
    return WeeklyDigest(
        team="payments",
        period=WEEK,
        alerts=alerts(n),
        kpis=(
            KpiSummary(
                LATENCY, 2400.0, 1800.0, date(2026, 11, 18), 3100.0, trend(2400.0, 1800.0, LATENCY.comparison)
            ),
            KpiSummary(UPTIME, None, problem="no data"),
        ),
        incidents=tuple(incident(i) for i in range(n)),
        response=Response(n, n // 2, n, 420.0, 5400.0),
        noisy=tuple(RuleNoise(f"{LONG}{i}", 100, 50, 40) for i in range(n)),
        top_issues=tuple(GroupStat(f"{LONG}{i}", f"{LONG}{i}", "critical", 99, 3600) for i in range(3)),
        tickets=TicketSummary(
            True,
            active=40,
            opened=n,
            done=tuple(f"✅ {LONG}" for _ in range(n)),
            quick_wins_waiting=(LONG,) * n,
        ),
        per_day=fill_buckets(WEEK.day_boundaries()[:-1], [(0, "critical", 3), (6, "info", 1)]),
        kpi_source="this host (web-1)",
    )


def test_a_huge_week_stays_within_block_kit_limits() -> None:
    for n in (0, 1, 5, 500):
        payload = render_digest(weekly(n))
        assert validate_blocks(payload["blocks"]) == [], n
        assert len(payload["blocks"]) <= 50
        assert len(payload["text"]) <= 3000


def test_the_weekly_review_shows_each_part() -> None:
    text = "\n".join(b["text"]["text"] for b in render_digest(weekly(2))["blocks"] if "text" in b)
    assert "Weekly review · payments · week 47 (16 Nov – 22 Nov 2026)" in text
    assert "12345 (▲ 23 % vs 10000 last week)" in text
    assert "avg 2.4 s" in text and "▲ 33.3 % (worse)" in text and "worst day Wed 18 Nov: 3.1 s" in text
    assert "No data for Uptime" in text
    assert "*SEV1* INC-0" in text and "✅ met" in text
    assert "Mean time to acknowledge 7 min" in text
    assert "90% false positives" in text and "tune the threshold" in text


def test_top_issues_each_get_an_open_ticket_button() -> None:
    blocks = render_digest(weekly(1))["blocks"]
    buttons = [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"]
    assert len(buttons) == 3 and {b["text"]["text"] for b in buttons} == {"Open ticket"}


def test_the_text_renderer_prints_the_same_view_without_mrkdwn() -> None:
    text = render_text(weekly(1))
    assert text.startswith("Weekly review · payments · week 47")
    assert "\n🚨 Firings\n---------" in text
    assert "Total 12350" in text and "*Total*" not in text


def test_a_huge_month_stays_within_block_kit_limits() -> None:
    month = month_period(date(2026, 10, 1), "UTC")
    weeks = month.week_boundaries()
    digest = MonthlyDigest(
        team="ops",
        period=month,
        alerts=alerts(300),
        incidents=IncidentStats({1: 3, 2: 5, 3: 0, 4: 1}, 7, 9, 6, 8),
        incidents_before=IncidentStats({1: 1, 2: 5, 3: 2, 4: 0}, 0, 0, 0, 0),
        kpis=(KpiSummary(LATENCY, 1500.0, None),),
        tickets=TicketSummary(False),
        recurring=tuple(RecurringProblem(LONG, LONG, 5, 99) for _ in range(300)),
        capacity=tuple(
            CapacityTrend(f"disk /{LONG}{i}", 80.0, 0.5, 90.0, datetime(2026, 11, 20, tzinfo=UTC))
            for i in range(300)
        ),
        per_week_alerts=fill_buckets(weeks[:-1], []),
        per_week_incidents=(1, 2, 3, 4, 5),
        kpi_weeks={"latency_p95": (1.0, None, 2.0, 3.0, 4.0)},
        generated_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
    )
    payload = render_digest(digest)
    assert validate_blocks(payload["blocks"]) == []
    text = render_text(digest)
    assert "Monthly deep dive · ops · October 2026" in text
    assert "SEV1: 3 (▲ 200 % vs 1 last month)" in text
    assert "Response targets met: 78 % (before: –)" in text
    assert "⚠️ disk /" in text and "reaches 90 % around 2026-11-20" in text
    assert "The tickets feature is not installed." in text


def test_the_text_renderer_keeps_code_as_written_and_prints_every_item() -> None:
    digest = replace(weekly(0), findings={"error_logs": no_source(WEEKLY_ITEMS[0])})
    out = render_text(digest)
    assert "add digests.sources.error_logs (a PromQL query, e.g. sum by (service) (increase(" in out
    assert "level='error'}[$__range])))" in out
    for spec in WEEKLY_ITEMS:
        assert f"[ ] {spec.title}\n" in out


def test_an_italic_line_holding_code_prints_plain() -> None:
    line = "_No index — set `digests.dependencies.index_url` or `PIP_INDEX_URL`._"
    digest = replace(weekly(0), findings={"dependency_updates": Finding((line,))})
    assert "No index — set digests.dependencies.index_url or PIP_INDEX_URL.\n" in render_text(
        replace(digest, checklist=(*WEEKLY_ITEMS, ItemSpec("dependency_updates", "Deps", "x")))
    )


def test_a_date_slack_localises_prints_its_fallback() -> None:
    line = "done <!date^1794558600^{date_short_pretty} {time}|2026-11-13 08:30 UTC> by <@U1>"
    digest = replace(weekly(0), findings={"error_logs": Finding((line,))})
    assert "done 2026-11-13 08:30 UTC by <@U1>\n" in render_text(digest)
