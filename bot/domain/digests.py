"""Digest statistics and view models: plain values the services fill and the renderers draw (the
capacity forecast's maths is in bot/domain/capacity.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.capacity import CapacityProblem, CapacityTrend
from bot.domain.digest_periods import Period
from bot.domain.incident_report import IncidentFacts
from bot.domain.kpis import Kpi, Trend
from bot.domain.review_checklist import Finding, ItemSpec
from bot.domain.reviews import ReviewSummary

SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {"critical": 3, "warning": 2, "info": 1}


@dataclass(frozen=True)
class Change:
    """A count this period against the period before."""

    current: int
    previous: int

    @property
    def arrow(self) -> str:
        return "=" if self.current == self.previous else "▲" if self.current > self.previous else "▼"

    def describe(self, versus: str = "before") -> str:
        """E.g. `42 (▲ 17 % vs 36 last week)`."""
        if self.previous == 0:
            return f"{self.current} (none {versus})" if self.current else "0"
        pct = (self.current - self.previous) / self.previous * 100
        return f"{self.current} ({self.arrow} {abs(pct):.0f} % vs {self.previous} {versus})"


def changes_by_severity(current: Mapping[str, int], previous: Mapping[str, int]) -> dict[str, Change]:
    """Counts per severity (every severity present, zero when absent) with the period before."""
    return {s: Change(int(current.get(s, 0)), int(previous.get(s, 0))) for s in SEVERITIES}


@dataclass(frozen=True)
class GroupStat:
    """Firings of one group key in the period: how many, how long in all, the worst severity."""

    key: str
    alertname: str
    severity: str
    count: int
    firing_seconds: float = 0.0


def rank_issues(groups: Sequence[GroupStat], limit: int = 3) -> list[GroupStat]:
    """The top issues: worst severity first, then most firings, then longest firing."""
    ordered = sorted(
        groups, key=lambda g: (-SEVERITY_RANK.get(g.severity, 0), -g.count, -g.firing_seconds, g.key)
    )
    return ordered[:limit]


@dataclass(frozen=True)
class RuleNoise:
    """One alert rule's group firings and its false positives among them: marked as noise, or resolved
    quickly with nobody acknowledging."""

    alertname: str
    total: int
    noise: int
    quick_unacked: int

    @property
    def false_positive_rate(self) -> float:
        return (self.noise + self.quick_unacked) / self.total if self.total else 0.0


def noisy_rules(rules: Sequence[RuleNoise], *, min_firings: int = 3, rate: float = 0.5) -> list[RuleNoise]:
    """Rules whose false-positive rate calls for tuning, worst first."""
    found = [r for r in rules if r.total >= min_firings and r.false_positive_rate >= rate]
    return sorted(found, key=lambda r: (-r.false_positive_rate, -r.total, r.alertname))


@dataclass(frozen=True)
class Response:
    """Group firings opened in the period: how many, acknowledged, ended, and the mean times to each."""

    groups: int
    acked: int
    resolved: int
    mean_ack_seconds: float | None
    mean_resolve_seconds: float | None


@dataclass(frozen=True)
class KpiSummary:
    """A KPI over the period: its average, worst day and the period before; `problem` when no data."""

    kpi: Kpi
    average: float | None
    previous: float | None = None
    worst_day: date | None = None
    worst_value: float | None = None
    trend: Trend | None = None
    problem: str = ""


@dataclass(frozen=True)
class IncidentStats:
    """Incidents of a period per severity with response/resolution targets met."""

    count_by_level: dict[int, int]
    respond_met: int
    respond_judged: int
    resolve_met: int
    resolve_judged: int

    @property
    def respond_met_pct(self) -> float | None:
        return 100 * self.respond_met / self.respond_judged if self.respond_judged else None

    @property
    def resolve_met_pct(self) -> float | None:
        return 100 * self.resolve_met / self.resolve_judged if self.resolve_judged else None


def incident_stats(incidents: Sequence[IncidentFacts]) -> IncidentStats:
    """Count incidents per SEV level and the targets they met (open ones are not judged yet)."""
    by_level = {level: 0 for level in (1, 2, 3, 4)}
    respond = [i.respond_met for i in incidents if i.respond_met is not None]
    resolve = [i.resolve_met for i in incidents if i.resolve_met is not None]
    for incident in incidents:
        by_level[incident.level] = by_level.get(incident.level, 0) + 1
    return IncidentStats(by_level, sum(respond), len(respond), sum(resolve), len(resolve))


@dataclass(frozen=True)
class Buckets:
    """Counts per bucket (day or week) and severity, for charts."""

    starts: tuple[datetime, ...]
    counts: dict[str, tuple[int, ...]] = field(default_factory=dict)


def fill_buckets(starts: Sequence[datetime], rows: Sequence[tuple[int, str, int]]) -> Buckets:
    """Turn (bucket index, severity, count) rows into one count list per severity."""
    counts = {s: [0] * len(starts) for s in SEVERITIES}
    for index, severity, count in rows:
        if 0 <= index < len(starts):
            counts.setdefault(severity, [0] * len(starts))[index] += int(count)
    return Buckets(tuple(starts), {s: tuple(v) for s, v in counts.items()})


def split_previous(
    rows: Sequence[tuple[int, str, int]],
) -> tuple[dict[str, int], dict[str, int], list[tuple[int, str, int]]]:
    """Rows whose bucket 0 is the period before as (its counts per severity, this period's, this period's
    rows with buckets numbered from 0); a bucket of -1 (past the end) is dropped."""
    previous: dict[str, int] = {}
    current: dict[str, int] = {}  # (and a throwaway for bucket -1)
    for index, severity, count in rows:
        counts = previous if index == 0 else current if index > 0 else {}
        counts[severity] = counts.get(severity, 0) + int(count)
    return previous, current, [(i - 1, s, n) for i, s, n in rows if i > 0]


@dataclass(frozen=True)
class TicketSummary:
    """What the tickets feature reports for a period (empty when it is not installed)."""

    available: bool
    active: int = 0
    opened: int = 0
    done: tuple[str, ...] = ()  # "title: before → after" lines
    quick_wins_waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeeklyReviews:
    """How a month's weekly reviews went: posted, completed (every item ticked), tickets opened from them."""

    posted: int = 0
    done: int = 0
    tickets: int = 0


@dataclass(frozen=True)
class AlertSection:
    """Firings of the period per severity (against the period before), top alert names, noisiest groups."""

    by_severity: dict[str, Change]
    top_names: tuple[tuple[str, int], ...]
    noisiest: tuple[GroupStat, ...]


@dataclass(frozen=True)
class WeeklyDigest:
    """Everything the weekly review shows."""

    team: str
    period: Period
    alerts: AlertSection
    kpis: tuple[KpiSummary, ...]
    incidents: tuple[IncidentFacts, ...]
    response: Response
    noisy: tuple[RuleNoise, ...]
    top_issues: tuple[GroupStat, ...]
    tickets: TicketSummary
    per_day: Buckets
    kpi_source: str = ""
    reviews: ReviewSummary = field(default_factory=ReviewSummary)
    checklist: tuple[ItemSpec, ...] = ()  # the review's items, in order
    findings: Mapping[str, Finding] = field(default_factory=dict)  # the sources' data, by item key


@dataclass(frozen=True)
class RecurringProblem:
    """A group key firing in several distinct weeks of a month: `count` firings in `weeks` weeks."""

    key: str
    alertname: str
    weeks: int
    count: int


@dataclass(frozen=True)
class MonthlyDigest:
    """Everything the monthly deep dive shows."""

    team: str
    period: Period
    alerts: AlertSection
    incidents: IncidentStats
    incidents_before: IncidentStats
    kpis: tuple[KpiSummary, ...]
    tickets: TicketSummary
    recurring: tuple[RecurringProblem, ...]
    capacity: tuple[CapacityTrend, ...]
    per_week_alerts: Buckets
    per_week_incidents: tuple[int, ...]
    kpi_weeks: dict[str, tuple[float | None, ...]]
    generated_at: datetime
    kpi_source: str = ""
    capacity_problems: tuple[CapacityProblem, ...] = ()
    capacity_source: str = ""  # where the usage series came from, e.g. "Prometheus at http://…"
    reviews: ReviewSummary = field(default_factory=ReviewSummary)
    checklist: tuple[ItemSpec, ...] = ()
    findings: Mapping[str, Finding] = field(default_factory=dict)
    weekly_reviews: WeeklyReviews = field(default_factory=WeeklyReviews)
