"""Who may see a channel's items: everyone for a public channel, its members for a private one, nobody for a
private channel opsbot is not in; answers kept briefly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.channel_audience import ChannelAudience
from bot.config import Settings
from bot.deps import Deps, build_deps


@pytest.fixture
async def deps(make_settings: Callable[..., Settings]) -> AsyncIterator[Deps]:
    built = build_deps(make_settings())
    built.open_http()
    yield built
    await built.close()


async def test_a_private_channel_is_for_its_members_a_public_one_for_all(deps: Deps, sandbox: Any) -> None:
    ws = sandbox.workspace
    private = ws.create_channel("sec", is_private=True, creator="U0ALICE")
    ws.join_channel(private.id, "U0OPSBOT", inviter="U0ALICE")
    hidden = ws.create_channel("hr", is_private=True, creator="U0BOB")  # opsbot is not in it
    public = ws.channel_by_name("random")
    audience = deps.audience
    assert await audience.can_see(user_id="U0ALICE", channel_id=private.id)
    assert not await audience.can_see(user_id="U0BOB", channel_id=private.id)
    assert await audience.can_see(user_id="U0DAVE", channel_id=public.id)
    assert not await audience.can_see(user_id="U0BOB", channel_id=hidden.id)  # not even its own member


async def test_someone_who_left_stops_seeing_it_when_the_answer_expires(deps: Deps, sandbox: Any) -> None:
    ws = sandbox.workspace
    private = ws.create_channel("sec", is_private=True, creator="U0ALICE")
    ws.join_channel(private.id, "U0OPSBOT", inviter="U0ALICE")
    now = [0.0]
    audience = ChannelAudience(deps.slack, ttl_seconds=60, clock=lambda: now[0])
    assert await audience.can_see(user_id="U0ALICE", channel_id=private.id)
    private.members.remove("U0ALICE")
    now[0] = 59.0
    assert await audience.can_see(user_id="U0ALICE", channel_id=private.id)  # kept briefly
    now[0] = 60.0
    assert not await audience.can_see(user_id="U0ALICE", channel_id=private.id)
