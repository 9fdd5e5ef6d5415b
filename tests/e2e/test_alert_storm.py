"""An alert storm against Slack's real pace (about one message per second per channel)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 1.0, "escalation": []}}


async def test_a_storm_of_one_alertname_becomes_a_handful_of_messages(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.set_rate_limit(1.0, burst=2)
    batches = [
        [alert("Storm", job="api", instance=f"i{b}-{i}", severity="warning") for i in range(100)]
        for b in range(10)
    ]
    results = await asyncio.gather(*(send(opsbot.url, *batch) for batch in batches))
    assert all(status == 200 for status, _ in results)
    await ws.wait_for_message("ops-alerts", contains="1000 of 1000", timeout=20)
    await wait_until_drained(opsbot.deps.db, within=30)  # every coalesced update and thread reply is out
    posts = [c for c in ws.calls if c.method == "chat.postMessage" and c.status == 200]
    assert 1 <= len(posts) <= 20  # one message, then thread replies: how many depends on coalescing
    assert not [c for c in ws.calls if c.status == 429]
    assert len(ws.messages("ops-alerts")) == 1
