"""Host check samples (CPU, memory, disk, load, network, uptime): the table and its queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Index, and_, delete, func, insert, select
from sqlmodel import Field, SQLModel, col

from storage.db import Database
from storage.types import UTCDateTime


class HostSample(SQLModel, table=True):
    """One measured value of one series: `host`, `metric` and `key` (a mount point or check name, else "").

    `host` has no default, and add_samples refuses an empty one: such a sample would join no host's series.
    """

    __tablename__ = "host_samples"
    __table_args__ = (Index("ix_host_samples_host_metric_key_at", "host", "metric", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    # "" only on samples stored before migration 0011, which did not record the host
    host: str = Field(max_length=255, sa_column_kwargs={"server_default": ""})
    metric: str = Field(max_length=32)
    key: str = Field(default="", max_length=255)
    value: float
    at: datetime = Field(index=True, sa_type=UTCDateTime)


@dataclass(frozen=True)
class SampleStats:
    """Summary of a series over a time range; min, avg and max are None when there is no sample."""

    count: int
    min: float | None
    avg: float | None
    max: float | None


async def add_samples(db: Database, samples: Iterable[HostSample]) -> int:
    """Insert samples in one statement; return how many. Every sample must name its host."""
    rows = [{"host": s.host, "metric": s.metric, "key": s.key, "value": s.value, "at": s.at} for s in samples]
    if any(not row["host"] for row in rows):
        raise ValueError("a host sample without its host would join no host's series")
    if not rows:
        return 0
    async with db.transaction() as session:
        await session.execute(insert(HostSample), rows)
    return len(rows)


async def samples_between(
    db: Database, *, host: str, metric: str, key: str = "", start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """Return (time, value) of one host's series from `start` to `end` (both included), oldest first."""
    query = (
        select(col(HostSample.at), col(HostSample.value))
        .where(_series(host, metric, key), _within(start, end))
        .order_by(col(HostSample.at))
    )
    async with db.sessions() as session:
        result = await session.execute(query)
        return [(at, float(value)) for at, value in result.all()]


async def stats_between(
    db: Database, *, host: str, metric: str, key: str = "", start: datetime, end: datetime
) -> SampleStats:
    """Count, min, average and max of one host's series from `start` to `end` (both included), in SQL."""
    query = select(
        func.count(col(HostSample.id)),
        func.min(col(HostSample.value)),
        func.avg(col(HostSample.value)),
        func.max(col(HostSample.value)),
    ).where(_series(host, metric, key), _within(start, end))
    async with db.sessions() as session:
        count, low, mean, high = (await session.execute(query)).one()
    return SampleStats(count=int(count), min=_float(low), avg=_float(mean), max=_float(high))


async def latest(db: Database, *, host: str, metric: str, key: str = "") -> tuple[datetime, float] | None:
    """Return the newest (time, value) of one host's series, or None when it has no sample."""
    query = (
        select(col(HostSample.at), col(HostSample.value))
        .where(_series(host, metric, key))
        .order_by(col(HostSample.at).desc())
        .limit(1)
    )
    async with db.sessions() as session:
        row = (await session.execute(query)).first()
    return None if row is None else (row[0], float(row[1]))


async def purge_older_than(db: Database, cutoff: datetime) -> int:
    """Delete samples of every host taken before `cutoff` (a host gone for good purges nothing itself)."""
    async with db.transaction() as session:
        result = await session.execute(delete(HostSample).where(col(HostSample.at) < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _series(host: str, metric: str, key: str) -> ColumnElement[bool]:
    return and_(col(HostSample.host) == host, col(HostSample.metric) == metric, col(HostSample.key) == key)


def _within(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col(HostSample.at) >= start, col(HostSample.at) <= end)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
