"""Incident clocks with shortened targets: warnings, breaches, status-update reminders; retries and
double clicks never duplicate; who may declare or resolve; declaring from a critical alert."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from tests.support.alertmanager import alert, send
from tests.support.incidents import incident_channel
from tests.support.outbox import wait_until_drained

SECONDS = 1 / 60  # one second, in the minutes the configuration counts in


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.01, "escalation": []},
        "incidents": {
            "warn_at_fraction": 0.5,
            "levels": {
                "sev1": {
                    "respond_minutes": 5 * SECONDS,
                    "resolve_minutes": 10 * SECONDS,
                    "reminder_minutes": 2 * SECONDS,
                },
                "sev2": {"respond_minutes": 60 * SECONDS, "resolve_minutes": 4 * SECONDS},
            },
            "permissions": {"declare_sev2": ["U0BOB"], "resolve": ["U0ALICE", "U0BOB"]},
        },
    }


async def dm_with(ws: Any, user_id: str) -> Any:
    return await ws.wait_until(
        lambda: next((c for c in ws.channels.values() if c.is_im and c.im_user == user_id), None),
        timeout=5,
        describe=lambda: f"no DM with {user_id}",
    )


def count(ws: Any, channel: str, text: str) -> int:
    return sum(text in ws.message_text(m) for m in ws.messages(channel, include_replies=True))


async def test_sev1_warns_breaches_and_reminds_until_resolved(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Database corruption", user="alice")
    channel = await incident_channel(ws, 1)
    await slack.slash("/incident", "assign commander <@U0BOB>", user="alice", channel=channel.name)
    await ws.wait_for_message(channel.name, contains="response target ends in", timeout=10)
    breach = await ws.wait_for_message(
        channel.name, contains="INC-1 (SEV1) missed its response target", timeout=10
    )
    assert "Nobody has acknowledged it yet" in breach.text
    await ws.wait_for_message((await dm_with(ws, "U0BOB")).id, contains="missed its response target")
    await ws.wait_for_message(channel.name, contains="Time for a status update on INC-1", timeout=10)
    await ws.wait_for_message(channel.name, contains="missed its resolution target", timeout=15)
    await slack.slash("/incident", "resolve All good again", user="bob", channel=channel.name)
    resolved = await ws.wait_for_message(channel.name, contains="resolved INC-1 after")
    # Resolving cancels every clock and the reminder: the outbox empties, so no job is left to remind.
    await wait_until_drained(opsbot.deps.db)
    late = [
        m
        for m in ws.messages(channel.name)
        if "Time for a status update" in m.text and float(m.ts) > float(resolved.ts) + 0.5
    ]
    assert late == []  # (one already on its way as the incident was resolved may still land)
    assert count(ws, channel.name, "missed its response target") == 1
    assert count(ws, channel.name, "missed its resolution target") == 1


async def test_acknowledging_stops_the_response_clock(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 Login broken", user="bob")
    channel = await incident_channel(ws, 1)
    await slack.slash("/incident", "ack", user="alice", channel=channel.name)
    await ws.wait_for_message(channel.name, contains="acknowledged INC-1 after")
    await ws.wait_for_message(channel.name, contains="missed its resolution target", timeout=15)
    assert count(ws, channel.name, "response target") == 0
    header = await ws.wait_for_message(
        channel.name, contains="Declared by", predicate=lambda m: bool(m.pinned_to)
    )
    overdue = await ws.wait_for_update(channel.name, header.ts, contains="*Resolve*\n:warning: overdue")
    assert "*Respond*\nmet" in ws.message_text(overdue)


async def test_a_retried_command_and_a_double_click_do_not_duplicate(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Payments failing", user="alice")
    await slack.slash("/incident", "declare sev1 Payments failing", user="alice", retry_num=1)
    await ws.wait_for_ephemeral(user="alice", contains="INC-1 was declared already")
    channel = await incident_channel(ws, 1)
    header = await ws.wait_for_message(
        channel.name, contains="Declared by", predicate=lambda m: bool(m.pinned_to)
    )
    await asyncio.gather(*(slack.click(header, "incident_ack", user="bob") for _ in range(2)))
    await ws.wait_for_message(channel.name, contains="acknowledged INC-1 after")
    await slack.slash("/incident", "", user="alice", channel="general")
    form = await ws.wait_for_view(user="alice", callback_id="incident_declare")
    values = {"incident_title": "Checkout down", "incident_severity": "1"}
    await asyncio.gather(slack.submit_view(form, values), slack.submit_view(form, values, retry_num=1))
    await incident_channel(ws, 2)
    # No positive signal exists for the duplicates: the second click and the retried submission run after
    # their ack and, done right, leave no trace at all. Give them a moment, then let what they queued go out.
    await asyncio.sleep(0.5)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    assert count(ws, channel.name, "acknowledged INC-1 after") == 1
    assert sum(c.name.startswith("inc-") for c in ws.channels.values()) == 2
    assert count(ws, "incidents", "Payments failing") == 1
    assert count(ws, "critical-alerts", "Checkout down") == 1


async def test_only_the_configured_people_declare_sev2_or_resolve(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 Error rate 7%", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="You may not declare SEV2 incidents. Ask <@U0BOB>")
    await slack.slash("/incident", "", user="carol")
    form = await ws.wait_for_view(user="carol", callback_id="incident_declare")
    await slack.submit_view(form, {"incident_title": "Error rate 7%", "incident_severity": "2"})
    errors = await ws.wait_for_event("view_errors")
    assert "You may not declare SEV2" in errors["errors"]["incident_severity"]
    await slack.slash("/incident", "declare sev3 Error rate 2%", user="carol")
    await ws.wait_for_message("incidents", contains="Error rate 2%")
    await slack.slash("/incident", "resolve 1 fixed", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="You may not resolve incidents")
    ws.ephemerals.clear()
    await slack.slash("/incident", "resolve 1", user="carol")  # told before the form, not after it
    await ws.wait_for_ephemeral(user="carol", contains="You may not resolve incidents")
    assert not any(v.callback_id == "incident_resolve_modal" for v in ws.views.values())
    assert "resolved" not in ws.message_text(await ws.wait_for_message("incidents", contains="Error rate 2%"))


async def test_declare_from_a_critical_alert_links_the_alert(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    critical = alert("PaymentsDown", severity="critical", job="payments")
    critical["annotations"] = {"summary": "payment success below 50%"}
    await send(opsbot.url, critical)
    message = await ws.wait_for_message("critical-alerts", contains="PaymentsDown")
    await slack.click(message, "alert_declare_incident", user="alice")
    form = await ws.wait_for_view(user="alice", callback_id="incident_declare")
    shown = str(form.blocks)
    assert "PaymentsDown: payment success below 50%" in shown and "SEV1 · Critical" in shown
    await slack.submit_view(
        form, {"incident_title": "PaymentsDown: payment success below 50%", "incident_severity": "1"}
    )
    channel = await incident_channel(ws, 1)
    header = await ws.wait_for_message(
        channel.name, contains="this alert", predicate=lambda m: bool(m.pinned_to), timeout=8
    )
    assert f"/archives/{message.channel}/p{message.ts.replace('.', '')}" in ws.message_text(header)
    reply = await ws.wait_for_message(
        "critical-alerts", contains="Incident INC-1 (SEV1) declared for this alert"
    )
    assert reply.thread_ts == message.ts
    # the thread names who declared, as it names who acknowledged (no raw ID, no mention pinging them)
    acked = await ws.wait_for_message("critical-alerts", contains="by declaring INC-1")
    assert "by alice" in ws.message_text(acked) and "U0ALICE" not in ws.message_text(acked)


async def test_a_timer_notice_slack_failed_to_take_is_posted_once_slack_is_back(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Ledger drift", user="alice")
    channel = await incident_channel(ws, 1)
    ws.inject_faults(9, kind="500", methods={"chat.postMessage"})  # Slack fails every try for a while
    await ws.wait_for_message(channel.name, contains="the response target ends in", timeout=30)
    await ws.wait_for_message(channel.name, contains="missed its response target", timeout=30)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # retries of both notices done
    assert count(ws, channel.name, "the response target ends in") == 1
    assert count(ws, channel.name, "missed its response target") == 1
