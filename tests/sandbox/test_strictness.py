"""The sandbox refuses what real Slack refuses: missing scopes, names for IDs, rate tiers, unknown fields;
and it can lose an answer after the call took effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, Workspace, start_sandbox
from sandbox.faults import TierRateLimiter
from sandbox.scopes import ALL_SCOPES, TIER_PER_MINUTE, manifest_scopes
from tests.support.sandbox_page import post_control

BOT_TOKEN = "xoxb-sandbox-token"


async def api_error(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


@pytest.fixture
async def strict() -> AsyncIterator[RunningSandbox]:
    """A sandbox granting exactly manifest.yml's scopes, as the end-to-end tier runs it."""
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, rate_limits=True)
    yield running
    await running.close()


@pytest.fixture
async def full() -> AsyncIterator[RunningSandbox]:
    """A sandbox granting every scope its methods know, to check what comes after the scope check."""
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes=ALL_SCOPES)
    yield running
    await running.close()


def client_for(running: RunningSandbox) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=running.api_url, timeout=5)


async def post_raw(http: aiohttp.ClientSession, running: RunningSandbox, channel: str, text: str) -> Any:
    """chat.postMessage over plain HTTP, so the test sees the transport itself (a dropped answer, a 500)."""
    return await http.post(
        f"{running.api_url}chat.postMessage",
        json={"channel": channel, "text": text},
        headers={"Authorization": f"Bearer {BOT_TOKEN}"},
    )


async def test_the_sandbox_grants_exactly_the_manifests_scopes_and_says_so(strict: RunningSandbox) -> None:
    assert strict.workspace.scopes == manifest_scopes()
    response = await client_for(strict).auth_test()
    assert response.headers["X-OAuth-Scopes"] == ",".join(sorted(manifest_scopes()))


async def test_a_missing_scope_is_refused_with_needed_and_provided() -> None:
    granted = manifest_scopes() - {"chat:write"}
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes=granted)
    try:
        general = running.workspace.channel_by_name("general").id
        body = await api_error(client_for(running).chat_postMessage(channel=general, text="hi"))
        assert body["error"] == "missing_scope" and body["needed"] == "chat:write"
        assert body["provided"] == ",".join(sorted(granted))
        assert all(m.text != "hi" for m in running.workspace.messages(general)), "refused calls do nothing"
    finally:
        await running.close()


async def test_history_needs_the_scope_of_the_conversations_type() -> None:
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes={"channels:history", "im:write"})
    try:
        client = client_for(running)
        dm = (await client.conversations_open(users="U0ALICE"))["channel"]["id"]
        body = await api_error(client.conversations_history(channel=dm))
        assert (body["error"], body["needed"]) == ("missing_scope", "im:history")
        general = running.workspace.channel_by_name("general").id
        assert (await client.conversations_history(channel=general))["ok"]
    finally:
        await running.close()


async def test_posting_into_a_public_channel_the_bot_is_not_in_needs_chat_write_public() -> None:
    without = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes={"chat:write"})
    with_public = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes={"chat:write", "chat:write.public"})
    try:
        random_id = without.workspace.channel_by_name("random").id
        body = await api_error(client_for(without).chat_postMessage(channel=random_id, text="hi"))
        assert body["error"] == "not_in_channel"
        random_id = with_public.workspace.channel_by_name("random").id
        assert (await client_for(with_public).chat_postMessage(channel=random_id, text="hi"))["ok"]
    finally:
        await without.close()
        await with_public.close()


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("chat.update", {"ts": "1.000001", "text": "x"}),
        ("chat.delete", {"ts": "1.000001"}),
        ("chat.getPermalink", {"message_ts": "1.000001"}),
        ("conversations.history", {}),
        ("conversations.info", {}),
        ("reactions.add", {"timestamp": "1.000001", "name": "eyes"}),
        ("pins.add", {"timestamp": "1.000001"}),
    ],
)
async def test_methods_taking_a_conversation_id_refuse_a_name(
    full: RunningSandbox, method: str, args: dict[str, Any]
) -> None:
    client = client_for(full)
    for name in ("general", "#general"):
        body = await api_error(client.api_call(method, json={"channel": name, **args}))
        assert body["error"] == "channel_not_found", (method, name)


async def test_bookmarks_add_refuses_a_name_but_chat_post_message_takes_one(full: RunningSandbox) -> None:
    client = client_for(full)
    body = await api_error(
        client.bookmarks_add(channel_id="general", title="Runbook", type="link", link="https://example.com")
    )
    assert body["error"] == "channel_not_found"
    posted = await client.chat_postMessage(channel="#general", text="names are fine here")
    assert posted["channel"] == full.workspace.channel_by_name("general").id


async def test_conversations_open_follows_slacks_rules(strict: RunningSandbox) -> None:
    client = client_for(strict)
    assert (await api_error(client.api_call("conversations.open", json={})))[
        "error"
    ] == "users_list_not_supplied"
    first = await client.conversations_open(users="U0ALICE")
    assert first["channel"] == {"id": first["channel"]["id"]} and "already_open" not in first
    again = await client.conversations_open(users="U0ALICE", return_im=True)
    assert again["already_open"] and again["channel"]["is_im"]
    resumed = await client.conversations_open(channel=first["channel"]["id"])
    assert resumed["channel"]["id"] == first["channel"]["id"]
    general = strict.workspace.channel_by_name("general").id
    body = await api_error(client.conversations_open(channel=general))
    assert body["error"] == "method_not_supported_for_channel_type"
    group = await api_error(client.conversations_open(users="U0ALICE,U0BOB"))
    assert (group["error"], group["needed"]) == ("missing_scope", "mpim:write"), "a group DM is not an IM"


async def test_a_lost_answer_still_takes_effect(strict: RunningSandbox) -> None:
    ws = strict.workspace
    general = ws.channel_by_name("general").id
    ws.inject_faults(1, kind="lost_answer", methods={"chat.postMessage"})
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientError):
            await post_raw(http, strict, general, "posted, answer lost")
    assert ws.messages(general)[-1].text == "posted, answer lost"
    assert ws.calls[-1].response["error"] == "lost_answer"


async def test_a_lost_answer_can_come_back_as_a_500(strict: RunningSandbox) -> None:
    ws = strict.workspace
    general = ws.channel_by_name("general").id
    ws.inject_faults(1, kind="lost_answer", answer="500", methods={"chat.postMessage"})
    async with aiohttp.ClientSession() as http:
        response = await post_raw(http, strict, general, "posted, then a 500")
        assert response.status == 500
    assert ws.messages(general)[-1].text == "posted, then a 500"


async def test_a_method_over_its_tier_gets_429_with_retry_after(strict: RunningSandbox) -> None:
    now = [0.0]
    strict.workspace.tier_limiter = TierRateLimiter(TIER_PER_MINUTE, clock=lambda: now[0])
    quota = TIER_PER_MINUTE[2]  # conversations.list is Tier 2: 20+ per minute, bursts allowed
    async with aiohttp.ClientSession() as http:

        async def call() -> aiohttp.ClientResponse:
            return await http.post(
                f"{strict.api_url}conversations.list", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
            )

        assert [(await call()).status for _ in range(quota)] == [200] * quota
        limited = await call()
        assert limited.status == 429 and limited.headers["Retry-After"] == "3"
        assert (await limited.json())["error"] == "ratelimited"
        now[0] += 3.0
        assert (await call()).status == 200


async def test_the_per_channel_post_limit_allows_a_short_burst(strict: RunningSandbox) -> None:
    ws: Workspace = strict.workspace
    general = ws.channel_by_name("general").id
    client = AsyncWebClient(token=BOT_TOKEN, base_url=strict.api_url, timeout=5)  # no retry handlers
    for n in range(3):
        await client.chat_postMessage(channel=general, text=f"burst {n}")
    body = await api_error(client.chat_postMessage(channel=general, text="one too many"))
    assert body["error"] == "ratelimited"


async def test_an_unknown_block_kit_field_is_refused_by_name(strict: RunningSandbox) -> None:
    general = strict.workspace.channel_by_name("general").id
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}, "colour": "red"}]
    body = await api_error(client_for(strict).chat_postMessage(channel=general, text="hi", blocks=blocks))
    assert body["error"] == "invalid_blocks"
    assert body["errors"] == ["unknown field: colour [json-pointer:/blocks/0/colour]"]


async def test_an_element_a_block_cannot_hold_is_refused(strict: RunningSandbox) -> None:
    general = strict.workspace.channel_by_name("general").id
    text_input = {"type": "plain_text_input", "action_id": "note"}
    blocks = [{"type": "actions", "elements": [text_input]}]
    body = await api_error(client_for(strict).chat_postMessage(channel=general, text="hi", blocks=blocks))
    assert body["errors"] == [
        "unsupported element type: plain_text_input [json-pointer:/blocks/0/elements/0/type]"
    ]


async def test_the_pages_lost_answer_button_loses_the_next_posts_answer(strict: RunningSandbox) -> None:
    ws = strict.workspace
    general = ws.channel_by_name("general").id
    async with aiohttp.ClientSession() as http:
        status, answer = await post_control(strict, "faults", {"kind": "lost_answer"})
        assert status == 200, answer
        with pytest.raises(aiohttp.ClientError):
            await post_raw(http, strict, general, "from the page")
    assert ws.messages(general)[-1].text == "from the page"
