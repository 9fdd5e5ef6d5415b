"""Snoozing an alert in Slack creates a real silence in Alertmanager (v2 API), and the message links it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clients.alertmanager import AlertmanagerClient
from bot.config import Settings
from bot.deps import build_deps
from bot.server import start_server
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send
from tests.support.prom import running_alertmanager

pytestmark = pytest.mark.prometheus


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.02, "escalation": []}}


async def test_snooze_creates_an_alertmanager_silence(
    make_settings: Callable[..., Settings], sandbox: Any, tmp_path: Path
) -> None:
    async with running_alertmanager(tmp_path, webhook_url="http://127.0.0.1:9/unused") as am:
        server = await start_server(
            build_deps(make_settings(ALERTMANAGER_URL=am.url)), host="127.0.0.1", port=0
        )
        slack = sandbox.player(bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET)
        try:
            ws = sandbox.workspace
            await send(server.url, alert("DiskAlmostFull", job="node", instance="db-1"))
            message = await ws.wait_for_message("critical-alerts", contains="DiskAlmostFull")
            group = next(
                e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve"
            )
            await slack.click(message, "alert_snooze", user="alice", selected_option_value=f"4h:{group}")
            snoozed = await ws.wait_for_update("critical-alerts", message.ts, contains="|silence>")
            silence_id = re.search(r"#/silences/([0-9a-f-]+)\|silence>", ws.message_text(snoozed))
            assert silence_id, ws.message_text(snoozed)
            async with AlertmanagerClient(am.url) as client:
                silence = await client.get_silence(silence_id.group(1))
            assert silence["status"]["state"] == "active"
            matchers = {m["name"]: m["value"] for m in silence["matchers"]}
            assert matchers == {"alertname": "DiskAlmostFull", "job": "node"}
            assert silence["createdBy"] == "alice"
            assert silence["comment"] == "Snoozed from Slack by alice via opsbot"
        finally:
            await slack.close()
            await server.close()
