"""/metrics against a real Prometheus scraping itself and opsbot's own /metrics, through the Slack sandbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.prom import RunningPrometheus, free_port, running_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def prom_and_opsbot(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[tuple[RunningPrometheus, RunningServer]]:
    """Prometheus scraping opsbot (on a port chosen first), and opsbot reading from that Prometheus."""
    port = free_port()
    async with running_prometheus(tmp_path, scrape_targets=[f"127.0.0.1:{port}"]) as prom:
        settings = make_settings(PROMETHEUS_URL=prom.url)
        server = await start_server(build_deps(settings), host="127.0.0.1", port=port)
        try:
            async with asyncio.timeout(30):
                await prom.wait_for_query('up{job="scrape-1"} == 1')
                # a few seconds of history, so range queries have points on their step grid
                await prom.wait_for_query(
                    'count_over_time(opsbot_http_requests_total{job="scrape-1"}[1m]) > 4'
                )
            yield prom, server
        finally:
            await server.close()


@pytest.fixture
async def player(
    prom_and_opsbot: tuple[RunningPrometheus, RunningServer], sandbox: Any
) -> AsyncIterator[SlackPlayer]:
    _, server = prom_and_opsbot
    async with SlackPlayer(
        sandbox.workspace,
        bot_url=f"{server.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        sandbox_url=sandbox.url,
    ) as playing:
        yield playing


async def test_overview_reads_the_kpis_from_prometheus(
    prom_and_opsbot: tuple[RunningPrometheus, RunningServer], player: SlackPlayer, sandbox: Any
) -> None:
    prom, _ = prom_and_opsbot
    ws = sandbox.workspace
    await player.slash("/metrics")
    answer = ws.message_text(await ws.wait_for_ephemeral(contains="KPI overview", timeout=15))
    assert "✅ *Uptime*: 100 % · target > 99.9 % · _met_" in answer
    assert "*API latency p95*: no data" in answer  # nothing exports http_request_duration_seconds here
    assert f"source: Prometheus at {prom.url}" in answer
    assert "needs Prometheus" not in answer and "This host" not in answer


async def test_a_named_kpi_gets_numbers_and_a_chart(player: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    # Prometheus holds seconds of history: over 1m (a 1 s step) that is several points, enough for a chart
    await player.slash("/metrics", "uptime 1m", channel="general")
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files), timeout=15)
    file = ws.files[shared.files[0]["id"]]
    assert file.content.startswith(PNG_SIGNATURE) and len(file.content) > 10_000
    numbers = ws.message_text(await ws.wait_for_message("general", contains="Uptime — last 1m"))
    assert "100 % / 100 % / 100 %" in numbers and "Source: Prometheus at" in numbers
    await player.slash("/metrics", "latency")  # nothing exports request durations to this Prometheus
    empty = ws.message_text(await ws.wait_for_ephemeral(contains="API latency p95 — last 1h", timeout=15))
    assert "The query returned nothing" in empty and "histogram_quantile(0.95" in empty


async def test_raw_queries_as_table_and_as_chart(
    prom_and_opsbot: tuple[RunningPrometheus, RunningServer], player: SlackPlayer, sandbox: Any
) -> None:
    prom, server = prom_and_opsbot
    ws = sandbox.workspace
    await player.slash("/metrics", "query up &gt; 0")  # Slack escapes > in command text
    table = ws.message_text(await ws.wait_for_ephemeral(contains="PromQL query", timeout=15))
    assert f'{{instance="{prom.address}", job="prometheus"}}` → *1*' in table
    assert f'{{instance="{server.url.removeprefix("http://")}", job="scrape-1"}}` → *1*' in table
    await player.slash("/metrics", "query sum by (job) (opsbot_http_requests_total) 1m")
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files), timeout=15)
    assert ws.files[shared.files[0]["id"]].content.startswith(PNG_SIGNATURE)
    chart_numbers = ws.message_text(await ws.wait_for_message("general", contains="min/avg/max"))
    assert '{job="scrape-1"}' in chart_numbers
    await player.slash("/metrics", 'query up{job="nobody"}')
    await ws.wait_for_ephemeral(contains="No data: the query returned nothing", timeout=15)


async def test_bad_promql_shows_prometheus_own_parse_error(player: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await player.slash("/metrics", "query sum(rate(up[5m])")
    answer = ws.message_text(
        await ws.wait_for_ephemeral(contains="Prometheus rejected the query", timeout=15)
    )
    assert "parse error" in answer and "sum(rate(up[5m])" in answer


async def test_a_chart_where_opsbot_may_not_post_comes_as_numbers(player: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await player.slash("/metrics", "uptime 1m", channel="random", user="carol")
    answer = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="No chart", timeout=15))
    assert "not a member of this channel" in answer and "100 %" in answer
    assert not ws.messages("random")


async def test_a_stopped_prometheus_is_reported_within_seconds(
    prom_and_opsbot: tuple[RunningPrometheus, RunningServer], player: SlackPlayer, sandbox: Any
) -> None:
    prom, _ = prom_and_opsbot
    ws = sandbox.workspace
    await prom.stop()
    started = time.monotonic()
    await player.slash("/metrics")
    await ws.wait_for_ephemeral(
        contains=f"Prometheus at {prom.url} did not answer: the connection failed", timeout=8
    )
    assert time.monotonic() - started < 7
    await player.slash("/metrics", "latency 24h")
    await ws.wait_until(
        lambda: True if sum("did not answer" in ws.message_text(e) for e in ws.ephemerals) == 2 else None,
        timeout=8,
        describe=lambda: f"ephemerals: {[ws.message_text(e)[:80] for e in ws.ephemerals]}",
    )
