"""SlackPlayer against a tiny bot that verifies signatures with slack_sdk and records what it got."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, SlackPlayer, Workspace
from tests.sandbox.fakebot import FakeBot


async def test_slash_sends_slacks_form_and_shows_the_ack(
    player: SlackPlayer, fake: FakeBot, ws: Workspace, sandbox: RunningSandbox
) -> None:
    fake.reply = lambda _: web.json_response({"text": "pong"})
    response = await player.slash("/ping", "hello world", user="bob", channel="ops-alerts")
    assert response.status == 200 and response.json == {"text": "pong"}
    got = fake.received[-1]
    assert got.valid and got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = got.form
    assert list(form) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert (form["user_id"], form["user_name"], form["channel_name"]) == ("U0BOB", "bob", "ops-alerts")
    assert (form["command"], form["text"], form["team_id"]) == ("/ping", "hello world", "T0SANDBOX")
    assert form["response_url"] == player.last_response_url and form["response_url"].startswith(sandbox.url)
    assert form["trigger_id"] == player.last_trigger_id and form["trigger_id"] in ws.triggers
    ephemeral = await ws.wait_for_ephemeral(user="bob", contains="pong", timeout=1)
    assert ephemeral.source == "ack" and ephemeral.channel == form["channel_id"]


async def test_slash_ack_in_channel_plain_text_and_too_slow(
    player: SlackPlayer, fake: FakeBot, ws: Workspace
) -> None:
    fake.reply = lambda _: web.json_response({"response_type": "in_channel", "text": "Incident declared"})
    await player.slash("/incident", "declare", channel="incidents")
    assert (await ws.wait_for_message("incidents", contains="declared", timeout=1)).bot_id == "B0OPSBOT"
    fake.reply = lambda _: web.Response(text="plain ack")
    await player.slash("/incident", "help", user="carol")
    assert (await ws.wait_for_ephemeral(user="carol", timeout=1)).text == "plain ack"
    player.ack_timeout, fake.delay = 0.05, 0.2
    await player.slash("/incident", "slow", user="dave")
    failure = await ws.wait_for_ephemeral(user="dave", timeout=1)
    assert failure.text == '/incident failed with the error "operation_timeout"' and failure.source == "slack"


async def test_forged_requests_are_rejected_and_show_nothing(
    player: SlackPlayer, fake: FakeBot, ws: Workspace
) -> None:
    tampered: list[dict[str, Any]] = [
        {"signature": "v0=" + "0" * 64},
        {"timestamp": int(time.time()) - 6 * 60},
        {"omit_headers": True},
    ]
    for overrides in tampered:
        response = await player.slash("/ticket", "help", **overrides)
        assert response.status == 401 and not fake.received[-1].valid
    assert "X-Slack-Signature" not in fake.received[-1].headers
    assert ws.ephemerals == []
    hostile = await player.raw(b'{"type": "event_callback", "event": 42}')
    assert hostile.status == 200 and fake.received[-1].valid, "raw bodies are signed unless overridden"


async def test_click_builds_block_actions_from_the_stored_message(
    player: SlackPlayer, fake: FakeBot, ws: Workspace, client: AsyncWebClient
) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "alert", "text": {"type": "mrkdwn", "text": "*CPU high*"}},
        {
            "type": "actions",
            "block_id": "buttons",
            "elements": [
                {
                    "type": "button",
                    "action_id": "ack",
                    "text": {"type": "plain_text", "text": "Ack"},
                    "value": "a1",
                },
                {
                    "type": "static_select",
                    "action_id": "snooze",
                    "options": [{"text": {"type": "plain_text", "text": "1h"}, "value": "60"}],
                },
            ],
        },
    ]
    posted = await client.chat_postMessage(channel="ops-alerts", text="CPU high", blocks=blocks)
    message = ws.message("ops-alerts", posted["ts"])
    await player.click(message, "ack", user="carol")
    payload = fake.received[-1].payload
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0CAROL"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": message.channel,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": message.channel, "name": "ops-alerts"}
    assert payload["message"]["blocks"][0]["block_id"] == "alert" and payload["state"] == {"values": {}}
    action = payload["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"], action["value"]) == (
        "button",
        "ack",
        "buttons",
        "a1",
    )
    assert payload["trigger_id"] in ws.triggers

    await player.click(posted["ts"], "snooze", channel="ops-alerts", selected_option_value="60")
    chosen = fake.received[-1].payload["actions"][0]
    assert chosen["selected_option"] == {"text": {"type": "plain_text", "text": "1h"}, "value": "60"}

    async with aiohttp.ClientSession() as http:
        await http.post(payload["response_url"], json={"replace_original": True, "text": "Acked by carol"})
    assert (await ws.wait_for_update("ops-alerts", posted["ts"], timeout=1)).text == "Acked by carol"
    assert ws.message("ops-alerts", posted["ts"]).blocks == [], "replace_original replaces everything"
    with pytest.raises(LookupError, match="no element with action_id 'nope'"):
        await player.click(message, "nope")


async def test_click_on_an_ephemeral_message(player: SlackPlayer, fake: FakeBot, ws: Workspace) -> None:
    button = {"type": "button", "action_id": "confirm", "text": {"type": "plain_text", "text": "Confirm"}}
    ephemeral = ws.add_ephemeral(
        "general", "alice", text="Sure?", blocks=[{"type": "actions", "elements": [button]}]
    )
    await player.click(ephemeral, "confirm")
    payload = fake.received[-1].payload
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    async with aiohttp.ClientSession() as http:
        await http.post(payload["response_url"], json={"replace_original": True, "text": "Done"})
    assert ws.ephemeral(ephemeral.ts).text == "Done"


async def test_submit_view_follows_response_actions(
    player: SlackPlayer, fake: FakeBot, ws: Workspace, client: AsyncWebClient
) -> None:
    severity = {
        "type": "static_select",
        "action_id": "pick",
        "options": [{"text": {"type": "plain_text", "text": "SEV1"}, "value": "sev1"}],
    }
    view = {
        "type": "modal",
        "callback_id": "declare",
        "private_metadata": "ch=C1",
        "title": {"type": "plain_text", "text": "Declare"},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": severity,
            },
            {
                "type": "input",
                "block_id": "owner",
                "optional": True,
                "label": {"type": "plain_text", "text": "Owner"},
                "element": {"type": "users_select", "action_id": "who"},
            },
        ],
    }
    await player.slash("/incident", "declare")
    opened = await client.views_open(trigger_id=player.last_trigger_id, view=view)
    view_id = opened["view"]["id"]

    fake.reply = lambda _: web.json_response({"response_action": "errors", "errors": {"title": "Too short"}})
    await player.submit_view(view_id, {"title": "DB", "pick": "sev1", "owner": "bob"})
    payload = fake.received[-1].payload
    assert payload["type"] == "view_submission" and payload["user"]["id"] == "U0ALICE"
    assert (payload["view"]["callback_id"], payload["view"]["private_metadata"]) == ("declare", "ch=C1")
    assert payload["view"]["state"]["values"] == {
        "title": {"value": {"type": "plain_text_input", "value": "DB"}},
        "severity": {"pick": {"type": "static_select", "selected_option": severity["options"][0]}},
        "owner": {"who": {"type": "users_select", "selected_user": "U0BOB"}},
    }
    assert not ws.views[view_id].closed

    updated = {**view, "title": {"type": "plain_text", "text": "Confirm"}}
    fake.reply = lambda _: web.json_response({"response_action": "update", "view": updated})
    await player.submit_view(view_id, {"title": "Database down", "severity": "sev1"})
    assert ws.views[view_id].title == {"type": "plain_text", "text": "Confirm"}

    fake.reply = lambda _: web.Response()
    await player.submit_view(ws.views[view_id], {"title": "Database down", "severity": "sev1"})
    assert ws.views[view_id].closed and ws.open_views("alice") == []
    with pytest.raises(ValueError, match="is closed"):
        await player.submit_view(view_id, {"title": "again", "severity": "sev1"})


async def test_submit_view_refuses_what_slack_would_not_send(
    player: SlackPlayer, ws: Workspace, client: AsyncWebClient
) -> None:
    label = {"type": "plain_text", "text": "Title"}
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Declare"},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {"type": "input", "label": label, "element": {"type": "plain_text_input", "action_id": "t"}}
        ],
    }
    view_id = (await client.views_open(trigger_id=ws.issue_trigger("alice"), view=view))["view"]["id"]
    with pytest.raises(ValueError, match=r"required input .* has no value"):
        await player.submit_view(view_id, {})
    with pytest.raises(ValueError, match=r"no input block for \['typo'\]"):
        await player.submit_view(view_id, {"t": "x", "typo": "y"})


async def test_events_envelope_retries_and_helpers(player: SlackPlayer, fake: FakeBot, ws: Workspace) -> None:
    response = await player.event({"type": "app_mention", "text": "hi"}, event_id="Ev123", retry_num=1)
    got = fake.received[-1]
    assert response.status == 200 and got.valid
    assert (got.headers["X-Slack-Retry-Num"], got.headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    envelope = got.payload
    assert (envelope["type"], envelope["event_id"], envelope["team_id"]) == (
        "event_callback",
        "Ev123",
        "T0SANDBOX",
    )
    assert envelope["authorizations"][0]["user_id"] == "U0OPSBOT" and envelope["event"]["event_ts"]

    fake.reply = lambda r: web.json_response({"challenge": json.loads(r.body)["challenge"]})
    assert (await player.url_verification("abc123")).json == {"challenge": "abc123"}

    fake.reply = lambda _: web.Response()
    said = await player.message("incidents", "<@U0OPSBOT> status?", user="bob")
    kinds = [r.payload["event"]["type"] for r in fake.received[-2:]]
    assert kinds == ["message", "app_mention"] and fake.received[-1].payload["event"]["ts"] == said.ts
    direct = await player.message("@opsbot", "help", user="dave")
    dm_event = fake.received[-1].payload["event"]
    assert (dm_event["channel_type"], dm_event["channel"]) == ("im", direct.channel)
    assert ws.channel("@dave").id == direct.channel
    await player.reaction_added("incidents", said.ts, "white_check_mark", user="alice")
    assert fake.received[-1].payload["event"]["item"] == {
        "type": "message",
        "channel": said.channel,
        "ts": said.ts,
    }
    assert ws.message("incidents", said.ts).reactions[0]["users"] == ["U0ALICE"]
    await player.member_joined_channel("random", "dave")
    assert "U0DAVE" in ws.channel_by_name("random").members
    await player.app_home_opened("carol")
    home = fake.received[-1].payload["event"]
    assert (home["type"], home["tab"], home["channel"]) == (
        "app_home_opened",
        "home",
        ws.channel("@carol").id,
    )
