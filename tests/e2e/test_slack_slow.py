"""Slack slow or timing out: alerts still arrive once. The nastiest case is a post Slack carries out but
answers too late: opsbot gives up, retries, and must find that message instead of posting a second."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import col, select

from bot.server import RunningServer
from sandbox import SlackPlayer
from storage.models import AlertGroup
from tests.support.alertmanager import alert, send
from tests.support.incidents import incident_channel
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "server": {"slack_timeout_seconds": 1},
        "alerts": {"pace_per_channel_seconds": 0.05},
        "incidents": {"levels": {"sev3": {"reminder_minutes": 6 / 60}}},  # a status reminder every 6 s
    }


async def stored_ts(opsbot: RunningServer, alertname: str, ts: str, *, within: float = 10) -> None:
    """Wait until the alert group has stored its message's ts (the sync after chat.postMessage answered)."""
    async with asyncio.timeout(within):
        while True:
            async with opsbot.deps.db.sessions() as session:
                found = await session.execute(
                    select(AlertGroup.slack_ts).where(col(AlertGroup.alertname) == alertname)
                )
                if found.scalar_one_or_none() == ts:
                    return
            await asyncio.sleep(0.05)  # polling the stored state: the signal the old fixed sleep guessed at


def posts(sandbox: Any, name: str) -> list[Any]:
    ws = sandbox.workspace
    return [m for m in ws.messages("critical-alerts") if f"· {name}" in ws.message_text(m)]


async def test_a_post_answered_after_the_timeout_is_updated_not_posted_again(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=3)
    status, _ = await send(opsbot.url, alert("SlowSlack"))
    assert status == 200
    first = await ws.wait_for_message("critical-alerts", contains="SlowSlack")
    await ws.wait_for_call("chat.update", timeout=20)  # the retry found the message by its block_id
    status, _ = await send(opsbot.url, alert("SlowSlack", status="resolved"))
    await ws.wait_for_update("critical-alerts", first.ts, contains="RESOLVED", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    assert [m.ts for m in posts(sandbox, "SlowSlack")] == [first.ts]
    assert any(c.method == "conversations.history" for c in ws.calls)


async def test_slow_answers_within_the_timeout_deliver_a_burst_once(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.inject_faults(4, kind="slow", delay=0.5)  # any method: lookups, posts and updates all lag
    for i in range(5):
        status, _ = await send(opsbot.url, alert(f"Lagging{i}"))
        assert status == 200
    for i in range(5):
        await ws.wait_for_message("critical-alerts", contains=f"Lagging{i}", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    assert all(len(posts(sandbox, f"Lagging{i}")) == 1 for i in range(5))


async def test_a_thread_reply_answered_after_the_timeout_is_not_repeated(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    status, _ = await send(opsbot.url, alert("SlowReply"))
    first = await ws.wait_for_message("critical-alerts", contains="SlowReply")
    await stored_ts(opsbot, "SlowReply", first.ts)  # the resolved reply then goes to this thread
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=3)  # the "Resolved" reply
    status, _ = await send(opsbot.url, alert("SlowReply", status="resolved"))
    assert status == 200
    await ws.wait_for_update("critical-alerts", first.ts, contains="RESOLVED", timeout=20)
    await ws.wait_for_call("conversations.replies", timeout=20)  # the retry looked for its reply
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    thread = ws.thread("critical-alerts", first.ts)
    replies = [m for m in thread if m.ts != first.ts and "Resolved" in ws.message_text(m)]
    assert len(replies) == 1


async def test_an_incident_update_is_posted_once_everywhere_when_slack_answers_one_copy_late(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Card payments failing", user="alice")
    channel = (await incident_channel(ws, 1)).name
    await ws.wait_for_message("critical-alerts", contains="Card payments failing")
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=3)  # the update's first copy
    await slack.slash("/incident", "update Rolled back the gateway config", user="alice", channel=channel)
    for place in (channel, "incidents", "critical-alerts"):
        await ws.wait_for_message(place, contains="Rolled back the gateway", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # the late copy's retry included
    for place in (channel, "incidents", "critical-alerts"):
        copies = [
            m
            for m in ws.messages(place, include_replies=True)
            if "Rolled back the gateway" in ws.message_text(m)
        ]
        assert len(copies) == 1, place


async def test_a_status_reminder_answered_late_is_not_asked_twice(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Search is stale", user="alice")
    header = await ws.wait_for_message("incidents", contains="Search is stale")
    await ws.wait_until(
        lambda: header.reply_count > 0 or None, timeout=10, describe=lambda: "no checklist in the thread"
    )
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=3)  # the first reminder
    await ws.wait_for_message("incidents", contains="Time for a status update", timeout=15)
    await ws.wait_for_call("conversations.replies", timeout=15)  # the retry looked for its reminder
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # the next reminder is 6 s away
    asks = [m for m in ws.thread("incidents", header.ts) if "Time for a status update" in ws.message_text(m)]
    assert len(asks) == 1
