"""A digest view model as titled parts of lines: one source for the Block Kit and the terminal renderers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.blocks.text import untrusted
from bot.domain.capacity import HOST_SAMPLES, CapacityProblem, CapacityTrend
from bot.domain.digests import (
    AlertSection,
    Change,
    IncidentStats,
    KpiSummary,
    MonthlyDigest,
    Response,
    TicketSummary,
    WeeklyDigest,
    WeeklyReviews,
)
from bot.domain.durations import humanize_duration
from bot.domain.incident_report import IncidentFacts
from bot.domain.kpis import STATUS_MARKS, format_target, format_trend, status_of
from bot.domain.review_checklist import Finding, ItemSpec, catalog, no_source
from bot.domain.reviews import ReviewSummary, ReviewTally
from bot.domain.units import format_value

MAX_LINES = 10
SEVERITY_MARKS = {"critical": "🔴", "warning": "🟠", "info": "🔵"}


@dataclass(frozen=True)
class Issue:
    """A top issue with what an "Open ticket" button needs."""

    ref: str
    title: str


@dataclass(frozen=True)
class Part:
    """A titled block of lines; `item` when it is a checklist item (ticked during the review)."""

    title: str
    lines: tuple[str, ...]
    issues: tuple[Issue, ...] = field(default_factory=tuple)
    item: ItemSpec | None = None


def _capped(lines: list[str], what: str) -> tuple[str, ...]:
    if len(lines) <= MAX_LINES:
        return tuple(lines)
    return (*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more {what}")


def _firings(count: int) -> str:
    return f"{count} firing" if count == 1 else f"{count} firings"


def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else humanize_duration(timedelta(seconds=seconds))


def title_of(digest: WeeklyDigest | MonthlyDigest) -> str:
    kind = "Weekly review" if isinstance(digest, WeeklyDigest) else "Monthly deep dive"
    return f"{kind} · {digest.team} · {digest.period.describe()}"


def alerts_part(section: AlertSection, *, versus: str) -> Part:
    total = Change(
        sum(c.current for c in section.by_severity.values()),
        sum(c.previous for c in section.by_severity.values()),
    )
    lines = [f"*Total* {total.describe(versus)}"]
    lines += [f"{SEVERITY_MARKS[s]} {s}: {c.describe(versus)}" for s, c in section.by_severity.items()]
    if section.top_names:
        lines.append(
            "*Fired most:* " + ", ".join(f"{untrusted(name)} ({n})" for name, n in section.top_names)
        )
    if section.noisiest:
        lines.append("*Noisiest groups:*")
        lines += [
            f"• {untrusted(g.alertname)} `{untrusted(g.key[:60])}` — {_firings(g.count)}, "
            f"firing {_duration(g.firing_seconds)}"
            for g in section.noisiest
        ]
    return Part("🚨 Firings", tuple(lines))


def kpi_part(kpis: tuple[KpiSummary, ...], *, source: str, daily: bool) -> Part:
    lines, skipped = [], []
    for s in kpis:
        if s.average is None:
            skipped.append(untrusted(s.kpi.title))
            continue
        mark = STATUS_MARKS[status_of(s.kpi, s.average)]
        line = (
            f"{mark} *{untrusted(s.kpi.title)}* avg {format_value(s.average, s.kpi.unit)} "
            f"(target {format_target(s.kpi)}) · {format_trend(s.trend, s.kpi.unit)}"
        )
        if daily and s.worst_day is not None:
            line += f" · worst day {s.worst_day:%a %-d %b}: {format_value(s.worst_value, s.kpi.unit)}"
        lines.append(line)
    if skipped:
        lines.append(f"_No data for {', '.join(skipped)} ({source})._")
    return Part("📈 Performance", tuple(lines or ["No KPIs configured."]))


def _met(value: bool | None) -> str:
    return "open" if value is None else "✅ met" if value else "🔴 breached"


def incident_line(i: IncidentFacts) -> str:
    duration = humanize_duration(i.time_to_resolve) if i.time_to_resolve else "ongoing"
    respond = humanize_duration(i.time_to_respond) if i.time_to_respond else "–"
    return (
        f"*{i.label}* INC-{i.number} {untrusted(i.title[:80])} · {duration} · "
        f"respond {respond} ({_met(i.respond_met)}) · resolve ({_met(i.resolve_met)})"
    )


def response_part(r: Response, reviews: ReviewSummary) -> Part:
    return Part(
        "⏱️ Response",
        (
            f"{r.groups} group firings · {r.acked} acknowledged · {r.resolved} resolved",
            f"Mean time to acknowledge {_duration(r.mean_ack_seconds)} · "
            f"to resolve {_duration(r.mean_resolve_seconds)}",
            *review_lines(reviews, versus="last week"),
        ),
    )


def _share(t: ReviewTally) -> str:
    share = t.share_in_time
    return "–" if share is None else f"{100 * share:.0f} %"


def review_lines(r: ReviewSummary, *, versus: str) -> list[str]:
    """The share of warnings reviewed by their deadline, against the period before, and what it leaves
    out (warnings gone before their deadline, or still within it)."""
    now, deadline = r.current, humanize_duration(timedelta(minutes=r.deadline_minutes))
    counts = (
        f"{now.in_time} of {now.needed} · {now.late} late · {now.missed} not reviewed"
        if now.needed
        else "no warning needed a review"
    )
    shares = f"{_share(now)} ({counts}) · {versus}: {_share(r.previous)}"
    lines = [f"*Warnings reviewed within {deadline}:* {shares}"]
    aside = [f"{now.went_away} resolved on their own before their deadline"] if now.went_away else []
    aside += [f"{now.pending} still within their deadline"] if now.pending else []
    if aside:
        lines.append(f"_Not counted: {' · '.join(aside)}._")
    return lines


def tickets_part(t: TicketSummary) -> Part:
    if not t.available:
        return Part("🎫 Tickets", ("The tickets feature is not installed.",))
    lines = [f"{t.opened} opened · {len(t.done)} done in this period · {t.active} active"]
    lines += list(t.done)
    if t.quick_wins_waiting:
        lines.append("*Quick Wins waiting:* " + ", ".join(untrusted(t) for t in t.quick_wins_waiting))
    return Part("🎫 Tickets", _capped(lines, "tickets"))


def weekly_parts(d: WeeklyDigest) -> list[Part]:
    """The weekly review: the week at a glance, then its checklist, item by item."""
    incidents = [incident_line(i) for i in d.incidents] or ["No incidents. 🎉"]
    built = {
        "system_performance": kpi_part(d.kpis, source=d.kpi_source, daily=True),
        "top_issues": _top_issues_part(d),
        "optimization_tickets": tickets_part(d.tickets),
        "thresholds": _thresholds_part(d),
    }
    return [
        alerts_part(d.alerts, versus="last week"),
        Part("🔥 Incidents", _capped(incidents, "incidents")),
        response_part(d.response, d.reviews),
        *checklist_parts(d.checklist or catalog(d.period.kind), d.findings, built),
    ]


def _top_issues_part(d: WeeklyDigest) -> Part:
    issues = tuple(Issue(g.key, f"{g.alertname}: {_firings(g.count)}, {g.severity}") for g in d.top_issues)
    top = [
        f"{n}. {SEVERITY_MARKS.get(g.severity, '')} *{untrusted(g.alertname)}* — {_firings(g.count)}, "
        f"firing {_duration(g.firing_seconds)}"
        for n, g in enumerate(d.top_issues, 1)
    ] or ["Nothing stood out."]
    return Part("🏆 Top 3 issues", tuple(top), issues)


def _thresholds_part(d: WeeklyDigest) -> Part:
    """The noisy rules, then what a source proposes (new thresholds from observed values)."""
    noisy = [
        f"• *{untrusted(r.alertname)}*: {r.false_positive_rate:.0%} false positives of {r.total} "
        "group firings "
        f"({r.noise} marked noise, {r.quick_unacked} resolved < 5 min unacknowledged) — tune the threshold"
        for r in d.noisy
    ]
    proposed = d.findings.get("thresholds")
    if proposed is not None and proposed.has_data:
        noisy += proposed.lines
    return Part("🎚️ Threshold review", _capped(noisy or ["No rule looks noisy."], "rules"))


def checklist_parts(
    specs: tuple[ItemSpec, ...], findings: Mapping[str, Finding], built: Mapping[str, Part]
) -> list[Part]:
    """One part per checklist item: the digest's own part where it has one, else the source's finding."""
    parts = []
    for spec in specs:
        own = built.get(spec.key)
        found = findings.get(spec.key) or no_source(spec)
        lines = own.lines if own is not None else _capped(list(found.lines), "lines")
        issues = own.issues if own is not None else ()
        parts.append(Part(spec.title, lines, issues, item=spec))
    return parts


def _stats_lines(now: IncidentStats, before: IncidentStats) -> list[str]:
    counts = [(n, now.count_by_level.get(n, 0), before.count_by_level.get(n, 0)) for n in (1, 2, 3, 4)]
    lines = [f"SEV{level}: {Change(current, old).describe('last month')}" for level, current, old in counts]
    for name, pct, old in (
        ("Response", now.respond_met_pct, before.respond_met_pct),
        ("Resolution", now.resolve_met_pct, before.resolve_met_pct),
    ):
        shown = "–" if pct is None else f"{pct:.0f} %"
        lines.append(f"{name} targets met: {shown} (before: {'–' if old is None else f'{old:.0f} %'})")
    return lines


def monthly_parts(d: MonthlyDigest) -> list[Part]:
    """The monthly deep dive: the month at a glance, then its checklist, item by item."""
    recurring = [
        f"• *{untrusted(r.alertname)}* `{untrusted(r.key[:60])}` fired in {r.weeks} weeks "
        f"({_firings(r.count)})"
        for r in d.recurring
    ] or ["No group fired in 3 or more weeks."]
    built = {"prioritize_work": tickets_part(d.tickets), "infrastructure_scaling": capacity_part(d)}
    return [
        alerts_part(d.alerts, versus="last month"),
        Part("🔥 Incidents", tuple(_stats_lines(d.incidents, d.incidents_before))),
        Part("⏱️ Warning reviews", tuple(review_lines(d.reviews, versus="last month"))),
        kpi_part(d.kpis, source=d.kpi_source, daily=False),
        Part("🔁 Recurring problems", tuple(recurring)),
        weekly_reviews_part(d.weekly_reviews),
        *checklist_parts(d.checklist or catalog(d.period.kind), d.findings, built),
    ]


def capacity_part(d: MonthlyDigest) -> Part:
    """Each series' trend as of the month's end (so an old month reads the same any day), then what could
    not be forecast and why."""
    lines = list(_capped([_capacity_line(c, d.period.end) for c in d.capacity], "series"))
    lines += _unavailable_lines(d.capacity_problems)
    if not lines:
        lines = ["No host samples this month."]
    if d.capacity_source and d.capacity_source != HOST_SAMPLES:
        lines.append(f"_Usage per instance from {untrusted(d.capacity_source)}._")
    return Part("💾 Capacity", tuple(lines))


def _unavailable_lines(problems: tuple[CapacityProblem, ...]) -> list[str]:
    """One line when every resource failed alike (Prometheus is down), else one per resource."""
    reasons = {p.reason for p in problems}
    if len(problems) > 1 and len(reasons) == 1:
        return [f"• Capacity forecast unavailable: {untrusted(reasons.pop())}"]
    return [f"• {p.resource.capitalize()} forecast unavailable: {untrusted(p.reason)}" for p in problems]


def _capacity_line(c: CapacityTrend, now: datetime) -> str:
    pace = f"{c.per_day:+.2f} %/day"
    if not c.in_sight(now):
        now_text = format_value(c.latest, "%")
        return (
            f"• {untrusted(c.resource)}: {now_text} now, {pace} — {c.threshold:g} % not within the "
            f"{c.horizon_days:g}-day horizon"
        )
    flag = "⚠️ " if c.flagged(now) else ""
    return (
        f"• {flag}{untrusted(c.resource)}: {format_value(c.latest, '%')} now, {pace} — reaches "
        f"{c.threshold:g} % around {c.reaches_at:%Y-%m-%d}"
    )


def weekly_reviews_part(r: WeeklyReviews) -> Part:
    """How many of the month's weekly reviews were worked through to the last item, and what they produced."""
    if not r.posted:
        return Part("🗓️ Weekly reviews", ("No weekly review was posted this month.",))
    tickets = "1 ticket" if r.tickets == 1 else f"{r.tickets} tickets"
    return Part(
        "🗓️ Weekly reviews",
        (f"{r.done} of {r.posted} completed (every item ticked) · {tickets} opened from their items",),
    )
