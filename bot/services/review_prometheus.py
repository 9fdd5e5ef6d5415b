"""Review checklist findings from Prometheus: each configured query (`digests.sources`, and
postgres_exporter's defaults) asked once per review, at the period's end and at the previous period's end.

Without PROMETHEUS_URL nothing is answered (the items read "no source configured"). A Prometheus that is down,
slow or answers garbage costs each of its items a line saying so."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from bot.blocks.text import untrusted
from bot.config import Team
from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, Period
from bot.domain.kpis import Kpi
from bot.domain.review_checklist import Finding
from bot.domain.review_sources import (
    ITEM_SOURCES,
    Answer,
    SourceQuery,
    item_finding,
    items_answered,
    source_queries,
    split_points,
    with_range,
)
from bot.services.capacity import configured_series
from bot.services.metric_sources import MetricSource
from bot.services.metrics import metric_source

ITEMS: tuple[str, ...] = tuple(ITEM_SOURCES)


async def findings(deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    """The items of the period's review that have a query, each from its sources' answers."""
    source = metric_source(deps)
    configured = {
        name: (entry.promql, entry.title, entry.unit)
        for name, entry in deps.settings.file.digests.sources.items()
    }
    queries = source_queries(configured, with_defaults=source.is_prometheus)
    if not source.is_prometheus or not queries:
        return {}
    wanted = items_answered(period.kind, queries)
    asked = list(dict.fromkeys(q.name for found in wanted.values() for q in found))
    answers = dict(
        zip(asked, await asyncio.gather(*(_ask(source, queries[n], period) for n in asked)), strict=True)
    )
    versus = "last week" if period.kind is DigestKind.WEEKLY else "last month"
    return {
        item: _escaped(item_finding(item, [(q, answers[q.name]) for q in found], versus=versus))
        for item, found in wanted.items()
    }


async def _ask(source: MetricSource, query: SourceQuery, period: Period) -> Answer:
    """The query at the period's end and at the previous period's end (one range query, the period's length
    apart), or why Prometheus could not answer."""
    span = period.end - period.start
    kpi = Kpi(name=f"source_{query.name}", title=query.title, promql=with_range(query.promql, span))
    key = f"`digests.sources.{query.name}`"
    found = await configured_series(source, kpi, period, step=span, config_key=key)
    if isinstance(found, str):
        return Answer(problem=found)
    return split_points(found, start=period.start, end=period.end)


def _escaped(finding: Finding) -> Finding:
    """The finding with its outside text (label values, Prometheus's messages) escaped for Slack (the
    summary is plain text, escaped where it is shown)."""
    return replace(finding, lines=tuple(untrusted(line) for line in finding.lines))
