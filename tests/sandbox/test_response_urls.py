"""response_url semantics: ephemeral by default, in_channel, replace_original, delete_original, use limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Workspace


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def respond(http: aiohttp.ClientSession, url: str, **payload: Any) -> tuple[int, dict[str, Any]]:
    async with http.post(url, json=payload) as response:
        return response.status, await response.json()


async def test_ephemeral_by_default_then_in_channel(http: aiohttp.ClientSession, ws: Workspace) -> None:
    url = ws.issue_response_url("ops-alerts", "alice")
    assert await respond(http, url, text="only you see this") == (200, {"ok": True})
    ephemeral = await ws.wait_for_ephemeral(user="alice", contains="only you see this", timeout=1)
    assert (ephemeral.source, ephemeral.channel) == ("response_url", ws.channel_by_name("ops-alerts").id)
    await respond(http, url, text="everyone sees this", response_type="in_channel")
    message = await ws.wait_for_message("ops-alerts", contains="everyone sees this", timeout=1)
    assert message.bot_id == "B0OPSBOT"
    await respond(http, url, text="fixed", replace_original=True)
    assert ws.ephemerals[-1].text == "fixed" and ws.ephemerals[-1].ts == ephemeral.ts
    assert ws.calls[-1].method == "response_url" and ws.calls[-1].args["text"] == "fixed"


async def test_replace_and_delete_original(
    http: aiohttp.ClientSession, client: AsyncWebClient, ws: Workspace
) -> None:
    posted = await client.chat_postMessage(channel="incidents", text="Ack?")
    url = ws.issue_response_url("incidents", "bob", message_ts=posted["ts"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Acked by <@U0BOB>"}}]
    await respond(http, url, replace_original=True, text="Acked", blocks=blocks)
    updated = await ws.wait_for_update("incidents", posted["ts"], contains="Acked by", timeout=1)
    assert updated.text == "Acked"
    await respond(http, url, delete_original=True)
    assert ws.messages("incidents") == []


async def test_errors_limits_and_unknown_urls(http: aiohttp.ClientSession, ws: Workspace) -> None:
    url = ws.issue_response_url("general", "carol")
    status, body = await respond(http, url, text="", blocks=[{"type": "header", "text": {"type": "mrkdwn"}}])
    assert status == 400 and body["error"] == "invalid_blocks"
    for n in range(4):
        assert (await respond(http, url, text=f"use {n + 2}"))[0] == 200
    assert await respond(http, url, text="sixth") == (404, {"ok": False, "error": "used_url"})
    assert await respond(http, url.rsplit("/", 1)[0] + "/bogus", text="x") == (
        404,
        {"ok": False, "error": "expired_url"},
    )
