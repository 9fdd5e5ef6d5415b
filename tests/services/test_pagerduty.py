"""PagerDuty through the outbox (SQLite and PostgreSQL): what each change queues, once; events sent in the
order they were queued; refusals; and webhooks from PagerDuty applied once, never echoed back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select, update

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.incoming import parse_alertmanager
from bot.domain.pagerduty import IncidentChange, IncidentEvent
from bot.services import alert_actions, pagerduty, pagerduty_webhooks
from bot.services.alerts import ingest
from bot.services.jobs import SendPagerDutyEvent, decode
from bot.services.outbox import RetryLater
from bot.services.pagerduty_webhooks import Outcome
from storage.migrate import upgrade
from storage.models import AlertGroup, OutboxJob
from tests.support.alertmanager import alert, payload, timestamp
from tests.support.clock import SetClock

pytestmark = pytest.mark.own_clock  # opsbot runs on the test's clock, never the faked wall clock
T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
KEY = "critical-alerts/alertname=ApiDown,service=,job=api"


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    return {"paging": {"pagerduty": {"events_url": sandbox.pagerduty_events_url}}}


@pytest.fixture
def clock() -> SetClock:
    return SetClock(T0)


@pytest.fixture
async def deps(
    make_settings: Callable[..., Settings], database_url: str, sandbox: Any, clock: SetClock
) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    settings = make_settings(OPSBOT_PAGERDUTY_ROUTING_KEY=sandbox.pagerduty.add_routing_key())
    built = build_deps(settings, clock=clock)
    yield built
    await built.close()


def firing(name: str = "ApiDown", *, severity: str = "critical") -> dict[str, Any]:
    return alert(name, severity=severity, job="api", starts_at=T0)


def resolved(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "status": "resolved", "endsAt": timestamp(T0 + timedelta(seconds=30))}


async def send(deps: Deps, *alerts: dict[str, Any]) -> None:
    await ingest(deps, parse_alertmanager(payload(*alerts), received_at=deps.clock()), source="alertmanager")


async def queued(deps: Deps) -> list[tuple[str, str]]:
    """The PagerDuty jobs in the outbox: (action, status), oldest first."""
    async with deps.db.sessions() as session:
        rows = await session.execute(
            select(OutboxJob)
            .where(col(OutboxJob.kind) == SendPagerDutyEvent.kind)
            .order_by(col(OutboxJob.id))
        )
        return [(job.payload["action"], job.status) for job in rows.scalars()]


async def pending_jobs(deps: Deps) -> list[SendPagerDutyEvent]:
    async with deps.db.sessions() as session:
        rows = await session.execute(
            select(OutboxJob)
            .where(col(OutboxJob.kind) == SendPagerDutyEvent.kind, col(OutboxJob.status) == "pending")
            .order_by(col(OutboxJob.id))
        )
        return [decode(SendPagerDutyEvent, job.payload) for job in rows.scalars()]  # type: ignore[misc]


async def finish(deps: Deps, job: SendPagerDutyEvent) -> None:
    """Send one job as its runner does, then mark it done as the worker would."""
    await pagerduty.send_event(deps, job)
    async with deps.db.transaction() as session:
        await session.execute(
            update(OutboxJob).where(col(OutboxJob.dedupe_key) == job.key).values(status="done")
        )


async def the_group(deps: Deps) -> AlertGroup:
    async with deps.db.sessions() as session:
        return (
            await session.execute(select(AlertGroup).where(col(AlertGroup.alertname) == "ApiDown"))
        ).scalar_one()


async def test_a_critical_group_pages_once_per_firing_and_a_warning_never(
    deps: Deps, clock: SetClock
) -> None:
    await send(deps, firing(), firing("CacheSlow", severity="warning"))
    await send(deps, firing())  # re-sent by Alertmanager: the same firing
    assert await queued(deps) == [("trigger", "pending")]
    group = await the_group(deps)
    assert group.pagerduty_key == KEY and group.pagerduty_episode_id == group.episode_id
    clock.now = T0 + timedelta(minutes=1)
    await send(deps, resolved(firing()))
    clock.now = T0 + timedelta(minutes=2)
    await send(deps, firing())  # fires again: a new episode, a new page
    assert await queued(deps) == [("trigger", "pending"), ("resolve", "pending"), ("trigger", "pending")]


async def test_without_a_routing_key_nothing_is_queued(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    await asyncio.to_thread(upgrade, database_url)
    quiet = build_deps(make_settings(), clock=SetClock(T0))
    try:
        await send(quiet, firing())
        assert await queued(quiet) == []
    finally:
        await quiet.close()


async def test_events_go_out_in_the_order_they_were_queued(deps: Deps, sandbox: Any) -> None:
    await send(deps, firing())
    group = await the_group(deps)
    assert group.id is not None
    await alert_actions.acknowledge(
        deps, group.id, user_id="U0ALICE", user_name="alice", clicked_channel=None
    )
    trigger, acknowledge = await pending_jobs(deps)
    with pytest.raises(RetryLater, match="earlier PagerDuty event"):  # the trigger waits out a backoff
        await pagerduty.send_event(deps, acknowledge)
    assert sandbox.pagerduty.events == []
    await finish(deps, trigger)
    await finish(deps, acknowledge)
    assert [e.outcome for e in sandbox.pagerduty.events] == ["created #1", "acknowledged #1"]


async def test_a_reopened_group_triggers_again_after_its_resolve(
    deps: Deps, sandbox: Any, clock: SetClock
) -> None:
    await send(deps, firing())
    group = await the_group(deps)
    assert group.id is not None
    await alert_actions.resolve(deps, group.id, user_id="U0ALICE", user_name="alice", clicked_channel=None)
    clock.now = T0 + timedelta(minutes=1)
    await send(deps, firing())  # the source still reports it firing: reopened, PagerDuty paged again
    jobs = await pending_jobs(deps)
    assert [job.action for job in jobs] == ["trigger", "resolve", "trigger"]
    assert len({job.key for job in jobs}) == 3  # the second trigger is not absorbed by the first
    for job in jobs:
        await finish(deps, job)
    assert [e.outcome for e in sandbox.pagerduty.events] == ["created #1", "resolved #1", "created #2"]


async def test_a_refused_event_fails_for_good_and_a_throttled_one_is_retried(
    deps: Deps, sandbox: Any
) -> None:
    await send(deps, firing())
    [trigger] = await pending_jobs(deps)
    sandbox.pagerduty.inject_faults(1, kind="429")
    with pytest.raises(pagerduty.PagerDutyUnavailable, match="429"):
        await pagerduty.send_event(deps, trigger)
    sandbox.pagerduty.routing_keys.clear()  # the integration was deleted in PagerDuty
    with pytest.raises(pagerduty.PagerDutyRefused, match=r"400: .*Invalid routing key"):
        await pagerduty.send_event(deps, trigger)


def incident_event(
    change: IncidentChange, *, event_id: str = "E1", key: str = KEY, **kw: Any
) -> IncidentEvent:
    base: dict[str, Any] = {
        "incident_id": "PINC",
        "agent": "Tenex Engineer",
        "created_at": T0 + timedelta(seconds=5),
    }
    return IncidentEvent(event_id=event_id, change=change, incident_key=key, **{**base, **kw})


async def test_pagerduty_acknowledges_and_resolves_once_without_an_echo(deps: Deps) -> None:
    await send(deps, firing())
    acked = incident_event(IncidentChange.ACKNOWLEDGED)
    assert await pagerduty_webhooks.apply(deps, acked) == Outcome.ACKNOWLEDGED
    assert await pagerduty_webhooks.apply(deps, acked) == Outcome.UNCHANGED  # a replay
    group = await the_group(deps)
    assert group.acked_by == "pagerduty:Tenex Engineer" and group.acked_at == T0
    resolving = incident_event(IncidentChange.RESOLVED, event_id="E2")
    assert await pagerduty_webhooks.apply(deps, resolving) == Outcome.RESOLVED
    group = await the_group(deps)
    assert (group.status, group.resolved_by) == ("resolved", "pagerduty:Tenex Engineer")
    assert await queued(deps) == [("trigger", "pending")]  # nothing told back to PagerDuty


async def test_unknown_and_stale_incidents_change_nothing(deps: Deps) -> None:
    await send(deps, firing())
    unknown = incident_event(IncidentChange.RESOLVED, key="critical-alerts/someone-else")
    assert await pagerduty_webhooks.apply(deps, unknown) == Outcome.UNKNOWN
    older = incident_event(IncidentChange.RESOLVED, event_id="E3", created_at=T0 - timedelta(hours=2))
    assert await pagerduty_webhooks.apply(deps, older) == Outcome.STALE  # an earlier firing's incident
    assert (await the_group(deps)).status == "firing"
