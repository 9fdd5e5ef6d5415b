"""The foundation over real HTTP: signed Slack requests, the webhook's guards, health and metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.server import RunningServer

pytestmark = pytest.mark.calendar_free


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_ticket_help_round_trip(slack: Any, sandbox: Any) -> None:
    response = await slack.slash("/ticket", "help", user="alice", channel="general")
    assert response.status == 200
    reply = await sandbox.workspace.wait_for_ephemeral(user="alice", contains="/ticket — help")
    text = sandbox.workspace.message_text(reply)
    assert "/ticket new <title>" in text and "/ticket matrix" in text


@pytest.mark.parametrize("command", ["/metrics", "/incident", "/ticket", "/oncall"])
async def test_every_command_answers_help(slack: Any, sandbox: Any, command: str) -> None:
    await slack.slash(command, "help", user="bob", channel="ops-alerts")
    reply = await sandbox.workspace.wait_for_ephemeral(user="bob", contains=f"{command} — help")
    assert reply.channel == sandbox.workspace.channel_by_name("ops-alerts").id


async def test_an_unknown_subcommand_gets_the_usage(slack: Any, sandbox: Any) -> None:
    await slack.slash("/oncall", "frobnicate now", user="carol")
    reply = await sandbox.workspace.wait_for_ephemeral(user="carol", contains="is not a /oncall command")
    assert "/oncall override @user <duration>" in sandbox.workspace.message_text(reply)


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},
        {"timestamp": int(time.time()) - 6 * 60},
        {"omit_headers": True},
    ],
    ids=["bad-signature", "stale-timestamp", "missing-headers"],
)
async def test_unverified_slack_requests_get_401_and_change_nothing(
    slack: Any, sandbox: Any, tamper: dict[str, Any]
) -> None:
    calls_before = len(sandbox.workspace.calls)
    response = await slack.slash("/ticket", "help", user="alice", **tamper)
    assert response.status == 401
    assert len(sandbox.workspace.calls) == calls_before
    assert sandbox.workspace.ephemerals == []


async def test_url_verification_echoes_the_challenge(slack: Any) -> None:
    response = await slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.body


async def test_webhook_rejects_a_body_that_is_not_json(
    opsbot: RunningServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{opsbot.url}/alerts/alertmanager", data=b"{not json") as response:
        assert response.status == 400
        assert "not valid JSON" in (await response.json())["error"]
    async with http.post(f"{opsbot.url}/alerts/alertmanager", json=[1, 2]) as response:
        assert response.status == 400
        assert "must be a JSON object" in (await response.json())["error"]


async def test_webhook_rejects_an_oversized_body(opsbot: RunningServer, http: aiohttp.ClientSession) -> None:
    limit = opsbot.deps.settings.file.server.max_body_bytes
    body = b'{"alerts": "' + b"x" * limit + b'"}'
    async with http.post(f"{opsbot.url}/alerts/alertmanager", data=body) as response:
        assert response.status == 413
        assert f"limit of {limit} bytes" in (await response.json())["error"]


async def test_healthz_and_metrics(opsbot: RunningServer, slack: Any, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{opsbot.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["database"] == "ok"
    await slack.slash("/oncall", "help")
    async with http.get(f"{opsbot.url}/metrics") as response:
        exposition = await response.text()
    assert 'opsbot_http_requests_total{route="/healthz",status="200"} 1.0' in exposition
    assert 'opsbot_http_requests_total{route="/slack/events",status="200"} 1.0' in exposition
    assert "opsbot_http_request_seconds_bucket" in exposition
