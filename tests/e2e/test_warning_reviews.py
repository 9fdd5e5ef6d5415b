"""Review deadlines end to end: a warning nobody reviewed is reminded at its deadline, in its thread and by
DM to the on-call, once per firing; an acknowledged one is not."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlmodel import select

from bot.server import RunningServer
from bot.services import review_deadlines
from bot.services.oncall import who_is_on_call
from sandbox import Message
from storage.models import AlertGroup
from tests.support.alertmanager import alert, resolved, send
from tests.support.outbox import wait_until_drained

REVIEW_SECONDS = 3.0  # the review deadline: long enough to acknowledge one warning first, even on a busy CI


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0BOB", "U0CAROL"], "handoff": "daily"},
        "alerts": {"pace_per_channel_seconds": 0.02, "warning_review_minutes": REVIEW_SECONDS / 60},
    }


def reminders(ws: Any) -> list[Message]:
    return [m for m in ws.messages("ops-alerts", include_replies=True) if ":hourglass:" in m.text]


def direct_messages(ws: Any) -> list[Message]:
    return [m for c in list(ws.channels.values()) if c.is_im for m in ws.messages(c.id)]


async def test_an_unreviewed_warning_is_reminded_at_its_deadline_and_an_acknowledged_one_is_not(
    opsbot: RunningServer, sandbox: Any, slack: Any
) -> None:
    ws = sandbox.workspace
    sent = time.time()
    backlog = alert("QueueBacklog", job="queue", severity="warning")
    await send(opsbot.url, backlog)
    await send(opsbot.url, alert("CacheMisses", job="cache", severity="warning"))
    cache = await ws.wait_for_message("ops-alerts", contains="CacheMisses")
    await slack.click(cache, "alert_ack", user="alice")
    await ws.wait_for_update("ops-alerts", cache.ts, contains="Acknowledged by")
    # the alert's own message, not its reminder (a busy machine may have posted that already)
    message = await ws.wait_for_message(
        "ops-alerts", contains="QueueBacklog", predicate=lambda m: m.thread_ts is None
    )

    reminder = await ws.wait_for_message("ops-alerts", contains=":hourglass:", timeout=15)
    assert reminder.thread_ts == message.ts and float(reminder.ts) - sent >= REVIEW_SECONDS
    oncall = (await who_is_on_call(opsbot.deps))[0].user
    assert (
        f"<@{oncall}>" in reminder.text and "*QueueBacklog* is a warning nobody has reviewed" in reminder.text
    )
    dm = await ws.wait_for_message(f"@{oncall}", contains=":hourglass:")  # the DM, linking the thread
    assert "Warning *QueueBacklog* has waited" in dm.text and f"p{message.ts.replace('.', '')}" in dm.text

    await wait_until_drained(opsbot.deps.db)  # the acknowledged warning's reminder is gone, not just late
    assert len(reminders(ws)) == 1 and len(direct_messages(ws)) == 1
    assert not [m for m in ws.thread("ops-alerts", cache.ts) if ":hourglass:" in m.text]

    # A retry of the done job (another replica, say) finds the reminder sent: nobody is reminded twice.
    async with opsbot.deps.db.sessions() as session:
        found = await session.execute(select(AlertGroup).where(AlertGroup.alertname == "QueueBacklog"))
        group = found.scalar_one()
    assert group.id is not None and group.episode_id is not None
    await review_deadlines.remind(opsbot.deps, group.id, episode_id=group.episode_id, retried=True)
    assert len(reminders(ws)) == 1 and len(direct_messages(ws)) == 1

    # Firing again is a new firing with a deadline of its own: one more reminder, in the same thread.
    await send(opsbot.url, resolved(backlog))
    await ws.wait_for_update("ops-alerts", message.ts, contains="RESOLVED")
    await send(opsbot.url, alert("QueueBacklog", job="queue", severity="warning"))
    await ws.wait_until(
        lambda: True if len(reminders(ws)) == len(direct_messages(ws)) == 2 else None,
        timeout=15,
        describe=lambda: f"no second reminder: {[m.text for m in reminders(ws) + direct_messages(ws)]}",
    )
    assert reminders(ws)[-1].thread_ts == message.ts
