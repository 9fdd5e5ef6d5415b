"""Two teams on one opsbot, each with its own layered rotation: /oncall names each team's people, an override
of one team's secondary changes only that layer, a payments alert pages the payments on-call (first the
primary, then the secondary), and the App Home lists the teams a person is on call for."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send
from tests.support.clock import MovableClock

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

STEP = 2.0  # seconds: each escalation step's delay
# A Tuesday noon in UTC, far from any hand-off.
START = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def layer(name: str, *members: str) -> dict[str, Any]:
    return {"name": name, "members": list(members), "handoff": "weekly", "start": "2026-11-09"}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0DAVE"]},
        "alerts": {"pace_per_channel_seconds": 0.02},
        "teams": [
            {
                "name": "payments",
                "match": ["team=payments"],
                "channels": {"critical": "payments-oncall"},
                "oncall": {"layers": [layer("primary", "U0ALICE"), layer("secondary", "U0BOB")]},
                "escalation": [
                    {"after_minutes": STEP / 60, "target": "oncall"},
                    {"after_minutes": STEP / 60, "target": "oncall", "layer": "secondary"},
                ],
            },
            {
                "name": "search",
                "match": ["team=search"],
                "oncall": {"layers": [layer("day", "U0CAROL"), layer("secondary", "U0DAVE")]},
            },
        ],
    }


@pytest.fixture
async def served(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[RunningServer, MovableClock]]:
    clock = MovableClock(START)
    server = await start_server(build_deps(make_settings(), clock=clock), host="127.0.0.1", port=0)
    yield server, clock
    await server.close()


@pytest.fixture
async def slack(served: tuple[RunningServer, MovableClock], sandbox: Any) -> AsyncIterator[SlackPlayer]:
    """The sandbox playing Slack toward this module's opsbot (the one on the movable clock)."""
    player = SlackPlayer(
        sandbox.workspace, bot_url=f"{served[0].url}/slack/events", signing_secret=SIGNING_SECRET,
        sandbox_url=sandbox.url,
    )  # fmt: skip
    yield player
    await player.close()


async def home_text(slack: SlackPlayer, ws: Any, user: str) -> str:
    await slack.app_home_opened(user)
    return str(ws.message_text({"blocks": (await ws.wait_for_view(user=user, kind="home")).blocks}))


async def test_each_team_shows_its_own_layers_and_an_override_changes_only_its_layer(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "payments", user="alice")
    payments = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="On call — Payments"))
    assert "Payments" in payments and "*Primary*\n*Now:* <@U0ALICE>" in payments, payments
    assert "*Secondary*\n*Now:* <@U0BOB>" in payments and "U0CAROL" not in payments, payments
    await slack.slash("/oncall", "search", user="carol", channel="general")
    search = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="On call — Search"))
    assert "*Day*\n*Now:* <@U0CAROL>" in search and "*Secondary*\n*Now:* <@U0DAVE>" in search, search

    await slack.slash("/oncall", "override <@U0CAROL|carol> 4h payments secondary", user="alice")
    await ws.wait_for_message("general", contains="is on call (payments, secondary)")
    await slack.slash("/oncall", "payments", user="bob", channel="general")
    after = ws.message_text(await ws.wait_for_ephemeral(user="bob", contains="On call — Payments"))
    assert "*Secondary*\n*Now:* <@U0CAROL> (override)" in after, after
    assert "*Primary*\n*Now:* <@U0ALICE> —" in after, after  # the primary is untouched
    await slack.slash("/oncall", "", user="dave", channel="general")
    every = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="(`search`)"))
    assert "day <@U0CAROL> until" in every and "secondary <@U0DAVE> until" in every, every
    assert "secondary <@U0CAROL> (override)" in every and "*Operations* (`ops`): <@U0DAVE>" in every, every


async def test_an_override_of_another_team_needs_its_permission_and_unknown_teams_are_named(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "override <@U0CAROL|carol> 4h payments", user="carol")
    refused = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="payments"))
    assert "a member of the rotation" in refused, refused
    await slack.slash("/oncall", "billing", user="carol")
    unknown = ws.message_text(await ws.wait_for_ephemeral(user="carol", contains="There is no team"))
    assert "ops, payments, search" in unknown, unknown
    await slack.slash("/oncall", "override <@U0ALICE|alice> 4h payments tertiary", user="alice")
    bad_layer = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="has no layer"))
    assert "primary, secondary" in bad_layer, bad_layer


async def test_a_payments_alert_pages_the_payments_primary_then_its_secondary(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    await send(opsbot.url, alert("LedgerStuck", team="payments", starts_at=clock()))
    message = await ws.wait_for_message("payments-oncall", contains="LedgerStuck")
    first = await ws.wait_for_message("payments-oncall", contains="<@U0ALICE>", timeout=10)
    second = await ws.wait_for_message("payments-oncall", contains="<@U0BOB>", timeout=10)
    assert first.thread_ts == message.ts == second.thread_ts
    pages = [m.text for m in ws.thread("payments-oncall", message.ts)[1:]]
    assert not any("U0CAROL" in text or "U0DAVE" in text for text in pages), pages


async def test_the_app_home_lists_the_teams_a_person_is_on_call_for(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "override <@U0DAVE|dave> 2h payments", user="alice")
    await ws.wait_for_message("general", contains="is on call (payments)")
    home = await home_text(slack, ws, "dave")
    assert "*You are on call for*" in home, home
    for spot in ("Payments (primary)", "Search (secondary)", "Operations (primary)"):
        assert spot in home, home
    bobs = await home_text(slack, ws, "bob")
    assert "You are on call for" in bobs and "Payments (secondary)" in bobs, bobs
    alices = await home_text(slack, ws, "alice")  # handed over: on call nowhere until dave's 2 h are up
    found = re.search(r"Your next shift: Payments \(primary\) from <!date\^(\d+)\^", alices)
    assert found, alices
    back = datetime.fromtimestamp(int(found[1]), UTC) - START  # when dave's 2 h end
    assert timedelta(hours=2) <= back < timedelta(hours=2, minutes=1), back
