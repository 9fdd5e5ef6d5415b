"""/incident end to end: each SEV level's playbook, re-grading, roles, buttons, the timeline, postmortem."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from storage import incidents as store
from tests.support.incidents import header_in, incident_channel


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.01, "escalation": []},
        "incidents": {
            "levels": {
                "sev1": {"invite": {"usergroups": ["S0SRE"]}},
                "sev2": {"invite": {"users": ["U0NOBODY"]}},  # cannot be invited: the others still are
            }
        },
    }


def channel_named(ws: Any, prefix: str) -> Any:
    found = [c for c in ws.channels.values() if c.name.startswith(prefix)]
    assert len(found) == 1, [c.name for c in ws.channels.values()]
    return found[0]


async def pinned_in_timeline(opsbot: RunningServer, number: int, text: str) -> None:
    """Wait until the :pushpin:'d message is stored (the Events API handler runs after its ack)."""
    for _ in range(100):
        stored = await store.events(opsbot.deps.db, number)
        if any(text in e.text for e in stored if e.kind == "pinned"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} is not on the timeline of INC-{number}")


async def test_sev1_gets_a_channel_invites_announcements_and_a_pinned_checklist(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.create_channel("inc-1-payments-are-down", creator="U0DAVE")  # taken: the bot takes the next name
    await slack.slash("/incident", "declare sev1 Payments are down", user="alice", channel="general")
    await ws.wait_for_ephemeral(user="alice", contains="Declared INC-1 (SEV1 Critical)")
    await ws.wait_for_message("critical-alerts", contains="INC-1 · SEV1 Critical · Payments are down")
    announcement = await ws.wait_for_message("incidents", contains="Payments are down")
    channel = channel_named(ws, "inc-1-payments-are-down-")
    assert channel.name == "inc-1-payments-are-down-2"
    header = await header_in(ws, channel.name)
    assert "Critical" in ws.message_text(header) and "Acknowledge" in ws.message_text(header)
    checklist = await ws.wait_for_message(
        channel.name, contains="Assign an incident commander", predicate=lambda m: bool(m.pinned_to)
    )
    assert "Notify stakeholders" in ws.message_text(checklist)
    # the declarer, the on-call person and the SRE user group (carol, dave) are in the channel
    assert {"U0ALICE", "U0CAROL", "U0DAVE"} <= set(channel.members)
    assert f"<#{channel.id}>" in ws.message_text(announcement)


async def test_sev3_lives_in_a_thread_and_sev4_is_only_a_record(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    channels_before = len(ws.channels)
    await slack.slash("/incident", "declare sev3 Search results are stale", user="bob")
    header = await ws.wait_for_message("incidents", contains="SEV3 Medium · Search results are stale")
    checklist = await ws.wait_for_message("incidents", contains="Acknowledge and assign an owner")
    assert checklist.thread_ts == header.ts and "cc <@" in ws.message_text(checklist)
    await slack.slash("/incident", "declare sev4 Button is misaligned", user="bob")
    await ws.wait_for_message("incidents", contains="SEV4 Low · Button is misaligned")
    assert len(ws.channels) == channels_before
    await slack.slash(
        "/incident", "update 1 Cache warmed, results catching up", user="bob", channel="incidents"
    )
    update = await ws.wait_for_message("incidents", contains="Cache warmed")
    assert update.thread_ts == header.ts
    await slack.slash("/incident", "list", user="carol")
    listed = await ws.wait_for_ephemeral(user="carol", contains="Open incidents")
    assert "INC-1" in ws.message_text(listed) and "INC-2" in ws.message_text(listed)


async def test_regrading_to_sev1_runs_sev1s_extra_steps(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Checkout errors", user="alice", channel="incidents")
    first = await ws.wait_for_message("incidents", contains="SEV3 Medium · Checkout errors")
    await slack.slash("/incident", "sev 1 1 payment success at 40%", user="alice", channel="incidents")
    channel = await incident_channel(ws, 1)
    await header_in(ws, channel.name)
    checklist = await ws.wait_for_message(
        channel.name, contains="SEV1 checklist", predicate=lambda m: bool(m.pinned_to)
    )
    assert "Notify stakeholders" in ws.message_text(checklist)
    await ws.wait_for_message("critical-alerts", contains="SEV1 Critical · Checkout errors")
    await ws.wait_for_update("incidents", first.ts, contains="SEV1 Critical")
    note = await ws.wait_for_message(channel.name, contains="from SEV3 to SEV1")
    assert "payment success at 40%" in ws.message_text(note)
    await ws.wait_for_message("incidents", contains="from SEV3 to SEV1")


async def test_roles_ack_and_updates_show_in_the_header(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 API latency high", user="alice")
    channel = await incident_channel(ws, 1)
    header = await header_in(ws, channel.name)
    await slack.slash("/incident", "assign commander <@U0BOB|bob>", user="alice", channel=channel.name)
    await ws.wait_for_update(channel.name, header.ts, contains="<@U0BOB>")
    await ws.wait_for_message(channel.name, contains="<@U0BOB> is now the commander of INC-1")
    await ws.wait_for_event("member_joined", predicate=lambda e: e["user"] == "U0BOB")
    assert "U0ALICE" in channel.members
    await slack.click(header, "incident_ack", user="bob")
    acked = await ws.wait_for_update(channel.name, header.ts, contains="Acknowledged by <@U0BOB>")
    assert "incident_ack" not in str(acked.blocks)
    await ws.wait_for_message(channel.name, contains="acknowledged INC-1 after")
    await slack.click(acked, "incident_update", user="bob")
    form = await ws.wait_for_view(user="bob", callback_id="incident_update_modal")
    await slack.submit_view(form, {"incident_text": "Rolled back the deploy"})
    await ws.wait_for_message(channel.name, contains="Rolled back the deploy")
    await ws.wait_for_message("incidents", contains="Rolled back the deploy")
    await slack.slash("/incident", "status", user="carol", channel=channel.name)
    status = await ws.wait_for_ephemeral(user="carol", contains="API latency high")
    assert "Acknowledged" in ws.message_text(status)


async def test_pushpins_join_the_timeline_and_resolve_uploads_the_postmortem(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 Orders stuck in queue", user="alice")
    channel = await incident_channel(ws, 1)
    header = await header_in(ws, channel.name)
    said = await slack.message(channel.name, "Found it: the consumer lost its lease", user="dave")
    await slack.reaction_added(channel.name, said.ts, "pushpin", user="carol")
    await slack.reaction_added(channel.name, said.ts, "pushpin", user="bob")  # once in the timeline
    await pinned_in_timeline(opsbot, 1, "the consumer lost its lease")
    await slack.click(header, "incident_resolve", user="alice")
    form = await ws.wait_for_view(user="alice", callback_id="incident_resolve_modal")
    await slack.submit_view(form, {"incident_text": "Restarted the consumers"})
    await ws.wait_for_update(channel.name, header.ts, contains="Restarted the consumers")
    await ws.wait_for_message("incidents", contains="resolved INC-1 after")
    upload = await ws.wait_for_call("files.completeUploadExternal")
    assert upload.args.get("channel_id") == channel.id
    postmortem = next(f for f in ws.files.values() if f.name == "INC-1-postmortem.md")
    text = postmortem.content.decode()
    assert "## Timeline" in text and "the consumer lost its lease" in text
    assert text.count("the consumer lost its lease") == 1
    assert "Time to resolve:" in text and "Restarted the consumers" in text
    assert "- [ ] Fix the root cause" in text


async def test_update_resolve_and_declare_without_their_text_open_the_forms(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2", user="alice", channel="general")
    declaring = await ws.wait_for_view(user="alice", callback_id="incident_declare")
    await slack.submit_view(declaring, {"incident_title": "Search is down"})  # SEV2 stays chosen
    channel = await incident_channel(ws, 1)
    header = await header_in(ws, channel.name)
    assert "SEV2" in ws.message_text(header) and "Search is down" in ws.message_text(header)
    await slack.slash("/incident", "update", user="bob", channel=channel.name)  # the channel's incident
    updating = await ws.wait_for_view(user="bob", callback_id="incident_update_modal")
    assert updating.title is not None and updating.title["text"] == "Update INC-1"
    await slack.submit_view(updating, {"incident_text": "Failed over to the replica"})
    await ws.wait_for_message("incidents", contains="Failed over to the replica")
    await slack.slash("/incident", "resolve", user="alice", channel="general")  # which incident?
    await ws.wait_for_ephemeral(user="alice", contains="with a short summary. Without the text, in the")
    await slack.slash("/incident", "resolve", user="alice", channel=channel.name)
    resolving = await ws.wait_for_view(user="alice", callback_id="incident_resolve_modal")
    assert resolving.title is not None and resolving.title["text"] == "Resolve INC-1"
    await slack.submit_view(resolving, {"incident_text": "Promoted the replica"})
    await ws.wait_for_update(channel.name, header.ts, contains="Promoted the replica")
    await ws.wait_for_message("incidents", contains="resolved INC-1 after")
    await slack.slash("/incident", "update 1", user="bob", channel="general")  # by number, elsewhere
    await ws.wait_for_ephemeral(user="bob", contains="INC-1 is resolved already; `/incident reopen 1` first")
    await slack.slash("/incident", "action", user="bob", channel=channel.name)  # no form for action items
    await ws.wait_for_ephemeral(user="bob", contains="with the follow-up to do")


async def test_reopen_postmortem_list_and_helpful_errors(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Exports slow", user="alice", channel="incidents")
    header = await ws.wait_for_message("incidents", contains="SEV3 Medium · Exports slow")
    await slack.slash("/incident", "resolve 1 Added an index", user="alice")
    await ws.wait_for_update("incidents", header.ts, contains="Added an index")
    draft = await ws.wait_for_call("files.completeUploadExternal")
    assert draft.args.get("thread_ts") == header.ts
    await slack.slash("/incident", "list", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="No open incidents")
    await slack.slash("/incident", "reopen 1", user="alice")
    await ws.wait_for_message("incidents", contains="reopened INC-1")
    await slack.slash("/incident", "list all", user="bob")
    listed = await ws.wait_for_ephemeral(user="bob", contains="INC-1")
    assert "Open" in ws.message_text(listed)
    await slack.slash("/incident", "postmortem 1", user="alice")
    await ws.wait_until(
        lambda: True if sum(c.method == "files.completeUploadExternal" for c in ws.calls) == 2 else None,
        timeout=5,
        describe=lambda: "no second postmortem upload",
    )
    await slack.slash("/incident", "status", user="carol", channel="general")
    await ws.wait_for_ephemeral(
        user="carol", contains="Run this in an incident channel, or give the incident number"
    )
    await slack.slash("/incident", "status 99", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="There is no incident INC-99")
    await slack.slash("/incident", "declare sev9 Oops", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="is not a SEV level")
    await slack.slash("/incident", "assign boss <@U0BOB>", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="commander|comms|scribe @user")


async def test_a_pushpin_in_an_incident_thread_is_recorded_and_a_retried_event_is_not(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev3 Webhooks delayed", user="alice", channel="incidents")
    header = await ws.wait_for_message("incidents", contains="SEV3 Medium · Webhooks delayed")
    said = await slack.message("incidents", "Queue depth back to normal", user="bob", thread_ts=header.ts)
    elsewhere = await slack.message("general", "Lunch?", user="bob")
    event = {
        "type": "reaction_added",
        "user": "U0CAROL",
        "reaction": "pushpin",
        "item": {"type": "message", "channel": said.channel, "ts": said.ts},
    }
    await slack.event(event, event_id="Ev0PIN1")
    await slack.event(event, event_id="Ev0PIN1", retry_num=1)
    await slack.reaction_added("general", elsewhere.ts, "pushpin", user="carol")
    await pinned_in_timeline(opsbot, 1, "Queue depth back to normal")
    await ws.wait_for_call("conversations.replies", predicate=lambda c: c.args.get("ts") == elsewhere.ts)
    await slack.slash("/incident", "postmortem 1", user="alice")
    await ws.wait_for_call("files.completeUploadExternal")
    text = next(f for f in ws.files.values() if f.name == "INC-1-postmortem.md").content.decode()
    assert text.count("Queue depth back to normal") == 1 and "Lunch?" not in text
