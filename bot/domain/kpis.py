"""KPI rules: target status with an at-risk margin, time ranges, range statistics, trends, units."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.commands import unescape_slack
from bot.domain.units import format_number, format_value

DEFAULT_RANGE = "1h"
RANGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_RANGE = timedelta(days=35)  # host samples are kept 35 days by default
RANGE_WORD = re.compile(r"^(\d{1,4})([mhdw])$")
DEFAULT_MARGIN_FRACTION = 0.1
CHART_POINTS = 240  # points per series asked of a source for a chart over any range


class Comparison(StrEnum):
    BELOW = "<"
    ABOVE = ">"


class Status(StrEnum):
    MET = "met"
    AT_RISK = "at risk"
    BREACHED = "breached"
    NO_DATA = "no data"


STATUS_MARKS = {
    Status.MET: "✅",
    Status.AT_RISK: "⚠️",
    Status.BREACHED: "🔴",
    Status.NO_DATA: "⚪",
}


@dataclass(frozen=True)
class Kpi:
    """What to measure and, for a KPI, the target it should meet (`value <comparison> target`)."""

    name: str
    title: str
    promql: str
    unit: str = ""
    target: float | None = None
    comparison: Comparison = Comparison.BELOW
    host_metric: str | None = None
    at_risk_margin: float | None = None

    @property
    def margin(self) -> float:
        """How close to the target counts as at risk: configured, else 10 % of the target."""
        if self.at_risk_margin is not None:
            return self.at_risk_margin
        return abs(self.target or 0.0) * DEFAULT_MARGIN_FRACTION

    @property
    def is_raw_query(self) -> bool:
        return self.name == RAW_QUERY


RAW_QUERY = "query"
# Words people type for a KPI or metric -> the configured KPI (or built-in metric) they mean.
SHORTCUTS = {
    "latency": "latency_p95",
    "p95": "latency_p95",
    "p50": "latency_p50",
    "errors": "error_rate",
    "error": "error_rate",
    "payments": "payment_success",
    "availability": "uptime",
    "mem": "memory",
    "load1": "load",
}
# Metrics without a target that /metrics <name> still knows.
BUILTIN_METRICS = (
    Kpi(name="load", title="Load average (1 min)", promql="avg(node_load1)", host_metric="load1"),
)


def resolve_metric(word: str, kpis: Sequence[Kpi]) -> Kpi | None:
    """Find the KPI (or built-in metric) a word names, through the shortcuts; None when there is none."""
    name = word.lower()
    known = {kpi.name: kpi for kpi in (*BUILTIN_METRICS, *kpis)}
    return known.get(name) or known.get(SHORTCUTS.get(name, ""))


def known_names(kpis: Sequence[Kpi]) -> list[str]:
    """The names /metrics <name> accepts, configured KPIs first."""
    names = [kpi.name for kpi in kpis] + [m.name for m in BUILTIN_METRICS]
    return names + [word for word, target in SHORTCUTS.items() if target in names and word not in names]


def raw_query(promql: str) -> Kpi:
    """Wrap raw PromQL as a metric without target."""
    return Kpi(name=RAW_QUERY, title=promql, promql=promql)


def status_of(kpi: Kpi, value: float | None) -> Status:
    """Met, at risk (within the margin of the target, still on the right side) or breached."""
    if value is None or math.isnan(value) or kpi.target is None:
        return Status.NO_DATA
    if kpi.comparison is Comparison.BELOW:
        if value >= kpi.target:
            return Status.BREACHED
        return Status.AT_RISK if value >= kpi.target - kpi.margin else Status.MET
    if value <= kpi.target:
        return Status.BREACHED
    return Status.AT_RISK if value <= kpi.target + kpi.margin else Status.MET


def worst(values: Iterable[float], comparison: Comparison) -> float | None:
    """The value furthest on the wrong side: the highest for `<` targets, the lowest for `>` targets."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return None
    return max(finite) if comparison is Comparison.BELOW else min(finite)


def parse_range(word: str | None) -> timedelta:
    """Parse a range such as 15m, 1h, 24h, 7d (default 1h); raise ValueError with a hint otherwise."""
    text = (word or DEFAULT_RANGE).strip().lower()
    match = RANGE_WORD.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"`{word}` is not a time range: use a number and m, h, d or w, e.g. 15m, 1h, 24h, 7d"
        )
    span = timedelta(seconds=int(match.group(1)) * RANGE_UNITS[match.group(2)])
    if span > MAX_RANGE:
        raise ValueError(f"`{word}` is longer than the {MAX_RANGE.days} days opsbot looks back")
    return span


def is_range_word(word: str) -> bool:
    """Tell whether `word` looks like a time range (15m, 1h, 7d…)."""
    return RANGE_WORD.match(word.strip().lower()) is not None


def describe_range(span: timedelta) -> str:
    """A range as people say it: 15m, 1h, 24h, 7d."""
    seconds = int(span.total_seconds())
    for suffix, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0 and (suffix != "d" or seconds >= 2 * 86400):
            return f"{seconds // size}{suffix}"
    return f"{seconds // 60}m"


def step_for(span: timedelta, points: int = CHART_POINTS) -> timedelta:
    """The step that spreads about `points` samples over `span` (at least one second)."""
    return timedelta(seconds=max(1, math.ceil(span.total_seconds() / points)))


@dataclass(frozen=True)
class Stats:
    """Summary of one series over a range."""

    count: int
    min: float
    avg: float
    max: float
    p95: float


def stats_of(values: Iterable[float]) -> Stats | None:
    """Min, average, max and 95th percentile (linear interpolation); None without values."""
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return None
    return Stats(
        count=len(ordered),
        min=ordered[0],
        avg=math.fsum(ordered) / len(ordered),
        max=ordered[-1],
        p95=percentile(ordered, 95),
    )


def percentile(ordered: Sequence[float], pct: float) -> float:
    """The `pct` percentile of sorted values, interpolating between neighbours."""
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Trend:
    """The change of the average against the previous range; `better` says which way is good."""

    change_pct: float | None
    difference: float
    better: bool | None

    @property
    def arrow(self) -> str:
        if self.difference == 0:
            return "="
        return "▲" if self.difference > 0 else "▼"


def trend(current: float | None, previous: float | None, comparison: Comparison) -> Trend | None:
    """Compare this range's average with the previous range's; None when either is missing."""
    if current is None or previous is None:
        return None
    difference = current - previous
    change = None if previous == 0 else difference / abs(previous) * 100
    better = None if difference == 0 else (difference < 0) == (comparison is Comparison.BELOW)
    return Trend(change_pct=change, difference=difference, better=better)


def format_trend(found: Trend | None, unit: str) -> str:
    """E.g. `▲ 12 %` or `▼ 3.5 ms` (when the previous value was zero)."""
    if found is None:
        return "no earlier data"
    if found.difference == 0:
        return "= unchanged"
    amount = (
        f"{format_number(abs(found.change_pct))} %"
        if found.change_pct is not None
        else format_value(abs(found.difference), unit)
    )
    verdict = "" if found.better is None else " (better)" if found.better else " (worse)"
    return f"{found.arrow} {amount}{verdict}"


def format_target(kpi: Kpi) -> str:
    """E.g. `< 500 ms` or `> 99.9 %`; empty without a target."""
    return "" if kpi.target is None else f"{kpi.comparison.value} {format_value(kpi.target, kpi.unit)}"


def parse_query_text(text: str) -> tuple[str, str | None]:
    """Split `/metrics query` text into PromQL and an optional trailing range word.

    Slack escapes &, < and > in command text; only those three are unescaped here, so PromQL comparisons
    work and no other entity (`&#10;`, `&NewLine;`) turns into a control character.
    """
    promql = unescape_slack(text).strip()
    head, _, last = promql.rpartition(" ")
    if head.strip() and is_range_word(last):
        return head.strip(), last
    return promql, None
