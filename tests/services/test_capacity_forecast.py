"""The monthly deep dive's capacity forecast with PROMETHEUS_URL set, against a stand-in Prometheus: a date
per instance from the month's series, the configured queries and step, a clear line when Prometheus fails."""

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
from bot.domain.digest_periods import month_period
from bot.domain.digests import MonthlyDigest
from bot.services import digest_runs, digests
from sandbox.blockkit import validate_blocks
from storage.migrate import upgrade
from tests.support.fake_prometheus import FakePrometheus, fake_prometheus
from tests.support.hung_server import hung_server
from tests.support.prom import free_port

# opsbot runs on the test's own clock and reports a month of the past: no calendar reaches it
pytestmark = pytest.mark.calendar_free

SEPTEMBER = month_period(date(2026, 9, 15), "UTC")
NOW = datetime(2026, 10, 5, 9, tzinfo=UTC)  # the first Monday after it: the deep dive's day
START = SEPTEMBER.start.timestamp()


def rising_on_web_1(labels: Mapping[str, str], at: float) -> float:
    """web-1 fills by half a point a day from 60.25 %; everything else stays at 40 %."""
    days = (at - START) / 86400
    return 60.25 + 0.5 * days if labels.get("instance") == "web-1" else 40.0


@pytest.fixture
async def prometheus() -> AsyncIterator[FakePrometheus]:
    async with fake_prometheus() as fake:
        fake.series = [{"instance": "web-1"}, {"instance": "db-1 <!channel>"}]
        fake.value_at = rising_on_web_1
        yield fake


@pytest.fixture
async def deep_dive(
    sqlite_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[MonthlyDigest]]]:
    """Build September's deep dive with PROMETHEUS_URL set to the given URL and config over the defaults."""
    await asyncio.to_thread(upgrade, sqlite_url)
    made: list[Deps] = []

    async def build(url: str, config: dict[str, Any] | None = None) -> MonthlyDigest:
        path = tmp_path / "opsbot.yml"
        # no KPIs: every range query the stand-in sees is the forecast's (or the review checklist's pg_*)
        path.write_text(yaml.safe_dump({"digests": {"enabled": False}, "kpis": [], **(config or {})}))
        environ = {"OPSBOT_DATABASE_URL": sqlite_url, "OPSBOT_CONFIG": str(path), "PROMETHEUS_URL": url}
        deps = build_deps(load_settings(environ), clock=lambda: NOW)
        made.append(deps)
        return await digests.build_monthly(deps, digest_runs.team(deps, None), SEPTEMBER)

    yield build
    for deps in made:
        await deps.close()


def forecast_requests(prometheus: FakePrometheus) -> list[dict[str, str]]:
    """The range queries of the forecast; the review checklist also reads postgres_exporter's pg_* series."""
    return [r for r in prometheus.requests if "step" in r and "pg_stat" not in r["query"]]


def capacity_of(digest: MonthlyDigest) -> str:
    return render_text(digest).split("Plan infrastructure scaling")[1]


async def test_each_instance_gets_the_date_its_fill_rate_reaches_the_threshold(
    prometheus: FakePrometheus, deep_dive: Callable[..., Awaitable[MonthlyDigest]]
) -> None:
    digest = await deep_dive(prometheus.url)
    text = capacity_of(digest)
    # 75.25 % at the month's end, +0.5 %/day: 95 % (host_checks' critical disk rule) 39.5 days later
    assert "• ⚠️ disk on web-1: 75.2 % now, +0.50 %/day — reaches 95 % around 2026-11-09" in text
    assert "• ⚠️ memory on web-1: 75.2 % now, +0.50 %/day — reaches 95 % around 2026-11-09" in text
    assert "• disk on db-1 <!channel>: 40 % now, +0.00 %/day — 95 % not within the 365-day horizon" in text
    assert f"Usage per instance from Prometheus at {prometheus.url}." in text
    assert "unavailable" not in text
    blocks = render_digest(digest)["blocks"]
    assert validate_blocks(blocks) == []
    assert "db-1 &lt;!channel&gt;" in str(blocks) and "<!channel>" not in str(blocks)
    ranges = forecast_requests(prometheus)
    assert {r["query"] for r in ranges} == {
        'max by (instance) (100 * (1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}'
        ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}))',
        "max by (instance) (100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes))",
    }
    assert {(float(r["start"]), float(r["end"]), r["step"]) for r in ranges} == {
        (START, SEPTEMBER.end.timestamp(), "3600s")
    }


async def test_teams_map_their_own_metric_names_and_the_step_keeps_within_max_points(
    prometheus: FakePrometheus, deep_dive: Callable[..., Awaitable[MonthlyDigest]]
) -> None:
    prometheus.series = [{"node": "web-1", "mountpoint": "/data"}]
    prometheus.value_at = lambda labels, at: rising_on_web_1({"instance": "web-1"}, at)
    config = {
        "prometheus": {"max_points": 100},
        "digests": {
            "enabled": False,
            "capacity": {
                "instance_label": "node",
                "disk_promql": "max by (node, mountpoint) (disk_used_percent)",
                "memory_promql": "max by (node) (mem_used_percent)",
                "horizon_days": 20,
            },
        },
    }
    text = capacity_of(await deep_dive(prometheus.url, config))
    assert (
        "disk (mountpoint=/data) on web-1: 75.2 % now, +0.50 %/day — 95 % not within the 20-day horizon"
        in text
    )
    assert {r["query"] for r in forecast_requests(prometheus)} == {
        "max by (node, mountpoint) (disk_used_percent)",
        "max by (node) (mem_used_percent)",
    }
    # 30 days in at most 100 points a series: one every 25,920 s
    assert {r["step"] for r in forecast_requests(prometheus)} == {"25920s"}


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("garbage", "sent an answer that is not a query result."),
        ("no result", "sent an answer that is not a query result."),
        ("error", "failed (500): opening storage failed"),
    ],
)
async def test_a_prometheus_answering_garbage_gets_a_line_not_a_failed_digest(
    prometheus: FakePrometheus, deep_dive: Callable[..., Awaitable[MonthlyDigest]], broken: str, reason: str
) -> None:
    prometheus.broken = broken
    digest = await deep_dive(prometheus.url)
    text = capacity_of(digest)
    assert f"• Capacity forecast unavailable: Prometheus at {prometheus.url} {reason}" in text
    assert "now," not in text and "No host samples" not in text
    assert validate_blocks(render_digest(digest)["blocks"]) == []


async def test_a_prometheus_that_is_down_or_hangs_gets_a_line_within_its_time_out(
    deep_dive: Callable[..., Awaitable[MonthlyDigest]],
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    text = capacity_of(await deep_dive(down))
    assert (
        f"• Capacity forecast unavailable: Prometheus at {down} did not answer: the connection failed" in text
    )
    async with hung_server() as hung:
        config = {"prometheus": {"query_timeout_seconds": 0.5}}
        async with asyncio.timeout(20):
            text = capacity_of(await deep_dive(hung.url, config))
    assert f"Capacity forecast unavailable: Prometheus at {hung.url} did not answer within 0.5 s" in text


async def test_a_query_without_series_or_values_says_so(
    prometheus: FakePrometheus, deep_dive: Callable[..., Awaitable[MonthlyDigest]]
) -> None:
    prometheus.series = []
    text = capacity_of(await deep_dive(prometheus.url))
    assert "• Capacity forecast unavailable: the query returned no series" in text
    prometheus.series = [{"instance": "web-1"}]
    prometheus.value_at = lambda labels, at: float("nan")
    text = capacity_of(await deep_dive(prometheus.url))
    assert "unavailable: no series has values at two different times to fit a line (1 returned)" in text


async def test_a_query_prometheus_refuses_names_its_config_key(
    prometheus: FakePrometheus, deep_dive: Callable[..., Awaitable[MonthlyDigest]]
) -> None:
    prometheus.broken = "bad query"
    digest = await deep_dive(prometheus.url)
    text = capacity_of(digest)
    refused = "Prometheus rejected the query: 1:9: parse error: unexpected <EOF>"
    assert f"• Disk forecast unavailable: {refused} (digests.capacity.disk_promql)" in text
    assert f"• Memory forecast unavailable: {refused} (digests.capacity.memory_promql)" in text
    assert "unexpected &lt;EOF&gt; (digests.capacity.disk_promql)" in str(render_digest(digest)["blocks"])
