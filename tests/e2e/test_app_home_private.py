"""App Home shows a private channel's alerts only to its members; a public channel's to everyone."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from tests.support.alertmanager import alert, send


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "routes": [{"match": ["team=security"], "channel": "security-alerts"}],
            "escalation": [{"after_minutes": 60}],
        }
    }


async def home_text(slack: SlackPlayer, ws: Any, user: str) -> str:
    await slack.app_home_opened(user)
    home = await ws.wait_for_view(user=user, kind="home")
    return str(ws.message_text({"blocks": home.blocks}))


async def test_a_private_channels_alert_is_on_the_home_of_its_members_only(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    private = ws.create_channel("security-alerts", is_private=True, creator="U0ALICE")
    ws.join_channel(private.id, "U0OPSBOT", inviter="U0ALICE")
    await send(opsbot.url, alert("TokenLeak", team="security"))
    await send(opsbot.url, alert("DiskFull"))
    await ws.wait_for_message("security-alerts", contains="TokenLeak")
    await ws.wait_for_message("critical-alerts", contains="DiskFull")
    bobs = await home_text(slack, ws, "bob")
    assert "DiskFull" in bobs and "TokenLeak" not in bobs, bobs
    assert "TokenLeak" in await home_text(slack, ws, "alice")
