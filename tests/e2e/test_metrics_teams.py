"""/metrics with two teams: each team's KPI overview holds its own KPIs; a KPI name reaches any team's KPI,
and `/metrics <team> <kpi>` that team's."""

from __future__ import annotations

from typing import Any

import pytest

HOST = "e2e-web-1"


@pytest.fixture
def bot_config() -> dict[str, Any]:
    """Payments picks two top-level KPIs; search defines a KPI of its own and names one top-level one."""
    search_latency = {
        "name": "search_latency",
        "title": "Search latency p95",
        "promql": "histogram_quantile(0.95, sum by (le) (rate(search_seconds_bucket[5m])))",
        "target": 300,
        "unit": "ms",
    }
    return {
        "host_checks": {"host": HOST},
        "teams": [
            {"name": "payments", "match": ["team=payments"], "kpis": ["payment_success", "cpu"]},
            {"name": "search", "match": ["team=search"], "kpis": [search_latency, "memory"]},
        ],
    }


async def test_each_team_sees_its_own_kpi_overview(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    # `payments` is also the shortcut of the payment_success KPI: the team wins
    await slack.slash("/metrics", "payments")
    payments = ws.message_text(await ws.wait_for_ephemeral(contains="KPI overview — Payments", timeout=10))
    assert "Payment success rate" in payments and "CPU usage" in payments
    assert "Search latency p95" not in payments and "Memory usage" not in payments
    await slack.slash("/metrics", "search")
    search = ws.message_text(await ws.wait_for_ephemeral(contains="KPI overview — Search", timeout=10))
    assert "Search latency p95" in search and "Memory usage" in search
    assert "Payment success rate" not in search and "CPU usage" not in search
    await slack.slash("/metrics", "")
    default = ws.message_text(await ws.wait_for_ephemeral(contains="KPI overview — Operations", timeout=10))
    assert "API latency p95" in default and "Disk usage" in default and "Search latency p95" not in default


async def test_a_kpi_name_reaches_any_teams_kpi_and_a_team_narrows_it(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "search_latency 24h")  # search's own KPI, no team named
    answer = ws.message_text(await ws.wait_for_ephemeral(contains="Search latency p95", timeout=10))
    assert "needs Prometheus" in answer
    await slack.slash("/metrics", "search memory 15m")
    await ws.wait_for_ephemeral(contains="Memory usage", timeout=10)
    await slack.slash("/metrics", "payments search_latency")
    refused = ws.message_text(await ws.wait_for_ephemeral(contains="has no metric called", timeout=10))
    assert "Team `payments` has no metric called `search_latency`" in refused
    assert "`payment_success`" in refused and "`cpu`" in refused
    await slack.slash("/metrics", "team=nowhere")
    await ws.wait_for_ephemeral(contains="There is no team 'team=nowhere'", timeout=10)
