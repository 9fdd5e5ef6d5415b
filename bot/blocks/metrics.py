"""Render /metrics answers: the KPI overview, one metric over a range, raw PromQL results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.blocks.limits import SECTION_TEXT, clip, context, divider, header, message, section
from bot.blocks.text import untrusted
from bot.domain.kpis import STATUS_MARKS, Status, describe_range, format_target, format_trend
from bot.domain.metric_reports import (
    HostDetails,
    MetricReport,
    Overview,
    QueryResult,
    can_draw,
    not_enough_data,
    samples_to_draw,
    top_samples,
)
from bot.domain.units import format_bytes, format_labels, format_value

HINT = "`/metrics <name> [15m|1h|24h|7d]` for one KPI with a chart · `/metrics help`"
CODE_LIMIT = 600


def render_overview(found: Overview) -> dict[str, Any]:
    """Every KPI: mark, value, target and status; then this host's details when there is no Prometheus."""
    lines = []
    for reading in found.readings:
        kpi = reading.kpi
        mark = STATUS_MARKS[reading.status]
        target = format_target(kpi)
        if reading.value is None:
            lines.append(
                f"{mark} *{untrusted(kpi.title)}*: {untrusted(reading.problem or 'no data')} "
                f"· target {target}"
            )
        else:
            lines.append(
                f"{mark} *{untrusted(kpi.title)}*: {format_value(reading.value, kpi.unit)} · target {target} "
                f"· _{reading.status.value}_"
            )
    counts = Counter(reading.status for reading in found.readings)
    summary = " · ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    title = f"KPI overview — {found.team}" if found.team else "KPI overview"
    blocks = [header(title), *sections(lines or ["No KPIs are configured (`kpis:` in the config)."])]
    blocks.append(context(f"{summary or 'no KPIs'} · source: {untrusted(found.source)}"))
    if found.host is not None:
        blocks += [divider(), *host_blocks(found.host)]
    blocks.append(context(HINT))
    return message(f"{title}: {summary or 'no KPIs'}", blocks)


def render_report(found: MetricReport, *, chart_missing: str | None = None) -> dict[str, Any]:
    """One metric over a range: now with status, min/avg/max/p95, trend, and why a chart is missing."""
    kpi, span = found.kpi, describe_range(found.span)
    now = format_value(found.current, kpi.unit)
    status = "" if kpi.target is None else f" {STATUS_MARKS[found.status]} _{found.status.value}_"
    fields = [f"*Now*\n{now}{status}"]
    if kpi.target is not None:
        fields.append(f"*Target*\n{format_target(kpi)}")
    if found.stats is not None:
        st = found.stats
        fields += [
            f"*Min / avg / max ({span})*\n"
            + " / ".join(format_value(v, kpi.unit) for v in (st.min, st.avg, st.max)),
            f"*p95 ({span})*\n{format_value(st.p95, kpi.unit)}",
            f"*Trend vs previous {span}*\n{format_trend(found.trend, kpi.unit)}",
        ]
    blocks = [header(f"{kpi.title} — last {span}"), section(f"`{untrusted(kpi.name)}`", fields=fields)]
    if len(found.current_samples) > 1:
        shown, more = top_samples(list(found.current_samples))
        lines = [f"`{untrusted(format_labels(s.labels))}` {format_value(s.value, kpi.unit)}" for s in shown]
        blocks += sections(lines + ([f"and {more} more"] if more else []))
    if not can_draw(found.series):
        hint = _no_samples_hint(found) if found.stats is None else ""
        blocks.append(
            section(
                f"No chart: {not_enough_data(samples_to_draw(found.series))} over the last {span}." + hint
            )
        )
    if found.host is not None:
        blocks += host_blocks(found.host, disks=False)
    if chart_missing:
        blocks.append(context(f":warning: No chart: {untrusted(chart_missing)}."))
    blocks.append(context(f"Source: {untrusted(found.source)}"))
    return message(f"{untrusted(kpi.title)}: {now} (last {span})", blocks)


def _no_samples_hint(found: MetricReport) -> str:
    if found.source.startswith("this host"):
        return " opsbot's host checks store a sample every few seconds while they run."
    return f" The query returned nothing:\n```{untrusted(clip(found.kpi.promql, CODE_LIMIT))}```"


def render_query(found: QueryResult, *, chart_missing: str | None = None) -> dict[str, Any]:
    """A raw PromQL answer: top series with values, or series over a range with their statistics."""
    query = f"```{untrusted(clip(found.promql, CODE_LIMIT))}```"
    shown = untrusted(clip(found.promql, 200))
    blocks = [header("PromQL query"), section(query)]
    if found.empty:
        blocks.append(
            section("No data: the query returned nothing" + (" over the range." if found.span else "."))
        )
        if found.span:
            blocks.append(context(f"No chart: {not_enough_data(0)}."))
        return message(f"No data for {shown}", [*blocks, context(f"Source: {untrusted(found.source)}")])
    if found.span is None:
        lines = [
            f"`{untrusted(clip(format_labels(s.labels), 300))}` → *{format_value(s.value, '')}*"
            for s in found.samples
        ]
        more = found.more
    else:
        lines = []
        for series, stats in zip(found.series, found.stats, strict=True):
            numbers = (
                "no values"
                if stats is None
                else " / ".join(format_value(v, "") for v in (stats.min, stats.avg, stats.max))
            )
            last = format_value(series.points[-1][1], "") if series.points else "–"
            lines.append(
                f"`{untrusted(clip(format_labels(series.labels), 300))}` last *{last}* "
                f"· min/avg/max {numbers}"
            )
        more = found.more_series
    blocks += sections(lines + ([f"_and {more} more_"] if more else []))
    if found.span and not can_draw(found.series):
        blocks.append(context(f"No chart: {not_enough_data(samples_to_draw(found.series))}."))
    if chart_missing:
        blocks.append(context(f":warning: No chart: {untrusted(chart_missing)}."))
    scope = f"last {describe_range(found.span)} · " if found.span else ""
    blocks.append(context(f"{scope}Source: {untrusted(found.source)}"))
    count = len(found.samples) + len(found.series) + more
    return message(f"{count} series for {shown}", blocks)


def host_blocks(host: HostDetails, *, disks: bool = True) -> list[dict[str, Any]]:
    """Disks per mount, load, network and the top processes of this host."""
    lines = [f"*This host ({untrusted(host.hostname)})*"]
    if disks and host.disks:
        lines.append(
            "Disks: " + ", ".join(f"`{untrusted(m)}` {format_value(v, '%')}" for m, v in host.disks.items())
        )
    lines.append("Load (1 / 5 / 15 min): " + " / ".join(format_value(v, "") for v in host.load))
    if host.network is not None:
        net = host.network
        suffix = "/s" if net.per_second else " since boot"
        lines.append(
            f"Network: sent {format_bytes(net.sent)}{suffix}, received {format_bytes(net.received)}{suffix}"
        )
    blocks = sections(lines)
    if host.top is not None:
        by_cpu = [
            f"`{untrusted(p.name or '?')}` ({p.pid}) {format_value(p.cpu_percent, '%')}"
            for p in host.top.by_cpu
        ]
        by_mem = [
            f"`{untrusted(p.name or '?')}` ({p.pid}) {format_value(p.memory_percent, '%')}"
            for p in host.top.by_memory
        ]
        blocks.append(
            section(
                "*Top processes*",
                fields=[
                    "*By CPU*\n" + "\n".join(by_cpu or ["–"]),
                    "*By memory*\n" + "\n".join(by_mem or ["–"]),
                ],
            )
        )
    return blocks


def sections(lines: Iterable[str], *, limit: int = SECTION_TEXT) -> list[dict[str, Any]]:
    """Pack lines into as few sections as Slack's section text limit allows."""
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    for line in lines:
        line = clip(line, limit)
        if chunk and len("\n".join([*chunk, line])) > limit:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks
