"""Slack as strict as the real one: a channel opsbot was never invited to, answers lost after the fact
(alert posts, and every step of an incident's set-up)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from storage import incidents as store
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "routes": [
                {"match": ["team=web"], "channel": "random"},  # opsbot is not in #random
                {"match": ["team=security"], "channel": "security-alerts"},  # private, opsbot invited
            ],
            "escalation": [{"after_minutes": 60}],
        }
    }


async def test_a_channel_opsbot_is_not_in_is_joined_then_posted_to(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    assert "U0OPSBOT" not in ws.channel_by_name("random").members
    status, _ = await send(opsbot.url, alert("WebDown", team="web"))
    assert status == 200
    await ws.wait_for_message("random", contains="WebDown")
    assert "U0OPSBOT" in ws.channel_by_name("random").members
    assert [c.method for c in ws.calls if c.method == "conversations.join"] == ["conversations.join"]


@pytest.mark.parametrize("answer", ["drop", "500"])  # the connection drops, or a bare 500 comes back
async def test_a_post_whose_answer_is_lost_is_not_posted_twice(
    opsbot: RunningServer, sandbox: Any, answer: str
) -> None:
    ws = sandbox.workspace
    ws.inject_faults(1, kind="lost_answer", answer=answer, methods={"chat.postMessage"})  # but posted
    status, _ = await send(opsbot.url, alert("DiskFull", severity="critical"))
    assert status == 200
    await ws.wait_for_message("critical-alerts", contains="DiskFull")
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # the retry has run
    assert [c.method for c in ws.calls if c.method.startswith("chat.")] == ["chat.postMessage", "chat.update"]
    posted = [m for m in ws.messages("critical-alerts") if "DiskFull" in ws.message_text(m)]
    assert len(posted) == 1, [ws.message_text(m) for m in posted]


async def test_a_lost_answer_in_a_private_channel_is_found_not_posted_twice(
    opsbot: RunningServer, sandbox: Any
) -> None:
    """Teams keep some alert channels private: finding a post there again reads it with groups:history."""
    ws = sandbox.workspace
    private = ws.create_channel("security-alerts", is_private=True, creator="U0ALICE")
    ws.join_channel(private.id, "U0OPSBOT", inviter="U0ALICE")
    ws.inject_faults(1, kind="lost_answer", methods={"chat.postMessage"})
    status, _ = await send(opsbot.url, alert("TokenLeak", severity="critical", team="security"))
    assert status == 200
    await ws.wait_for_message("security-alerts", contains="TokenLeak")
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())  # the retry has run
    history = [c for c in ws.calls if c.method == "conversations.history"]
    assert history and all(c.ok for c in history), [c.response for c in history]
    posted = [m for m in ws.messages("security-alerts") if "TokenLeak" in ws.message_text(m)]
    assert len(posted) == 1, [ws.message_text(m) for m in posted]


async def test_an_incident_set_up_that_loses_answers_makes_one_channel_and_posts_each_message_once(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    """A retried set-up (a lost answer here; a replica killed mid-step in test_replicas) finds what the
    earlier try made: the channel by its name and creator, each message by its marker."""
    ws = sandbox.workspace
    ws.inject_faults(1, kind="lost_answer", methods={"conversations.create"})  # created; the SDK resends
    ws.inject_faults(3, kind="lost_answer", answer="500", methods={"chat.postMessage"})  # header, checklist …
    await slack.slash("/incident", "declare sev1 Ledger out of balance", user="alice")
    await ws.wait_for_message("critical-alerts", contains="Ledger out of balance", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock(), within=20)
    assert not any(f.remaining for f in ws.faults)  # every fault did hit
    channel = ws.channel_by_name("inc-1-ledger-out-of-balance")
    assert [c.name for c in ws.channels.values() if c.name.startswith("inc-1-")] == [channel.name]
    assert (await store.get(opsbot.deps.db, 1)).channel_id == channel.id
    for where, text in [
        (channel.name, "Declared by"),
        (channel.name, "Assign an incident commander"),
        ("incidents", "Ledger out of balance"),
        ("critical-alerts", "Ledger out of balance"),
    ]:
        posted = [ws.message_text(m) for m in ws.messages(where) if text in ws.message_text(m)]
        assert len(posted) == 1, (where, posted)


async def test_a_taken_name_is_adopted_only_for_the_bots_own_channel_of_this_incident(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.create_channel("inc-1-queue-stalled").created -= 3600  # opsbot's, from a deployment before this one
    ws.create_channel("inc-1-queue-stalled-2", creator="U0DAVE")  # someone else's, just now
    await slack.slash("/incident", "declare sev1 Queue stalled", user="alice")
    await ws.wait_for_message("critical-alerts", contains="Queue stalled", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    assert (await store.get(opsbot.deps.db, 1)).channel_name == "inc-1-queue-stalled-3"
