"""What /metrics answers with: samples and series from a source, and the reports built from them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from bot.domain.hostchecks import TopProcesses
from bot.domain.kpis import Comparison, Kpi, Stats, Status, Trend, worst

Point = tuple[datetime, float]
MAX_SERIES = 10
MIN_CHART_POINTS = 2  # one point draws no line: matplotlib would stretch the axis over years around it


@dataclass(frozen=True)
class Sample:
    """One value of an instant query, with the labels of its series."""

    labels: Mapping[str, str]
    value: float


S = TypeVar("S", bound=Sample)  # top_samples keeps what it is given (a Sample or a subclass)


@dataclass(frozen=True)
class Series:
    """The points of one series over a range, oldest first."""

    labels: Mapping[str, str]
    points: tuple[Point, ...]

    @property
    def values(self) -> list[float]:
        return [value for _, value in self.points if not math.isnan(value)]

    @property
    def mean(self) -> float | None:
        values = self.values
        return math.fsum(values) / len(values) if values else None


def worst_series(series: Sequence[Series], comparison: Comparison) -> Series | None:
    """The series whose average is furthest on the wrong side of a target (highest for `<`)."""
    scored = [(s.mean, s) for s in series if s.mean is not None]
    if not scored:
        return None
    pick = max if comparison is Comparison.BELOW else min
    return pick(scored, key=lambda pair: pair[0])[1]


def average_of(series: Sequence[Series], comparison: Comparison) -> float | None:
    """The average of the worst series: several series (disks, instances) count by their worst one."""
    chosen = worst_series(series, comparison)
    return None if chosen is None else chosen.mean


def current_of(samples: Iterable[Sample], comparison: Comparison) -> float | None:
    """The current value of a KPI: its worst series' value."""
    return worst((s.value for s in samples), comparison)


def downsample(points: Sequence[Point], *, start: datetime, step: timedelta) -> tuple[Point, ...]:
    """Average points into buckets of `step` from `start` (each stamped with its bucket's start)."""
    width = step.total_seconds()
    if width <= 0 or not points:
        return tuple(points)
    buckets: dict[int, list[float]] = {}
    for at, value in points:
        buckets.setdefault(int((at - start).total_seconds() // width), []).append(value)
    return tuple(
        (start + timedelta(seconds=index * width), math.fsum(values) / len(values))
        for index, values in sorted(buckets.items())
    )


def samples_to_draw(series: Sequence[Series]) -> int:
    """The points of the fullest series: the one line a chart could draw best."""
    return max((len(one.values) for one in series), default=0)


def can_draw(series: Sequence[Series]) -> bool:
    """Whether some series has enough points for a line (else the answer says how many it has)."""
    return samples_to_draw(series) >= MIN_CHART_POINTS


def not_enough_data(count: int) -> str:
    """The sentence that stands in for a chart of fewer than two samples."""
    return f"not enough data yet ({count} sample{'' if count == 1 else 's'})"


def top_samples(samples: Sequence[S], limit: int = MAX_SERIES) -> tuple[list[S], int]:
    """The `limit` largest samples (NaN last) and how many more there were."""
    ordered = sorted(samples, key=lambda s: (math.isnan(s.value), -s.value if not math.isnan(s.value) else 0))
    return ordered[:limit], max(0, len(ordered) - limit)


@dataclass(frozen=True)
class KpiReading:
    """One line of the overview: a KPI, its current value and status, or why there is none."""

    kpi: Kpi
    value: float | None
    status: Status
    problem: str = ""


@dataclass(frozen=True)
class Network:
    """Network traffic: rates (bytes/s) when known, else totals since boot."""

    sent: float
    received: float
    per_second: bool


@dataclass(frozen=True)
class HostDetails:
    """Everything about this host worth showing without Prometheus."""

    hostname: str
    disks: Mapping[str, float]
    load: tuple[float, float, float]
    network: Network | None
    top: TopProcesses | None


@dataclass(frozen=True)
class Overview:
    source: str
    readings: tuple[KpiReading, ...]
    host: HostDetails | None = None
    team: str = ""  # the team's title when opsbot has several teams


@dataclass(frozen=True)
class MetricReport:
    """One KPI or metric over a range: now, statistics, trend against the range before."""

    kpi: Kpi
    source: str
    span: timedelta
    current: float | None
    current_samples: tuple[Sample, ...]
    status: Status
    stats: Stats | None
    trend: Trend | None
    series: tuple[Series, ...] = ()
    host: HostDetails | None = None
    end: datetime | None = None  # the window is [end - span, end]; charts draw exactly that
    zone: str = "UTC"  # the team's time zone, for the chart's time labels

    @property
    def start(self) -> datetime | None:
        return None if self.end is None else self.end - self.span


@dataclass(frozen=True)
class QueryResult:
    """A raw PromQL answer: the top samples of an instant query, or series over a range."""

    promql: str
    source: str
    samples: tuple[Sample, ...] = ()
    more: int = 0
    span: timedelta | None = None
    series: tuple[Series, ...] = ()
    more_series: int = 0
    stats: tuple[Stats | None, ...] = field(default=())
    end: datetime | None = None  # with a span: the window [end - span, end] the chart draws
    zone: str = "UTC"

    @property
    def empty(self) -> bool:
        return not self.samples and not self.series
