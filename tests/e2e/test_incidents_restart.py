"""A real `opsbot serve` process killed mid-incident and restarted on the same SQLite file: the incident's
timers are persisted, so they still fire, and fire once."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from storage.db import create_database
from tests.conftest import SIGNING_SECRET
from tests.support.outbox import wait_until_drained
from tests.support.processes import OpsbotProcesses

CONFIG = {
    "alerts": {"pace_per_channel_seconds": 0.02, "escalation": []},
    "delivery": {"lease_seconds": 5},  # the killed replica's lane and job are free again 5 s later
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
    opsbot_processes: OpsbotProcesses, sandbox: Any, bot_database_url: str
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
    db = create_database(bot_database_url)
    try:
        # Every due job is done, the killed replica's in-flight one too: once its 5 s lease has run out,
        # the restarted replica re-runs it. Reminders go on meanwhile, one per 12 s interval.
        await wait_until_drained(db, due_by=datetime.now(UTC), within=45)
    finally:
        await db.dispose()
    assert count(ws, channel.name, "the response target ends in") == 1
    assert count(ws, channel.name, "missed its response target") == 1
    asks = [float(m.ts) for m in ws.messages(channel.name) if "Time for a status update" in m.text]
    assert asks and all(later - earlier > 10 for earlier, later in itertools.pairwise(asks)), asks
    assert sum(c.name.startswith("inc-") for c in ws.channels.values()) == 1
