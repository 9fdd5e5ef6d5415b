"""Quiet by design: flapping stays in one message, and a snooze that ends while firing says so once."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "escalation": [],
            "snooze_choices": ["2s", "1h"],
            "flapping_changes": 3,
            "flapping_window_minutes": 60,
        }
    }


async def test_a_flapping_group_stays_in_one_quiet_message(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    firing = alert("Flappy", job="api", severity="warning")
    resolved = {**firing, "status": "resolved"}
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("ops-alerts", contains="Flappy")
    for change in (resolved, firing, resolved, firing):
        await send(opsbot.url, change)
    await ws.wait_for_update("ops-alerts", message.ts, contains="Flapping: firing and resolving repeatedly")
    await ws.wait_for_message("ops-alerts", contains=":repeat: Flapping (")
    await send(opsbot.url, resolved)
    await send(opsbot.url, firing)
    await ws.wait_for_update("ops-alerts", message.ts, contains="Firing since")
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # every reply they imply is out
    replies = [m.text for m in ws.thread("ops-alerts", message.ts)[1:]]
    assert len(ws.messages("ops-alerts")) == 1
    assert sum("Flapping" in r for r in replies) == 1
    assert len(replies) <= 4, replies


async def test_a_snooze_that_ends_while_firing_is_told_once(
    opsbot: RunningServer, sandbox: Any, slack: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("Sleepy", job="api", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="Sleepy")
    group = next(e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve")
    await slack.click(message, "alert_snooze", user="alice", selected_option_value=f"2s:{group}")
    await ws.wait_for_update("ops-alerts", message.ts, contains=":zzz: Snoozed for")
    ended = await ws.wait_for_message(
        "ops-alerts", contains="Snooze ended and it is still firing", timeout=10
    )
    assert ended.thread_ts == message.ts
    await ws.wait_until(
        lambda: True if "Snoozed for" not in ws.message_text(ws.message("ops-alerts", message.ts)) else None,
        timeout=5,
        describe=lambda: "the message still says it is snoozed",
    )
    await wait_until_drained(opsbot.deps.db)
    thread = [ws.message_text(m) for m in ws.thread("ops-alerts", message.ts)[1:]]
    assert sum("Snooze ended and it is still firing" in text for text in thread) == 1, thread
