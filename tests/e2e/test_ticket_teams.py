"""/ticket with two teams on one opsbot: tickets of payments and of search, a list of one team, a ticket moved
between them, the form's team select, and a team that does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import SlackPlayer


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.01, "escalation": []},
        "oncall": {"members": ["U0ALICE"]},
        "teams": [
            {"name": "payments", "oncall": {"members": ["U0BOB"]}},
            {"name": "search", "oncall": {"members": ["U0CAROL"]}},
        ],
    }


async def new_ticket(slack: SlackPlayer, ws: Any, text: str, *, number: int, user: str = "alice") -> str:
    await slack.slash("/ticket", f"new {text}", user=user)
    return str(ws.message_text(await ws.wait_for_message("general", contains=f"opened TKT-{number}")))


async def test_a_list_of_one_team_shows_only_its_tickets(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    assert "*Team*\npayments" in await new_ticket(slack, ws, "Retry card captures team=payments", number=1)
    assert "*Team*\nsearch" in await new_ticket(slack, ws, "Reindex nightly team=search", number=2)
    assert "*Team*\npayments" in await new_ticket(slack, ws, "Cache FX rates", number=3, user="bob")
    assert "*Team*\nops" in await new_ticket(slack, ws, "Rotate the logs", number=4)
    await slack.slash("/ticket", "list team=payments", user="dave")
    listed = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="of team payments"))
    assert "Retry card captures" in listed and "Cache FX rates" in listed
    assert "Reindex nightly" not in listed and "Rotate the logs" not in listed
    ws.ephemerals.clear()
    await slack.slash("/ticket", "list", user="dave")
    every = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="Active tickets: 4"))
    assert "team search" in every and "team ops" in every and "team payments" in every


async def test_an_unknown_team_gets_an_ephemeral_naming_the_teams(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Shard the ledger team=billing", user="alice")
    told = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="There is no team 'billing'"))
    assert "teams: ops, payments, search" in told
    await slack.slash("/ticket", "list team=billing", user="alice")
    await ws.wait_for_ephemeral(user="alice", contains="teams: ops, payments, search")
    assert not ws.messages("general")


async def test_a_ticket_moves_to_another_team(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await new_ticket(slack, ws, "Reindex nightly", number=1, user="carol")
    await slack.slash("/ticket", "team 1 payments", user="carol")
    await ws.wait_for_message("general", contains="<@U0CAROL> moved TKT-1 to team payments")
    await slack.slash("/ticket", "list team=search", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="Active tickets of team search: none")
    await slack.slash("/ticket", "show 1", user="carol")
    await ws.wait_for_ephemeral(user="carol", contains="*Team*\npayments")


async def test_the_form_offers_the_teams_and_creates_the_ticket_in_the_chosen_one(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "", user="bob", channel="random")
    form = await ws.wait_for_view(user="bob", callback_id="ticket_new")
    team_select = next(b for b in form.blocks if b.get("block_id") == "ticket_team")["element"]
    assert [o["value"] for o in team_select["options"]] == ["ops", "payments", "search"]
    assert team_select["initial_option"]["value"] == "payments"  # bob is on payments' rotation
    await slack.submit_view(
        form,
        {
            "ticket_title": "Batch the search export",
            "ticket_area": "background jobs",
            "ticket_impact": "high",
            "ticket_effort": "low",
            "ticket_team": "search",
        },
    )
    reply = ws.message_text(await ws.wait_for_message("random", contains="opened TKT-1"))
    assert "*Team*\nsearch" in reply
