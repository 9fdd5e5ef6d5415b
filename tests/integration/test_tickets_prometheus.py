"""Measured impact against a real Prometheus scraping itself, with the windows shortened to seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.domain.tickets import Verdict
from bot.server import RunningServer, start_server
from bot.services import tickets
from sandbox import SlackPlayer
from storage import tickets as store
from storage.tickets import Ticket
from tests.conftest import SIGNING_SECRET
from tests.support.prom import running_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]


@pytest.fixture
def kpi_comparison() -> str:
    """The KPI's direction ("<": lower is better); parametrized where the verdict depends on it."""
    return "<"


@pytest.fixture
def bot_config(kpi_comparison: str) -> dict[str, Any]:
    return {
        "kpis": [
            {
                # A counter that grows with every scrape of Prometheus by itself: the window after `done`
                # always averages higher than the one before `start`, so the verdict is known in advance.
                "name": "samples_appended",
                "title": "Samples appended to the head block",
                "promql": "sum(prometheus_tsdb_head_samples_appended_total)",
                "target": 1e12 if kpi_comparison == "<" else 1,
                "comparison": kpi_comparison,
                "unit": "count",
            }
        ],
        "tickets": {
            "baseline_window_seconds": 30,
            "after_window_seconds": 3,
            "refresh_seconds": 1,
            "raw_query_lower_is_better": False,
        },
    }


@pytest.fixture
async def opsbot_on_prometheus(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[RunningServer]:
    async with running_prometheus(tmp_path) as prom:
        async with asyncio.timeout(30):
            await prom.wait_for_query("count_over_time(prometheus_tsdb_head_samples_appended_total[1m]) > 2")
        deps = build_deps(make_settings(PROMETHEUS_URL=prom.url))
        server = await start_server(deps, host="127.0.0.1", port=0)
        try:
            yield server
        finally:
            await server.close()


@pytest.fixture
async def player(opsbot_on_prometheus: RunningServer, sandbox: Any) -> AsyncIterator[SlackPlayer]:
    async with SlackPlayer(
        sandbox.workspace,
        bot_url=f"{opsbot_on_prometheus.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        sandbox_url=sandbox.url,
    ) as playing:
        yield playing


async def stored_when(server: RunningServer, number: int, ready: Callable[[Ticket], bool]) -> Ticket:
    """Wait until the outbox job has stored the measurement (jobs run after the command's reply)."""
    async with asyncio.timeout(30):
        while True:
            ticket = await store.get(server.deps.db, number)
            if ticket is not None and ready(ticket):
                return ticket
            await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("kpi_comparison", "verdict", "mark"),
    [("<", Verdict.WORSE, "🔴 worse"), (">", Verdict.BETTER, "✅ better")],
)
async def test_baseline_and_after_are_measured_and_shown(
    opsbot_on_prometheus: RunningServer, player: SlackPlayer, sandbox: Any, verdict: Verdict, mark: str
) -> None:
    server, ws = opsbot_on_prometheus, sandbox.workspace
    await player.slash("/ticket", "new Trim label cardinality impact=high effort=low metric=samples_appended")
    await ws.wait_for_message("general", contains="opened TKT-1")
    await player.slash("/ticket", "start 1")
    await ws.wait_for_message("general", contains="Measuring the baseline")
    started = await stored_when(server, 1, lambda t: t.baseline_at is not None)
    assert started.measure_error is None and started.baseline_value is not None
    assert started.baseline_value > 0
    await player.slash("/ticket", "show 1", user="bob")
    before = ws.message_text(await ws.wait_for_ephemeral(user="bob", contains="Measured impact"))
    assert "before " in before and "after: measured once the ticket is done" in before
    await player.slash("/ticket", "done 1 dropped two labels")
    await ws.wait_for_message("general", contains="finished TKT-1")
    done = await stored_when(server, 1, lambda t: t.after_final)
    assert done.measure_error is None and done.after_value is not None
    assert done.baseline_value == started.baseline_value
    assert done.after_value > done.baseline_value  # the counter only grows
    await player.slash("/ticket", "show 1", user="carol")
    shown = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="Measured impact"))
    assert "→ after" in shown and "(so far)" not in shown
    assert [m for m in ("✅ better", "🔴 worse", "➖ unchanged") if m in shown] == [mark]
    await player.slash("/ticket", "registry", user="carol")
    listed = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="Optimization registry"))
    assert "TKT-1" in listed and "Samples appended to the head block" in listed
    now = server.deps.clock()
    entries = await tickets.registry(server.deps, now - timedelta(hours=1), now + timedelta(seconds=1))
    assert [e.number for e in entries] == [1]
    impact = entries[0].impact
    assert impact is not None and impact.change is not None
    assert impact.lower_is_better is (verdict is Verdict.WORSE)
    assert (impact.before, impact.after) == (done.baseline_value, done.after_value)
    assert impact.change.verdict is verdict


async def test_raw_promql_follows_the_configured_direction(
    opsbot_on_prometheus: RunningServer, player: SlackPlayer, sandbox: Any
) -> None:
    server, ws = opsbot_on_prometheus, sandbox.workspace
    await player.slash("/ticket", 'new "Keep the scrape up" metric="up{job=\\"prometheus\\"}"')
    await ws.wait_for_message("general", contains="opened TKT-1")
    await player.slash("/ticket", "done 1")  # never started: the baseline is the window before done
    done = await stored_when(server, 1, lambda t: t.after_final and t.baseline_at is not None)
    assert (done.baseline_value, done.after_value) == (1.0, 1.0)
    view = await tickets.get(server.deps, 1)
    assert view.measured is not None and view.measured.lower_is_better is False
    assert view.measured.change is not None and view.measured.change.verdict is Verdict.UNCHANGED
