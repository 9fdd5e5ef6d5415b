"""Episodes as ingest writes them (SQLite and PostgreSQL): each firing its own row, never overwritten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import col, select

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.incoming import parse_alertmanager
from bot.services import alert_actions
from bot.services.alerts import ingest
from storage.migrate import upgrade
from storage.models import AlertEpisode, AlertGroup, AlertGroupEpisode
from tests.support.alertmanager import alert, payload, timestamp
from tests.support.clock import SetClock

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

T0 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def clock() -> SetClock:
    return SetClock(T0)


@pytest.fixture
async def deps(
    make_settings: Callable[..., Settings], database_url: str, clock: SetClock
) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    built = build_deps(make_settings(), clock=clock)
    yield built
    await built.close()


async def send(deps: Deps, clock: SetClock, minute: float, *alerts: dict[str, Any]) -> None:
    clock.now = T0 + timedelta(minutes=minute)
    await ingest(deps, parse_alertmanager(payload(*alerts), received_at=clock.now), source="alertmanager")


def firing(minute: float, name: str = "DiskFull", *, offset: float = 0) -> dict[str, Any]:
    started = T0 + timedelta(minutes=minute)
    body = alert(name, severity="warning", job="db", starts_at=started)
    body["startsAt"] = started.astimezone(timezone(timedelta(hours=offset))).isoformat()
    return body


def resolved(body: dict[str, Any], minute: float) -> dict[str, Any]:
    return {**body, "status": "resolved", "endsAt": timestamp(T0 + timedelta(minutes=minute))}


async def rows(deps: Deps, model: Any) -> list[Any]:
    async with deps.db.sessions() as session:
        return list((await session.execute(select(model).order_by(col(model.id)))).scalars())


async def test_three_firings_are_three_episodes_at_their_instants(deps: Deps, clock: SetClock) -> None:
    for n, offset in enumerate((2, -5, 0)):  # Alertmanager hosts in three zones
        start = n * 120
        body = firing(start, offset=offset)
        await send(deps, clock, start, body)
        await send(deps, clock, start + 10, resolved(body, start + 9))
    episodes = await rows(deps, AlertEpisode)
    assert [(e.started_at, e.ended_at, e.end_reason) for e in episodes] == [
        (T0 + timedelta(minutes=m), T0 + timedelta(minutes=m + 9), "resolved") for m in (0, 120, 240)
    ]
    groups = await rows(deps, AlertGroupEpisode)
    assert [(g.number, g.opened_at, g.ended_at) for g in groups] == [
        (n + 1, T0 + timedelta(minutes=m), T0 + timedelta(minutes=m + 10))
        for n, m in enumerate((0, 120, 240))
    ]


async def test_an_alert_first_seen_resolved_is_one_ended_episode(deps: Deps, clock: SetClock) -> None:
    await send(deps, clock, 30, resolved(firing(0), 20))
    [episode] = await rows(deps, AlertEpisode)
    assert (episode.started_at, episode.ended_at, episode.end_reason) == (
        T0,
        T0 + timedelta(minutes=20),
        "resolved",
    )
    assert await rows(deps, AlertGroupEpisode) == []  # no firing period of the group was ever seen


async def test_a_missed_resolve_shows_as_a_later_start(deps: Deps, clock: SetClock) -> None:
    await send(deps, clock, 0, firing(0))
    await send(deps, clock, 5, firing(0))  # Alertmanager repeats it: the same firing
    await send(deps, clock, 90, firing(80))  # a new start after the last report: it fired again
    episodes = await rows(deps, AlertEpisode)
    assert [(e.started_at, e.ended_at) for e in episodes] == [
        (T0, T0 + timedelta(minutes=80)),
        (T0 + timedelta(minutes=80), None),
    ]


async def test_a_by_hand_resolve_is_reopened_only_while_its_source_fires(deps: Deps, clock: SetClock) -> None:
    body = firing(0)
    await send(deps, clock, 0, body)
    [group] = await rows(deps, AlertGroup)
    assert group.id is not None
    clock.now = T0 + timedelta(minutes=3)
    await alert_actions.resolve(deps, group.id, user_id="U0ALICE", user_name="alice", clicked_channel=None)
    await send(deps, clock, 5, body)  # still firing at the source: reopened, the same episode
    [episode] = await rows(deps, AlertGroupEpisode)
    assert episode.ended_at is None
    await alert_actions.resolve(deps, group.id, user_id="U0ALICE", user_name="alice", clicked_channel=None)
    await send(deps, clock, 20, resolved(body, 19))  # the source agrees now
    await send(deps, clock, 200, firing(199))  # a new firing, hours later: a new episode
    episodes = await rows(deps, AlertGroupEpisode)
    assert [(e.number, e.end_reason, e.ended_by) for e in episodes] == [
        (1, "by_hand", "U0ALICE"),
        (2, None, None),
    ]


async def test_two_replicas_taking_the_same_resolve_count_it_once(
    deps: Deps, clock: SetClock, make_settings: Callable[..., Settings], database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several replicas run on PostgreSQL; SQLite serves one process")
    bodies = [
        alert("DiskFull", severity="warning", job="db", instance=f"h{n}", starts_at=T0) for n in range(400)
    ]
    await send(deps, clock, 0, *bodies)
    other = build_deps(make_settings(), clock=clock)
    try:
        clock.now = T0 + timedelta(minutes=5)
        batch = parse_alertmanager(
            payload(*(resolved(body, 4) for body in bodies[:200])), received_at=clock.now
        )
        for _ in range(3):  # both replicas take Alertmanager's (repeated) resolve at the same moment
            await asyncio.gather(
                ingest(deps, batch, source="alertmanager"), ingest(other, batch, source="alertmanager")
            )
    finally:
        await other.close()
    [group] = await rows(deps, AlertGroup)
    assert (group.status, group.firing_count, group.alert_count) == ("firing", 200, 400)
