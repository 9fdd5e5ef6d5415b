"""Capacity forecasts: least-squares lines through usage series (host samples, or Prometheus's one per
instance), projected to a threshold; series names and urgency."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.metric_reports import Point, Series

CAPACITY_FLAG_DAYS = 90
CAPACITY_HORIZON_DAYS = 365.0
SECONDS_PER_DAY = 86400.0
NEVER = datetime.max.replace(tzinfo=UTC)
HOST_SAMPLES = "host samples"  # the source without Prometheus


@dataclass(frozen=True)
class LineFit:
    """y = intercept + slope × x (x in days from the start of the period)."""

    slope: float
    intercept: float


@dataclass(frozen=True)
class Sums:
    """Least-squares sums over samples (x in days), as the database computes them."""

    n: int
    sx: float
    sy: float
    sxy: float
    sxx: float


def fit_sums(points: Sequence[tuple[float, float]]) -> Sums:
    """The sums a least-squares fit needs (the database computes the same in SQL)."""
    return Sums(
        n=len(points),
        sx=math.fsum(x for x, _ in points),
        sy=math.fsum(y for _, y in points),
        sxy=math.fsum(x * y for x, y in points),
        sxx=math.fsum(x * x for x, _ in points),
    )


def fit_line(sums: Sums) -> LineFit | None:
    """The least-squares line through the samples; None with fewer than two distinct times."""
    if sums.n < 2:
        return None
    denominator = sums.n * sums.sxx - sums.sx * sums.sx
    if abs(denominator) <= 1e-9 * max(1.0, sums.n * sums.sxx):
        return None
    slope = (sums.n * sums.sxy - sums.sx * sums.sy) / denominator
    return LineFit(slope=slope, intercept=(sums.sy - slope * sums.sx) / sums.n)


@dataclass(frozen=True)
class CapacityTrend:
    """A resource's usage trend and when it reaches the critical threshold at that pace."""

    resource: str  # "disk /", "memory" or "disk on web-1"
    latest: float | None
    per_day: float
    threshold: float
    reaches_at: datetime | None
    horizon_days: float = CAPACITY_HORIZON_DAYS

    def days_left(self, now: datetime) -> float | None:
        return None if self.reaches_at is None else (self.reaches_at - now).total_seconds() / 86400

    def in_sight(self, now: datetime) -> bool:
        """True when the threshold is crossed within the horizon (a year by default) at this pace."""
        left = self.days_left(now)
        return left is not None and left <= self.horizon_days

    def flagged(self, now: datetime) -> bool:
        left = self.days_left(now)
        return left is not None and left < CAPACITY_FLAG_DAYS


def capacity_trend(
    resource: str,
    sums: Sums,
    *,
    origin: datetime,
    now: datetime,
    threshold: float,
    horizon_days: float = CAPACITY_HORIZON_DAYS,
) -> CapacityTrend | None:
    """Project when the fitted usage line crosses `threshold` (None without enough samples)."""
    fit = fit_line(sums)
    if fit is None:
        return None
    x_now = (now - origin).total_seconds() / 86400
    current = fit.intercept + fit.slope * x_now
    reaches: datetime | None = None
    if current >= threshold:
        reaches = now
    elif fit.slope > 0:
        days = (threshold - fit.intercept) / fit.slope - x_now
        reaches = now + timedelta(days=min(days, 3650.0))
    return CapacityTrend(resource, current, fit.slope, threshold, reaches, horizon_days)


@dataclass(frozen=True)
class CapacityProblem:
    """A resource whose forecast could not be made, and why (said to people as it is)."""

    resource: str
    reason: str


@dataclass(frozen=True)
class CapacityForecast:
    """What the deep dive's capacity part shows: the trends, the resources it could not forecast, and where
    the usage came from."""

    trends: tuple[CapacityTrend, ...]
    problems: tuple[CapacityProblem, ...] = ()
    source: str = ""


def series_name(resource: str, labels: Mapping[str, str], *, instance_label: str) -> str:
    """`disk on web-1`, or `disk (mountpoint=/data) on web-1` when the query kept other labels."""
    others = ", ".join(
        f"{key}={value}" for key, value in sorted(labels.items()) if key not in (instance_label, "__name__")
    )
    name = f"{resource} ({others})" if others else resource
    instance = labels.get(instance_label)
    return f"{name} on {instance}" if instance else name


def series_sums(points: Sequence[Point], *, origin: datetime) -> Sums:
    """Least-squares sums of a series' finite points, x in days since `origin` (gaps and NaN left out)."""
    days = [((at - origin).total_seconds() / SECONDS_PER_DAY, value) for at, value in points]
    return fit_sums([(x, y) for x, y in days if math.isfinite(y)])


def forecast_series(
    resource: str,
    series: Sequence[Series],
    *,
    instance_label: str,
    origin: datetime,
    now: datetime,
    threshold: float,
    horizon_days: float = CAPACITY_HORIZON_DAYS,
) -> tuple[list[CapacityTrend], CapacityProblem | None]:
    """Each series' trend to `threshold`; a problem when there was nothing to fit, so the deep dive says why
    instead of showing an empty part."""
    if not series:
        return [], CapacityProblem(resource, "the query returned no series")
    trends = []
    for one in series:
        name = series_name(resource, one.labels, instance_label=instance_label)
        sums = series_sums(one.points, origin=origin)
        found = capacity_trend(
            name, sums, origin=origin, now=now, threshold=threshold, horizon_days=horizon_days
        )
        if found is not None:
            trends.append(found)
    if not trends:
        reason = f"no series has values at two different times to fit a line ({len(series)} returned)"
        return [], CapacityProblem(resource, reason)
    return trends, None


def by_urgency(trends: Sequence[CapacityTrend]) -> list[CapacityTrend]:
    """The soonest threshold first, those never reaching it last: a capped list keeps the urgent lines."""
    return sorted(trends, key=lambda t: (t.reaches_at or NEVER, t.resource))
