"""Host check samples, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

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

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def cpu_and_disk(db: Database) -> Database:
    """CPU at 10, 20, 30, 40 % one minute apart, plus two disks and memory that must not mix in."""
    samples = [HostSample(metric="cpu", value=10.0 * (i + 1), at=at(i)) for i in range(4)]
    samples += [
        HostSample(metric="disk", key="/", value=71.5, at=at(0)),
        HostSample(metric="disk", key="/data", value=93.0, at=at(0)),
        HostSample(metric="disk", key="/data", value=94.0, at=at(1)),
        HostSample(metric="memory", value=55.0, at=at(1)),
    ]
    assert await add_samples(db, samples) == len(samples)
    return db


async def test_adding_nothing_is_fine(db: Database) -> None:
    assert await add_samples(db, []) == 0


async def test_a_series_between_two_times_comes_back_in_order(cpu_and_disk: Database) -> None:
    series = await samples_between(cpu_and_disk, metric="cpu", start=at(1), end=at(3))
    assert series == [(at(1), 20.0), (at(2), 30.0), (at(3), 40.0)]
    assert all(moment.tzinfo is not None for moment, _ in series)
    disk = await samples_between(cpu_and_disk, metric="disk", key="/data", start=at(-5), end=at(5))
    assert disk == [(at(0), 93.0), (at(1), 94.0)]
    assert await samples_between(cpu_and_disk, metric="cpu", start=at(10), end=at(20)) == []


async def test_stats_are_computed_per_series(cpu_and_disk: Database) -> None:
    stats = await stats_between(cpu_and_disk, metric="cpu", key="", start=at(0), end=at(3))
    assert stats.count == 4
    assert (stats.min, stats.max) == (10.0, 40.0)
    assert stats.avg == pytest.approx(25.0)
    root = await stats_between(cpu_and_disk, metric="disk", key="/", start=at(0), end=at(3))
    assert root == SampleStats(count=1, min=71.5, avg=71.5, max=71.5)


async def test_stats_of_an_empty_range_say_so(cpu_and_disk: Database) -> None:
    empty = await stats_between(cpu_and_disk, metric="cpu", key="", start=at(30), end=at(40))
    assert empty == SampleStats(count=0, min=None, avg=None, max=None)


async def test_latest_value_of_a_series(cpu_and_disk: Database) -> None:
    assert await latest(cpu_and_disk, metric="cpu") == (at(3), 40.0)
    assert await latest(cpu_and_disk, metric="disk", key="/data") == (at(1), 94.0)
    assert await latest(cpu_and_disk, metric="load1") is None


async def test_old_samples_are_purged(cpu_and_disk: Database) -> None:
    removed = await purge_older_than(cpu_and_disk, at(1))
    assert removed == 3  # cpu at 0, both disks at 0
    assert await samples_between(cpu_and_disk, metric="cpu", start=at(-1), end=at(5)) == [
        (at(1), 20.0),
        (at(2), 30.0),
        (at(3), 40.0),
    ]
    assert await purge_older_than(cpu_and_disk, at(1)) == 0


async def test_times_in_other_zones_are_stored_as_utc(db: Database) -> None:
    paris = at(0).astimezone(timezone(timedelta(hours=1)))
    await add_samples(db, [HostSample(metric="net_recv_bps", value=1234.5, at=paris)])
    assert await latest(db, metric="net_recv_bps") == (at(0), 1234.5)
