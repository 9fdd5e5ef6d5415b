"""Two teams on one opsbot, two replicas on one PostgreSQL: alerts land and page per team, `/oncall <team>`
answers per team, a SEV1 declared from a payments alert invites the payments on-call, and each team's weekly
review (scheduled on both replicas) is posted once, to its own channel, with only its own alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import deep_merge
from sandbox.player import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send
from tests.support.incidents import incident_channel
from tests.support.processes import QUIET_BY_DEFAULT, OpsbotProcesses, Replica

# Calendar-free: the alerts start a week before now, inside the week the review reports whatever the date.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.calendar_free]

PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
CHANNELS = {
    "payments": ("payments-critical", "payments-alerts", "payments-review", "payments-incidents"),
    "search": ("search-critical", "search-alerts", "search-review", "search-incidents"),
}


def team(name: str, *, primary: str, secondary: str) -> dict[str, Any]:
    critical, warning, review, incidents = CHANNELS[name]
    return {
        "name": name,
        "match": [f"team={name}"],
        "channels": {"critical": critical, "warning": warning, "review": review, "incidents": incidents},
        "oncall": {
            "layers": [
                {"name": "primary", "members": [primary], "handoff": "weekly"},
                {"name": "secondary", "members": [secondary], "handoff": "weekly"},
            ]
        },
    }


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0DAVE"]},  # the default team's: alerts no team matches page Dave
        "alerts": {"pace_per_channel_seconds": 0.02, "escalation": [{"after_minutes": 0.03}]},
        "teams": [
            team("payments", primary="U0ALICE", secondary="U0BOB"),
            team("search", primary="U0CAROL", secondary="U0DAVE"),
        ],
    }


@pytest.fixture
def team_channels(sandbox: Any) -> None:
    ws = sandbox.workspace
    for name in (channel for channels in CHANNELS.values() for channel in channels):
        ws.create_channel(name)
        for person in PEOPLE:
            ws.join_channel(name, person)


def count(ws: Any, channel: str, text: str) -> int:
    return sum(text in ws.message_text(m) for m in ws.messages(channel, include_replies=True))


def dm_texts(ws: Any, user_id: str) -> str:
    return "\n".join(
        ws.message_text(m)
        for c in ws.channels.values()
        if c.is_im and c.im_user == user_id
        for m in ws.messages(c.id)
    )


def player(sandbox: Any, replica: Replica) -> Any:
    return sandbox.player(bot_url=f"{replica.url}/slack/events", signing_secret=SIGNING_SECRET)


async def oncall_answer(slack: SlackPlayer, text: str, user: str) -> str:
    ws = slack.ws
    before = len(ws.ephemerals)
    response = await slack.slash("/oncall", text, user=user)
    assert response.status == 200, response.body
    answer = await ws.wait_until(
        lambda: next((e for e in ws.ephemerals[before:] if e.user == ws.user(user).id), None),
        timeout=15,
        describe=lambda: f"no answer to /oncall {text}",
    )
    return str(ws.message_text(answer))


async def test_two_teams_on_two_replicas(
    opsbot_processes: OpsbotProcesses,
    sandbox: Any,
    team_channels: None,
    bot_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    ws = sandbox.workspace
    first, second = await opsbot_processes.start(), await opsbot_processes.start()
    last_week = datetime.now(UTC) - timedelta(days=7)  # in the ISO week before this one, in any zone's week
    payments_down = alert("PaymentsDown", team="payments", starts_at=last_week)
    search_down = alert("SearchDown", team="search", starts_at=last_week)
    await asyncio.gather(
        send(first.url, payments_down),
        send(second.url, search_down),
        send(first.url, alert("OrphanDown", starts_at=last_week)),
    )

    # Each alert lands in its own team's channel (the unmatched one in the default team's), and pages that
    # team's on-call when nobody acknowledges it.
    await ws.wait_for_message("payments-critical", contains="PaymentsDown")
    await ws.wait_for_message("search-critical", contains="SearchDown")
    await ws.wait_for_message("critical-alerts", contains="OrphanDown")
    await ws.wait_until(
        lambda: (
            all(
                name in dm_texts(ws, person)
                for name, person in (
                    ("PaymentsDown", "U0ALICE"),
                    ("SearchDown", "U0CAROL"),
                    ("OrphanDown", "U0DAVE"),
                )
            )
            or None
        ),
        timeout=30,
        describe=lambda: f"pages so far: { {p: dm_texts(ws, p) for p in PEOPLE} }",
    )
    assert "SearchDown" not in dm_texts(ws, "U0ALICE") and "PaymentsDown" not in dm_texts(ws, "U0CAROL")

    async with player(sandbox, first) as to_first, player(sandbox, second) as to_second:
        payments = await oncall_answer(to_first, "payments", user="bob")
        search = await oncall_answer(to_second, "search", user="bob")
        assert "<@U0ALICE>" in payments and "<@U0CAROL>" not in payments, payments
        assert "<@U0CAROL>" in search and "<@U0ALICE>" not in search, search

        # A SEV1 declared (by Dave) from the payments alert: the payments on-call is invited, search's is not.
        message = await ws.wait_for_message(
            "payments-critical", contains="PaymentsDown", predicate=lambda m: m.thread_ts in (None, m.ts)
        )
        await to_second.click(message, "alert_declare_incident", user="dave")
        form = await ws.wait_for_view(user="dave", callback_id="incident_declare")
        await to_second.submit_view(form, {"incident_title": "Payments are down", "incident_severity": "1"})
        channel = await incident_channel(ws, 1)
        await ws.wait_until(
            lambda: "U0ALICE" in ws.channel(channel.name).members or None,
            timeout=15,
            describe=lambda: f"members of #{channel.name}: {ws.channel(channel.name).members}",
        )
        assert "U0CAROL" not in ws.channel(channel.name).members
        await ws.wait_for_message("payments-incidents", contains="Payments are down", timeout=15)
        assert count(ws, "search-incidents", "Payments are down") == 0

    # Every message and page once, across both replicas.
    for channel_name, name in (("payments-critical", "PaymentsDown"), ("search-critical", "SearchDown")):
        top = [m for m in ws.messages(channel_name) if name in ws.message_text(m)]
        assert len(top) == 1, (channel_name, top)
    assert (
        count(ws, "search-critical", "PaymentsDown") == 0
        and count(ws, "payments-critical", "SearchDown") == 0
    )
    assert count(ws, "critical-alerts", "PaymentsDown") == 0

    # Both replicas restart with the weekly review every 2 s: each team's is posted once, with its own alert.
    first.kill()
    second.kill()
    with_digests = deep_merge(
        deep_merge(QUIET_BY_DEFAULT, bot_config),
        {"digests": {"enabled": True, "cron": {"weekly": {"second": "*/2"}, "monthly": {"year": 2099}}}},
    )
    config = tmp_path / "with-digests.yml"
    config.write_text(yaml.safe_dump(with_digests))
    await opsbot_processes.start(OPSBOT_CONFIG=str(config))
    await opsbot_processes.start(OPSBOT_CONFIG=str(config))
    for review in ("payments-review", "search-review"):
        await ws.wait_for_message(review, contains="Weekly review", timeout=30)
    await asyncio.sleep(4)  # two more ticks on each replica
    for review, own, other in (
        ("payments-review", "PaymentsDown", "SearchDown"),
        ("search-review", "SearchDown", "PaymentsDown"),
    ):
        digests = [m for m in ws.messages(review) if "Weekly review" in ws.message_text(m)]
        assert len(digests) == 1, (review, digests)
        text = ws.message_text(digests[0])
        assert own in text and other not in text and "OrphanDown" not in text, text
    orphans = [m for m in ws.messages("ops-review") if "Weekly review" in ws.message_text(m)]
    assert len(orphans) == 1 and "OrphanDown" in ws.message_text(orphans[0])
