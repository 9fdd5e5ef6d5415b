"""Alert episodes end to end: each firing is its own period, escalation pages each on time, re-fires are
told where people look, and a group shared by two channels counts only its own alerts."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import col, select

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from storage.models import AlertEpisode, AlertEvent, AlertGroupEpisode
from tests.conftest import SIGNING_SECRET
from tests.support.alertmanager import alert, send
from tests.support.clock import MovableClock
from tests.support.outbox import wait_until_drained

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

STEP = 2.0  # seconds: each escalation step's delay
# A Monday noon in Berlin, far from midnight (so "today" is one day) and from any DST change.
START = datetime(2026, 11, 9, 11, 0, tzinfo=UTC)


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"timezone": "Europe/Berlin"},
        "oncall": {"members": ["U0BOB"], "handoff": "daily"},
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "snooze_choices": ["3s", "1h"],
            "refire_update_minutes": 60,
            "routes": [{"match": ["team=shared"], "channel": "shared-alerts"}],
            "escalation": [
                {"after_minutes": STEP / 60, "target": "oncall"},
                {"after_minutes": STEP / 60, "target": "users", "ids": ["U0DAVE"]},
            ],
        },
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


def at(moment: datetime, offset_hours: float) -> str:
    """An instant written with a UTC offset, as Alertmanager writes it on a host in that zone."""
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def pages(ws: Any, channel: str, ts: str) -> list[Any]:
    return [
        m for m in ws.thread(channel, ts)[1:] if ":rotating_light:" in m.text and "unacknowledged" in m.text
    ]


async def escalation_times(
    opsbot: RunningServer, *, steps: int = 1, kinds: tuple[str, ...] = ()
) -> dict[str, list[datetime]]:
    """When (on opsbot's clock) each step was paged and other events happened, and when each episode's
    message was first posted: the delays are checked on these, so a slow CI machine cannot shrink them.
    Waits until `steps` pages are recorded (a page is recorded just after its messages go out)."""
    found: dict[str, list[datetime]] = {}
    for _ in range(200):
        found = await _times(opsbot, kinds)
        if len(found.get("escalated", [])) >= steps:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {steps} escalation steps recorded: {found}")


async def _times(opsbot: RunningServer, kinds: tuple[str, ...]) -> dict[str, list[datetime]]:
    async with opsbot.deps.db.sessions() as session:
        events = (await session.execute(select(AlertEvent).order_by(col(AlertEvent.id)))).scalars().all()
        posted = (
            await session.execute(select(AlertGroupEpisode).order_by(col(AlertGroupEpisode.id)))
        ).scalars()
        found: dict[str, list[datetime]] = {"posted": [e.posted_at for e in posted if e.posted_at]}
    for event in events:
        if event.kind in ("escalated", *kinds):
            found.setdefault(event.kind, []).append(event.at)
    return found


def gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def group_id(message: Any) -> str:
    return next(e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve")


@pytest.mark.parametrize("offset", [2, -5])
async def test_a_start_written_with_any_offset_pages_on_time(
    served: tuple[RunningServer, MovableClock], sandbox: Any, offset: int
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = alert("LedgerStuck", job="ledger")
    firing["startsAt"] = at(clock(), offset)
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("critical-alerts", contains="LedgerStuck")
    first = await ws.wait_for_message("critical-alerts", contains="<@U0BOB>", timeout=10)
    assert first.thread_ts == message.ts and "unacknowledged" in first.text
    await ws.wait_for_message("critical-alerts", contains="<@U0DAVE>", timeout=10)
    times = await escalation_times(opsbot, steps=2)
    assert all(gap >= STEP for gap in gaps(times["posted"] + times["escalated"]))


async def test_an_alert_arriving_an_hour_late_pages_one_step_per_delay(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    await send(opsbot.url, alert("QueueDead", job="queue", starts_at=clock() - timedelta(hours=1)))
    message = await ws.wait_for_message("critical-alerts", contains="QueueDead")
    first = await ws.wait_for_message("critical-alerts", contains="<@U0BOB>", timeout=10)
    await ws.wait_for_message("critical-alerts", contains="<@U0DAVE>", timeout=10)
    assert first.thread_ts == message.ts
    times = await escalation_times(opsbot, steps=2)
    # counted from the post, not from startsAt, and never several steps at once
    assert all(gap >= STEP for gap in gaps(times["posted"] + times["escalated"]))


async def test_fire_resolve_fire_within_minutes_pages_the_new_firing(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = alert("CartDown", job="cart", starts_at=clock())
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("critical-alerts", contains="CartDown")
    await send(opsbot.url, {**firing, "status": "resolved", "endsAt": at(clock(), 0)})
    await ws.wait_for_update("critical-alerts", message.ts, contains="RESOLVED")
    again = alert("CartDown", job="cart", starts_at=clock())
    await send(opsbot.url, again)
    told = await ws.wait_for_message("critical-alerts", contains="Fired again (2nd time today)")
    assert told.thread_ts == message.ts  # within the re-fire window: the same message, updated
    assert "RESOLVED" not in ws.message_text(ws.message("critical-alerts", message.ts))
    page = await ws.wait_for_message("critical-alerts", contains="<@U0BOB>", timeout=10)
    assert page.thread_ts == message.ts
    times = await escalation_times(opsbot)
    assert len(times["posted"]) == 2 and (times["escalated"][0] - times["posted"][1]).total_seconds() >= STEP
    async with opsbot.deps.db.sessions() as session:
        episodes = (await session.execute(select(AlertEpisode))).scalars().all()
    assert [e.end_reason for e in episodes] == ["resolved", None]  # two firings, the first one over


async def test_a_refire_after_the_window_gets_a_new_message_linking_the_last(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = alert("DiskSlow", job="disk", severity="warning", starts_at=clock())
    await send(opsbot.url, firing)
    first = await ws.wait_for_message("ops-alerts", contains="DiskSlow")
    await send(opsbot.url, {**firing, "status": "resolved", "endsAt": at(clock(), 0)})
    await ws.wait_for_update("ops-alerts", first.ts, contains="RESOLVED")
    clock.jump(timedelta(minutes=61))
    await send(opsbot.url, alert("DiskSlow", job="disk", severity="warning", starts_at=clock()))
    second = await ws.wait_for_message(
        "ops-alerts", contains="Fired before", predicate=lambda m: m.ts != first.ts and not m.thread_ts
    )
    assert f"p{first.ts.replace('.', '')}" in ws.message_text(second)  # the link to the last message
    assert "RESOLVED" in ws.message_text(ws.message("ops-alerts", first.ts))  # the old one stays as it was
    await wait_until_drained(opsbot.deps.db, due_by=clock())
    assert not [m for m in ws.thread("ops-alerts", first.ts)[1:] if "Fired again" in m.text]


async def test_a_snooze_that_ends_while_firing_rearms_escalation(
    served: tuple[RunningServer, MovableClock], sandbox: Any, slack: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    await send(opsbot.url, alert("SearchDown", job="search", starts_at=clock()))
    message = await ws.wait_for_message("critical-alerts", contains="SearchDown")
    value = f"3s:{group_id(message)}"
    await slack.click(message, "alert_snooze", user="alice", selected_option_value=value)
    await ws.wait_for_update("critical-alerts", message.ts, contains=":zzz: Snoozed for")
    ended = await ws.wait_for_message("critical-alerts", contains="Snooze ended", timeout=10)
    page = await ws.wait_for_message("critical-alerts", contains="<@U0BOB>", timeout=10)
    assert page.thread_ts == ended.thread_ts == message.ts
    times = await escalation_times(opsbot, kinds=("snooze_ended",))
    [snooze_ended], [paged] = times["snooze_ended"], times["escalated"]
    assert (paged - snooze_ended).total_seconds() >= STEP  # the step's delay from the snooze's end
    assert len(pages(ws, "critical-alerts", message.ts)) == 1


async def test_a_manual_resolve_is_undone_when_the_source_still_reports_it_firing(
    served: tuple[RunningServer, MovableClock], sandbox: Any, slack: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = alert("WorkerLag", job="worker", starts_at=clock())
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("critical-alerts", contains="WorkerLag")
    await slack.click(message, "alert_resolve", user="alice")
    await ws.wait_for_update("critical-alerts", message.ts, contains="RESOLVED")
    await send(opsbot.url, firing)  # Alertmanager's next notification: still firing
    told = await ws.wait_for_message("critical-alerts", contains="Reopened: resolved by hand by <@U0ALICE>")
    assert told.thread_ts == message.ts
    assert "RESOLVED" not in ws.message_text(ws.message("critical-alerts", message.ts))
    await ws.wait_for_message("critical-alerts", contains="<@U0BOB>", timeout=10)  # escalation goes on
    async with opsbot.deps.db.sessions() as session:
        [episode] = (await session.execute(select(AlertGroupEpisode))).scalars().all()
    assert episode.ended_at is None  # the same firing period, reopened


async def test_a_group_shared_by_two_channels_counts_only_its_own_alerts(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    warning = alert("HostHighMemory", severity="warning", job="node", starts_at=clock())
    critical = alert("HostHighMemory", severity="critical", job="node", starts_at=clock())
    await send(opsbot.url, warning)
    in_ops = await ws.wait_for_message("ops-alerts", contains="HostHighMemory")
    await send(opsbot.url, critical)
    in_critical = await ws.wait_for_message("critical-alerts", contains="HostHighMemory")
    await send(opsbot.url, {**warning, "status": "resolved", "endsAt": at(clock(), 0)})
    await ws.wait_for_update("ops-alerts", in_ops.ts, contains="RESOLVED")
    await send(opsbot.url, {**critical, "status": "resolved", "endsAt": at(clock(), 0)})
    await ws.wait_for_update("critical-alerts", in_critical.ts, contains="RESOLVED")
    for channel, message in (("ops-alerts", in_ops), ("critical-alerts", in_critical)):
        shown = ws.message_text(ws.message(channel, message.ts))
        assert "Firing alerts" not in shown  # one alert each, not the two of the key
    clock.jump(timedelta(seconds=3 * STEP))
    await wait_until_drained(opsbot.deps.db, due_by=clock())
    assert not pages(ws, "critical-alerts", in_critical.ts)  # escalation stopped with the resolve


async def test_declaring_an_incident_from_an_alert_acknowledges_it(
    served: tuple[RunningServer, MovableClock], sandbox: Any, slack: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    await send(opsbot.url, alert("PaymentsDown", job="payments", starts_at=clock()))
    message = await ws.wait_for_message("critical-alerts", contains="PaymentsDown")
    await slack.click(message, "alert_declare_incident", user="alice")
    form = await ws.wait_for_view(user="alice", callback_id="incident_declare")
    await slack.submit_view(form, {"incident_title": "Payments are down", "incident_severity": "1"})
    updated = await ws.wait_for_update("critical-alerts", message.ts, contains="Incident INC-1")
    text = ws.message_text(updated)
    assert "Acknowledged by <@U0ALICE>" in text and "Declare incident" not in str(updated.blocks)
    await ws.wait_for_message("critical-alerts", contains="by declaring INC-1")
    await ws.wait_for_message("critical-alerts", contains="Incident INC-1 (SEV1) declared for this alert")
    clock.jump(timedelta(seconds=3 * STEP))
    await wait_until_drained(opsbot.deps.db, due_by=clock())
    assert not pages(ws, "critical-alerts", message.ts)


async def test_a_flapping_group_is_marked_stable_after_a_quiet_window(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = alert("Flappy", job="api", severity="warning", starts_at=clock())
    resolved = {**firing, "status": "resolved", "endsAt": at(clock(), 0)}
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("ops-alerts", contains="Flappy")
    for change in (resolved, firing, resolved, firing):
        await send(opsbot.url, change)
    await ws.wait_for_update("ops-alerts", message.ts, contains="Flapping: firing and resolving")
    clock.jump(timedelta(minutes=61))
    await ws.wait_for_message("ops-alerts", contains="no longer flapping", timeout=10)
    await ws.wait_until(
        lambda: True if "Flapping:" not in ws.message_text(ws.message("ops-alerts", message.ts)) else None,
        timeout=5,
        describe=lambda: "the message still says it is flapping",
    )
    async with opsbot.deps.db.sessions() as session:
        found = await session.execute(select(AlertEpisode).where(col(AlertEpisode.alertname) == "Flappy"))
    assert len(found.scalars().all()) == 3  # three firings, each its own episode


async def test_a_critical_alert_joining_a_firing_warning_group_starts_its_escalation(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    ws.create_channel("shared-alerts", creator="U0ALICE")
    await send(
        opsbot.url, alert("ReplicaLag", severity="warning", job="db", team="shared", starts_at=clock())
    )
    message = await ws.wait_for_message("shared-alerts", contains="ReplicaLag")
    critical = alert(
        "ReplicaLag", severity="critical", job="db", team="shared", instance="b", starts_at=clock()
    )
    await send(opsbot.url, critical)
    await ws.wait_for_update("shared-alerts", message.ts, contains="CRITICAL")
    page = await ws.wait_for_message("shared-alerts", contains="<@U0BOB>", timeout=10)
    assert page.thread_ts == message.ts
