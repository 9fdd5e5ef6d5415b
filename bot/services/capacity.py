"""The monthly deep dive's capacity forecast: disk and memory usage trends projected to their critical
threshold, per instance from Prometheus when PROMETHEUS_URL is set, else from the host samples kept."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.config import CapacityConfig
from bot.deps import Deps
from bot.domain.capacity import (
    HOST_SAMPLES,
    CapacityForecast,
    CapacityProblem,
    CapacityTrend,
    by_urgency,
    capacity_trend,
    forecast_series,
)
from bot.domain.digest_periods import Period
from bot.domain.kpis import Kpi
from bot.domain.metric_reports import Series
from bot.errors import BotError, UsageError
from bot.services.metric_sources import MetricSource
from bot.services.metrics import metric_source
from storage import digest_sections as sections

log = logging.getLogger(__name__)
RESOURCES = ("disk", "memory")
DEFAULT_THRESHOLD = 95.0
# One point an hour (744 in a month); the source coarsens it further to stay within prometheus.max_points.
STEP = timedelta(hours=1)
# Like the KPIs: a slow Prometheus must not hold the post job past its lease, the part says so instead.
TIMEOUT_SECONDS = 12.0
QUERY_QUOTE = "\n```"  # errors quote the query after this; the part names the config key instead


def thresholds(deps: Deps) -> dict[str, float]:
    """The critical threshold of each resource: host_checks' critical rule for it, else 95 %."""
    found = dict.fromkeys(RESOURCES, DEFAULT_THRESHOLD)
    for rule in deps.settings.file.host_checks.rules:
        if rule.severity == "critical" and rule.metric in found:
            found[rule.metric] = rule.threshold
    return found


async def forecast(deps: Deps, period: Period) -> CapacityForecast:
    """Disk and memory trends of the period: Prometheus's when it is configured, else the host samples'."""
    source = metric_source(deps)
    if source.is_prometheus:
        return await _from_prometheus(deps, source, period)
    return CapacityForecast(tuple(await _from_samples(deps, period)), source=HOST_SAMPLES)


async def _from_samples(deps: Deps, period: Period) -> list[CapacityTrend]:
    """Disk (per mount) and memory trends from the host samples, one series per host."""
    limits, horizon = thresholds(deps), deps.settings.file.digests.capacity.horizon_days
    rows = await sections.usage_sums(deps.db, metrics=RESOURCES, start=period.start, end=period.end)
    found = []
    hosts = {host for host, *_ in rows}
    for host, metric, key, sums, _mean in rows:
        name = f"{metric} {key}".strip() + (f" on {host}" if len(hosts) > 1 and host else "")
        trend = capacity_trend(
            name, sums, origin=period.start, now=period.end, threshold=limits[metric], horizon_days=horizon
        )
        if trend is not None:
            found.append(trend)
    return found


async def _from_prometheus(deps: Deps, source: MetricSource, period: Period) -> CapacityForecast:
    """Each configured query's series over the period, one trend per instance; a problem per resource
    Prometheus could not answer for (the digest goes out either way)."""
    config = deps.settings.file.digests.capacity
    limits = thresholds(deps)
    queries = {"disk": config.disk_promql, "memory": config.memory_promql}
    answers = await asyncio.gather(
        *(_usage_series(source, resource, promql, period) for resource, promql in queries.items())
    )
    trends: list[CapacityTrend] = []
    problems: list[CapacityProblem] = []
    for resource, answer in zip(queries, answers, strict=True):
        if isinstance(answer, CapacityProblem):
            problems.append(answer)
            continue
        found, problem = _fitted(resource, answer, config, period, threshold=limits[resource])
        trends += found
        problems += [problem] if problem is not None else []
    return CapacityForecast(tuple(by_urgency(trends)), tuple(problems), source.description)


def _fitted(
    resource: str, series: list[Series], config: CapacityConfig, period: Period, *, threshold: float
) -> tuple[list[CapacityTrend], CapacityProblem | None]:
    return forecast_series(
        resource,
        series,
        instance_label=config.instance_label,
        origin=period.start,
        now=period.end,
        threshold=threshold,
        horizon_days=config.horizon_days,
    )


async def _usage_series(
    source: MetricSource, resource: str, promql: str, period: Period
) -> list[Series] | CapacityProblem:
    """The resource's usage series over the period, or why Prometheus could not give them."""
    query = Kpi(name=f"capacity_{resource}", title=f"{resource} usage", promql=promql, unit="%")
    found = await configured_series(
        source, query, period, step=STEP, config_key=f"digests.capacity.{resource}_promql"
    )
    return CapacityProblem(resource, found) if isinstance(found, str) else found


async def configured_series(
    source: MetricSource, query: Kpi, period: Period, *, step: timedelta, config_key: str
) -> list[Series] | str:
    """A configured query's series over the period, or why Prometheus could not give them (a refused query
    names its `config_key`), within TIMEOUT_SECONDS: a digest's part then says why, the digest goes out."""
    # A named (configured) query, not raw PromQL typed by a person: the source caps its step and series.
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await source.series(query, start=period.start, end=period.end, step=step)
    except UsageError as error:  # refused (a parse error, too many series): the configured query is at fault
        reason = f"{str(error).split(QUERY_QUOTE, 1)[0].strip()} ({config_key})"
    except BotError as error:
        reason = str(error).split(QUERY_QUOTE, 1)[0].strip()
    except TimeoutError:
        reason = f"Prometheus gave no answer within {TIMEOUT_SECONDS:g} s"
    log.warning("configured query unavailable", extra={"query": query.name, "reason": reason[:200]})
    return reason[:300]
