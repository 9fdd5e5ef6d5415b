"""Who may do what, end to end: lowering a SEV1, reopening, giving roles, marking noise, changing someone
else's ticket, long on-call overrides; clicks that name another channel's alert or incident. Each refusal
is an ephemeral reply naming the right, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from bot.services import oncall
from sandbox import SlackPlayer
from storage import alert_groups
from storage import incidents as store
from storage import tickets as ticket_store
from tests.support.alertmanager import alert, send
from tests.support.incidents import header_in, incident_channel

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.01, "escalation": []},
        "incidents": {"permissions": {"declare_sev1": ["U0ALICE"], "resolve": ["U0ALICE", "U0BOB"]}},
    }


def _group_id(message: Any) -> int:
    return int(
        next(e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve")
    )


async def _group(opsbot: RunningServer, group_id: int) -> Any:
    async with opsbot.deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=0)
    assert snapshot is not None
    return snapshot.group


async def test_lowering_a_sev1_needs_the_sev1_right_and_its_clocks_stay(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Payments are down", user="alice")
    await incident_channel(ws, 1)
    before = await store.get(opsbot.deps.db, 1)
    assert before is not None
    await slack.slash("/incident", "sev 1 4 not that bad", user="bob")
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not lower an incident from SEV1")
    assert "<@U0ALICE>" in ws.message_text(
        refusal
    ) and "incidents.permissions.declare_sev1" in ws.message_text(refusal)
    after = await store.get(opsbot.deps.db, 1)
    assert after is not None and after.level == 1
    assert (after.respond_due_at, after.resolve_due_at) == (before.respond_due_at, before.resolve_due_at)
    await slack.slash("/incident", "sev 1 2", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="INC-1 is now SEV2")


async def test_reopening_needs_the_resolve_and_the_level_right(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev1 Database corruption", user="alice")
    await incident_channel(ws, 1)
    await slack.slash("/incident", "resolve 1 Restored from backup", user="bob")  # bob may resolve
    await ws.wait_for_ephemeral(user="bob", contains="Resolved INC-1")
    await slack.slash("/incident", "reopen 1", user="bob")  # ... but not declare (so not reopen) a SEV1
    await ws.wait_for_ephemeral(user="bob", contains="You may not reopen SEV1 incidents")
    await slack.slash("/incident", "reopen 1", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="incidents.permissions.resolve")
    incident = await store.get(opsbot.deps.db, 1)
    assert incident is not None and incident.status == "resolved"
    await slack.slash("/incident", "reopen 1", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="Reopened INC-1")


async def test_only_the_declarer_and_the_commander_give_roles(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Search is stale", user="alice", channel="incidents")
    await ws.wait_for_message("incidents", contains="Search is stale")
    await slack.slash("/incident", "assign 1 commander <@U0CAROL>", user="carol")
    refusal = await ws.wait_for_ephemeral(user="carol", contains="You may not give roles on INC-1")
    assert "its declarer or commander" in ws.message_text(
        refusal
    ) and "incidents.permissions.assign" in ws.message_text(refusal)
    incident = await store.get(opsbot.deps.db, 1)
    assert incident is not None and incident.commander is None
    await slack.slash("/incident", "assign 1 commander <@U0BOB>", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="<@U0BOB> is the commander of INC-1")
    await slack.slash("/incident", "assign 1 scribe <@U0CAROL>", user="bob")  # the commander now
    await ws.wait_for_ephemeral(user="bob", contains="<@U0CAROL> is the scribe of INC-1")


async def test_marking_noise_needs_membership_of_the_alerts_channel(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("DiskSlow", severity="warning"))
    message = await ws.wait_for_message("ops-alerts", contains="DiskSlow")
    group = _group_id(message)
    ws.channel("ops-alerts").members.remove("U0DAVE")  # can still read a public channel
    await slack.click(message, "alert_more", user="dave", selected_option_value=f"noise:{group}")
    refusal = await ws.wait_for_ephemeral(user="dave", contains="You may not mark alerts as noise")
    assert "only members of" in ws.message_text(refusal)
    assert (await _group(opsbot, group)).noise_by is None
    await slack.click(message, "alert_more", user="bob", selected_option_value=f"noise:{group}")
    await ws.wait_for_update("ops-alerts", message.ts, contains="Marked as noise by <@U0BOB>")


async def test_someone_elses_ticket_needs_the_change_right(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Cache the catalog impact=high effort=low", user="alice")
    await ws.wait_for_message("general", contains="opened TKT-1")
    await slack.slash("/ticket", "drop 1 not worth it", user="bob")
    refusal = await ws.wait_for_ephemeral(user="bob", contains="You may not drop TKT-1")
    assert "its reporter or owner" in ws.message_text(
        refusal
    ) and "tickets.permissions.change" in ws.message_text(refusal)
    await slack.slash("/ticket", "assign 1 me", user="bob")
    await ws.wait_for_ephemeral(user="bob", contains="You may not assign TKT-1")
    ticket = await ticket_store.get(opsbot.deps.db, 1)
    assert ticket is not None and (ticket.status, ticket.owner) == ("open", None)
    await slack.slash("/ticket", "assign 1 <@U0BOB|bob>", user="alice")  # the reporter may
    await ws.wait_for_message("general", contains="gave TKT-1 to <@U0BOB>")
    await slack.slash("/ticket", "start 1", user="bob")  # the owner may
    await ws.wait_for_message("general", contains="<@U0BOB> started TKT-1")


async def test_an_override_longer_than_the_maximum_is_refused(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "override <@U0DAVE|dave> 1000w", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="may last at most 168 hours")
    await slack.slash("/oncall", "override <@U0DAVE|dave> 4h", user="dave")  # not in the rotation
    await ws.wait_for_ephemeral(user="dave", contains="You may not change who is on call")
    assert (
        await oncall.overrides(opsbot.deps, opsbot.deps.settings.default_team, at=opsbot.deps.clock()) == []
    )
    await slack.slash("/oncall", "override <@U0DAVE|dave> 168h", user="alice")
    await ws.wait_for_message("general", contains="<@U0DAVE>")


async def test_an_alert_click_forged_from_another_channel_is_refused(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("PaymentsDown", job="payments"))
    critical = await ws.wait_for_message("critical-alerts", contains="PaymentsDown")
    await send(opsbot.url, alert("QueueSlow", job="worker", severity="warning"))
    warning = await ws.wait_for_message("ops-alerts", contains="QueueSlow")
    forged = str(_group_id(critical))
    await slack.click(
        warning, "alert_ack", user="alice", value=forged
    )  # a critical-alerts group, from #ops-alerts
    await ws.wait_for_ephemeral(user="alice", contains="That button does not belong to this alert")
    assert (await _group(opsbot, int(forged))).acked_at is None
    assert (await _group(opsbot, _group_id(warning))).acked_at is None


async def test_only_members_of_the_alerts_channel_act_on_it(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("PaymentsDown", job="payments"))
    message = await ws.wait_for_message("critical-alerts", contains="PaymentsDown")
    ws.channel("critical-alerts").members.remove("U0DAVE")  # can still read a public channel
    await slack.click(message, "alert_ack", user="dave")
    await ws.wait_for_ephemeral(user="dave", contains="only members of")
    assert (await _group(opsbot, _group_id(message))).acked_at is None
    await slack.click(message, "alert_ack", user="carol")
    await ws.wait_for_update("critical-alerts", message.ts, contains="Acknowledged by <@U0CAROL>")


async def test_an_incident_button_forged_from_another_incident_is_refused(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Exports slow", user="alice", channel="incidents")
    await ws.wait_for_message("incidents", contains="Exports slow")
    await slack.slash("/incident", "declare sev1 Checkout down", user="alice")
    header = await header_in(ws, (await incident_channel(ws, 2)).name)
    await slack.click(header, "incident_ack", user="bob", value="1")  # INC-1 lives in #incidents
    await ws.wait_for_ephemeral(user="bob", contains="That button does not belong to INC-1")
    incident = await store.get(opsbot.deps.db, 1)
    assert incident is not None and incident.acked_at is None
