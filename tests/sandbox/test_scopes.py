"""The one method table: every method the sandbox serves is in it, and it maps calls to Slack's scopes."""

from __future__ import annotations

import pytest

from sandbox.scopes import METHODS, OUTSIDER, TIER_PER_MINUTE, scopes_for
from sandbox.webapi import METHODS as SERVED


def test_every_served_method_has_its_scopes_and_tier() -> None:
    assert set(SERVED) == set(METHODS)
    assert all(need.tier == 0 or need.tier in TIER_PER_MINUTE for need in METHODS.values())


@pytest.mark.parametrize(
    ("method", "context", "scopes"),
    [
        ("conversations.history", "public_channel", ("channels:history",)),
        ("conversations.history", "private_channel", ("groups:history",)),
        ("conversations.history", "im", ("im:history",)),
        ("conversations.replies", "mpim", ("mpim:history",)),
        ("conversations.list", "private_channel,public_channel", ("groups:read", "channels:read")),
        ("conversations.create", "private_channel", ("groups:write",)),
        ("conversations.open", "im", ("im:write",)),
        ("conversations.open", "mpim", ("mpim:write",)),
        ("conversations.setTopic", "public_channel", ("channels:manage",)),
        ("chat.postMessage", "", ("chat:write",)),
        ("chat.postMessage", OUTSIDER, ("chat:write", "chat:write.public")),
        ("users.lookupByEmail", "", ("users:read.email",)),
        ("views.open", "", ()),
        ("auth.test", "", ()),
    ],
)
def test_calls_map_to_the_scopes_slack_documents(method: str, context: str, scopes: tuple[str, ...]) -> None:
    assert scopes_for(method, context) == scopes
