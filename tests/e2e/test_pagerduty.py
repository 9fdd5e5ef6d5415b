"""PagerDuty end to end, against the sandbox's stand-in: a critical alert triggers once (resends and retries
included), Ack in Slack acknowledges in PagerDuty, a resolve in PagerDuty (a signed v3 webhook) resolves the
Slack message, and a badly signed webhook changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from sandbox.pagerduty import ReceivedEvent
from storage.models import OutboxJob
from tests.support.alertmanager import alert, resolved, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free

SECRET = "pagerduty-webhook-secret-0123456789"
DEDUP_KEY = "critical-alerts/alertname=ApiDown,service=,job=api"


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.02, "escalation": []},  # escalation: test_alert_policies
        "paging": {"pagerduty": {"events_url": sandbox.pagerduty_events_url}},
    }


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings], sandbox: Any) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        OPSBOT_PAGERDUTY_ROUTING_KEY=sandbox.pagerduty.add_routing_key(),
        OPSBOT_PAGERDUTY_WEBHOOK_SECRET=SECRET,
    )
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    sandbox.pagerduty.connect_bot(f"{server.url}/pagerduty/webhook", signing_secrets=[SECRET])
    yield server
    await server.close()


def accepted(action: str) -> Callable[[ReceivedEvent], bool]:
    return lambda event: event.accepted and event.action == action


def sent(sandbox: Any, action: str) -> list[ReceivedEvent]:
    return [e for e in sandbox.pagerduty.events if e.accepted and e.action == action]


async def test_a_critical_alert_triggers_pagerduty_once(opsbot: RunningServer, sandbox: Any) -> None:
    sandbox.pagerduty.inject_faults(1, kind="429")  # PagerDuty throttles the first try: the outbox retries
    api_down = alert("ApiDown", job="api", summary="API answers 503")
    await send(opsbot.url, alert("CacheSlow", job="cache", severity="warning"))  # warnings page no one
    await send(opsbot.url, api_down)
    await sandbox.workspace.wait_for_message("critical-alerts", contains="ApiDown")
    trigger = await sandbox.pagerduty.wait_for_event(accepted("trigger"))
    await send(opsbot.url, api_down)  # Alertmanager re-sends a firing alert: the same episode, no new page
    await wait_until_drained(opsbot.deps.db)
    assert [e.status for e in sandbox.pagerduty.events] == [429, 202]
    assert trigger.dedup_key == DEDUP_KEY and "routing_key" not in trigger.event
    payload = trigger.event["payload"]
    assert payload["summary"] == "ApiDown: API answers 503" and payload["severity"] == "critical"
    assert payload["source"] == "api" and payload["custom_details"]["slack_channel"] == "#critical-alerts"
    assert {"href": "https://runbooks.example/x", "text": "Runbook"} in trigger.event["links"]
    [incident] = sandbox.pagerduty.incidents
    assert incident.status == "triggered" and incident.dedup_key == DEDUP_KEY
    async with opsbot.deps.db.sessions() as session:
        jobs = (await session.execute(select(col(OutboxJob.kind), col(OutboxJob.status)))).all()
    assert [status for kind, status in jobs if kind == "pagerduty.event"] == ["done"]


async def test_ack_in_slack_acknowledges_in_pagerduty_and_the_resolve_follows(
    opsbot: RunningServer, sandbox: Any, slack: SlackPlayer
) -> None:
    ws = sandbox.workspace
    api_down = alert("ApiDown", job="api")
    await send(opsbot.url, api_down)
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    await sandbox.pagerduty.wait_for_event(accepted("trigger"))
    await slack.click(message, "alert_ack", user="alice")
    acknowledge = await sandbox.pagerduty.wait_for_event(accepted("acknowledge"))
    assert acknowledge.dedup_key == DEDUP_KEY and acknowledge.outcome == "acknowledged #1"
    await send(opsbot.url, resolved(api_down))
    await sandbox.pagerduty.wait_for_event(accepted("resolve"))
    await wait_until_drained(opsbot.deps.db)
    assert sandbox.pagerduty.incident(1).log == ["triggered", "acknowledge", "resolve"]
    assert sandbox.pagerduty.incident(1).status == "resolved"


async def test_a_resolve_in_pagerduty_resolves_the_slack_message(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("ApiDown", job="api"))
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    await sandbox.pagerduty.wait_for_event(accepted("trigger"))
    acked = await sandbox.pagerduty.act(1, "acknowledge", user="Pat <!channel> Oncall")
    assert (acked.status, acked.answer) == (200, '{"status": "acknowledged"}')
    await ws.wait_for_update("critical-alerts", message.ts, contains="Acknowledged in PagerDuty by Pat")
    delivery = await sandbox.pagerduty.act(1, "resolve", user="Pat Oncall")
    assert delivery.status == 200
    await ws.wait_for_update("critical-alerts", message.ts, contains="Resolved in PagerDuty by Pat Oncall")
    await ws.wait_for_message("critical-alerts", contains="Resolved in PagerDuty by Pat Oncall after")
    replayed = await sandbox.pagerduty.replay(delivery)  # PagerDuty delivers at least once
    assert (replayed.status, replayed.answer) == (200, '{"status": "unchanged"}')
    await wait_until_drained(opsbot.deps.db)
    assert [e.action for e in sandbox.pagerduty.events] == ["trigger"]  # nothing echoed back to PagerDuty
    texts = [ws.message_text(m) for m in ws.messages("critical-alerts", include_replies=True)]
    assert not [t for t in texts if "<!channel>" in t]  # the PagerDuty name is outside text
    assert sum("Resolved in PagerDuty" in t for t in texts if "after" in t) >= 1


async def test_a_badly_signed_webhook_is_refused_and_changes_nothing(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await send(opsbot.url, alert("ApiDown", job="api"))
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    await sandbox.pagerduty.wait_for_event(accepted("trigger"))
    forged = await sandbox.pagerduty.act(1, "acknowledge", signed_with=["not-the-secret", "another"])
    unsigned = await sandbox.pagerduty.act(1, "resolve", signature="")
    for delivery in (forged, unsigned):
        assert delivery.status == 401 and "X-PagerDuty-Signature" in delivery.answer
    await wait_until_drained(opsbot.deps.db)
    text = ws.message_text(ws.message("critical-alerts", message.ts))
    assert "Resolved" not in text and "Acknowledged" not in text
    assert len(ws.thread("critical-alerts", message.ts)) == 1  # no reply told anything


async def test_without_a_secret_the_webhook_route_does_not_exist(
    make_settings: Callable[..., Settings],
) -> None:
    server = await start_server(build_deps(make_settings()), host="127.0.0.1", port=0)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{server.url}/pagerduty/webhook", json={"event": {}}) as response,
        ):
            assert response.status == 404
    finally:
        await server.close()
