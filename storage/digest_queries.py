"""The digests' aggregations over alert episodes (one row per firing), in SQL on SQLite and PostgreSQL alike.

Alert counts are firings: `alert_episodes` started in the window, so an alert that fired three times counts
three. Response times and the threshold review read `alert_group_episodes` opened in the window.
"""

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
    extract,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlmodel import col

from bot.domain.digests import SEVERITY_RANK, GroupStat, RecurringProblem, Response, RuleNoise
from bot.domain.reviews import ReviewOutcome, ReviewTally, tally
from storage.db import Database
from storage.models import Alert, AlertEpisode, AlertGroupEpisode
from storage.types import UTCDateTime

QUICK_RESOLVE = timedelta(minutes=5)
SEVERITY_OF_RANK = {3: "critical", 2: "warning", 1: "info"}
STARTED = col(AlertEpisode.started_at)
OPENED = col(AlertGroupEpisode.opened_at)
RANK = case(
    (col(AlertEpisode.severity) == "critical", 3), (col(AlertEpisode.severity) == "warning", 2), else_=1
)


@dataclass(frozen=True)
class Scope:
    """Which firings a digest counts: started in [start, end), of the team's alerts (`owned`, a condition on
    `alerts`, see storage.ownership; None when the one team takes every alert)."""

    start: datetime
    end: datetime
    owned: ColumnElement[bool] | None = None

    def firings(self) -> ColumnElement[bool]:
        """Alert episodes that started in the window (of the team's alerts)."""
        started = col(AlertEpisode.started_at)
        window = and_(started >= self.start, started < self.end)
        if self.owned is None:
            return window
        # `+ 0` keeps SQLite from walking the alert_id index through every firing of a year (its planner
        # prefers an equality lookup to the started_at range); PostgreSQL hashes the subquery either way
        alert_id = col(AlertEpisode.alert_id) + 0
        return and_(window, alert_id.in_(select(col(Alert.id)).where(self.owned)))

    def group_firings(self) -> ColumnElement[bool]:
        """Group episodes opened in the window (of groups holding the team's alerts)."""
        opened = col(AlertGroupEpisode.opened_at)
        window = and_(opened >= self.start, opened < self.end)
        if self.owned is None:
            return window
        keys = select(col(Alert.group_key)).where(self.owned)
        return and_(window, col(AlertGroupEpisode.group_key).in_(keys))

    def shifted(self, start: datetime, end: datetime) -> Scope:
        return Scope(start, end, self.owned)


def seconds_between(db: Database, earlier: Any, later: Any) -> ColumnElement[float]:
    """`later - earlier` in seconds: julianday arithmetic on SQLite (rounded to the millisecond: a
    julianday double is only good to ~0.1 ms, and 20 minutes must not read as 19:59.9999), EXTRACT(EPOCH …)
    on PostgreSQL."""
    if db.is_sqlite:
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)
    return cast(extract("epoch", later - earlier), Float)


def earliest(db: Database, first: Any, second: Any) -> ColumnElement[Any]:
    """The earlier of two instants (SQLite's two-argument min() compares its sortable text)."""
    return func.min(first, second) if db.is_sqlite else func.least(first, second)


def at(moment: datetime) -> ColumnElement[datetime]:
    """An instant as a bound value stored the way the columns store it."""
    return literal(moment, UTCDateTime())


def bucket_of(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the bucket (cut at `boundaries`) that `column` falls in; -1 past the last."""
    return case(*[(column < cut, index) for index, cut in enumerate(boundaries[1:])], else_=-1)


async def rows_of(db: Database, statement: Any) -> list[Any]:
    """Run a read and return all its rows."""
    async with db.sessions() as session:
        return list((await session.execute(statement)).all())


async def bucket_counts(
    db: Database, scope: Scope, boundaries: Sequence[datetime]
) -> list[tuple[int, str, int]]:
    """(bucket index, severity, firings) with buckets cut at `boundaries` (local midnights: DST-correct)."""
    bucket, severity = bucket_of(STARTED, boundaries), col(AlertEpisode.severity)
    statement = (
        select(bucket, severity, func.count())
        .where(scope.shifted(boundaries[0], boundaries[-1]).firings())
        .group_by(bucket, severity)
    )
    return [(int(b), str(s), int(n)) for b, s, n in await rows_of(db, statement)]


async def top_names(db: Database, scope: Scope, *, limit: int = 5) -> list[tuple[str, int]]:
    """The alert names that fired most often."""
    name, count = col(AlertEpisode.alertname), func.count().label("n")
    statement = (
        select(name, count).where(scope.firings()).group_by(name).order_by(count.desc(), name).limit(limit)
    )
    return [(str(found), int(n)) for found, n in await rows_of(db, statement)]


def firing_seconds(db: Database, scope: Scope) -> ColumnElement[float]:
    """How long each firing lasted within the period: to its end, or to the period's end if later or
    still firing (never less than nothing, should a source report an end before the start)."""
    end = at(scope.end)
    until = earliest(db, func.coalesce(col(AlertEpisode.ended_at), end), end)
    lasted = seconds_between(db, STARTED, until)
    return case((lasted > 0, lasted), else_=0.0)


@dataclass(frozen=True)
class GroupRanks:
    """Group keys ranked three ways over one period."""

    noisiest: list[GroupStat]  # most firings, then longest firing
    worst: list[GroupStat]  # worst severity first, then most firings, then longest firing
    recurring: list[RecurringProblem]  # firing in the most distinct weeks (given week cuts)


async def group_ranks(
    db: Database,
    scope: Scope,
    *,
    weeks: Sequence[datetime] = (),
    limits: tuple[int, int, int] = (5, 3, 10),
    min_weeks: int = 3,
) -> GroupRanks:
    """Firings per group key, ranked as the noisiest, the worst and, with `weeks` (cuts spanning the
    scope's window), the recurring ones (in `min_weeks` distinct weeks or more): one scan, three lists."""
    week = bucket_of(STARTED, weeks or [scope.start, scope.end])
    per_group = (
        select(
            col(AlertEpisode.group_key).label("key"),
            func.min(col(AlertEpisode.alertname)).label("name"),
            func.max(RANK).label("rank"),
            func.count().label("n"),
            func.sum(firing_seconds(db, scope)).label("firing"),
            func.count(distinct(week)).label("weeks"),
        )
        .where(scope.firings())
        .group_by(col(AlertEpisode.group_key))
        .cte("per_group")
        .prefix_with("MATERIALIZED")  # aggregated once, ranked three times
    )
    g = per_group.c
    orders = (
        [g.n.desc(), g.firing.desc(), g.key],
        [g.rank.desc(), g.n.desc(), g.firing.desc(), g.key],
        [g.weeks.desc(), g.n.desc(), g.key],
    )
    wanted = ((), (), (g.weeks >= min_weeks,))[: 3 if weeks else 2]  # recurring needs week cuts
    lists = [
        select(
            select(literal_column(str(index)).label("list"), *g)
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .subquery()
        )
        for index, (where, order, limit) in enumerate(zip(wanted, orders, limits, strict=False))
    ]
    return _ranked(await rows_of(db, union_all(*lists)))


def _ranked(rows: Sequence[Any]) -> GroupRanks:
    """Sort the union's rows into their lists, in order (a union keeps no order of its parts)."""
    ranks = GroupRanks([], [], [])
    for index, key, name, rank, n, firing, weeks in rows:
        stat = GroupStat(
            str(key), str(name), SEVERITY_OF_RANK.get(int(rank), "info"), int(n), float(firing or 0)
        )
        if index == 2:
            ranks.recurring.append(RecurringProblem(stat.key, stat.alertname, int(weeks), stat.count))
        else:
            (ranks.noisiest if index == 0 else ranks.worst).append(stat)
    ranks.noisiest.sort(key=lambda s: (-s.count, -s.firing_seconds, s.key))
    ranks.worst.sort(key=lambda s: (-SEVERITY_RANK.get(s.severity, 0), -s.count, -s.firing_seconds, s.key))
    ranks.recurring.sort(key=lambda r: (-r.weeks, -r.count, r.key))
    return ranks


async def response(db: Database, scope: Scope) -> Response:
    """Mean time to acknowledge (over acknowledged ones) and to resolve (over ended ones) the group
    firings opened in the window, both from when opsbot saw each start."""
    acked, ended = col(AlertGroupEpisode.acked_at), col(AlertGroupEpisode.ended_at)
    statement = select(
        func.count(),
        func.count(acked),
        func.count(ended),
        func.avg(seconds_between(db, OPENED, acked)),
        func.avg(seconds_between(db, OPENED, ended)),
    ).where(scope.group_firings())
    groups, acked_n, ended_n, mean_ack, mean_resolve = (await rows_of(db, statement))[0]
    return Response(
        int(groups),
        int(acked_n),
        int(ended_n),
        None if mean_ack is None else float(mean_ack),
        None if mean_resolve is None else float(mean_resolve),
    )


async def rule_noise(db: Database, scope: Scope, *, min_firings: int = 3) -> list[RuleNoise]:
    """Per alert name, the group firings opened in the window: all, those marked as noise, and those
    that ended within five minutes of opening with nobody acknowledging (and not marked as noise)."""
    name = col(AlertGroupEpisode.alertname)
    ended, noise_by = col(AlertGroupEpisode.ended_at), col(AlertGroupEpisode.noise_by)
    quick = and_(
        ended.is_not(None),
        seconds_between(db, OPENED, ended) < QUICK_RESOLVE.total_seconds(),
        col(AlertGroupEpisode.acked_at).is_(None),
        noise_by.is_(None),
    )
    statement = (
        select(
            name,
            func.count(),
            func.sum(case((noise_by.is_not(None), 1), else_=0)),
            func.sum(case((quick, 1), else_=0)),
        )
        .where(scope.group_firings())
        .group_by(name)
        .having(func.count() >= min_firings)
    )
    return [
        RuleNoise(str(found), int(n), int(noisy or 0), int(fast or 0))
        for found, n, noisy, fast in await rows_of(db, statement)
    ]


async def reviews(db: Database, scope: Scope, *, now: datetime) -> ReviewTally:
    """The warning firings opened in the window that had a review deadline, by how their review went as
    of `now` (bot.domain.reviews.review_outcome, case for case)."""
    due, reviewed = col(AlertGroupEpisode.review_due_at), col(AlertGroupEpisode.reviewed_at)
    ended = col(AlertGroupEpisode.ended_at)
    outcome = case(
        (reviewed <= due, ReviewOutcome.IN_TIME.value),
        (reviewed.is_not(None), ReviewOutcome.LATE.value),
        (ended <= due, ReviewOutcome.WENT_AWAY.value),
        (due > at(now), ReviewOutcome.PENDING.value),
        else_=ReviewOutcome.MISSED.value,
    )
    statement = select(outcome, func.count()).where(scope.group_firings(), due.is_not(None)).group_by(outcome)
    return tally({ReviewOutcome(str(found)): int(n) for found, n in await rows_of(db, statement)})
