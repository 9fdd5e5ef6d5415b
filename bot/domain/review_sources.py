"""The review checklist's Prometheus-backed items: which configured query (`digests.sources`) answers which
item, the period's length put into each query, and the lines a team reads (a value and its change since the
period before; several series ordered and capped). Pure values; no I/O.

Lines are plain mrkdwn whose label values are outside text: the caller escapes each line before Slack."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.digest_periods import DigestKind
from bot.domain.metric_reports import Sample, Series, top_samples
from bot.domain.review_checklist import Finding, catalog
from bot.domain.units import format_labels, format_number, format_value

RANGE_VARIABLE = "$__range"
LABELS_SHOWN = 80  # characters of a series' label set; a long one (a statement's text) is cut
POSTGRES_DEFAULTS: dict[str, str] = {
    # postgres_exporter's series, read without configuration once PROMETHEUS_URL is set
    "database_connections": "sum(avg_over_time(pg_stat_database_numbackends[$__range]))",
    "database_cache_hit_ratio": (
        "sum(increase(pg_stat_database_blks_hit[$__range])) / (sum(increase(pg_stat_database_blks_hit"
        "[$__range])) + sum(increase(pg_stat_database_blks_read[$__range])))"
    ),
    "slow_statements": (
        "topk(10, sum by (datname, user, queryid) (increase(pg_stat_statements_seconds_total[$__range])))"
    ),
}
# Each source's title and unit unless its config names its own.
DEFAULT_TITLES: dict[str, tuple[str, str]] = {
    "error_logs": ("Error log lines", ""),
    "payment_success": ("Payment success rate", "%"),
    "ai_api_cost": ("AI API cost", ""),
    "ai_api_requests": ("AI API requests", ""),
    "hosting_cost": ("Hosting cost", ""),
    "security_feed": ("Security findings", ""),
    "code_hotspots": ("Code hotspots", ""),
    "user_growth": ("Sign-ups", ""),
    "feature_usage": ("Feature usage", ""),
    "revenue": ("Revenue", ""),
    "churn": ("Cancellations", ""),
    "database_connections": ("Connections (average)", ""),
    "database_cache_hit_ratio": ("Cache hit ratio", "ratio"),
    "slow_statements": ("Slowest statements by total time", "s"),
}
SOURCE_NAMES: tuple[str, ...] = tuple(DEFAULT_TITLES)
# The checklist items (bot/domain/review_checklist.py) and the sources answering each, in reading order.
ITEM_SOURCES: dict[str, tuple[str, ...]] = {
    "error_logs": ("error_logs",),
    "payment_success": ("payment_success",),
    "ai_api_costs": ("ai_api_cost", "ai_api_requests"),
    "cost_analysis": ("hosting_cost", "ai_api_cost"),
    "security_updates": ("security_feed",),
    "database_performance": ("database_connections", "database_cache_hit_ratio"),
    "query_optimization": ("slow_statements",),
    "code_hotspots": ("code_hotspots",),
    "user_growth": ("user_growth",),
    "feature_usage": ("feature_usage",),
    "revenue": ("revenue",),
    "churn": ("churn",),
    "budget_review": ("ai_api_cost", "hosting_cost"),
}
TOTALLED = ("cost_analysis", "budget_review")  # items whose sources add up to a total
POSTGRES_HOW = {
    "database_performance": "run postgres_exporter and scrape it into Prometheus, or map your own series "
    "in `digests.sources.database_connections` and `digests.sources.database_cache_hit_ratio`",
    "query_optimization": "run postgres_exporter with `--collector.stat_statements` (pg_stat_statements "
    "enabled in PostgreSQL) and scrape it, or set `digests.sources.slow_statements`",
}


@dataclass(frozen=True)
class SourceQuery:
    """One source's query (with `$__range`), its title and unit; `default` for postgres_exporter's own."""

    name: str
    promql: str
    title: str
    unit: str = ""
    default: bool = False


@dataclass(frozen=True)
class Answer:
    """A source's series at the period's end and at the previous period's end, or why there are none."""

    current: tuple[Sample, ...] = ()
    previous: tuple[Sample, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class Reading(Sample):
    """A series' value now and at the previous period's end (None: the series was not there)."""

    previous: float | None = None


def source_queries(
    configured: Mapping[str, tuple[str, str, str]], *, with_defaults: bool
) -> dict[str, SourceQuery]:
    """Every source with a query: `configured` (name -> promql, title, unit; blank title and unit take the
    source's own) over postgres_exporter's defaults (`with_defaults`: Prometheus is there to ask)."""
    found = {
        name: SourceQuery(name, promql, *DEFAULT_TITLES[name], default=True)
        for name, promql in POSTGRES_DEFAULTS.items()
        if with_defaults
    }
    for name, (promql, title, unit) in configured.items():
        own_title, own_unit = DEFAULT_TITLES[name]
        found[name] = SourceQuery(name, promql, title or own_title, unit or own_unit)
    return found


def items_answered(
    kind: DigestKind, queries: Mapping[str, SourceQuery]
) -> dict[str, tuple[SourceQuery, ...]]:
    """The items of the kind's list that have at least one query, each with its queries."""
    found = {}
    for spec in catalog(kind):
        present = tuple(queries[n] for n in ITEM_SOURCES.get(spec.key, ()) if n in queries)
        if present:
            found[spec.key] = present
    return found


def range_text(span: timedelta) -> str:
    """The period's length as a PromQL duration in whole seconds (`604800s`), at least one."""
    return f"{max(1, int(span.total_seconds()))}s"


def with_range(promql: str, span: timedelta) -> str:
    """The query with every `$__range` replaced by the period's length."""
    return promql.replace(RANGE_VARIABLE, range_text(span))


def split_points(series: Sequence[Series], *, start: datetime, end: datetime) -> Answer:
    """A range query's answer (points at the previous period's end `start` and at `end`) as two vectors."""
    middle = start + (end - start) / 2
    current: list[Sample] = []
    previous: list[Sample] = []
    for one in series:
        for at, value in one.points:
            (current if at >= middle else previous).append(Sample(one.labels, value))
    return Answer(tuple(current), tuple(previous))


def readings(answer: Answer) -> list[Reading]:
    """The current series, each with its value at the previous period's end when it had one."""
    before = {_key(s.labels): s.value for s in answer.previous}
    return [Reading(s.labels, s.value, before.get(_key(s.labels))) for s in answer.current]


def total(samples: Sequence[Sample]) -> float | None:
    """The sum of the finite values; None when there is none."""
    values = [s.value for s in samples if math.isfinite(s.value)]
    return math.fsum(values) if values else None


def change_text(current: float, previous: float | None, unit: str, *, versus: str) -> str:
    """How a value moved: `▲ 17 % vs 1,055 last week`, `= last week`, `no value last week`."""
    if previous is None or not math.isfinite(previous) or not math.isfinite(current):
        return f"no value {versus}"
    if current == previous:
        return f"= {versus}"
    arrow = "▲" if current > previous else "▼"
    if previous == 0:
        return f"{arrow} vs 0 {versus}"
    pct = abs(current - previous) / abs(previous) * 100
    shown = f"{pct:.0f}" if pct >= 1 else format_number(pct)  # as the digest's counts; a rate's 0.5 % shows
    return f"{arrow} {shown} % vs {format_value(previous, unit)} {versus}"


def labels_text(labels: Mapping[str, str]) -> str:
    """A series' label set as Prometheus writes it, cut to LABELS_SHOWN characters."""
    text = format_labels(labels)
    return text if len(text) <= LABELS_SHOWN else text[: LABELS_SHOWN - 1] + "…"


def item_finding(item: str, answered: Sequence[tuple[SourceQuery, Answer]], *, versus: str) -> Finding:
    """The finding of one item from its sources' answers (outside text not yet escaped)."""
    with_series = [(q, a) for q, a in answered if a.current]
    if not with_series and all(q.default and not a.problem for q, a in answered):
        line = f"_No postgres_exporter series in Prometheus — {POSTGRES_HOW.get(item, '')}._"
        return Finding((line,), has_data=False, summary="no postgres_exporter series in Prometheus")
    lines: list[str] = []
    summaries: list[str] = []
    for query, answer in answered:
        if answer.current:
            lines += source_lines(query, answer, versus=versus)
            summaries.append(_summary(query, answer))
        elif not answer.problem:
            lines.append(f"_{query.title}: the query returned no series ({_config_key(query)})._")
    lines += _problem_lines(answered)
    derived = _derived(item, with_series, versus=versus)
    lines += derived
    summaries += [line.replace("*", "").split(" (")[0] for line in derived]
    has_data = bool(with_series)
    summary = "; ".join(summaries) if has_data else _fallback_summary(answered)
    return Finding(tuple(lines), has_data=has_data, summary=summary)


def source_lines(query: SourceQuery, answer: Answer, *, versus: str) -> list[str]:
    """One line for a single series; a heading and up to ten series, largest first, for several."""
    found = readings(answer)
    if len(found) == 1:
        return [f"*{query.title}:* {_value_and_change(found[0], query.unit, versus=versus)}"]
    shown, more = top_samples(found)
    lines = [f"*{query.title}* ({len(found)} series):"]
    lines += [f"• `{labels_text(r.labels)}` {_value_and_change(r, query.unit, versus=versus)}" for r in shown]
    return lines + ([f"… and {more} more"] if more else [])


def _value_and_change(reading: Reading, unit: str, *, versus: str) -> str:
    change = change_text(reading.value, reading.previous, unit, versus=versus)
    return f"{format_value(reading.value, unit)} ({change})"


def _derived(item: str, answered: Sequence[tuple[SourceQuery, Answer]], *, versus: str) -> list[str]:
    """Cost per request (AI API costs) and the total of the costs (cost analysis, budget review), when
    both sources of the item answered (a total only when their units agree)."""
    if len(answered) != 2:
        return []
    (first, one), (second, other) = answered
    if item == "ai_api_costs":
        title, now = "Cost per request", _ratio(total(one.current), total(other.current))
        before = _ratio(total(one.previous), total(other.previous))
    elif item in TOTALLED and first.unit == second.unit:
        title, now = "Total", _sum(total(one.current), total(other.current))
        before = _sum(total(one.previous), total(other.previous))
    else:
        return []
    if now is None:
        return []
    change = change_text(now, before, first.unit, versus=versus)
    return [f"*{title}:* {format_value(now, first.unit)} ({change})"]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def _sum(one: float | None, other: float | None) -> float | None:
    return None if one is None or other is None else one + other


def _problem_lines(answered: Sequence[tuple[SourceQuery, Answer]]) -> list[str]:
    """One line per distinct problem, naming the sources it cost (Prometheus down costs them all alike)."""
    by_problem: dict[str, list[str]] = {}
    for query, answer in answered:
        if answer.problem:
            by_problem.setdefault(answer.problem, []).append(query.title)
    return [f"_⚠️ {', '.join(titles)}: {problem}_" for problem, titles in by_problem.items()]


def _summary(query: SourceQuery, answer: Answer) -> str:
    found = readings(answer)
    if len(found) == 1:
        return f"{query.title} {format_value(found[0].value, query.unit)}"
    [top], _ = top_samples(found, limit=1)
    return f"{query.title}: {len(found)} series, most {format_value(top.value, query.unit)}"


def _fallback_summary(answered: Sequence[tuple[SourceQuery, Answer]]) -> str:
    problems = [a.problem for _, a in answered if a.problem]
    return problems[0] if problems else "no series"


def _config_key(query: SourceQuery) -> str:
    key = f"`digests.sources.{query.name}`"
    return f"the default query; {key} replaces it" if query.default else key


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))
