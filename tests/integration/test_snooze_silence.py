"""Snoozing an alert in Slack creates a real silence in Alertmanager (v2 API), and the message links it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clients.alertmanager import AlertmanagerClient
from bot.config import Settings
from bot.deps import build_deps
from bot.server import start_server
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send, timestamp
from tests.support.prom import running_alertmanager

pytestmark = pytest.mark.prometheus


@pytest.fixture
def bot_config() -> dict[str, Any]:
    routes = [{"match": ["team=payments"], "channel": "random"}]
    return {"alerts": {"pace_per_channel_seconds": 0.02, "escalation": [], "routes": routes}}


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
            # every label that decides the group, one it lacks as "" (absent)
            group = {"alertname": "DiskAlmostFull", "service": "", "job": "node", "severity": "critical"}
            assert matchers == {**group, "team": ""}
            assert silence["createdBy"] == "alice"
            assert silence["comment"] == "Snoozed from Slack by alice via opsbot"
        finally:
            await slack.close()
            await server.close()


# Three siblings of the snoozed group's alert, each in another opsbot group: a group_by label the group lacks,
# another severity (so another channel), a label a route sends elsewhere.
SIBLINGS = [{"service": "billing"}, {"severity": "warning"}, {"team": "payments"}]


async def test_a_snooze_silences_its_group_and_no_sibling(
    make_settings: Callable[..., Settings], sandbox: Any, tmp_path: Path
) -> None:
    base = {"alertname": "DiskAlmostFull", "job": "node", "instance": "db-1", "severity": "critical"}
    everyone = [base, *({**base, **change} for change in SIBLINGS)]
    async with running_alertmanager(tmp_path, webhook_url="http://127.0.0.1:9/unused") as am:
        await _fire_in_alertmanager(am.url, everyone)
        server = await start_server(
            build_deps(make_settings(ALERTMANAGER_URL=am.url)), host="127.0.0.1", port=0
        )
        slack = sandbox.player(bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET)
        try:
            ws = sandbox.workspace
            for labels in everyone:
                rest = {k: v for k, v in labels.items() if k not in ("alertname", "severity")}
                await send(server.url, alert(labels["alertname"], severity=labels["severity"], **rest))
                if labels is base:
                    message = await ws.wait_for_message("critical-alerts", contains="DiskAlmostFull")
            await ws.wait_for_message("critical-alerts", contains="billing")
            await ws.wait_for_message("ops-alerts", contains="DiskAlmostFull")
            await ws.wait_for_message("random", contains="DiskAlmostFull")
            group = next(
                e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve"
            )
            await slack.click(message, "alert_snooze", user="alice", selected_option_value=f"4h:{group}")
            await ws.wait_for_update("critical-alerts", message.ts, contains="|silence>")
            states = await _states_in_alertmanager(am.url)
            assert list(states.values()).count("suppressed") == 1, states
            assert states[_key(base)] == "suppressed", states
        finally:
            await slack.close()
            await server.close()


async def _fire_in_alertmanager(url: str, alerts: list[dict[str, str]]) -> None:
    now = datetime.now(UTC)
    body = [
        {"labels": labels, "startsAt": timestamp(now), "endsAt": timestamp(now + timedelta(hours=1))}
        for labels in alerts
    ]
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/api/v2/alerts", json=body) as response,
    ):
        assert response.status == 200, await response.text()


async def _states_in_alertmanager(url: str) -> dict[str, str]:
    """Each alert's state as Alertmanager reports it now ("suppressed" when a silence covers it)."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/api/v2/alerts") as response:
        alerts = await response.json()
    return {_key(a["labels"]): a["status"]["state"] for a in alerts}


def _key(labels: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in sorted(labels.items()))
