"""The launch playbook's critical path end to end, with every destination on at once: a critical alert pages
PagerDuty and texts the on-call once each (Alertmanager re-sending it changes nothing), an Ack in Slack
acknowledges in PagerDuty, and a resolve in PagerDuty resolves the Slack message. The destinations' own
edge cases are in test_pagerduty.py and test_sms.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox.player import SlackPlayer
from sandbox.twilio import SANDBOX_NUMBER
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free

CAROL = "+15550109999"
SECRET = "paging-webhook-secret"


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0CAROL"], "handoff": "daily"},
        "alerts": {"pace_per_channel_seconds": 0.02, "escalation": [{"after_minutes": 600}]},
        "paging": {
            "destinations": {"critical": ["pagerduty", "sms"]},
            "pagerduty": {"events_url": sandbox.pagerduty_events_url},
            "sms": {
                "api_url": sandbox.twilio_url,
                "from_number": SANDBOX_NUMBER,
                "phones": {"U0CAROL": CAROL},
            },
        },
    }


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings], sandbox: Any) -> AsyncIterator[RunningServer]:
    """opsbot with credentials for both of the sandbox's paging stand-ins."""
    settings = make_settings(
        OPSBOT_PAGERDUTY_ROUTING_KEY=sandbox.pagerduty.add_routing_key(),
        OPSBOT_PAGERDUTY_WEBHOOK_SECRET=SECRET,
        OPSBOT_TWILIO_ACCOUNT_SID=sandbox.twilio.account_sid,
        OPSBOT_TWILIO_AUTH_TOKEN=sandbox.twilio.auth_token,
    )
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    sandbox.pagerduty.connect_bot(f"{server.url}/pagerduty/webhook", signing_secrets=[SECRET])
    yield server
    await server.close()


def actions(sandbox: Any) -> list[str]:
    return [event.action for event in sandbox.pagerduty.events if event.accepted]


async def test_a_critical_alert_pages_pagerduty_and_texts_the_on_call_once_each(
    opsbot: RunningServer, sandbox: Any, slack: SlackPlayer
) -> None:
    ws, twilio = sandbox.workspace, sandbox.twilio
    firing = alert("ApiDown", job="api", summary="API answers 503")
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    await sandbox.pagerduty.wait_for_event(lambda e: e.accepted and e.action == "trigger")
    [sms] = await twilio.wait_for_sms(to=CAROL)
    assert sms.body == f"opsbot CRITICAL: ApiDown {ws.permalink(message.channel, message.ts)}"
    await send(opsbot.url, firing)  # Alertmanager re-sends what still fires
    await send(opsbot.url, alert("CacheSlow", job="cache", severity="warning"))  # pages nobody
    await ws.wait_for_message("ops-alerts", contains="CacheSlow")
    await wait_until_drained(opsbot.deps.db, due_by=datetime.now(UTC))
    assert actions(sandbox) == ["trigger"] and twilio.messages == [sms]

    await slack.click(message, "alert_ack", user="carol")
    await sandbox.pagerduty.wait_for_event(lambda e: e.accepted and e.action == "acknowledge")
    resolved = await sandbox.pagerduty.act(1, "resolve", user="Carol Oncall")
    assert resolved.status == 200
    await ws.wait_for_update("critical-alerts", message.ts, contains="Resolved in PagerDuty by Carol Oncall")
    await wait_until_drained(opsbot.deps.db, due_by=datetime.now(UTC))
    assert actions(sandbox) == ["trigger", "acknowledge"]  # the resolve came from PagerDuty: not echoed
    assert twilio.messages == [sms]
