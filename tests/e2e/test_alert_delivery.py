"""Delivery that loses nothing: Slack faults during a burst, a storm, and kill -9 right after the 200."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from bot.server import RunningServer
from storage.db import create_database
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained
from tests.support.processes import OpsbotProcesses

pytestmark = pytest.mark.calendar_free


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.05, "escalation": []}}


def alertnames(sandbox: Any, channel: str) -> Counter[str]:
    found = Counter[str]()
    for message in sandbox.workspace.messages(channel):
        match = re.search(r"· (Burst\d+)", sandbox.workspace.message_text(message))
        if match:
            found[match.group(1)] += 1
    return found


async def wait_for_count(sandbox: Any, channel: str, expected: int, *, within: float = 30) -> None:
    await sandbox.workspace.wait_until(
        lambda: True if sum(alertnames(sandbox, channel).values()) >= expected else None,
        timeout=within,
        describe=lambda: f"{dict(alertnames(sandbox, channel))}",
    )


async def test_429s_and_500s_during_a_burst_still_deliver_every_alert_once(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.set_rate_limit(5.0, burst=2)
    ws.inject_faults(3, kind="500", methods={"chat.postMessage"})
    ws.inject_faults(3, kind="429", methods={"chat.postMessage"}, retry_after=1)
    for i in range(8):
        status, _ = await send(opsbot.url, alert(f"Burst{i}", severity="warning"))
        assert status == 200
    await wait_for_count(sandbox, "ops-alerts", 8)
    await wait_until_drained(opsbot.deps.db, within=30)  # retries included: nothing left to post twice
    assert alertnames(sandbox, "ops-alerts") == Counter({f"Burst{i}": 1 for i in range(8)})
    statuses = Counter(c.status for c in ws.calls if c.method == "chat.postMessage")
    assert statuses[500] == 3 and statuses[429] >= 3


async def test_kill_9_right_after_the_200_loses_nothing(
    opsbot_processes: OpsbotProcesses, sandbox: Any, bot_database_url: str
) -> None:
    ws = sandbox.workspace
    ws.inject_faults(10_000, kind="500", methods={"chat.postMessage"})  # Slack is down: nothing gets out
    replica = await opsbot_processes.start()
    for i in range(5):
        status, _ = await send(replica.url, alert(f"Burst{i}", severity="warning"))
        assert status == 200
    replica.kill()
    await replica.process.wait()
    ws.faults.clear()  # Slack is back
    assert alertnames(sandbox, "ops-alerts") == Counter()
    await opsbot_processes.start()
    await wait_for_count(sandbox, "ops-alerts", 5, within=45)  # an in-flight job waits out its lease
    db = create_database(bot_database_url)
    try:
        await wait_until_drained(db, within=45)  # every job the killed replica left is done now
    finally:
        await db.dispose()
    assert alertnames(sandbox, "ops-alerts") == Counter({f"Burst{i}": 1 for i in range(5)})


async def test_a_lost_message_ts_is_found_again_instead_of_posting_twice(opsbot: Any, sandbox: Any) -> None:
    """A crash between chat.postMessage and storing its ts: the retry finds the message by its marker."""
    from datetime import timedelta

    from sqlalchemy import update

    from storage.models import AlertGroup

    ws = sandbox.workspace
    firing = alert("Burst1", severity="warning", job="api")
    await send(opsbot.url, firing)
    first = await ws.wait_for_message("ops-alerts", contains="Burst1")
    async with opsbot.deps.db.transaction() as session:
        await session.execute(update(AlertGroup).values(slack_ts=None, slack_channel_id=None))
    later = opsbot.deps.clock() + timedelta(minutes=2)
    opsbot.deps.clock = lambda: later  # past a job lease: an earlier try may have posted
    await send(opsbot.url, alert("Burst1", severity="warning", job="api", instance="second"))
    await ws.wait_for_update("ops-alerts", first.ts, contains="2 of 2")
    await wait_until_drained(opsbot.deps.db)
    assert alertnames(sandbox, "ops-alerts") == Counter({"Burst1": 1})
