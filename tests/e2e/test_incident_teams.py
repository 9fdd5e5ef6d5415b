"""Incidents with two teams on one opsbot: a SEV1 declared from a payments alert belongs to payments, invites
the payments on-call (not search's), is announced in payments' incidents channel, and lists per team."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from storage import incidents as store
from tests.support.alertmanager import alert, send
from tests.support.incidents import incident_channel

PAYMENTS_CHANNELS = ("payments-critical", "payments-alerts", "payments-incidents")


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"name": "Search", "handle": "search"},
        "oncall": {"members": ["U0CAROL"], "handoff": "daily"},
        "alerts": {"pace_per_channel_seconds": 0.01, "escalation": []},
        "teams": [
            {
                "name": "payments",
                "title": "Payments",
                "match": ["team=payments"],
                "channels": {
                    "critical": "payments-critical",
                    "warning": "payments-alerts",
                    "incidents": "payments-incidents",
                },
                "oncall": {"members": ["U0DAVE"], "handoff": "daily"},
            }
        ],
    }


def make_payments_channels(ws: Any) -> None:
    """The payments team's channels, made by a person (opsbot joins each on its first post)."""
    for name in PAYMENTS_CHANNELS:
        ws.create_channel(name, creator="U0ALICE")


async def test_a_sev1_declared_from_a_payments_alert_is_payments_own(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    make_payments_channels(ws)
    critical = alert("CardDeclines", severity="critical", job="checkout", team="payments")
    critical["annotations"] = {"summary": "card declines above 20%"}
    await send(opsbot.url, critical)
    message = await ws.wait_for_message("payments-critical", contains="CardDeclines")
    await slack.click(message, "alert_declare_incident", user="alice")
    form = await ws.wait_for_view(user="alice", callback_id="incident_declare")
    team_field = next(b for b in form.blocks if b.get("block_id") == "incident_team")
    assert team_field["element"]["initial_option"]["value"] == "payments"  # the alert's team, chosen
    await slack.submit_view(
        form, {"incident_title": "Card declines", "incident_severity": "1", "incident_team": "payments"}
    )
    channel = await incident_channel(ws, 1)
    assert {"U0ALICE", "U0DAVE"} <= set(channel.members)  # the declarer and the payments on-call
    assert "U0CAROL" not in channel.members  # search's on-call stays out
    announcement = await ws.wait_for_message("payments-incidents", contains="Card declines")
    assert "*Team*\npayments" in ws.message_text(announcement)
    await ws.wait_for_message("critical-alerts", contains="Card declines")  # the level's `announce` stays
    in_search = ws.messages("incidents", include_replies=True)
    assert not [m for m in in_search if "Card declines" in ws.message_text(m)]
    stored = await store.get(opsbot.deps.db, 1)
    assert stored is not None and stored.team == "payments"

    await slack.slash("/incident", "list payments", user="bob")
    listed = await ws.wait_for_ephemeral(user="bob", contains="Open incidents of payments")
    assert "INC-1" in ws.message_text(listed)
    await slack.slash("/incident", "list team=search", user="carol")
    empty = await ws.wait_for_ephemeral(user="carol", contains="incidents of search")
    assert "No open incidents of search" in ws.message_text(empty) and "INC-1" not in ws.message_text(empty)


async def test_a_team_named_in_the_command_owns_the_incident_and_an_unknown_one_is_refused(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    make_payments_channels(ws)
    await slack.slash("/incident", "declare sev3 team=payments Refunds slow", user="bob")
    header = await ws.wait_for_message("payments-incidents", contains="SEV3 Medium · Refunds slow")
    assert "*Team*\npayments" in ws.message_text(header)
    await slack.slash("/incident", "declare sev3 Index lagging", user="bob")
    await ws.wait_for_message("incidents", contains="SEV3 Medium · Index lagging")
    await slack.slash("/incident", "list", user="carol")
    listed = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="Open incidents"))
    assert "Refunds slow" in listed and "· payments" in listed and "· search" in listed
    await slack.slash("/incident", "declare sev2 team=billing Invoices late", user="alice")
    refused = await ws.wait_for_ephemeral(user="alice", contains="There is no team 'billing'")
    assert "search, payments" in ws.message_text(refused)
