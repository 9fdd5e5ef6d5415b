"""Alerts end to end: webhook in, routed, grouped messages out through the sandbox, buttons, escalation."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, resolved, send
from tests.support.outbox import wait_until_drained


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "routes": [{"match": ["team=payments"], "channel": "payments-oncall"}],
            "escalation": [{"after_minutes": 60}],
        }
    }


def top_level(sandbox: Any, channel: str) -> list[Any]:
    return sandbox.workspace.messages(channel)


async def test_severities_go_to_their_channels(opsbot: RunningServer, sandbox: Any) -> None:
    status, body = await send(
        opsbot.url,
        alert("DiskFull", severity="critical"),
        alert("SlowApi", severity="warning"),
        alert("Deploy", severity="info"),
        alert("Odd", severity="page"),
        alert("Checkout", team="payments"),
    )
    assert status == 200 and body["alerts"] == 5
    ws = sandbox.workspace
    assert "CRITICAL · DiskFull" in ws.message_text(
        await ws.wait_for_message("critical-alerts", contains="DiskFull")
    )
    await ws.wait_for_message("ops-alerts", contains="SlowApi")
    await ws.wait_for_message("ops-info", contains="Deploy")
    odd = await ws.wait_for_message("ops-alerts", contains="Odd")
    assert "Severity label `page` is not critical, warning or info: treated as warning" in ws.message_text(
        odd
    )
    await ws.wait_for_message("payments-oncall", contains="Checkout")
    # Every post is out (escalation timers set for later aside): none went astray to critical-alerts.
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    assert not any("Checkout" in ws.message_text(m) for m in top_level(sandbox, "critical-alerts"))


async def test_a_group_is_one_message_updated_in_place(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    alerts = [alert("HighErrorRate", job="api", instance=f"api-{i}", severity="warning") for i in range(3)]
    await send(opsbot.url, *alerts)
    message = await ws.wait_for_message("ops-alerts", contains="3 of 3")
    await send(opsbot.url, *alerts)  # Alertmanager's repeat
    await send(opsbot.url, *[resolved(a) for a in alerts])
    updated = await ws.wait_for_update("ops-alerts", message.ts, contains="RESOLVED")
    assert "Resolved by its source" in ws.message_text(updated)
    reply = await ws.wait_for_message("ops-alerts", contains=":white_check_mark: Resolved after")
    assert reply.thread_ts == message.ts and "<@" not in reply.text
    await wait_until_drained(opsbot.deps.db)
    assert len(top_level(sandbox, "ops-alerts")) == 1


async def test_new_alerts_joining_are_told_in_the_thread(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("QueueDepth", job="worker", instance="w1", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="QueueDepth")
    await send(opsbot.url, alert("QueueDepth", job="worker", instance="w2", severity="warning"))
    reply = await ws.wait_for_message("ops-alerts", contains="+1 new alert joined (2 firing)")
    assert reply.thread_ts == message.ts
    await ws.wait_for_update("ops-alerts", message.ts, contains="2 of 2")


async def test_acknowledge_snooze_and_resolve_buttons(
    opsbot: RunningServer, sandbox: Any, slack: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("PaymentsDown", job="payments"))
    message = await ws.wait_for_message("critical-alerts", contains="PaymentsDown")
    group = _group_id(message)
    assert (await slack.click(message, "alert_ack", user="alice")).status == 200
    acked = await ws.wait_for_update("critical-alerts", message.ts, contains="Acknowledged by <@U0ALICE>")
    assert "Acknowledge" not in [
        e["text"]["text"] for e in acked.blocks[-1]["elements"] if e["type"] == "button"
    ]
    await ws.wait_for_message("critical-alerts", contains="Acknowledged by alice")
    await slack.click(acked, "alert_snooze", user="bob", selected_option_value=f"4h:{group}")
    snoozed = await ws.wait_for_update("critical-alerts", message.ts, contains="Snoozed for")
    await ws.wait_for_message("critical-alerts", contains="Snoozed for 4h by bob")
    await slack.click(snoozed, "alert_resolve", user="carol")
    await ws.wait_for_update("critical-alerts", message.ts, contains="Resolved by hand by <@U0CAROL>")
    await slack.click(snoozed, "alert_more", user="carol", selected_option_value=f"noise:{group}")
    await ws.wait_for_update("critical-alerts", message.ts, contains="Marked as noise by <@U0CAROL>")


def _group_id(message: Any) -> str:
    return str(
        next(e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve")
    )


async def test_show_details_answers_only_the_clicker(opsbot: RunningServer, sandbox: Any, slack: Any) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, *[alert("NodeDown", job="node", instance=f"n{i}") for i in range(2)])
    message = await ws.wait_for_message("critical-alerts", contains="NodeDown")
    await slack.click(
        message, "alert_more", user="dave", selected_option_value=f"details:{_group_id(message)}"
    )
    details = await ws.wait_for_ephemeral(user="dave", contains="NodeDown")
    assert "instance=n0" in ws.message_text(details) and "instance=n1" in ws.message_text(details)


async def test_bad_payloads_get_400_naming_the_problem(opsbot: RunningServer) -> None:
    broken = alert("X")
    broken["status"] = "burning"
    status, body = await send(opsbot.url, broken)
    reason = 'alerts[0].status: expected "firing" or "resolved", got \'burning\''
    assert (status, body) == (400, {"error": reason})
    no_labels = alert("X")
    no_labels["labels"] = {}
    status, body = await send(opsbot.url, no_labels)
    assert (status, body) == (400, {"error": "alerts[0].labels: must not be empty"})


async def test_oncall_shows_now_and_next_and_takes_overrides(
    opsbot: RunningServer, sandbox: Any, slack: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "", user="alice", channel="general")
    shown = await ws.wait_for_ephemeral(user="alice", contains="Now:")
    assert "Next:" in ws.message_text(shown)
    await slack.slash("/oncall", "override <@U0DAVE|dave> 4h", user="alice", channel="general")
    await ws.wait_for_message("general", contains="<@U0DAVE> is on call until")
    await slack.slash("/oncall", "", user="bob", channel="general")
    now = await ws.wait_for_ephemeral(user="bob", contains="Now:")
    assert "*Now:* <@U0DAVE> (override)" in ws.message_text(now)
    await slack.slash("/oncall", "override dave soon", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="Use `/oncall override @user <duration>`")
