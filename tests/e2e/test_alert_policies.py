"""Alert policies end to end: who may act, escalation of unacknowledged criticals, webhook auth."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

STEP_SECONDS = 1.2  # each escalation step's delay


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0BOB", "U0CAROL"], "handoff": "daily"},
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "permissions": {"acknowledge": ["U0ALICE", "S0SRE"], "resolve": ["U0ALICE"]},
            "escalation": [
                {"after_minutes": STEP_SECONDS / 60, "target": "oncall"},
                {"after_minutes": STEP_SECONDS / 60, "target": "users", "ids": ["U0DAVE"]},
            ],
        },
    }


async def test_a_refused_user_is_told_why_and_nothing_changes(
    opsbot: RunningServer, sandbox: Any, slack: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("DbDown", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="DbDown")
    await slack.click(message, "alert_resolve", user="bob")
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not resolve alerts")
    assert "<@U0ALICE>" in ws.message_text(refusal)
    assert "RESOLVED" not in ws.message_text(ws.message("ops-alerts", message.ts))
    await slack.click(message, "alert_ack", user="alice")
    await ws.wait_for_update("ops-alerts", message.ts, contains="Acknowledged by <@U0ALICE>")


async def test_a_user_group_member_may_acknowledge(opsbot: RunningServer, sandbox: Any, slack: Any) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("QueueStuck", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="QueueStuck")
    await slack.click(message, "alert_ack", user="bob")  # not in the list, not in S0SRE
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not acknowledge alerts")
    assert "<!subteam^S0SRE>" in ws.message_text(refusal)
    await slack.click(message, "alert_ack", user="dave")  # a member of S0SRE
    await ws.wait_for_update("ops-alerts", message.ts, contains="Acknowledged by <@U0DAVE>")


async def test_unacknowledged_critical_escalates_along_the_chain(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    sent = time.time()  # the alert starts now: its steps are due 1.2 s and 2.4 s from here, not at once
    await send(opsbot.url, alert("ApiDown", job="api"))
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    first = await ws.wait_for_message("critical-alerts", contains=":rotating_light:", timeout=10)
    assert first.thread_ts == message.ts
    assert float(first.ts) - sent >= STEP_SECONDS
    oncall = next(u for u in ("U0BOB", "U0CAROL") if f"<@{u}>" in first.text)
    dm = await ws.wait_for_call(
        "chat.postMessage", predicate=lambda c: str(c.args.get("channel", "")).startswith("D")
    )
    assert "ApiDown" in str(dm.args.get("text"))
    second = await ws.wait_for_message("critical-alerts", contains="<@U0DAVE>", timeout=10)
    assert second.thread_ts == message.ts and oncall not in second.text
    assert float(second.ts) - sent >= 2 * STEP_SECONDS  # the steps' delays add up


async def test_acknowledging_stops_the_escalation(opsbot: RunningServer, sandbox: Any, slack: Any) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("CacheDown", job="cache", severity="warning"))  # warnings never escalate
    critical = alert("ApiSlow", job="api")
    await send(opsbot.url, critical)
    message = await ws.wait_for_message("critical-alerts", contains="ApiSlow")
    await slack.click(message, "alert_ack", user="alice")
    await ws.wait_for_update("critical-alerts", message.ts, contains="Acknowledged by")
    # The escalation timer (1.2 s) is cancelled by the acknowledgement, or runs and finds it acknowledged:
    # once the outbox is empty no job is left that could page anyone.
    await wait_until_drained(opsbot.deps.db)
    for channel in ("critical-alerts", "ops-alerts"):
        assert not [m for m in ws.messages(channel, include_replies=True) if ":rotating_light:" in m.text]
    assert not [c for c in ws.channels.values() if c.is_im]  # nobody was paged by DM either


@pytest.mark.parametrize("header", [None, "Bearer wrong-token"])
async def test_webhook_requires_the_bearer_token_when_configured(
    make_settings: Any, sandbox: Any, header: str | None
) -> None:
    from bot.deps import build_deps
    from bot.server import start_server

    settings = make_settings(OPSBOT_ALERT_WEBHOOK_TOKEN="s3cret-token")
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    try:
        token = header.removeprefix("Bearer ") if header else None
        status, body = await send(server.url, alert("X"), token=token)
        assert status == 401 and "bearer token" in body["error"] and "s3cret" not in str(body)
        status, _ = await send(server.url, alert("X"), token="s3cret-token")
        assert status == 200
    finally:
        await server.close()
