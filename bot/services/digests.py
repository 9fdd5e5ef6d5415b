"""Build the weekly review and the monthly deep dive for one team and period (view models only): its own
alerts, incidents and tickets (by their stored team) and its own KPIs."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col

from bot.config import Settings, Team
from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, Period
from bot.domain.digests import (
    AlertSection,
    Buckets,
    KpiSummary,
    MonthlyDigest,
    TicketSummary,
    WeeklyDigest,
    changes_by_severity,
    fill_buckets,
    noisy_rules,
    rank_issues,
    split_previous,
)
from bot.domain.kpis import Kpi, trend, worst
from bot.domain.reviews import ReviewSummary
from bot.errors import BotError
from bot.services import capacity, review_checklist, review_findings
from bot.services.incident_reports import incidents_between
from bot.services.metric_sources import MetricSource, kpis_from_config
from bot.services.metrics import metric_source
from bot.services.teams import rows_of
from storage import digest_queries as q
from storage import digest_sections as sections
from storage.incidents import Incident
from storage.models import Alert

log = logging.getLogger(__name__)
# A slow Prometheus must not hold the post job past its lease: KPIs without an answer by then say so.
KPI_TIMEOUT_SECONDS = 12.0


def owned(settings: Settings, column: Any, team: Team) -> ColumnElement[bool] | None:
    """The condition picking `team`'s rows by their `team` column; None when the one team has every row."""
    return None if len(settings.teams) == 1 else rows_of(settings, column, team)


async def build(deps: Deps, team: Team, period: Period) -> WeeklyDigest | MonthlyDigest:
    """The digest of `period` for `team`."""
    if period.kind is DigestKind.WEEKLY:
        return await build_weekly(deps, team, period)
    return await build_monthly(deps, team, period)


def _scope(deps: Deps, team: Team, period: Period) -> q.Scope:
    return q.Scope(period.previous_start, period.end, owned(deps.settings, col(Alert.team), team))


@dataclass(frozen=True)
class Firings:
    """What the digests tell of alert firings: the section, the per-bucket counts, the ranked groups."""

    section: AlertSection
    buckets: Buckets
    groups: q.GroupRanks


async def _firings(deps: Deps, scope: q.Scope, period: Period, cuts: list[datetime]) -> Firings:
    """The period's firings against the period before (one scan for both, cut into days or weeks), the
    most frequent alert names, and the groups ranked (recurring ones by week for the monthly)."""
    now = scope.shifted(period.start, period.end)
    weeks = cuts if period.kind is DigestKind.MONTHLY else []
    rows, names, groups = await asyncio.gather(
        q.bucket_counts(deps.db, scope, [period.previous_start, *cuts]),
        q.top_names(deps.db, now),
        q.group_ranks(deps.db, now, weeks=weeks),
    )
    previous, current, per_bucket = split_previous(rows)
    section = AlertSection(changes_by_severity(current, previous), tuple(names), tuple(groups.noisiest))
    return Firings(section, fill_buckets(cuts[:-1], per_bucket), groups)


async def build_weekly(deps: Deps, team: Team, period: Period) -> WeeklyDigest:
    """Firings, KPIs, incidents, response, threshold review, top issues and tickets of one week."""
    scope = _scope(deps, team, period)
    week, db = scope.shifted(period.start, period.end), deps.db
    # independent reads run side by side (own connections; SQLite's WAL lets readers overlap)
    async with asyncio.TaskGroup() as group:
        firings = group.create_task(_firings(deps, scope, period, period.day_boundaries()))
        found = group.create_task(incidents_between(deps, start=period.start, end=period.end, team=team))
        kpis = group.create_task(kpi_summaries(deps, team, period, daily=True))
        response = group.create_task(q.response(db, week))
        noise = group.create_task(q.rule_noise(db, week))
        tickets = group.create_task(ticket_summary(deps, team, period))
        reviews = group.create_task(review_summary(deps, scope, period))
        checked = group.create_task(review_findings.findings(deps, team, period))
    return WeeklyDigest(
        team=team.handle,
        period=period,
        alerts=firings.result().section,
        kpis=kpis.result()[0],
        incidents=tuple(sorted(found.result(), key=lambda i: (i.level, i.declared_at))),
        response=response.result(),
        noisy=tuple(noisy_rules(noise.result())[:5]),
        top_issues=tuple(rank_issues(firings.result().groups.worst)),
        tickets=tickets.result(),
        per_day=firings.result().buckets,
        kpi_source=kpis.result()[1],
        reviews=reviews.result(),
        checklist=review_findings.specs(team, period),
        findings=checked.result(),
    )


async def build_monthly(deps: Deps, team: Team, period: Period) -> MonthlyDigest:
    """The month against the month before, recurring problems, capacity (every host's) and trends."""
    scope = _scope(deps, team, period)
    weeks, db = period.week_boundaries(), deps.db
    incidents = owned(deps.settings, col(Incident.team), team)
    async with asyncio.TaskGroup() as group:
        firings = group.create_task(_firings(deps, scope, period, weeks))
        now = group.create_task(
            sections.incident_summary(db, period.start, period.end, weeks=weeks, owned=incidents)
        )
        before = group.create_task(
            sections.incident_summary(db, period.previous_start, period.start, owned=incidents)
        )
        kpis = group.create_task(kpi_summaries(deps, team, period, daily=False))
        tickets = group.create_task(ticket_summary(deps, team, period))
        usage = group.create_task(capacity.forecast(deps, period))
        reviews = group.create_task(review_summary(deps, scope, period))
        checked = group.create_task(review_findings.findings(deps, team, period))
        weekly = group.create_task(review_checklist.weekly_reviews(deps, team, period))
    summaries, source = kpis.result()
    return MonthlyDigest(
        team=team.handle,
        period=period,
        alerts=firings.result().section,
        incidents=now.result()[0],
        incidents_before=before.result()[0],
        kpis=summaries,
        tickets=tickets.result(),
        recurring=tuple(firings.result().groups.recurring),
        capacity=usage.result().trends,
        capacity_problems=usage.result().problems,
        capacity_source=usage.result().source,
        per_week_alerts=firings.result().buckets,
        per_week_incidents=now.result()[1],
        kpi_weeks=await kpi_weeks(deps, summaries, weeks),
        generated_at=deps.clock(),
        kpi_source=source,
        reviews=reviews.result(),
        checklist=review_findings.specs(team, period),
        findings=checked.result(),
        weekly_reviews=weekly.result(),
    )


async def review_summary(deps: Deps, scope: q.Scope, period: Period) -> ReviewSummary:
    """How the warnings opened in the period and the one before fared against their review deadlines."""
    now = deps.clock()
    current, previous = await asyncio.gather(
        q.reviews(deps.db, scope.shifted(period.start, period.end), now=now),
        q.reviews(deps.db, scope.shifted(period.previous_start, period.start), now=now),
    )
    return ReviewSummary(current, previous, deps.settings.file.alerts.warning_review_minutes)


async def kpi_summaries(
    deps: Deps, team: Team, period: Period, *, daily: bool
) -> tuple[tuple[KpiSummary, ...], str]:
    """Each of the team's KPIs: its average over the period against the period before, with its worst day
    when `daily`."""
    source = metric_source(deps)
    kpis = kpis_from_config(team.kpis)
    found = await asyncio.gather(*(_kpi_summary(deps, kpi, period, daily=daily) for kpi in kpis))
    return tuple(found), source.description


async def _kpi_summary(deps: Deps, kpi: Kpi, period: Period, *, daily: bool) -> KpiSummary:
    source = metric_source(deps)
    try:
        async with asyncio.timeout(KPI_TIMEOUT_SECONDS):
            return await _measured(source, kpi, period, daily=daily)
    except BotError as error:
        return KpiSummary(kpi, None, problem=str(error).splitlines()[0][:200])
    except TimeoutError:
        return KpiSummary(kpi, None, problem=f"no answer within {KPI_TIMEOUT_SECONDS:g} s")


async def _measured(source: MetricSource, kpi: Kpi, period: Period, *, daily: bool) -> KpiSummary:
    average = await source.average(kpi, start=period.start, end=period.end)
    previous = await source.average(kpi, start=period.previous_start, end=period.start)
    worst_day, worst_value = None, None
    if daily and average is not None:
        cuts = period.day_boundaries()
        days = await asyncio.gather(
            *(source.average(kpi, start=a, end=b) for a, b in itertools.pairwise(cuts))
        )
        worst_value = worst([d for d in days if d is not None], kpi.comparison)
        if worst_value is not None:
            worst_day = period.days()[days.index(worst_value)]
    problem = "" if average is not None else "no data"
    return KpiSummary(
        kpi, average, previous, worst_day, worst_value, trend(average, previous, kpi.comparison), problem
    )


async def kpi_weeks(
    deps: Deps, kpis: tuple[KpiSummary, ...], weeks: list[datetime]
) -> dict[str, tuple[float | None, ...]]:
    """Weekly averages of the KPIs that have data (the monthly KPI trend chart)."""
    source = metric_source(deps)
    found: dict[str, tuple[float | None, ...]] = {}
    for summary in kpis:
        if summary.average is None:
            continue
        try:
            async with asyncio.timeout(KPI_TIMEOUT_SECONDS):
                values = await asyncio.gather(
                    *(source.average(summary.kpi, start=a, end=b) for a, b in itertools.pairwise(weeks)),
                    return_exceptions=True,
                )
        except TimeoutError:
            continue
        found[summary.kpi.name] = tuple(v if isinstance(v, float) else None for v in values)
    return found


async def ticket_summary(deps: Deps, team: Team, period: Period) -> TicketSummary:
    """The team's tickets done in the period with measured impact, and its Quick Wins waiting (via the
    tickets feature)."""
    try:
        tickets = importlib.import_module("bot.services.tickets")
        blocks = importlib.import_module("bot.blocks.tickets")
        from storage.tickets import Ticket
    except ImportError:
        return TicketSummary(available=False)
    done = await tickets.registry(deps, period.start, period.end, team=team)
    counts, tops = await tickets.matrix(deps, team=team)
    mine = owned(deps.settings, col(Ticket.team), team)
    return TicketSummary(
        available=True,
        opened=await sections.tickets_opened(deps.db, period.start, period.end, owned=mine),
        active=sum(int(n) for n in counts.values()),
        done=tuple(str(blocks.registry_line(entry)) for entry in done[:10]),
        quick_wins_waiting=tuple(str(t) for t in tops.get("Quick Win", [])),
    )
