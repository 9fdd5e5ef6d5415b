"""The Slack gateway on the sandbox: a retried post into a channel opsbot is not (or no longer) in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import Deps, build_deps
from storage.migrate import upgrade


@pytest.fixture
async def deps(make_settings: Callable[..., Settings], sqlite_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, sqlite_url)
    built = build_deps(make_settings())
    yield built
    await built.close()


async def test_a_retried_post_into_a_channel_opsbot_left_is_delivered(deps: Deps, sandbox: Any) -> None:
    ws = sandbox.workspace
    random = ws.channel_by_name("random")
    assert "U0OPSBOT" not in random.members  # never invited, or removed after an earlier try
    channel_id, ts = await deps.gateway.post_or_update(
        channel="random", channel_id=None, ts=None, payload={"text": "Deploy done"}, marker="m-1"
    )
    assert (channel_id, ws.message("random", ts).text) == (random.id, "Deploy done")
    assert "U0OPSBOT" in random.members
    refused = [c for c in ws.calls if c.method == "conversations.history"]
    assert refused and refused[0].response["error"] == "not_in_channel"
