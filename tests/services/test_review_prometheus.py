"""The review checklist's Prometheus items against a stand-in Prometheus: the configured queries with the
period's length, asked at the period's end and the one before; a Prometheus that is down, hung, garbled or
empty costs each item a line, never the digest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.blocks.digests import render_digest, render_text
from bot.config import load_settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import Period, month_period, week_period
from bot.domain.review_checklist import Finding
from bot.services import digest_runs, digests, review_prometheus
from sandbox.blockkit import validate_blocks
from storage.migrate import upgrade
from tests.support.fake_prometheus import FakePrometheus, fake_prometheus
from tests.support.hung_server import hung_server
from tests.support.prom import free_port

pytestmark = pytest.mark.calendar_free

WEEK = week_period(date(2026, 11, 11), "UTC")  # 9–15 November 2026
OCTOBER = month_period(date(2026, 10, 15), "UTC")
NOW = datetime(2026, 11, 16, 9, tzinfo=UTC)
SOURCES = {
    "error_logs": 'sum by (service) (increase(log_messages_total{level="error"}[$__range]))',
    "ai_api_cost": {"promql": "sum(increase(ai_api_cost_dollars_total[$__range]))", "unit": "USD"},
    "ai_api_requests": "sum(increase(ai_api_requests_total[$__range]))",
}
Ask = Callable[..., Awaitable[dict[str, Finding]]]


def grows_from(previous: float, current: float) -> Callable[[Mapping[str, str], float], float]:
    """`previous` at the previous period's end (the week's start), `current` at its end."""
    return lambda labels, at: previous if at < WEEK.end.timestamp() - 3600 else current


@pytest.fixture
async def prometheus() -> AsyncIterator[FakePrometheus]:
    async with fake_prometheus() as fake:
        fake.series = [{"service": "api"}]
        fake.value_at = grows_from(1055, 1234)
        yield fake


@pytest.fixture
async def make_deps(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Callable[..., Deps]]:
    """Deps with PROMETHEUS_URL set to `url` (None: unset) and `sources` configured (no KPIs)."""
    await asyncio.to_thread(upgrade, sqlite_url)
    made: list[Deps] = []

    def build(url: str | None, sources: dict[str, Any], **config: Any) -> Deps:
        path = tmp_path / "opsbot.yml"
        digests_config = {"enabled": False, "sources": sources}
        path.write_text(yaml.safe_dump({"digests": digests_config, "kpis": [], **config}))
        environ = {"OPSBOT_DATABASE_URL": sqlite_url, "OPSBOT_CONFIG": str(path)}
        environ |= {"PROMETHEUS_URL": url} if url else {}
        made.append(build_deps(load_settings(environ), clock=lambda: NOW))
        return made[-1]

    yield build
    for deps in made:
        await deps.close()


@pytest.fixture
def ask(make_deps: Callable[..., Deps]) -> Ask:
    """The Prometheus source's findings for a period."""

    async def findings(
        url: str | None, sources: dict[str, Any], period: Period = WEEK, **config: Any
    ) -> dict[str, Finding]:
        deps = make_deps(url, sources, **config)
        return dict(await review_prometheus.findings(deps, digest_runs.team(deps, None), period))

    return findings


async def test_each_configured_query_is_asked_with_the_weeks_length_at_its_end_and_the_one_before(
    prometheus: FakePrometheus, ask: Ask
) -> None:
    found = await ask(prometheus.url, SOURCES)
    assert set(found) == {"error_logs", "ai_api_costs", "cost_analysis"}
    assert found["error_logs"].lines == ("*Error log lines:* 1,234 (▲ 17 % vs 1,055 last week)",)
    assert found["ai_api_costs"].lines == (
        "*AI API cost:* 1,234 USD (▲ 17 % vs 1,055 USD last week)",
        "*AI API requests:* 1,234 (▲ 17 % vs 1,055 last week)",
        "*Cost per request:* 1 USD (= last week)",
    )
    assert found["cost_analysis"].summary == "AI API cost 1,234 USD"
    assert sorted(prometheus.queries()) == [
        'sum by (service) (increase(log_messages_total{level="error"}[604800s]))',
        "sum(increase(ai_api_cost_dollars_total[604800s]))",  # asked once for both items
        "sum(increase(ai_api_requests_total[604800s]))",
    ]
    assert {(float(r["start"]), float(r["end"]), r["step"]) for r in prometheus.requests} == {
        (WEEK.start.timestamp(), WEEK.end.timestamp(), "604800s")
    }


async def test_without_prometheus_nothing_is_answered_and_the_items_say_how_to_add_a_source(
    ask: Ask, make_deps: Callable[..., Deps]
) -> None:
    assert await ask(None, SOURCES) == {}
    deps = make_deps(None, SOURCES)
    text = render_text(await digests.build_weekly(deps, digest_runs.team(deps, None), WEEK))
    errors = text.split("[ ] Error logs from the past week")[1].split("[ ]")[0]
    assert "No source configured — add digests.sources.error_logs (a PromQL query" in errors


async def test_several_series_are_listed_largest_first_with_hostile_labels_escaped(
    prometheus: FakePrometheus, ask: Ask
) -> None:
    prometheus.series = [{"service": f"svc-{n:02d}"} for n in range(12)] + [{"service": "<!channel>"}]
    prometheus.value_at = lambda labels, at: (
        500.0 if labels["service"] == "<!channel>" else float(labels["service"][-2:])
    )
    lines = (await ask(prometheus.url, {"error_logs": SOURCES["error_logs"]}))["error_logs"].lines
    assert lines[0] == "*Error log lines* (13 series):"
    assert lines[1] == '• `{service="&lt;!channel&gt;"}` 500 (= last week)'
    assert lines[2] == '• `{service="svc-11"}` 11 (= last week)'
    assert lines[-1] == "… and 3 more"


async def test_the_month_reads_postgres_exporter_by_default_and_says_so_when_it_is_not_there(
    prometheus: FakePrometheus, ask: Ask
) -> None:
    prometheus.series = []
    found = await ask(prometheus.url, {}, OCTOBER)
    assert set(found) == {"database_performance", "query_optimization"}
    assert found["database_performance"].lines[0].startswith("_No postgres_exporter series in Prometheus — ")
    assert not found["query_optimization"].has_data
    month = "[2678400s]"  # October's 31 days
    assert all(month in query and "$__range" not in query for query in prometheus.queries())
    assert "sum(avg_over_time(pg_stat_database_numbackends[2678400s]))" in prometheus.queries()
    assert await ask(prometheus.url, {}, WEEK) == {}  # the weekly review has no database item


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("garbage", "sent an answer that is not a query result."),
        ("no result", "sent an answer that is not a query result."),
        ("error", "failed (500): opening storage failed"),
    ],
)
async def test_a_garbled_answer_costs_each_item_a_line(
    prometheus: FakePrometheus, ask: Ask, broken: str, reason: str
) -> None:
    prometheus.broken = broken
    found = await ask(prometheus.url, SOURCES)
    said = f"Prometheus at {prometheus.url} {reason}"
    assert found["error_logs"].lines == (f"_⚠️ Error log lines: {said}_",)
    assert found["ai_api_costs"].lines == (f"_⚠️ AI API cost, AI API requests: {said}_",)
    assert not found["ai_api_costs"].has_data and found["ai_api_costs"].summary == said


async def test_a_query_prometheus_refuses_names_its_config_key(prometheus: FakePrometheus, ask: Ask) -> None:
    prometheus.broken = "bad query"
    found = await ask(prometheus.url, {"revenue": "sum(revenue_dollars_total"}, OCTOBER)
    assert found["revenue"].lines == (
        "_⚠️ Revenue: Prometheus rejected the query: 1:9: parse error: unexpected &lt;EOF&gt; "
        "(`digests.sources.revenue`)_",
    )


async def test_a_prometheus_that_is_down_or_hangs_gets_a_line_within_its_time_out(ask: Ask) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    found = await ask(down, SOURCES)
    assert found["error_logs"].lines == (
        f"_⚠️ Error log lines: Prometheus at {down} did not answer: the connection failed (ConnectionError)._",
    )
    async with hung_server() as hung:
        async with asyncio.timeout(20):
            found = await ask(hung.url, SOURCES, prometheus={"query_timeout_seconds": 0.5})
    assert found["ai_api_costs"].lines == (
        f"_⚠️ AI API cost, AI API requests: Prometheus at {hung.url} did not answer within 0.5 s._",
    )


async def test_the_weekly_digest_shows_the_numbers_within_block_kit_limits(
    prometheus: FakePrometheus, make_deps: Callable[..., Deps]
) -> None:
    deps = make_deps(prometheus.url, SOURCES)
    digest = await digests.build_weekly(deps, digest_runs.team(deps, None), WEEK)
    text = render_text(digest)
    assert "Error log lines: 1,234 (▲ 17 % vs 1,055 last week)" in text.split("[ ] Error logs")[1]
    assert "Cost per request: 1 USD" in text.split("[ ] AI API costs")[1]
    assert validate_blocks(render_digest(digest)["blocks"]) == []
