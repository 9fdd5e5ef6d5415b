"""The digests' sections besides firings: host usage trends, a team's tickets, its incidents per level/week.

`owned` is the condition picking the team's rows of the table read (bot.services.teams.rows_of; None: all)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import col

from bot.domain.capacity import Sums
from bot.domain.digests import IncidentStats
from storage.db import Database
from storage.digest_queries import at, bucket_of, rows_of, seconds_between
from storage.host_samples import HostSample
from storage.incidents import Incident


async def usage_sums(
    db: Database, *, metrics: Sequence[str], start: datetime, end: datetime
) -> list[tuple[str, str, str, Sums, float]]:
    """Least-squares sums (x in days since `start`) and the mean of each usage series: (host, metric, key,
    sums, mean). Each host is its own series: several replicas' samples never blend into one trend."""
    samples = (
        select(
            col(HostSample.host).label("host"),
            col(HostSample.metric).label("metric"),
            col(HostSample.key).label("key"),
            (seconds_between(db, at(start), col(HostSample.at)) / 86400.0).label("x"),
            col(HostSample.value).label("y"),
        )
        .where(
            col(HostSample.metric).in_(list(metrics)),
            col(HostSample.at) >= start,
            col(HostSample.at) < end,
        )
        .cte("samples")
        .prefix_with("MATERIALIZED")  # the day offset is computed once per sample, not once per sum
    )
    x, y = samples.c.x, samples.c.y
    statement = (
        select(
            samples.c.host,
            samples.c.metric,
            samples.c.key,
            func.count(),
            func.sum(x),
            func.sum(y),
            func.sum(x * y),
            func.sum(x * x),
            func.max(x),
        )
        .group_by(samples.c.host, samples.c.metric, samples.c.key)
        .order_by(samples.c.host, samples.c.metric, samples.c.key)
    )
    found = []
    for host, metric, key, n, sx, sy, sxy, sxx, _latest in await rows_of(db, statement):
        sums = Sums(int(n), float(sx or 0), float(sy or 0), float(sxy or 0), float(sxx or 0))
        found.append((str(host), str(metric), str(key), sums, float(sy or 0) / max(1, int(n))))
    return found


def _where(owned: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [] if owned is None else [owned]


async def tickets_opened(
    db: Database, start: datetime, end: datetime, *, owned: ColumnElement[bool] | None = None
) -> int:
    """Tickets created in [start, end)."""
    from storage.tickets import Ticket  # the tickets feature's table, read only

    created = col(Ticket.created_at)
    rows = await rows_of(db, select(func.count()).where(created >= start, created < end, *_where(owned)))
    return int(rows[0][0])


async def incident_summary(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    weeks: Sequence[datetime] = (),
    owned: ColumnElement[bool] | None = None,
) -> tuple[IncidentStats, tuple[int, ...]]:
    """Incidents declared in [start, end) per SEV level with targets met (open ones not judged yet),
    and per week when `weeks` cuts are given."""
    declared = col(Incident.declared_at)
    acked, resolved = col(Incident.acked_at), col(Incident.resolved_at)
    due = col(Incident.resolve_due_at)
    statement = (
        select(
            col(Incident.level),
            func.count(),
            func.sum(case((acked <= col(Incident.respond_due_at), 1), else_=0)),
            func.count(acked),
            func.sum(case((and_(resolved.is_not(None), due.is_not(None), resolved <= due), 1), else_=0)),
            func.sum(case((and_(resolved.is_not(None), due.is_not(None)), 1), else_=0)),
        )
        .where(declared >= start, declared < end, *_where(owned))
        .group_by(col(Incident.level))
    )
    by_level, met = {level: 0 for level in (1, 2, 3, 4)}, [0, 0, 0, 0]
    for level, count, *judged in await rows_of(db, statement):
        by_level[int(level)] = int(count)
        for index, value in enumerate(judged):  # respond met, judged; resolve met, judged
            met[index] += int(value or 0)
    per_week: tuple[int, ...] = ()
    if weeks:
        bucket = bucket_of(declared, weeks)
        counted = await rows_of(
            db,
            select(bucket, func.count())
            .where(declared >= weeks[0], declared < weeks[-1], *_where(owned))
            .group_by(bucket),
        )
        found = dict((int(b), int(n)) for b, n in counted)
        per_week = tuple(found.get(i, 0) for i in range(len(weeks) - 1))
    return IncidentStats(by_level, *met), per_week
