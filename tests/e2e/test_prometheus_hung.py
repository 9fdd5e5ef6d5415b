"""A hung Prometheus holds only its own threads: alerts still reach Slack, and /metrics users are told it
did not answer in time, instead of waiting for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send
from tests.support.hung_server import HungServer, hung_server

pytestmark = pytest.mark.calendar_free

THREADS = 2
TIMEOUT_SECONDS = 4
# Each /metrics overview asks for all eight packaged KPIs at once: four of them are 32 queries, as many as
# the largest default thread pool Python builds (min(32, cores + 4)); and twice as many commands as threads.
OVERVIEWS = 4


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0, "escalation": []},
        "prometheus": {"max_concurrent_queries": THREADS, "query_timeout_seconds": TIMEOUT_SECONDS},
    }


@pytest.fixture
async def prometheus() -> AsyncIterator[HungServer]:
    async with hung_server() as hung:
        yield hung


@pytest.fixture
async def opsbot(
    make_settings: Callable[..., Settings], sandbox: Any, prometheus: HungServer
) -> AsyncIterator[RunningServer]:
    """opsbot reading metrics from the hung Prometheus, and reaching the sandbox by name as it reaches
    slack.com: by a name, so every new connection to Slack needs a DNS look-up on the loop's default thread
    pool (aiohttp's ThreadedResolver) - the pool hung Prometheus queries used to fill."""
    settings = make_settings(
        PROMETHEUS_URL=prometheus.url, SLACK_API_URL=sandbox.api_url.replace("127.0.0.1", "localhost")
    )
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


@pytest.fixture
async def slack(opsbot: RunningServer, sandbox: Any) -> AsyncIterator[SlackPlayer]:
    """Slack's response_urls at the same name opsbot reaches the Web API by (opsbot answers only there)."""
    async with SlackPlayer(
        sandbox.workspace,
        bot_url=f"{opsbot.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        sandbox_url=sandbox.url.replace("127.0.0.1", "localhost"),
    ) as player:
        yield player


def timed_out(sandbox: Any) -> list[Any]:
    ws = sandbox.workspace
    said = f"did not answer within {TIMEOUT_SECONDS} s"
    return [e for e in ws.ephemerals if said in ws.message_text(e)]


async def test_an_alert_is_posted_while_prometheus_queries_hang(
    opsbot: RunningServer, slack: Any, sandbox: Any, prometheus: HungServer
) -> None:
    ws = sandbox.workspace
    users = ["alice", "bob", "carol", "alice"][:OVERVIEWS]
    for user in users:
        assert (await slack.slash("/metrics", "", user=user)).status == 200
    async with asyncio.timeout(30):
        await prometheus.wait_until_open(THREADS)

    status, _ = await send(opsbot.url, alert("DatabaseDown", severity="critical"))
    assert status == 200
    await ws.wait_for_message("critical-alerts", contains="DatabaseDown", timeout=30)
    # Posted while every Prometheus request is still held: none has ended, nobody has had an answer yet.
    assert (prometheus.open, prometheus.ended) == (THREADS, 0)
    assert timed_out(sandbox) == []

    await ws.wait_until(
        lambda: True if len(timed_out(sandbox)) == OVERVIEWS else None,
        timeout=30,
        describe=lambda: f"ephemerals: {[ws.message_text(e)[:100] for e in ws.ephemerals]}",
    )
    assert prometheus.most_open == THREADS  # never more queries at once than the source has threads
    assert {e.user for e in timed_out(sandbox)} == {ws.user(u).id for u in users}
