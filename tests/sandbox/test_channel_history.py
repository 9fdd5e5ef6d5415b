"""A channel's past as conversations.history and conversations.replies show it: messages people posted
days ago, with reactions and threads, in Slack's wire format; and what Slack refuses."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, Workspace, start_sandbox
from tests.sandbox.conftest import BOT_TOKEN
from tests.sandbox.test_webapi_messages import api_error

DAY = 86400.0


def seed_support(ws: Workspace, now: float) -> tuple[str, str]:
    """Three days ago Alice asked (two reactions, a thread: her details, then Bob's answer); two days ago
    Carol joined and Dave asked; opsbot posted. Return the channel ID and Alice's ts."""
    support = ws.create_channel("support").id
    for user in ("U0ALICE", "U0BOB", "U0DAVE"):
        ws.join_channel(support, user)
    asked = ws.add_past_message(
        support,
        at=now - 3 * DAY,
        user="U0ALICE",
        text="checkout fails with <b>500</b>",
        reactions={"eyes": ["U0BOB", "U0DAVE"], "+1": ["U0DAVE"]},
    )
    ws.add_past_message(support, at=now - 2 * DAY + 60, user="U0DAVE", text="login loops")
    ws.add_past_message(support, at=now - 2 * DAY, user="U0CAROL", subtype="channel_join", text="joined")
    # replies seeded out of order still make one thread, latest_reply the newest
    ws.add_past_message(support, at=now - 3 * DAY + 1800, user="U0BOB", text="fixed", thread_ts=asked.ts)
    ws.add_past_message(support, at=now - 3 * DAY + 60, user="U0ALICE", text="on EU", thread_ts=asked.ts)
    ws.add_message(support, text="deploy done")  # opsbot, now
    return support, asked.ts


async def test_history_shows_past_messages_newest_first_with_reactions_and_thread_counts(
    client: AsyncWebClient, ws: Workspace
) -> None:
    now = time.time()
    support, asked = seed_support(ws, now)
    answer = await client.conversations_history(
        channel=support, oldest=f"{now - 4 * DAY:.6f}", latest=f"{now - DAY:.6f}"
    )
    messages: list[dict[str, Any]] = answer["messages"]
    assert [m.get("subtype") for m in messages] == [None, "channel_join", None]
    assert [m["user"] for m in messages] == ["U0DAVE", "U0CAROL", "U0ALICE"]
    parent = messages[-1]
    assert parent["ts"] == asked and parent["thread_ts"] == asked
    assert parent["reactions"] == [
        {"name": "eyes", "users": ["U0BOB", "U0DAVE"], "count": 2},
        {"name": "+1", "users": ["U0DAVE"], "count": 1},
    ]
    assert (parent["reply_count"], parent["reply_users_count"]) == (2, 2)
    assert parent["reply_users"] == ["U0BOB", "U0ALICE"]  # in the order they were added
    assert float(parent["latest_reply"]) == pytest.approx(now - 3 * DAY + 1800, abs=1e-3)
    assert "bot_id" not in parent and "reactions" not in messages[0]
    newest = (await client.conversations_history(channel=support, limit=1))["messages"][0]
    assert newest["bot_id"] == "B0OPSBOT" and newest["text"] == "deploy done"


async def test_a_past_thread_reads_parent_first_then_replies_oldest_first(
    client: AsyncWebClient, ws: Workspace
) -> None:
    support, asked = seed_support(ws, time.time())
    thread = (await client.conversations_replies(channel=support, ts=asked))["messages"]
    assert [(m["user"], m["text"]) for m in thread] == [
        ("U0ALICE", "checkout fails with <b>500</b>"),
        ("U0ALICE", "on EU"),
        ("U0BOB", "fixed"),
    ]
    assert all(m["thread_ts"] == asked for m in thread)


async def test_two_past_messages_at_one_instant_get_distinct_ts_and_the_future_is_refused(
    ws: Workspace,
) -> None:
    general = ws.channel_by_name("general").id
    at = time.time() - DAY
    first = ws.add_past_message(general, at=at, user="U0BOB", text="a")
    second = ws.add_past_message(general, at=at, user="U0CAROL", text="b")
    assert first.ts != second.ts and [m.text for m in ws.messages(general)] == ["a", "b"]
    with pytest.raises(ValueError, match="past"):
        ws.add_past_message(general, at=time.time() + 60, user="U0BOB", text="later")
    with pytest.raises(ValueError, match="after"):
        ws.add_past_message(general, at=at - 60, user="U0BOB", text="early", thread_ts=first.ts)


async def test_history_refuses_a_bound_that_is_not_a_timestamp_and_a_channel_the_bot_is_not_in(
    client: AsyncWebClient, ws: Workspace
) -> None:
    support, _ = seed_support(ws, time.time())
    bad = await api_error(client.conversations_history(channel=support, oldest="last week"))
    assert bad["error"] == "invalid_ts_oldest"
    bad = await api_error(client.conversations_history(channel=support, latest="now"))
    assert bad["error"] == "invalid_ts_latest"
    random = ws.channel_by_name("random").id  # public, opsbot not invited
    assert (await api_error(client.conversations_history(channel=random)))["error"] == "not_in_channel"
    assert (await api_error(client.conversations_replies(channel=random, ts="1.0")))["error"] == (
        "not_in_channel"
    )


async def test_history_needs_the_history_scope_of_the_channels_kind() -> None:
    scopes = frozenset({"channels:read", "chat:write"})
    running: RunningSandbox = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes=scopes)
    try:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=running.api_url, timeout=5)
        general = running.workspace.channel_by_name("general").id
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_history(channel=general)
        assert caught.value.response["error"] == "missing_scope"
        assert caught.value.response["needed"] == "channels:history"
    finally:
        await running.close()
