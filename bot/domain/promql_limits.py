"""What a PromQL query may cost before opsbot sends it: length, subquery points, look-back and steps.

Raw PromQL comes from people (/metrics query, a ticket's metric=) and a ticket's query is re-run daily, so
its cost is bounded here, before Prometheus sees it; Prometheus's own time-out and opsbot's deadline bound
the rest.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

# A subquery without a resolution (`[30d:]`) runs at Prometheus's global evaluation interval: 1m by default.
DEFAULT_RESOLUTION = timedelta(minutes=1)
DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
# String literals may hold brackets (`{path=~"[a-z]+"}`); they are blanked before brackets are read.
STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`", re.DOTALL)
BRACKET = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class QueryLimits:
    """The cost caps of one query: its length, points per series, how far back it reads, series returned."""

    max_length: int
    max_points: int
    max_lookback: timedelta
    max_series: int


class TooCostly(ValueError):
    """The query would cost more than the caps allow; the message says which cap and how to stay within."""


def parse_duration(text: str) -> timedelta | None:
    """A PromQL duration (`5m`, `1h30m`, `300ms`), or None when `text` is not one."""
    text = text.strip()
    parts = DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        return None
    return timedelta(seconds=sum(int(number) * DURATION_UNITS[unit] for number, unit in parts))


def check_query(promql: str, limits: QueryLimits) -> None:
    """Raise TooCostly when the query is too long, reads too far back, or asks a subquery for too many points.

    What cannot be read here (an unusual duration syntax) is left to Prometheus, which rejects bad syntax.
    """
    if len(promql) > limits.max_length:
        raise TooCostly(
            f"The query is {len(promql)} characters long; at most {limits.max_length} are taken "
            "(`prometheus.max_query_length`)."
        )
    for inside in BRACKET.findall(STRING.sub('""', promql)):
        window_text, colon, resolution_text = inside.partition(":")
        window = parse_duration(window_text)
        if window is None:
            continue
        if window > limits.max_lookback:
            raise TooCostly(
                f"`[{inside.strip()}]` looks back further than the {format_duration(limits.max_lookback)} "
                "opsbot lets a query read."
            )
        if colon:
            _check_subquery(inside, window, parse_duration(resolution_text), limits)


def _check_subquery(
    inside: str, window: timedelta, resolution: timedelta | None, limits: QueryLimits
) -> None:
    resolution = resolution or DEFAULT_RESOLUTION
    if resolution <= timedelta(0):
        return  # Prometheus rejects a zero resolution itself
    points = window / resolution
    if points > limits.max_points:
        coarsest = _rounded_up(window.total_seconds() / limits.max_points)
        raise TooCostly(
            f"The subquery `[{inside.strip()}]` asks for {points:,.0f} points per series; at most "
            f"{limits.max_points:,} are taken (`prometheus.max_points`). Use a step of at least "
            f"{format_duration(coarsest)}, e.g. `[{format_duration(window)}:{format_duration(coarsest)}]`."
        )


def capped_step(start_to_end: timedelta, step: timedelta, *, max_points: int) -> timedelta:
    """`step`, coarsened so that a range query returns at most `max_points` points per series."""
    floor = timedelta(seconds=math.ceil(start_to_end.total_seconds() / max_points))
    return max(step, floor, timedelta(seconds=1))


def _rounded_up(seconds: float) -> timedelta:
    """The duration in whole units of its size (2592 s -> 44m), so a suggested step reads well."""
    unit = next((size for size in (86400, 3600, 60) if seconds >= size), 1)
    return timedelta(seconds=math.ceil(seconds / unit) * unit)


def format_duration(span: timedelta) -> str:
    """A duration as PromQL writes it, in its largest whole unit: `30d`, `90m`, `15s`."""
    seconds = max(1, math.ceil(span.total_seconds()))
    for unit in ("w", "d", "h", "m"):
        size = int(DURATION_UNITS[unit])
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
