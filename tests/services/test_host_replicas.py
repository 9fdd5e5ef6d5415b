"""Several hosts (or replicas) on one database: each keeps its own series and alerts, and the alerts of a
host that stops reporting are resolved as stale by another one, once. SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from bot.blocks.alerts import render_group
from bot.config import load_settings
from bot.deps import Deps, build_deps
from bot.domain.hostchecks import HostReading
from bot.domain.incoming import IncomingAlert
from bot.domain.stale_hosts import STALE_ANNOTATION, claim_key
from bot.services import hostchecks, stale_hosts
from bot.services.alert_messages import group_view
from bot.services.hostchecks import HostChecker
from storage import alert_groups
from storage.claims import claim
from storage.host_samples import samples_between
from storage.migrate import upgrade
from storage.models import Alert, AlertEpisode, AlertGroup, AlertGroupEpisode
from tests.support.clock import SetClock

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
QUIET = HostReading(cpu_percent=10, memory_percent=40, disks={"/": 50})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Replica:
    """One opsbot process on the shared database, checking a host whose readings the test sets."""

    deps: Deps
    reading: HostReading = QUIET
    checker: HostChecker = field(init=False)

    def __post_init__(self) -> None:
        self.restart()

    def set(self, **changes: Any) -> None:
        self.reading = replace(self.reading, **changes)

    def restart(self) -> None:
        """A new process under the same name: rule states start from what is stored."""
        self.checker = HostChecker(self.deps, read_host=lambda: self.reading)


@dataclass(frozen=True)
class Sent:
    source: str
    alerts: list[IncomingAlert]


@pytest.fixture
def clock() -> SetClock:
    return SetClock(T0)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every batch any replica hands to the real ingest, rule alerts and stale resolves alike."""
    batches: list[Sent] = []
    real_ingest = hostchecks.ingest

    async def recording(deps: Deps, alerts: Sequence[IncomingAlert], *, source: str) -> Any:
        batches.append(Sent(source, list(alerts)))
        return await real_ingest(deps, alerts, source=source)

    monkeypatch.setattr(hostchecks, "ingest", recording)
    monkeypatch.setattr(stale_hosts, "ingest", recording)
    return batches


@pytest.fixture
async def replica(
    database_url: str, tmp_path: Path, clock: SetClock
) -> AsyncIterator[Callable[[str], Awaitable[Replica]]]:
    """Start a replica named by `host_checks.host`, as a deployment would name each one."""
    await asyncio.to_thread(upgrade, database_url)
    started: list[Deps] = []

    async def start(host: str) -> Replica:
        config = tmp_path / f"{host}.yml"
        config.write_text(yaml.safe_dump({"host_checks": {"host": host}}))
        settings = load_settings({"OPSBOT_DATABASE_URL": database_url, "OPSBOT_CONFIG": str(config)})
        deps = build_deps(settings, clock=clock)
        started.append(deps)
        running = Replica(deps)
        assert running.checker.hostname == host
        return running

    yield start
    for deps in started:
        await deps.close()


async def rounds(clock: SetClock, seconds: range, *replicas: Replica) -> None:
    """Sample every replica at each second, concurrently, as separate processes would."""
    for second in seconds:
        clock.now = at(second)
        await asyncio.gather(*(r.checker.sample_once(clock.now) for r in replicas))


async def alerts_named(deps: Deps, alertname: str) -> list[Alert]:
    """The alerts of one name, by host (replicas ingest concurrently, so ids say nothing of order)."""
    async with deps.db.sessions() as session:
        query = select(Alert).where(col(Alert.alertname) == alertname)
        found = (await session.execute(query)).scalars().all()
    return sorted(found, key=lambda a: (a.labels.get("instance", ""), a.id or 0))


def stale_resolves(sent: list[Sent]) -> list[IncomingAlert]:
    return [a for batch in sent for a in batch.alerts if a.annotations.get(STALE_ANNOTATION) == "true"]


async def test_two_hosts_keep_their_own_series_and_rule_windows(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock
) -> None:
    web1, web2 = await replica("web-1"), await replica("web-2")
    web1.set(memory_percent=90.0)
    # web-1 high for five minutes, then web-2 for five: one mixed series would be high for ten and fire
    await rounds(clock, range(0, 300, 15), web1, web2)
    web1.set(memory_percent=40.0)
    web2.set(memory_percent=90.0)
    await rounds(clock, range(300, 615, 15), web1, web2)
    assert await alerts_named(web1.deps, "HostHighMemory") == []

    db = web1.deps.db
    web1_memory = await samples_between(db, host="web-1", metric="memory", start=T0, end=at(600))
    web2_memory = await samples_between(db, host="web-2", metric="memory", start=T0, end=at(600))
    assert [v for _, v in web1_memory] == [90.0] * 20 + [40.0] * 21
    assert [v for _, v in web2_memory] == [40.0] * 20 + [90.0] * 21
    # the chart of /metrics on each replica draws its own host only
    for running, expected in ((web1, 40.0), (web2, 90.0)):
        assert running.deps.metrics is not None
        latest = await running.deps.metrics.average("memory", start=at(590), end=at(600))
        assert latest == expected


async def test_two_hosts_with_high_memory_are_two_alerts_in_one_group(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock
) -> None:
    web1, web2 = await replica("web-1"), await replica("web-2")
    web1.set(memory_percent=90.0)
    web2.set(memory_percent=91.0)
    await rounds(clock, range(0, 615, 15), web1, web2)
    alerts = await alerts_named(web1.deps, "HostHighMemory")
    assert [(a.labels["instance"], a.status) for a in alerts] == [("web-1", "firing"), ("web-2", "firing")]
    assert len({a.fingerprint for a in alerts}) == 2
    # alerts.group_by (alertname, service, job) leaves `instance` out: one message, "2 of 2 firing"
    assert alerts[0].group_key == alerts[1].group_key
    async with web1.deps.db.sessions() as session:
        [group] = (await session.execute(select(AlertGroup))).scalars().all()
    assert (group.status, group.firing_count, group.alert_count) == ("firing", 2, 2)

    web2.set(memory_percent=40.0)
    web2.restart()  # a restarted replica restores its own host's alerts, never another host's
    await rounds(clock, range(615, 630, 15), web1, web2)
    alerts = await alerts_named(web1.deps, "HostHighMemory")
    assert [(a.labels["instance"], a.status) for a in alerts] == [("web-1", "firing"), ("web-2", "resolved")]


async def test_a_host_that_stops_reporting_is_resolved_as_stale_once(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock, sent: list[Sent]
) -> None:
    web1, web2, web3 = await replica("web-1"), await replica("web-2"), await replica("web-3")
    web1.set(memory_percent=97.0)
    await rounds(clock, range(0, 615, 15), web1, web2, web3)
    firing = await alerts_named(web1.deps, "HostMemoryExhausted") + await alerts_named(
        web1.deps, "HostHighMemory"
    )
    assert [a.status for a in firing] == ["firing", "firing"]

    # web-1 stops at 600 s (its last sample); web-2 and web-3 go on, sweeping for stale hosts every minute
    await rounds(clock, range(615, 1200, 15), web2, web3)
    assert stale_resolves(sent) == []  # 9 min 45 s of silence is not yet the default 10 min
    await rounds(clock, range(1200, 1800, 15), web2, web3)

    resolves = stale_resolves(sent)
    assert sorted(a.alertname for a in resolves) == ["HostHighMemory", "HostMemoryExhausted"]
    assert len([batch for batch in sent if stale_resolves([batch])]) == 1  # one replica, one batch
    for alert in await alerts_named(web1.deps, "HostMemoryExhausted") + await alerts_named(
        web1.deps, "HostHighMemory"
    ):
        assert (alert.status, alert.ends_at) == ("resolved", at(1200))  # last sample + stale_after
        assert alert.annotations["summary"] == "Resolved as stale: web-1 stopped reporting at 09:10 UTC"
        assert alert.annotations[STALE_ANNOTATION] == "true"

    # the group's Slack message says why it resolved
    [exhausted] = await alerts_named(web1.deps, "HostMemoryExhausted")
    async with web1.deps.db.sessions() as session:
        [group] = (
            await session.execute(select(AlertGroup).where(col(AlertGroup.group_key) == exhausted.group_key))
        ).scalars()
        assert group.id is not None
        snapshot = await alert_groups.load_group(session, group.id)
    assert snapshot is not None
    message = render_group(group_view(snapshot, deps=web1.deps))
    assert message["text"].startswith("RESOLVED: HostMemoryExhausted — Resolved as stale: web-1")
    # the firing periods ended as expired (the host stopped reporting), not as resolved
    async with web1.deps.db.sessions() as session:
        ended = (await session.execute(select(AlertEpisode))).scalars().all()
        group_episode = await session.get(AlertGroupEpisode, group.episode_id)
    assert {(e.alertname, e.end_reason, e.ended_at) for e in ended} == {
        ("HostMemoryExhausted", "expired", at(1200)),
        ("HostHighMemory", "expired", at(1200)),
    }
    assert group_episode is not None and group_episode.end_reason == "expired"


async def test_a_second_resolve_of_a_stale_host_changes_nothing(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock, sent: list[Sent]
) -> None:
    web1, web2 = await replica("web-1"), await replica("web-2")
    web1.set(memory_percent=97.0)
    await rounds(clock, range(0, 15, 15), web1)
    await rounds(clock, range(615, 630, 15), web2)
    [resolve] = stale_resolves(sent)
    before = await snapshot_of(web2.deps)
    clock.now = at(700)
    await hostchecks.ingest(web2.deps, [resolve], source="host")  # as a replica that lost the claim race
    assert await snapshot_of(web2.deps) == before


async def snapshot_of(deps: Deps) -> list[tuple[Any, ...]]:
    """What ingest keeps of alerts and groups, less the `updated_at` bookkeeping."""
    async with deps.db.sessions() as session:
        alerts = (await session.execute(select(Alert).order_by(col(Alert.id)))).scalars().all()
        groups = (await session.execute(select(AlertGroup).order_by(col(AlertGroup.id)))).scalars().all()
        return [(a.status, a.starts_at, a.ends_at, a.annotations) for a in alerts] + [
            (g.status, g.firing_count, g.alert_count, g.resolved_at, g.last_change_at) for g in groups
        ]


async def test_a_claim_left_by_a_replica_that_died_mid_resolve_is_taken_over(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock, sent: list[Sent]
) -> None:
    web1, web2 = await replica("web-1"), await replica("web-2")
    web1.set(memory_percent=97.0)
    await rounds(clock, range(0, 15, 15), web1)
    # web-3 claimed web-1's silence at 600 s and died before it sent anything
    assert await claim(web2.deps.db, scope="host-stale", key=claim_key("web-1", at(0)), now=at(600))
    await rounds(clock, range(600, 960, 15), web2)  # sweeps at 600, 660, ... 900 s leave the claim be
    assert stale_resolves(sent) == []
    await rounds(clock, range(960, 975, 15), web2)  # the claim is more than five minutes old: taken over
    assert [a.alertname for a in stale_resolves(sent)] == ["HostMemoryExhausted"]
    assert [a.status for a in await alerts_named(web2.deps, "HostMemoryExhausted")] == ["resolved"]


async def test_a_replica_starting_resolves_what_a_renamed_host_left_firing(
    replica: Callable[[str], Awaitable[Replica]], clock: SetClock, sent: list[Sent]
) -> None:
    old_pod = await replica("opsbot-7f9c-abc")
    old_pod.set(disks={"/": 96.0})
    await rounds(clock, range(0, 30, 15), old_pod)
    # redeployed under a new name an hour later: the first round resolves the old pod's alert
    new_pod = await replica("opsbot-7f9c-xyz")
    await rounds(clock, range(3600, 3615, 15), new_pod)
    [alert] = await alerts_named(new_pod.deps, "HostDiskFull")
    assert (alert.status, alert.ends_at) == ("resolved", at(15 + 600))
    assert alert.annotations["summary"] == "Resolved as stale: opsbot-7f9c-abc stopped reporting at 09:00 UTC"
    # its own alerts follow its own readings, even when it comes back from a pause longer than stale_after
    new_pod.set(disks={"/": 97.0})
    await rounds(clock, range(3615, 3630, 15), new_pod)
    new_pod.restart()
    await rounds(clock, range(7200, 7215, 15), new_pod)
    found = await alerts_named(new_pod.deps, "HostDiskFull")
    assert [(a.labels["instance"], a.status) for a in found] == [
        ("opsbot-7f9c-abc", "resolved"),
        ("opsbot-7f9c-xyz", "firing"),
    ]
    assert len(stale_resolves(sent)) == 1
