"""File uploads (files_upload_v2 end to end) and views (modals, home tabs) through the real client."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, Workspace

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def modal(title: str = "Declare incident", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        **extra,
    }


async def test_files_upload_v2_end_to_end(client: AsyncWebClient, ws: Workspace) -> None:
    channel = ws.channel_by_name("ops-review").id
    parent = await client.chat_postMessage(channel=channel, text="weekly review")
    result = await client.files_upload_v2(
        channel=channel,
        content=PNG,
        filename="chart.png",
        title="Error rate",
        initial_comment="the chart",
        thread_ts=parent["ts"],
    )
    file_id = result["file"]["id"]
    stored = ws.files[file_id]
    assert (stored.content, stored.mimetype, stored.title) == (PNG, "image/png", "Error rate")
    reply = ws.thread("ops-review", parent["ts"])[-1]
    assert reply.text == "the chart" and reply.files[0]["id"] == file_id
    info = await client.files_info(file=file_id)
    assert info["file"]["size"] == len(PNG) and info["file"]["channels"] == [channel]
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {ws.bot_token}"}
        async with http.get(info["file"]["url_private"], headers=headers) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert await response.read() == PNG
        async with http.get(info["file"]["url_private"]) as response:
            assert response.status == 401
    assert [e["type"] for e in ws.events if e["type"].startswith("file_")] == ["file_uploaded", "file_shared"]


async def test_upload_accepts_multipart(
    sandbox: RunningSandbox, client: AsyncWebClient, ws: Workspace
) -> None:
    reserved = await client.files_getUploadURLExternal(filename="notes.txt", length=5)
    form = aiohttp.FormData()
    form.add_field("file", b"hello", filename="notes.txt")
    async with aiohttp.ClientSession() as http, http.post(reserved["upload_url"], data=form) as response:
        assert response.status == 200 and await response.text() == "OK - 5"
    await client.files_completeUploadExternal(
        files=[{"id": reserved["file_id"], "title": "Notes"}], channel_id=ws.channel_by_name("general").id
    )
    assert ws.messages("general")[-1].files[0]["title"] == "Notes"


async def test_views_open_needs_a_fresh_trigger(client: AsyncWebClient, ws: Workspace) -> None:
    trigger = ws.issue_trigger("alice")
    opened = await client.views_open(trigger_id=trigger, view=modal())
    view = ws.views[opened["view"]["id"]]
    assert (view.user, view.callback_id, view.type) == ("U0ALICE", "declare", "modal")
    assert ws.events[-2]["type"] == "view_opened"
    for bad, error in [(trigger, "exchanged_trigger_id"), ("12345.67890.nope", "invalid_trigger_id")]:
        with pytest.raises(SlackApiError) as caught:
            await client.views_open(trigger_id=bad, view=modal())
        assert caught.value.response["error"] == error
    ws.trigger_ttl = 0.0
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=ws.issue_trigger("bob"), view=modal())
    assert caught.value.response["error"] == "expired_trigger_id"


async def test_views_schema_errors(client: AsyncWebClient, ws: Workspace) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=ws.issue_trigger("alice"), view=modal(title="x" * 25))
    assert caught.value.response["error"] == "invalid_arguments"
    messages = caught.value.response["response_metadata"]["messages"]
    assert messages == ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]


async def test_views_update_push_and_hash_conflict(client: AsyncWebClient, ws: Workspace) -> None:
    opened = await client.views_open(trigger_id=ws.issue_trigger("bob"), view=modal())
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    updated = await client.views_update(view_id=view_id, hash=first_hash, view=modal(title="Step 2"))
    assert updated["view"]["title"]["text"] == "Step 2" and updated["view"]["hash"] != first_hash
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(view_id=view_id, hash=first_hash, view=modal(title="Stale"))
    assert caught.value.response["error"] == "hash_conflict"
    pushed = await client.views_push(trigger_id=ws.issue_trigger("bob"), view=modal(title="Details"))
    assert pushed["view"]["previous_view_id"] == view_id
    assert [v.id for v in ws.open_views("bob")] == [view_id, pushed["view"]["id"]]


async def test_views_publish_home(client: AsyncWebClient, ws: Workspace) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "On call: *you*"}}],
    }
    first = await client.views_publish(user_id="U0CAROL", view=home)
    second = await client.views_publish(user_id="U0CAROL", view=home)
    assert first["view"]["id"] == second["view"]["id"] == ws.home_views["U0CAROL"]
    found = await ws.wait_for_view(user="carol", kind="home", timeout=1)
    assert "On call" in ws.message_text({"blocks": found.blocks})
