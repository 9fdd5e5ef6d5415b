"""/metrics use cases: the KPI overview, one metric over a range, raw PromQL, and sharing a chart."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot import charts
from bot.config import Settings, Team
from bot.deps import Deps
from bot.domain.hostchecks import HostReading
from bot.domain.kpis import (
    Kpi,
    Status,
    describe_range,
    known_names,
    parse_range,
    resolve_metric,
    stats_of,
    status_of,
    step_for,
    trend,
)
from bot.domain.metric_reports import (
    MAX_SERIES,
    HostDetails,
    KpiReading,
    MetricReport,
    Network,
    Overview,
    QueryResult,
    can_draw,
    current_of,
    top_samples,
    worst_series,
)
from bot.errors import BotError, UpstreamError, UsageError
from bot.services.metric_sources import (
    HostSource,
    MetricSource,
    check_raw_query,
    create_metric_source,
    every_kpi,
    query_limits,
    team_kpis,
)
from bot.services.oncall import every_rotation_member
from bot.services.permissions import ensure_allowed
from bot.services.teams import named
from bot.slack import error_code
from storage import host_samples

log = logging.getLogger(__name__)
# Slack answers these when the bot may not post in a channel; the user then gets the numbers only.
CHART_BLOCKED = {
    "not_in_channel": "opsbot is not a member of this channel (invite @opsbot to get charts here)",
    "channel_not_found": "opsbot cannot see this channel (invite @opsbot to get charts here)",
    "is_archived": "this channel is archived",
    "restricted_action": "this workspace does not let opsbot post files here",
}


def metric_source(deps: Deps) -> MetricSource:
    """The process's metric source (Prometheus or this host); the tickets feature reads KPIs through it."""
    if deps.metrics is None:
        deps.metrics = create_metric_source(deps.settings, deps.db)
    return deps.metrics


def team_in(settings: Settings, word: str) -> Team | None:
    """The team `word` names (`payments` or `team=payments`), else None: a team handle wins over a KPI of the
    same name (`opsbot check-config` reports such clashes)."""
    if word.startswith("team="):
        return named(settings, word)
    return settings.team(word) if word else None


async def overview(deps: Deps, team: Team | None = None) -> Overview:
    """The team's KPIs (None: the default team's) with their current values and status; this host's details
    without Prometheus."""
    source = metric_source(deps)
    chosen = team or deps.settings.default_team
    kpis = team_kpis(chosen)
    results = await asyncio.gather(*(source.instant(kpi) for kpi in kpis), return_exceptions=True)
    readings = []
    for kpi, result in zip(kpis, results, strict=True):
        if isinstance(result, UpstreamError):
            raise result  # Prometheus is away: one clear message instead of eight
        if isinstance(result, BotError):
            readings.append(KpiReading(kpi, None, Status.NO_DATA, problem=_short_problem(result)))
        elif isinstance(result, BaseException):
            raise result
        else:
            value = current_of(result, kpi.comparison)
            readings.append(KpiReading(kpi, value, status_of(kpi, value), "" if result else "no data"))
    host = await host_details(deps, source) if isinstance(source, HostSource) else None
    several = len(deps.settings.teams) > 1  # a single-team opsbot's overview reads as it always has
    return Overview(
        source=source.description,
        readings=tuple(readings),
        host=host,
        team=chosen.title if several else "",
    )


def _short_problem(error: BotError) -> str:
    text = str(error)
    if "needs Prometheus" in text:
        return "needs Prometheus"
    return text.split("\n```", 1)[0]


def resolve(deps: Deps, word: str, team: Team | None = None) -> Kpi:
    """The KPI or metric `word` names among the team's KPIs, or (no team) among every team's, the default
    team's first; UsageError listing the known names otherwise."""
    kpis = team_kpis(team) if team else every_kpi(deps.settings)
    kpi = resolve_metric(word, kpis)
    if kpi is None:
        names = ", ".join(f"`{name}`" for name in known_names(kpis))
        whose = f"Team `{team.handle}` has" if team else "There is"
        raise UsageError(f"{whose} no metric called `{word}`. Known: {names}; or `/metrics query <promql>`.")
    return kpi


async def report(deps: Deps, word: str, range_word: str | None, team: Team | None = None) -> MetricReport:
    """One metric (a team's, when given): now, min/avg/max/p95 over the range, trend against the range
    before it."""
    kpi = resolve(deps, word, team)
    span = _range(range_word)
    source = metric_source(deps)
    end = deps.clock()
    start = end - span
    now_samples = await source.instant(kpi)  # first: a source that cannot answer says so once
    found, previous = await asyncio.gather(
        source.series(kpi, start=start, end=end, step=step_for(span)),
        source.average(kpi, start=start - span, end=start),
    )
    current = current_of(now_samples, kpi.comparison)
    chosen = worst_series(found, kpi.comparison)
    stats = stats_of(chosen.values) if chosen else None
    ordered = ([chosen] if chosen else []) + [s for s in found if s is not chosen]
    busy = kpi.host_metric in ("cpu", "memory", "load1")
    host = await host_details(deps, source) if busy and isinstance(source, HostSource) else None
    return MetricReport(
        end=end,
        zone=(team or deps.settings.default_team).timezone,
        kpi=kpi,
        source=source.description,
        span=span,
        current=current,
        current_samples=tuple(now_samples),
        status=status_of(kpi, current),
        stats=stats,
        trend=trend(stats.avg if stats else None, previous, kpi.comparison),
        series=tuple(ordered),
        host=host,
    )


async def ensure_may_run_promql(deps: Deps, *, user_id: str) -> None:
    """Forbidden unless the user is on the rotation or in `metrics.permissions.query`: raw PromQL reads every
    series Prometheus holds (and a ticket's is re-run daily), so an empty list does not mean everyone."""
    await ensure_allowed(
        deps,
        user_id=user_id,
        allowed=deps.settings.file.metrics.permissions.query,
        doing="run raw PromQL (KPI names and cpu, memory, disk, load are open to everyone)",
        key="metrics.permissions.query",
        holders=every_rotation_member(deps.settings),
        holders_named="a member of a team's rotation",
    )


def check_promql(deps: Deps, promql: str) -> None:
    """UsageError when raw PromQL would cost more than the `prometheus` caps allow (checked before saving)."""
    check_raw_query(promql, query_limits(deps.settings.file.prometheus))


async def run_query(deps: Deps, promql: str, range_word: str | None, *, user_id: str) -> QueryResult:
    """Raw PromQL, for those allowed: the top series now, or (with a range) up to ten series over it."""
    await ensure_may_run_promql(deps, user_id=user_id)
    source = metric_source(deps)
    if not source.is_prometheus:
        raise UsageError(
            f"`/metrics query` needs Prometheus (PROMETHEUS_URL is not set); {source.description} "
            "answers `/metrics cpu`, `memory`, `disk` and `load`."
        )
    if not promql:
        raise UsageError("Give a PromQL expression, e.g. `/metrics query rate(http_requests_total[5m])`.")
    if range_word is None:
        shown, more = top_samples(await source.instant(promql))
        return QueryResult(promql=promql, source=source.description, samples=tuple(shown), more=more)
    span = _range(range_word)
    end = deps.clock()
    found = await source.series(promql, start=end - span, end=end, step=step_for(span))
    found.sort(key=lambda s: -(s.mean or 0.0))
    return QueryResult(
        promql=promql,
        source=source.description,
        span=span,
        end=end,
        zone=deps.settings.default_team.timezone,
        series=tuple(found[:MAX_SERIES]),
        more_series=max(0, len(found) - MAX_SERIES),
        stats=tuple(stats_of(s.values) for s in found[:MAX_SERIES]),
    )


def _range(word: str | None) -> timedelta:
    try:
        return parse_range(word)
    except ValueError as error:
        raise UsageError(str(error)) from None


async def host_details(deps: Deps, source: HostSource, *, top: bool = True) -> HostDetails:
    """Disks per mount, load, network and the busiest processes of this host."""
    reading = await source.reading()
    busiest = None
    if top:
        from bot.services.hostchecks import top_processes  # hostchecks imports Deps at import time

        busiest = await asyncio.to_thread(top_processes, 5)
    return HostDetails(
        hostname=source.hostname,
        disks=dict(sorted(reading.disks.items())),
        load=reading.load,
        network=await _network(deps, reading, host=source.hostname),
        top=busiest,
    )


async def _network(deps: Deps, reading: HostReading, *, host: str) -> Network | None:
    """Rates from this host's latest samples when fresh, else the counters since boot."""
    sent = await host_samples.latest(deps.db, host=host, metric="net_sent_bps")
    received = await host_samples.latest(deps.db, host=host, metric="net_recv_bps")
    now = deps.clock()
    if sent and received and now - min(sent[0], received[0]) < timedelta(minutes=2):
        return Network(sent=sent[1], received=received[1], per_second=True)
    if reading.net_bytes_sent is None or reading.net_bytes_recv is None:
        return None
    return Network(sent=reading.net_bytes_sent, received=reading.net_bytes_recv, per_second=False)


async def draw_report_chart(found: MetricReport) -> bytes | None:
    """The report's chart over exactly its window as PNG, or None when no series has two points to draw a
    line through (the answer then says how many samples there are)."""
    if found.start is None or found.end is None or not can_draw(found.series):
        return None
    subtitle = f"{found.source} · last {describe_range(found.span)}"
    return await asyncio.to_thread(
        charts.kpi_chart,
        found.kpi,
        found.series,
        subtitle=subtitle,
        start=found.start,
        end=found.end,
        zone=found.zone,
    )


async def draw_query_chart(found: QueryResult) -> bytes | None:
    """The query's chart over exactly its window as PNG, or None without a series of two points."""
    if found.span is None or found.end is None or not can_draw(found.series):
        return None
    subtitle = f"{found.source} · last {describe_range(found.span)}"
    return await asyncio.to_thread(
        charts.query_chart,
        found.promql,
        found.series,
        subtitle=subtitle,
        start=found.end - found.span,
        end=found.end,
        zone=found.zone,
    )


async def share_chart(deps: Deps, *, channel_id: str, png: bytes, title: str, at: datetime) -> str | None:
    """Upload a chart into the channel; return why it could not be posted there, or None when it was."""
    filename = f"opsbot-{at:%Y%m%d-%H%M%S}.png"
    try:
        await deps.slack.files_upload_v2(channel=channel_id, content=png, filename=filename, title=title)
    except SlackApiError as error:
        code = error_code(error)
        if code in CHART_BLOCKED:
            return CHART_BLOCKED[code]
        raise UpstreamError(f"Slack did not take the chart ({code or 'error'}).") from None
    return None
