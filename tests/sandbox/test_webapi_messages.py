"""The Web API's messaging and conversation methods, driven through the real slack_sdk client."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, Workspace


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


async def api_error(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


async def test_post_update_and_thread_replies(client: AsyncWebClient, ws: Workspace) -> None:
    general = ws.channel_by_name("general").id
    posted = await client.chat_postMessage(
        channel=general, text="deploy started", blocks=[section("*Deploy*")]
    )
    assert posted["channel"] == general and posted["message"]["bot_id"] == "B0OPSBOT"
    assert posted["message"]["blocks"][0]["block_id"], "Slack assigns block_ids"

    updated = await client.chat_update(channel=general, ts=posted["ts"], text="deploy finished")
    assert updated["message"]["edited"]["user"] == "U0OPSBOT"
    assert updated["message"]["blocks"][0]["text"]["text"] == "*Deploy*", "omitted blocks are kept"

    reply = await client.chat_postMessage(channel=general, text="step 1 ok", thread_ts=posted["ts"])
    await client.chat_postMessage(channel=general, text="step 2 ok", thread_ts=reply["ts"])
    thread = await client.conversations_replies(channel=general, ts=posted["ts"])
    assert [m["text"] for m in thread["messages"]] == ["deploy finished", "step 1 ok", "step 2 ok"]
    parent = thread["messages"][0]
    assert parent["reply_count"] == 2 and parent["reply_users"] == ["U0OPSBOT"]
    assert [m.text for m in ws.messages("general")] == ["deploy finished"], "replies stay in the thread"


async def test_history_is_newest_first_and_paginates(client: AsyncWebClient, ws: Workspace) -> None:
    channel = ws.channel_by_name("ops-info").id
    for n in range(5):
        await client.chat_postMessage(channel=channel, text=f"note {n}")
    first = await client.conversations_history(channel=channel, limit=2)
    assert [m["text"] for m in first["messages"]] == ["note 4", "note 3"] and first["has_more"]
    seen = []
    async for page in await client.conversations_history(channel=channel, limit=2):
        seen += [m["text"] for m in page["messages"]]
    assert seen == [f"note {n}" for n in range(4, -1, -1)]
    window = await client.conversations_history(
        channel=channel, oldest=ws.messages("ops-info")[1].ts, latest=ws.messages("ops-info")[3].ts
    )
    assert [m["text"] for m in window["messages"]] == ["note 2"]


async def test_conversations_list_is_paginated_by_cursor(client: AsyncWebClient) -> None:
    first = await client.conversations_list(limit=3)
    assert len(first["channels"]) == 3 and first["response_metadata"]["next_cursor"]
    seen: dict[str, bool] = {}
    async for page in await client.conversations_list(limit=3):
        seen.update({c["name"]: c["is_member"] for c in page["channels"]})
    assert len(seen) == 8
    assert seen["random"] is False and seen["general"] is True


async def test_auth_errors(sandbox: RunningSandbox, ws: Workspace) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=sandbox.api_url)
    assert (await api_error(wrong.auth_test()))["error"] == "invalid_auth"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.api_url}auth.test") as response:
            assert response.status == 200
            assert await response.json() == {"ok": False, "error": "not_authed"}
        form = {"token": ws.bot_token, "channel": ws.channel_by_name("general").id, "text": "form post"}
        async with http.post(f"{sandbox.api_url}chat.postMessage", data=form) as response:
            assert (await response.json())["ok"] is True
        async with http.post(f"{sandbox.api_url}no.suchMethod", data={"token": ws.bot_token}) as response:
            assert (await response.json())["error"] == "unknown_method"
    assert ws.calls[-1].method == "no.suchMethod" and ws.calls[-2].args == {
        "channel": ws.channel_by_name("general").id,
        "text": "form post",
    }


async def test_auth_test_identifies_the_bot(client: AsyncWebClient, sandbox: RunningSandbox) -> None:
    me = await client.auth_test()
    assert (me["user_id"], me["bot_id"], me["team_id"]) == ("U0OPSBOT", "B0OPSBOT", "T0SANDBOX")
    assert me["url"] == sandbox.url + "/"


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        (
            [section("a", "same"), section("b", "same")],
            "duplicate block_id: same [json-pointer:/blocks/1/block_id]",
        ),
        ([section(str(n)) for n in range(51)], "no more than 50 items allowed [json-pointer:/blocks]"),
    ],
    ids=["section-3001", "duplicate-block-id", "51-blocks"],
)
async def test_invalid_blocks(client: AsyncWebClient, ws: Workspace, blocks: Any, expected: str) -> None:
    body = await api_error(
        client.chat_postMessage(channel=ws.channel_by_name("general").id, text="t", blocks=blocks)
    )
    assert body["error"] == "invalid_blocks"
    assert body["errors"] == [expected]
    assert body["response_metadata"]["messages"] == [f"[ERROR] {expected}"]
    assert ws.messages("general") == []


async def test_blocks_sent_as_a_json_string_in_a_form(sandbox: RunningSandbox, ws: Workspace) -> None:
    form = {"channel": "incidents", "text": "t", "blocks": '[{"type": "divider"}]'}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ws.bot_token}"}) as http:
        async with http.post(f"{sandbox.api_url}chat.postMessage", data=form) as response:
            assert (await response.json())["message"]["blocks"][0]["type"] == "divider"
        async with http.post(f"{sandbox.api_url}chat.postMessage", data={**form, "blocks": "[{"}) as response:
            assert (await response.json())["error"] == "invalid_blocks_format"


async def test_message_content_errors(client: AsyncWebClient, ws: Workspace) -> None:
    general = ws.channel_by_name("general").id
    with pytest.warns(UserWarning, match="top-level `text` argument is missing"):
        assert (await api_error(client.chat_postMessage(channel=general, text="")))["error"] == "no_text"
    too_long = client.chat_postMessage(channel=general, text="x" * 40_001)
    assert (await api_error(too_long))["error"] == "msg_too_long"
    random_id = ws.channel_by_name("random").id
    assert (await api_error(client.chat_postMessage(channel=random_id, text="hi")))[
        "error"
    ] == "not_in_channel"
    assert (await api_error(client.chat_postMessage(channel="C0NOPE", text="hi")))[
        "error"
    ] == "channel_not_found"
    missing = client.chat_update(channel=general, ts="1.000001", text="x")
    assert (await api_error(missing))["error"] == "message_not_found"


async def test_create_channel_and_name_taken(client: AsyncWebClient, ws: Workspace) -> None:
    created = await client.conversations_create(name="inc-2024-payments")
    assert created["channel"]["is_member"] and created["channel"]["id"].startswith("C")
    assert (await api_error(client.conversations_create(name="inc-2024-payments")))["error"] == "name_taken"
    assert (await api_error(client.conversations_create(name="Bad Name")))["error"] == "invalid_name_specials"
    assert (await api_error(client.conversations_create(name="x" * 81)))["error"] == "invalid_name_maxlength"
    channel_id = created["channel"]["id"]
    await client.conversations_invite(channel=channel_id, users="U0ALICE,U0BOB")
    assert ws.channels[channel_id].members == ["U0OPSBOT", "U0ALICE", "U0BOB"]
    again = client.conversations_invite(channel=channel_id, users="U0ALICE")
    assert (await api_error(again))["error"] == "already_in_channel"
    await client.conversations_setTopic(channel=channel_id, topic="SEV1 payments")
    info = await client.conversations_info(channel=channel_id)
    assert info["channel"]["topic"]["value"] == "SEV1 payments"
    assert [e["type"] for e in ws.events if e["type"] in ("channel_created", "member_joined")] == [
        "channel_created",
        "member_joined",
        "member_joined",
    ]


async def test_join_open_dm_and_ephemeral(client: AsyncWebClient, ws: Workspace) -> None:
    random_id = ws.channel_by_name("random").id
    await client.conversations_join(channel=random_id)
    await client.chat_postMessage(channel=random_id, text="now I can talk here")
    opened = await client.conversations_open(users="U0ALICE")
    again = await client.conversations_open(users="U0ALICE")
    assert opened["channel"]["id"].startswith("D") and again["channel"]["id"] == opened["channel"]["id"]
    assert again["already_open"] is True
    dm = await client.chat_postMessage(channel="U0ALICE", text="psst")
    assert dm["channel"] == opened["channel"]["id"] and ws.messages("@alice")[0].text == "psst"
    sent = await client.chat_postEphemeral(channel=random_id, user="U0BOB", text="only for bob")
    assert ws.ephemerals[-1].ts == sent["message_ts"] and ws.ephemerals[-1].user == "U0BOB"
    outsider = await client.conversations_create(name="quiet")
    not_member = client.chat_postEphemeral(channel=outsider["channel"]["id"], user="U0BOB", text="x")
    assert (await api_error(not_member))["error"] == "user_not_in_channel"


async def test_permalink_reactions_pins_and_bookmarks(client: AsyncWebClient, ws: Workspace) -> None:
    incidents = ws.channel_by_name("incidents").id
    posted = await client.chat_postMessage(channel=incidents, text="SEV2 declared")
    link = await client.chat_getPermalink(channel=incidents, message_ts=posted["ts"])
    assert link["permalink"] == f"{ws.base_url}/archives/{incidents}/p{posted['ts'].replace('.', '')}"
    async with aiohttp.ClientSession() as http, http.get(link["permalink"]) as page:
        assert await page.text() == "SEV2 declared"
    await client.reactions_add(channel=incidents, timestamp=posted["ts"], name="eyes")
    again = client.reactions_add(channel=incidents, timestamp=posted["ts"], name="eyes")
    assert (await api_error(again))["error"] == "already_reacted"
    await client.pins_add(channel=incidents, timestamp=posted["ts"])
    await client.bookmarks_add(
        channel_id=incidents, title="Runbook", type="link", link="https://example.test/rb"
    )
    message = ws.message("incidents", posted["ts"])
    assert message.reactions == [{"name": "eyes", "users": ["U0OPSBOT"], "count": 1}]
    assert message.pinned_to == [incidents] and ws.bookmarks[incidents][0]["title"] == "Runbook"
    await client.chat_delete(channel=incidents, ts=posted["ts"])
    assert ws.messages("incidents") == [] and ws.events[-2]["type"] == "message_deleted"


async def test_users_and_usergroups(client: AsyncWebClient) -> None:
    alice = await client.users_info(user="U0ALICE")
    assert alice["user"]["real_name"] == "Alice Adams" and alice["user"]["tz"] == "Europe/Berlin"
    assert (await api_error(client.users_info(user="U0NOBODY")))["error"] == "user_not_found"
    by_email = await client.users_lookupByEmail(email=alice["user"]["profile"]["email"])
    assert by_email["user"]["id"] == "U0ALICE"
    members = []
    async for page in await client.users_list(limit=2):
        members += [m["name"] for m in page["members"]]
    assert members == ["alice", "bob", "carol", "dave", "opsbot"]
    groups = await client.usergroups_list(include_users=True)
    assert {g["handle"]: g["users"] for g in groups["usergroups"]}["oncall"] == ["U0ALICE", "U0BOB"]
    assert (await client.usergroups_users_list(usergroup="S0ONCALL"))["users"] == ["U0ALICE", "U0BOB"]
