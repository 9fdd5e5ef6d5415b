"""The review checklists' Prometheus items against a real Prometheus holding a backfilled autumn of every
configured source (error logs, payments, AI API cost and requests, hosting, a security feed, code hotspots,
sign-ups, feature usage, revenue, churn) and of postgres_exporter: `opsbot digest weekly|monthly --dry-run`
print each section's numbers, this period's against the one before.

Counters are sampled daily at noon, so no sample sits on a period's edge: Prometheus's increase() over the
period then extrapolates six days of increments (thirty in a month) to the whole period, which for a counter
rising at a steady rate per day is exactly the period's days times that rate."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.integration.test_capacity_prometheus import opsbot_command
from tests.support.prom import running_prometheus
from tests.support.prom_history import Gauge

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

FIRST_DAY, LAST_DAY = date(2026, 8, 30), date(2026, 11, 15)
OCTOBER, NOVEMBER_1, NOVEMBER_9 = date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 9)
# Daily rates (or gauge values) in the four phases the reviews compare: September (the month before
# October), October (`digest monthly --for 2026-10-15`), the week before week 46, and week 46 (9–15 November,
# `digest weekly --for 2026-11-11`).
Rates = tuple[float, float, float, float]
SOURCES: dict[str, Any] = {
    "error_logs": 'sum by (service) (increase(log_messages_total{level="error"}[$__range]))',
    "payment_success": {
        "promql": '100 * sum(increase(payments_total{status="ok"}[$__range]))'
        " / sum(increase(payments_total[$__range]))",
        "unit": "%",
    },
    "ai_api_cost": {"promql": "sum(increase(ai_api_cost_dollars_total[$__range]))", "unit": "USD"},
    "ai_api_requests": "sum(increase(ai_api_requests_total[$__range]))",
    "hosting_cost": {"promql": "sum(increase(hosting_cost_dollars_total[$__range]))", "unit": "USD"},
    "security_feed": "sum by (severity) (trivy_image_vulnerabilities)",
    "code_hotspots": {
        "promql": "topk(5, sum by (handler) (increase(http_request_duration_seconds_sum[$__range])))",
        "unit": "s",
    },
    "user_growth": "sum(increase(signups_total[$__range]))",
    "feature_usage": "topk(10, sum by (feature) (increase(feature_used_total[$__range])))",
    "revenue": {"promql": "sum(increase(revenue_dollars_total[$__range]))", "title": "MRR", "unit": "USD"},
    "churn": "sum(increase(subscriptions_cancelled_total[$__range]))",
    # postgres_exporter's series are read by default queries: no entry for them
}


def phase(day: date, rates: Rates) -> float:
    if day < OCTOBER:
        return rates[0]
    if day < NOVEMBER_1:
        return rates[1]
    return rates[2] if day < NOVEMBER_9 else rates[3]


def noons() -> list[tuple[date, datetime]]:
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    return [(day, datetime(day.year, day.month, day.day, 12, tzinfo=UTC)) for day in days]


def counter(name: str, labels: Mapping[str, str], rates: Rates) -> Gauge:
    """A counter rising by the day's rate from one noon to the next (well above zero: no extrapolation to
    zero at a period's start)."""
    value, samples = 100 * max(rates), []
    for day, noon in noons():
        samples.append((noon, value))
        value += phase(day, rates)
    return Gauge(name, labels, samples)


def gauge(name: str, labels: Mapping[str, str], values: Rates) -> Gauge:
    return Gauge(name, labels, [(noon, phase(day, values)) for day, noon in noons()])


def autumn() -> list[Gauge]:
    errors, payments = "log_messages_total", "payments_total"
    statements = "pg_stat_statements_seconds_total"
    return [
        counter(errors, {"level": "error", "service": "api"}, (0, 0, 150, 180)),
        counter(errors, {"level": "error", "service": "web"}, (0, 0, 20, 10)),
        counter(errors, {"level": "info", "service": "api"}, (0, 0, 5000, 5000)),
        counter(payments, {"status": "ok"}, (0, 0, 990, 970)),
        counter(payments, {"status": "failed"}, (0, 0, 10, 30)),
        counter("ai_api_cost_dollars_total", {"model": "large"}, (30, 40, 56, 50)),
        counter("ai_api_requests_total", {"model": "large"}, (0, 0, 1400, 2500)),
        counter("hosting_cost_dollars_total", {"provider": "cloud"}, (80, 90, 90, 100)),
        # a vulnerability scanner's gauge, read at each week's end (midnight)
        Gauge("trivy_image_vulnerabilities", {"severity": "critical"}, weekly_edges(4, 1)),
        Gauge("trivy_image_vulnerabilities", {"severity": "high"}, weekly_edges(7, 9)),
        counter("http_request_duration_seconds_sum", {"handler": "/checkout"}, (100, 120, 0, 0)),
        counter("http_request_duration_seconds_sum", {"handler": "/search"}, (50, 40, 0, 0)),
        counter("signups_total", {}, (30, 40, 0, 0)),
        counter("feature_used_total", {"feature": "export"}, (10, 20, 0, 0)),
        counter("feature_used_total", {"feature": "search"}, (100, 110, 0, 0)),
        counter("revenue_dollars_total", {"plan": "pro"}, (1000, 1100, 0, 0)),
        counter("subscriptions_cancelled_total", {"plan": "pro"}, (2, 3, 0, 0)),
        gauge("pg_stat_database_numbackends", {"datname": "app"}, (10, 12, 12, 12)),
        gauge("pg_stat_database_numbackends", {"datname": "analytics"}, (3, 3, 3, 3)),
        counter("pg_stat_database_blks_hit", {"datname": "app"}, (960, 990, 0, 0)),
        counter("pg_stat_database_blks_read", {"datname": "app"}, (40, 10, 0, 0)),
        counter(statements, {"datname": "app", "user": "api", "queryid": "111"}, (30, 36, 0, 0)),
        counter(statements, {"datname": "app", "user": "report", "queryid": "222"}, (300, 360, 0, 0)),
    ]


def weekly_edges(before: float, now: float) -> list[tuple[datetime, float]]:
    """The scanner's count at the end of the week before week 46 and at the end of week 46."""
    return [(datetime(2026, 11, 9, tzinfo=UTC), before), (datetime(2026, 11, 16, tzinfo=UTC), now)]


async def dry_runs(tmp_path: Path, *, sandbox_api: str, database: str, config: Path) -> tuple[str, str]:
    """`opsbot digest weekly --dry-run` for week 46 and `monthly --dry-run` for October, against a real
    Prometheus holding autumn()'s series; the two texts."""
    async with running_prometheus(tmp_path, history=autumn()) as prom:
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox_api,
            "OPSBOT_DATABASE_URL": database,
            "OPSBOT_CONFIG": str(config),
            "PROMETHEUS_URL": prom.url,
        }
        code, weekly = await opsbot_command(["digest", "weekly", "--for", "2026-11-11", "--dry-run"], environ)
        assert code == 0, weekly
        code, monthly = await opsbot_command(
            ["digest", "monthly", "--for", "2026-10-15", "--dry-run"], environ
        )
        assert code == 0, monthly
    return weekly, monthly


def section(out: str, title: str) -> str:
    """The lines of one checklist item in `opsbot digest --dry-run`'s text."""
    underlined = f"[ ] {title}\n{'-' * len(f'[ ] {title}')}\n"
    return out.split(underlined)[1].split("\n\n")[0]


async def test_each_prometheus_item_of_both_reviews_shows_its_numbers(
    sandbox: Any, sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "opsbot.yml"
    setup = {"host_checks": {"enabled": False}, "alerts": {"escalation": []}, "kpis": []}
    config.write_text(yaml.safe_dump({**setup, "digests": {"sources": SOURCES}}))
    weekly, monthly = await dry_runs(
        tmp_path, sandbox_api=sandbox.api_url, database=sqlite_url, config=config
    )
    assert "⚠️" not in weekly + monthly, weekly + monthly
    # week 46 (7 days of each rate) against the week before
    assert section(weekly, "Error logs from the past week").splitlines() == [
        "Error log lines (2 series):",
        '• {service="api"} 1,260 (▲ 20 % vs 1,050 last week)',
        '• {service="web"} 70 (▼ 50 % vs 140 last week)',
    ]
    assert section(weekly, "Payment success rates") == "Payment success rate: 97 % (▼ 2 % vs 99 % last week)"
    assert section(weekly, "AI API costs").splitlines() == [
        "AI API cost: 350 USD (▼ 11 % vs 392 USD last week)",
        "AI API requests: 17,500 (▲ 79 % vs 9,800 last week)",
        "Cost per request: 0.02 USD (▼ 50 % vs 0.04 USD last week)",
    ]
    assert section(weekly, "Cost analysis").splitlines() == [
        "Hosting cost: 700 USD (▲ 11 % vs 630 USD last week)",
        "AI API cost: 350 USD (▼ 11 % vs 392 USD last week)",
        "Total: 1,050 USD (▲ 3 % vs 1,022 USD last week)",
    ]
    # the feed's lines first: the outdated dependencies (another source) may follow them
    assert section(weekly, "Security updates").splitlines()[:3] == [
        "Security findings (2 series):",
        '• {severity="high"} 9 (▲ 29 % vs 7 last week)',
        '• {severity="critical"} 1 (▼ 75 % vs 4 last week)',
    ]
    # October (31 days of each rate) against the 31 days before
    assert section(monthly, "Database performance analysis").splitlines() == [
        "Connections (average): 15 (▲ 15 % vs 13 last month)",
        "Cache hit ratio: 99 % (▲ 3 % vs 96 % last month)",
    ]
    assert section(monthly, "Query optimization opportunities").splitlines() == [
        "Slowest statements by total time (2 series):",
        '• {datname="app", queryid="222", user="report"} 11,160 s (▲ 20 % vs 9,300 s last month)',
        '• {datname="app", queryid="111", user="api"} 1,116 s (▲ 20 % vs 930 s last month)',
    ]
    assert section(monthly, "Code hotspot analysis").splitlines() == [
        "Code hotspots (2 series):",
        '• {handler="/checkout"} 3,720 s (▲ 20 % vs 3,100 s last month)',
        '• {handler="/search"} 1,240 s (▼ 20 % vs 1,550 s last month)',
    ]
    assert section(monthly, "User growth trends") == "Sign-ups: 1,240 (▲ 33 % vs 930 last month)"
    assert section(monthly, "Feature usage analysis").splitlines() == [
        "Feature usage (2 series):",
        '• {feature="search"} 3,410 (▲ 10 % vs 3,100 last month)',
        '• {feature="export"} 620 (▲ 100 % vs 310 last month)',
    ]
    assert section(monthly, "Revenue metrics") == "MRR: 34,100 USD (▲ 10 % vs 31,000 USD last month)"
    assert section(monthly, "Churn analysis") == "Cancellations: 93 (▲ 50 % vs 62 last month)"
    assert section(monthly, "Budget review (API costs, hosting)").splitlines() == [
        "AI API cost: 1,240 USD (▲ 33 % vs 930 USD last month)",
        "Hosting cost: 2,790 USD (▲ 12 % vs 2,480 USD last month)",
        "Total: 4,030 USD (▲ 18 % vs 3,410 USD last month)",
    ]
