"""Awaitable helpers: they wake on events, look inside blocks, and explain themselves on time-out."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Workspace


async def test_wait_for_message_wakes_when_the_message_arrives(client: AsyncWebClient, ws: Workspace) -> None:
    waiter = asyncio.create_task(ws.wait_for_message("incidents", contains="SEV1", timeout=2))
    await asyncio.sleep(0)
    assert not waiter.done()
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "SEV1 payments down"}}]
    posted = await client.chat_postMessage(channel="incidents", text="New incident", blocks=blocks)
    message = await waiter
    assert message.ts == posted["ts"], "text inside blocks is searched"


async def test_wait_for_message_sees_thread_replies_and_respects_since(
    client: AsyncWebClient, ws: Workspace
) -> None:
    parent = await client.chat_postMessage(channel="incidents", text="status: investigating")
    await client.chat_postMessage(channel="incidents", text="status: mitigated", thread_ts=parent["ts"])
    reply = await ws.wait_for_message("incidents", contains="status:", timeout=1)
    assert reply.text == "status: mitigated" and reply.is_reply
    with pytest.raises(TimeoutError):
        await ws.wait_for_message("incidents", contains="investigating", since=parent["ts"], timeout=0.1)
    match = await ws.wait_for_message("#incidents", predicate=lambda m: m.reply_count == 1, timeout=1)
    assert match.ts == parent["ts"]


async def test_timeouts_say_what_was_there(client: AsyncWebClient, ws: Workspace) -> None:
    await client.chat_postMessage(channel="ops-alerts", text="disk 91% on db-1")
    with pytest.raises(TimeoutError) as caught:
        await ws.wait_for_message("ops-alerts", contains="CPU", timeout=0.2)
    report = str(caught.value)
    assert "no message in #ops-alerts containing 'CPU'" in report and "disk 91% on db-1" in report
    with pytest.raises(TimeoutError, match="channel does not exist"):
        await ws.wait_for_message("nope", timeout=0.05)
    with pytest.raises(TimeoutError, match=r"chat.postMessage -> 200 ok"):
        await ws.wait_for_call("views.open", timeout=0.05)
    with pytest.raises(TimeoutError, match="no ephemeral for alice"):
        await ws.wait_for_ephemeral(user="alice", timeout=0.05)


async def test_wait_for_update_call_and_ephemeral(client: AsyncWebClient, ws: Workspace) -> None:
    posted = await client.chat_postMessage(channel="ops-alerts", text="FIRING")
    waiter = asyncio.create_task(
        ws.wait_for_update("ops-alerts", posted["ts"], contains="RESOLVED", timeout=2)
    )
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="still FIRING")
    await asyncio.sleep(0.01)
    assert not waiter.done()
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="RESOLVED")
    assert (await waiter).edited is not None
    call = await ws.wait_for_call("chat.update", predicate=lambda c: c.args["text"] == "RESOLVED", timeout=1)
    assert call.ok and call.args["channel"] == ws.channel_by_name("ops-alerts").id
    await client.chat_postEphemeral(channel="ops-alerts", user="U0DAVE", text="just for dave")
    assert (await ws.wait_for_ephemeral(user="dave", channel="ops-alerts", timeout=1)).text == "just for dave"


async def test_subscribers_receive_every_event(client: AsyncWebClient, ws: Workspace) -> None:
    queue = ws.subscribe()
    await client.chat_postMessage(channel="general", text="hello")
    kinds = [queue.get_nowait()["type"] for _ in range(queue.qsize())]
    assert kinds == ["message", "api_call"]
    ws.unsubscribe(queue)
    await client.chat_postMessage(channel="general", text="again")
    assert queue.empty()
    assert ws.message_text(ws.messages("general")[0]) == "hello"
