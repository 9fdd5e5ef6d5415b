"""Each team pages its own PagerDuty service: a team naming a routing-key variable triggers, acknowledges
and resolves there; the others use the shared key; a named variable that is unset stops the start."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.errors import ConfigError
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.support.alertmanager import alert, resolved, send


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.02, "escalation": []},
        "paging": {"pagerduty": {"events_url": sandbox.pagerduty_events_url}},
        "teams": [
            {
                "name": "payments",
                "match": ["team=payments"],
                "channels": {"critical": "payments-oncall"},
                "pagerduty_routing_key_env": "PAYMENTS_PAGERDUTY_KEY",
            },
            {"name": "search", "match": ["team=search"]},
        ],
    }


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings], sandbox: Any) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        OPSBOT_PAGERDUTY_ROUTING_KEY=sandbox.pagerduty.add_routing_key(service="Shared"),
        PAYMENTS_PAGERDUTY_KEY=sandbox.pagerduty.add_routing_key(service="Payments"),
    )
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


async def test_each_team_pages_its_own_service(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    payments = alert("LedgerDown", team="payments")
    await send(opsbot.url, payments, alert("IndexDown", team="search"))
    events = sandbox.pagerduty.events
    await ws.wait_until(
        lambda: len([e for e in events if e.accepted]) == 2 or None,
        timeout=15,
        describe=lambda: f"events so far: {[(e.action, e.service) for e in events]}",
    )
    by_class = {e.event["payload"]["class"]: e for e in events if e.action == "trigger"}
    assert by_class["LedgerDown"].service == "Payments" and by_class["IndexDown"].service == "Shared"
    assert by_class["LedgerDown"].event["payload"]["custom_details"]["team"] == "payments"
    assert by_class["IndexDown"].event["payload"]["custom_details"]["team"] == "search"

    message = await ws.wait_for_message("payments-oncall", contains="LedgerDown")
    await slack.click(message, "alert_ack", user="alice")
    await sandbox.pagerduty.wait_for_event(lambda e: e.accepted and e.action == "acknowledge")
    await send(opsbot.url, resolved(payments))
    await ws.wait_until(
        lambda: (
            [e.action for e in events if e.service == "Payments" and e.accepted]
            == ["trigger", "acknowledge", "resolve"]
            or None
        ),
        timeout=15,
        describe=lambda: f"events so far: {[(e.action, e.service) for e in events]}",
    )


def test_a_team_routing_key_variable_that_is_unset_stops_the_start(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(
        ConfigError, match=r"teams\.payments\.pagerduty_routing_key_env: PAYMENTS_PAGERDUTY_KEY is not set"
    ):
        make_settings()
    with pytest.raises(ConfigError, match="PAYMENTS_PAGERDUTY_KEY must be the 32-character Integration Key"):
        make_settings(PAYMENTS_PAGERDUTY_KEY="short")
