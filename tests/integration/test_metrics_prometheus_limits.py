"""The series cap against a real Prometheus: an answer wider than `prometheus.max_series` is refused, with
the hint to aggregate, whether Prometheus cuts it at `limit` (3.x) or sends it all (2.x)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.prom import running_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]
MAX_SERIES = 5


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"prometheus": {"max_series": MAX_SERIES}}


@pytest.fixture
async def player(
    make_settings: Callable[..., Settings], tmp_path: Path, sandbox: Any
) -> AsyncIterator[SlackPlayer]:
    """opsbot reading from a Prometheus that scrapes itself (hundreds of series under job "prometheus")."""
    async with running_prometheus(tmp_path) as prom:
        async with asyncio.timeout(30):
            await prom.wait_for_query('up{job="prometheus"} == 1')
        server: RunningServer = await start_server(
            build_deps(make_settings(PROMETHEUS_URL=prom.url)), host="127.0.0.1", port=0
        )
        try:
            async with SlackPlayer(
                sandbox.workspace,
                bot_url=f"{server.url}/slack/events",
                signing_secret=SIGNING_SECRET,
                sandbox_url=sandbox.url,
            ) as playing:
                yield playing
        finally:
            await server.close()


async def test_an_answer_wider_than_the_series_cap_is_refused(player: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await player.slash("/metrics", 'query count by (__name__) ({job="prometheus"})')
    refusal = ws.message_text(await ws.wait_for_ephemeral(contains="series", timeout=15))
    assert f"more than {MAX_SERIES} series" in refusal and "prometheus.max_series" in refusal
    await player.slash("/metrics", 'query count({job="prometheus"})')  # aggregated: one series
    await ws.wait_for_ephemeral(contains="1 series for count", timeout=15)
