"""Two replicas on one PostgreSQL: alert bursts and slash commands sent to both alternately, one replica
killed mid-burst; every alert delivered once, every timer fired once, one digest per period."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest

from sandbox.player import SlackPlayer
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send, send_with_failover
from tests.support.processes import OpsbotProcesses, Replica

# Calendar-free: its subject is sharing work through a kill; digests once per period across processes at the
# calendar edges are test_digests.py's two-process test, which make test-clock runs.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.calendar_free]

SEV1_IN_SECONDS = {"respond_minutes": 10 / 60, "resolve_minutes": 30, "reminder_minutes": 40 / 60}
INCIDENTS = ("Ledger out of balance", "Checkout latency spike")


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        # Roll-ups off: 40 new groups in a minute would be a storm, and this test checks that each group's
        # own message is posted exactly once across a kill (tests/e2e/test_alert_rollup.py covers storms).
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "escalation": [{"after_minutes": 0.03}],
            "rollup_after_new_groups_per_minute": 0,
        },
        # SEV1 clocks in seconds: a response warning and breach within ~10 s, a status reminder at 40 s.
        "incidents": {"levels": {"sev1": SEV1_IN_SECONDS}},
        # The weekly review every 2 s on each replica; the period stays "last week", so it must post once.
        "digests": {"enabled": True, "cron": {"weekly": {"second": "*/2"}, "monthly": {"year": 2099}}},
    }


def delivered(sandbox: Any) -> Counter[str]:
    names = Counter[str]()
    for message in sandbox.workspace.messages("ops-alerts"):
        found = re.search(r"· (Replica\d+)", sandbox.workspace.message_text(message))
        if found:
            names[found.group(1)] += 1
    return names


def count(ws: Any, channel: str, text: str) -> int:
    return sum(text in ws.message_text(m) for m in ws.messages(channel, include_replies=True))


async def commands_on(player: SlackPlayer, title: str, user: str) -> None:
    """A command that changes state (declare) and one that only reads (/oncall); wait for their answers.

    A slash command is acknowledged before its work, and Slack never re-sends one, so a replica that dies
    in between loses it (the user sees no answer and asks again); the test kills only after the answers.
    """
    declared = await player.slash("/incident", f"declare sev1 {title}", user=user)
    assert declared.status == 200, declared.body
    # A fresh replica's first command loads the incident modules: slow under libfaketime on two busy cores.
    await player.ws.wait_for_ephemeral(user=user, contains="Declared INC-", timeout=15)
    oncall = await player.slash("/oncall", user=user)
    assert oncall.status == 200, oncall.body


async def test_two_replicas_share_alerts_commands_timers_and_digests_through_a_kill(
    opsbot_processes: OpsbotProcesses, sandbox: Any
) -> None:
    ws = sandbox.workspace
    first, second = await opsbot_processes.start(), await opsbot_processes.start()
    urls = [first.url, second.url]

    def player(replica: Replica) -> SlackPlayer:
        return sandbox.player(bot_url=f"{replica.url}/slack/events", signing_secret=SIGNING_SECRET)

    async with player(first) as to_first, player(second) as to_second:
        await asyncio.gather(
            *(send_with_failover(urls, i, alert(f"Replica{i}", severity="warning")) for i in range(20)),
            commands_on(to_first, INCIDENTS[0], user="alice"),
            commands_on(to_second, INCIDENTS[1], user="bob"),
        )
        burst = asyncio.gather(
            *(send_with_failover(urls, i, alert(f"Replica{i}", severity="warning")) for i in range(20, 40)),
            send(second.url, alert("ReplicaCritical", job="api")),
        )
        await asyncio.sleep(0.05)
        first.kill()  # mid-burst: its leased outbox jobs must be taken over, not lost or repeated
        await burst
        oncall = await to_second.slash("/oncall", user="carol")
        assert oncall.status == 200

    await ws.wait_until(
        lambda: True if len(delivered(sandbox)) == 40 else None,
        timeout=60,
        describe=lambda: f"delivered so far: {sorted(delivered(sandbox))}",
    )
    await ws.wait_for_message("critical-alerts", contains="critical and unacknowledged", timeout=60)
    incident_channels = [c.name for c in ws.channels.values() if re.match(r"inc-\d+-", c.name)]
    assert len(incident_channels) == 2, incident_channels
    for channel in incident_channels:
        await ws.wait_for_message(channel, contains="missed its response target", timeout=60)
    for title in INCIDENTS:  # a set-up the killed replica left half done resumes after its 30 s lease
        await ws.wait_for_message("critical-alerts", contains=title, timeout=60)
    await ws.wait_until(
        lambda: True if count(ws, "ops-review", "Weekly review") else None,
        timeout=30,
        describe=lambda: "no weekly review was posted",
    )
    await asyncio.sleep(4)  # two more schedule ticks on the surviving replica, and any duplicate sends

    assert set(delivered(sandbox).values()) == {1}
    assert count(ws, "critical-alerts", "critical and unacknowledged") == 1
    for channel in incident_channels:
        assert count(ws, channel, "the response target ends in") == 1, channel
        assert count(ws, channel, "missed its response target") == 1, channel
    for title in INCIDENTS:
        assert count(ws, "critical-alerts", title) == 1, title
    assert count(ws, "ops-review", "Weekly review") == 1
    answered = [e for e in ws.ephemerals if "on call" in ws.message_text(e).lower()]
    assert len(answered) == 3, [ws.message_text(e) for e in ws.ephemerals]
