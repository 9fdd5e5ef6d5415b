"""Fixtures for the sandbox's own tests: a served sandbox, the real slack_sdk client, a tiny verifying bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, SlackPlayer, Workspace, start_sandbox
from sandbox.scopes import ALL_SCOPES
from tests.sandbox.fakebot import SECRET, FakeBot

BOT_TOKEN = "xoxb-sandbox-token"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A sandbox on an ephemeral loopback port, granting every scope its methods know (but chat:write.public,
    so a post into a channel the bot is not in stays `not_in_channel`): these tests exercise the methods;
    tests/sandbox/test_strictness.py checks the scopes."""
    running = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes=ALL_SCOPES - {"chat:write.public"})
    yield running
    await running.close()


@pytest.fixture
def ws(sandbox: RunningSandbox) -> Workspace:
    """The served sandbox's workspace state."""
    return sandbox.workspace


@pytest.fixture
def client(sandbox: RunningSandbox) -> AsyncWebClient:
    """The real slack_sdk client, exactly as the bot builds it, aimed at the sandbox."""
    return AsyncWebClient(token=BOT_TOKEN, base_url=sandbox.api_url, timeout=5)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBot]:
    """A tiny bot on an ephemeral port that verifies signatures like Bolt and records every request."""
    bot = FakeBot()
    await bot.start()
    yield bot
    await bot.close()


@pytest.fixture
async def player(sandbox: RunningSandbox, fake: FakeBot) -> AsyncIterator[SlackPlayer]:
    """The sandbox playing Slack toward the fake bot."""
    async with sandbox.player(bot_url=fake.url, signing_secret=SECRET) as playing:
        yield playing
