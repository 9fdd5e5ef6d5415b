"""Host check samples, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import column, insert, table

from storage.db import Database
from storage.host_samples import (
    HostSample,
    SampleStats,
    add_samples,
    latest,
    purge_older_than,
    samples_between,
    stats_between,
)
from storage.migrate import alembic_config, upgrade
from storage.types import UTCDateTime

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def on_web1(metric: str, value: float, minutes: float, key: str = "") -> HostSample:
    return HostSample(host="web-1", metric=metric, key=key, value=value, at=at(minutes))


@pytest.fixture
async def cpu_and_disk(db: Database) -> Database:
    """web-1: CPU at 10, 20, 30, 40 % one minute apart, plus two disks and memory that must not mix in."""
    samples = [on_web1("cpu", 10.0 * (i + 1), i) for i in range(4)]
    samples += [
        on_web1("disk", 71.5, 0, key="/"),
        on_web1("disk", 93.0, 0, key="/data"),
        on_web1("disk", 94.0, 1, key="/data"),
        on_web1("memory", 55.0, 1),
    ]
    assert await add_samples(db, samples) == len(samples)
    return db


async def test_adding_nothing_is_fine(db: Database) -> None:
    assert await add_samples(db, []) == 0


async def test_a_series_between_two_times_comes_back_in_order(cpu_and_disk: Database) -> None:
    series = await samples_between(cpu_and_disk, host="web-1", metric="cpu", start=at(1), end=at(3))
    assert series == [(at(1), 20.0), (at(2), 30.0), (at(3), 40.0)]
    assert all(moment.tzinfo is not None for moment, _ in series)
    disk = await samples_between(
        cpu_and_disk, host="web-1", metric="disk", key="/data", start=at(-5), end=at(5)
    )
    assert disk == [(at(0), 93.0), (at(1), 94.0)]
    assert await samples_between(cpu_and_disk, host="web-1", metric="cpu", start=at(10), end=at(20)) == []


async def test_stats_are_computed_per_series(cpu_and_disk: Database) -> None:
    stats = await stats_between(cpu_and_disk, host="web-1", metric="cpu", key="", start=at(0), end=at(3))
    assert stats.count == 4
    assert (stats.min, stats.max) == (10.0, 40.0)
    assert stats.avg == pytest.approx(25.0)
    root = await stats_between(cpu_and_disk, host="web-1", metric="disk", key="/", start=at(0), end=at(3))
    assert root == SampleStats(count=1, min=71.5, avg=71.5, max=71.5)


async def test_stats_of_an_empty_range_say_so(cpu_and_disk: Database) -> None:
    empty = await stats_between(cpu_and_disk, host="web-1", metric="cpu", key="", start=at(30), end=at(40))
    assert empty == SampleStats(count=0, min=None, avg=None, max=None)


async def test_latest_value_of_a_series(cpu_and_disk: Database) -> None:
    assert await latest(cpu_and_disk, host="web-1", metric="cpu") == (at(3), 40.0)
    assert await latest(cpu_and_disk, host="web-1", metric="disk", key="/data") == (at(1), 94.0)
    assert await latest(cpu_and_disk, host="web-1", metric="load1") is None


async def test_old_samples_are_purged(cpu_and_disk: Database) -> None:
    removed = await purge_older_than(cpu_and_disk, at(1))
    assert removed == 3  # cpu at 0, both disks at 0
    assert await samples_between(cpu_and_disk, host="web-1", metric="cpu", start=at(-1), end=at(5)) == [
        (at(1), 20.0),
        (at(2), 30.0),
        (at(3), 40.0),
    ]
    assert await purge_older_than(cpu_and_disk, at(1)) == 0


async def test_times_in_other_zones_are_stored_as_utc(db: Database) -> None:
    paris = at(0).astimezone(timezone(timedelta(hours=1)))
    await add_samples(db, [HostSample(host="web-1", metric="net_recv_bps", value=1234.5, at=paris)])
    assert await latest(db, host="web-1", metric="net_recv_bps") == (at(0), 1234.5)


async def test_each_host_has_its_own_series(cpu_and_disk: Database) -> None:
    db = cpu_and_disk
    other = [HostSample(host="web-2", metric="cpu", value=90.0 + i, at=at(i + 0.5)) for i in range(4)]
    await add_samples(db, [*other, HostSample(host="web-2", metric="disk", key="/data", value=5.0, at=at(2))])
    web1 = await samples_between(db, host="web-1", metric="cpu", start=at(0), end=at(1))
    assert web1 == [(at(0), 10.0), (at(1), 20.0)]
    web2 = await samples_between(db, host="web-2", metric="cpu", start=at(0), end=at(1))
    assert web2 == [(at(0.5), 90.0)]
    stats = await stats_between(db, host="web-2", metric="cpu", start=at(0), end=at(5))
    assert (stats.count, stats.min, stats.max) == (4, 90.0, 93.0)
    assert await latest(db, host="web-1", metric="cpu") == (at(3), 40.0)
    assert await latest(db, host="web-2", metric="cpu") == (at(3.5), 93.0)
    assert await latest(db, host="web-1", metric="disk", key="/data") == (at(1), 94.0)
    assert await latest(db, host="web-3", metric="cpu") is None


async def test_the_purge_removes_old_samples_of_every_host(cpu_and_disk: Database) -> None:
    await add_samples(cpu_and_disk, [HostSample(host="gone", metric="cpu", value=1.0, at=at(-60))])
    assert await purge_older_than(cpu_and_disk, at(0)) == 1
    assert await latest(cpu_and_disk, host="gone", metric="cpu") is None


async def test_a_sample_without_a_host_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="without its host"):
        await add_samples(db, [HostSample(metric="cpu", value=1.0, at=at(0))])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="without its host"):
        await add_samples(db, [HostSample(host="", metric="cpu", value=1.0, at=at(0))])


async def test_samples_stored_before_the_host_column_get_the_empty_host(db: Database) -> None:
    url = db.url
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0010")
    before_0011 = table(
        "host_samples", column("metric"), column("key"), column("value"), column("at", UTCDateTime)
    )
    async with db.transaction() as session:
        await session.execute(insert(before_0011).values(metric="cpu", key="", value=42.0, at=at(0)))
    await asyncio.to_thread(upgrade, url)
    assert await latest(db, host="", metric="cpu") == (at(0), 42.0)
    assert await latest(db, host="web-1", metric="cpu") is None
