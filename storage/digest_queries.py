"""The digests' aggregations, done in SQL (GROUP BY, CASE buckets) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    func,
    literal,
    not_,
    select,
    true,
)
from sqlmodel import col

from bot.domain.alerts import Matcher
from bot.domain.digests import GroupStat, IncidentStats, RecurringProblem, Response, RuleNoise, Sums
from storage.db import Database
from storage.host_samples import HostSample
from storage.incidents import Incident
from storage.models import Alert, AlertGroup
from storage.types import UTCDateTime

QUICK_RESOLVE = timedelta(minutes=5)
RANK = case((col(Alert.severity) == "critical", 3), (col(Alert.severity) == "warning", 2), else_=1)
SEVERITY_OF_RANK = {3: "critical", 2: "warning", 1: "info"}


@dataclass(frozen=True)
class Scope:
    """Which alerts a digest counts: started in [start, end) and matching the team's label filter."""

    start: datetime
    end: datetime
    labels: ColumnElement[bool]

    def where(self) -> ColumnElement[bool]:
        return and_(col(Alert.starts_at) >= self.start, col(Alert.starts_at) < self.end, self.labels)

    def shifted(self, start: datetime, end: datetime) -> Scope:
        return Scope(start, end, self.labels)


async def scope_for(db: Database, matchers: Sequence[Matcher], *, start: datetime, end: datetime) -> Scope:
    """Build the label filter; regex matchers are decided on the few distinct values in the window."""
    conditions: list[ColumnElement[bool]] = []
    for matcher in matchers:
        value = func.coalesce(col(Alert.labels)[matcher.label].as_string(), "")
        if matcher.op == "=":
            conditions.append(value == matcher.value)
        elif matcher.op == "!=":
            conditions.append(value != matcher.value)
        else:
            window = and_(col(Alert.starts_at) >= start, col(Alert.starts_at) < end)
            async with db.sessions() as session:
                seen = (await session.execute(select(value).distinct().where(window))).scalars().all()
            chosen = [str(v) for v in seen if matcher.matches({matcher.label: str(v)})]
            conditions.append(value.in_(chosen) if chosen else literal(False))
    return Scope(start, end, and_(true(), *conditions))


def seconds_between(db: Database, earlier: Any, later: Any) -> ColumnElement[float]:
    """`later - earlier` in seconds: julianday arithmetic on SQLite, EXTRACT(EPOCH …) on PostgreSQL."""
    if db.is_sqlite:
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(extract("epoch", later - earlier), Float)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


async def _rows(db: Database, statement: Any) -> list[Any]:
    async with db.sessions() as session:
        return list((await session.execute(statement)).all())


async def severity_counts(db: Database, scope: Scope) -> dict[str, int]:
    """Alerts per severity."""
    statement = select(col(Alert.severity), func.count()).where(scope.where()).group_by(col(Alert.severity))
    return {str(s): int(n) for s, n in await _rows(db, statement)}


async def bucket_counts(
    db: Database, scope: Scope, boundaries: Sequence[datetime]
) -> list[tuple[int, str, int]]:
    """(bucket index, severity, alerts) with buckets cut at `boundaries` (local midnights: DST-correct)."""
    bucket = case(
        *[(col(Alert.starts_at) < cut, index) for index, cut in enumerate(boundaries[1:])], else_=-1
    )
    statement = (
        select(bucket, col(Alert.severity), func.count())
        .where(scope.shifted(boundaries[0], boundaries[-1]).where())
        .group_by(bucket, col(Alert.severity))
    )
    return [(int(b), str(s), int(n)) for b, s, n in await _rows(db, statement)]


async def top_names(db: Database, scope: Scope, *, limit: int = 5) -> list[tuple[str, int]]:
    """The alert names that fired most."""
    count = func.count().label("n")
    statement = (
        select(col(Alert.alertname), count)
        .where(scope.where())
        .group_by(col(Alert.alertname))
        .order_by(count.desc(), col(Alert.alertname))
        .limit(limit)
    )
    return [(str(name), int(n)) for name, n in await _rows(db, statement)]


async def group_stats(db: Database, scope: Scope, *, by_severity: bool, limit: int) -> list[GroupStat]:
    """Groups by alert count (the noisiest), or worst severity first, then count and time firing."""
    ended = case((col(Alert.ends_at).is_(None), _at(scope.end)), else_=col(Alert.ends_at))
    firing = func.sum(seconds_between(db, col(Alert.starts_at), ended)).label("firing")
    count, rank = func.count().label("n"), func.max(RANK).label("rank")
    order = [rank.desc(), count.desc(), firing.desc()] if by_severity else [count.desc(), firing.desc()]
    statement = (
        select(col(Alert.group_key), func.min(col(Alert.alertname)), rank, count, firing)
        .where(scope.where())
        .group_by(col(Alert.group_key))
        .order_by(*order, col(Alert.group_key))
        .limit(limit)
    )
    return [
        GroupStat(str(key), str(name), SEVERITY_OF_RANK.get(int(r), "info"), int(n), float(f or 0))
        for key, name, r, n, f in await _rows(db, statement)
    ]


async def rule_noise(db: Database, scope: Scope, *, min_alerts: int = 3) -> list[RuleNoise]:
    """Per alert rule: alerts, those in groups marked as noise, those resolved quickly and never acked."""
    same_group = col(AlertGroup.group_key) == col(Alert.group_key)
    noise = exists().where(same_group, col(AlertGroup.noise_by).is_not(None))
    acked = exists().where(same_group, col(AlertGroup.acked_at).is_not(None))
    lasted = seconds_between(db, col(Alert.starts_at), col(Alert.ends_at))
    quick = and_(
        col(Alert.ends_at).is_not(None), lasted < QUICK_RESOLVE.total_seconds(), not_(acked), not_(noise)
    )
    statement = (
        select(
            col(Alert.alertname),
            func.count(),
            func.sum(case((noise, 1), else_=0)),
            func.sum(case((quick, 1), else_=0)),
        )
        .where(scope.where())
        .group_by(col(Alert.alertname))
        .having(func.count() >= min_alerts)
    )
    return [
        RuleNoise(str(name), int(n), int(noisy or 0), int(fast or 0))
        for name, n, noisy, fast in await _rows(db, statement)
    ]


async def response(db: Database, scope: Scope) -> Response:
    """Mean time to acknowledge and to resolve the groups that (last) started firing in the window."""
    in_scope = select(col(Alert.group_key)).where(scope.where())
    fired = col(AlertGroup.first_fired_at)
    ack = seconds_between(db, fired, col(AlertGroup.acked_at))
    resolve = seconds_between(db, fired, col(AlertGroup.resolved_at))
    statement = select(
        func.count(),
        func.count(col(AlertGroup.acked_at)),
        func.count(col(AlertGroup.resolved_at)),
        func.avg(ack),
        func.avg(resolve),
    ).where(fired >= scope.start, fired < scope.end, col(AlertGroup.group_key).in_(in_scope))
    groups, acked, resolved, mean_ack, mean_resolve = (await _rows(db, statement))[0]
    return Response(
        int(groups),
        int(acked),
        int(resolved),
        None if mean_ack is None else float(mean_ack),
        None if mean_resolve is None else float(mean_resolve),
    )


async def recurring(
    db: Database, scope: Scope, weeks: Sequence[datetime], *, min_weeks: int = 3, limit: int = 10
) -> list[RecurringProblem]:
    """Groups that fired in at least `min_weeks` distinct weeks of the period."""
    bucket = case(*[(col(Alert.starts_at) < cut, i) for i, cut in enumerate(weeks[1:])], else_=-1)
    distinct_weeks = func.count(distinct(bucket)).label("weeks")
    count = func.count().label("n")
    statement = (
        select(col(Alert.group_key), func.min(col(Alert.alertname)), distinct_weeks, count)
        .where(scope.where())
        .group_by(col(Alert.group_key))
        .having(func.count(distinct(bucket)) >= min_weeks)
        .order_by(distinct_weeks.desc(), count.desc(), col(Alert.group_key))
        .limit(limit)
    )
    return [
        RecurringProblem(str(key), str(name), int(w), int(n))
        for key, name, w, n in await _rows(db, statement)
    ]


async def usage_sums(
    db: Database, *, metrics: Sequence[str], start: datetime, end: datetime
) -> list[tuple[str, str, Sums, float]]:
    """Least-squares sums (x in days since `start`) and the latest value of each host usage series."""
    samples = (
        select(
            col(HostSample.metric).label("metric"),
            col(HostSample.key).label("key"),
            (seconds_between(db, _at(start), col(HostSample.at)) / 86400.0).label("x"),
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
            samples.c.metric,
            samples.c.key,
            func.count(),
            func.sum(x),
            func.sum(y),
            func.sum(x * y),
            func.sum(x * x),
            func.max(x),
        )
        .group_by(samples.c.metric, samples.c.key)
        .order_by(samples.c.metric, samples.c.key)
    )
    found = []
    for metric, key, n, sx, sy, sxy, sxx, _latest in await _rows(db, statement):
        sums = Sums(int(n), float(sx or 0), float(sy or 0), float(sxy or 0), float(sxx or 0))
        found.append((str(metric), str(key), sums, float(sy or 0) / max(1, int(n))))
    return found


async def tickets_opened(db: Database, start: datetime, end: datetime) -> int:
    """Tickets created in [start, end)."""
    from storage.tickets import Ticket  # the tickets feature's table, read only

    created = col(Ticket.created_at)
    rows = await _rows(db, select(func.count()).where(created >= start, created < end))
    return int(rows[0][0])


async def incident_summary(
    db: Database, start: datetime, end: datetime, *, weeks: Sequence[datetime] = ()
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
        .where(declared >= start, declared < end)
        .group_by(col(Incident.level))
    )
    by_level, met = {level: 0 for level in (1, 2, 3, 4)}, [0, 0, 0, 0]
    for level, count, respond_met, respond_judged, resolve_met, resolve_judged in await _rows(db, statement):
        by_level[int(level)] = int(count)
        for index, value in enumerate((respond_met, respond_judged, resolve_met, resolve_judged)):
            met[index] += int(value or 0)
    per_week: tuple[int, ...] = ()
    if weeks:
        bucket = case(*[(declared < cut, i) for i, cut in enumerate(weeks[1:])], else_=-1)
        counted = await _rows(
            db,
            select(bucket, func.count()).where(declared >= weeks[0], declared < weeks[-1]).group_by(bucket),
        )
        found = dict((int(b), int(n)) for b, n in counted)
        per_week = tuple(found.get(i, 0) for i in range(len(weeks) - 1))
    return IncidentStats(by_level, *met), per_week
