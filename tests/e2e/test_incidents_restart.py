"""A real `opsbot serve` process killed mid-incident and restarted on the same SQLite file: the incident's
timers are persisted, so they still fire, and fire once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import SIGNING_SECRET
from tests.support.processes import OpsbotProcesses

CONFIG = {
    "alerts": {"pace_per_channel_seconds": 0.02, "escalation": []},
    "incidents": {
        "levels": {"sev1": {"respond_minutes": 10 / 60, "resolve_minutes": 30, "reminder_minutes": 12 / 60}}
    },
}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return CONFIG


def count(ws: Any, channel: str, text: str) -> int:
    return sum(text in ws.message_text(m) for m in ws.messages(channel, include_replies=True))


async def test_timers_fire_once_after_a_kill_and_restart(
    opsbot_processes: OpsbotProcesses, sandbox: Any
) -> None:
    ws = sandbox.workspace
    first = await opsbot_processes.start()
    async with sandbox.player(bot_url=f"{first.url}/slack/events", signing_secret=SIGNING_SECRET) as slack:
        await slack.slash("/incident", "declare sev1 Ledger out of balance", user="alice")
        await ws.wait_for_message("critical-alerts", contains="Ledger out of balance", timeout=10)
    channel = next(c for c in ws.channels.values() if c.name.startswith("inc-1-"))
    first.kill()
    await first.process.wait()
    assert count(ws, channel.name, "response target") == 0
    await opsbot_processes.start()  # the same database: the timers were stored with the incident
    await ws.wait_for_message(channel.name, contains="the response target ends in", timeout=20)
    await ws.wait_for_message(channel.name, contains="missed its response target", timeout=20)
    await ws.wait_for_message(channel.name, contains="Time for a status update on INC-1", timeout=20)
    await asyncio.sleep(1.5)
    assert count(ws, channel.name, "the response target ends in") == 1
    assert count(ws, channel.name, "missed its response target") == 1
    assert count(ws, channel.name, "Time for a status update") == 1
    assert sum(c.name.startswith("inc-") for c in ws.channels.values()) == 1
