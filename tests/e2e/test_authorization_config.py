"""The permission keys at work: who a list lets in, the rotation's override cap, and alert actions
opened to non-members of the channel."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from tests.support.alertmanager import alert, send

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 0.01,
            "escalation": [],
            "permissions": {"noise": ["U0ALICE"], "channel_members_only": False},
        },
        "oncall": {"max_override_hours": 2},
        "incidents": {"permissions": {"assign": ["U0CAROL"]}},
        "tickets": {"permissions": {"change": ["S0SRE"]}},  # carol and dave
    }


def _group_id(message: Any) -> str:
    return str(
        next(e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve")
    )


async def test_the_noise_list_decides_and_members_only_can_be_turned_off(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("DiskSlow", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="DiskSlow")
    group = _group_id(message)
    await slack.click(message, "alert_more", user="bob", selected_option_value=f"noise:{group}")
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not mark alerts as noise")
    assert "<@U0ALICE>" in ws.message_text(refusal) and "alerts.permissions.noise" in ws.message_text(refusal)
    ws.channel("ops-alerts").members.remove("U0DAVE")
    await slack.click(message, "alert_ack", user="dave")  # channel_members_only: false
    await ws.wait_for_update("ops-alerts", message.ts, contains="Acknowledged by <@U0DAVE>")


async def test_the_change_list_opens_others_tickets_to_its_members(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Cache the catalog impact=high effort=low", user="alice")
    await ws.wait_for_message("general", contains="opened TKT-1")
    await slack.slash("/ticket", "drop 1 not worth it", user="bob")
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not drop TKT-1")
    assert "<!subteam^S0SRE>" in ws.message_text(refusal)
    await slack.slash("/ticket", "drop 1 superseded", user="dave")  # S0SRE
    await ws.wait_for_message("general", contains="<@U0DAVE> dropped TKT-1")


async def test_the_assign_list_and_the_override_cap(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Search is stale", user="alice", channel="incidents")
    await ws.wait_for_message("incidents", contains="Search is stale")
    await slack.slash("/incident", "assign 1 commander <@U0DAVE>", user="carol")  # in the assign list
    await ws.wait_for_ephemeral(user="carol", contains="<@U0DAVE> is the commander of INC-1")
    await slack.slash("/oncall", "override <@U0DAVE|dave> 3h", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="may last at most 2 hours")
