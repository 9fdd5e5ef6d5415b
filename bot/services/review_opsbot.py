"""Review checklist findings from opsbot's own records: the period's performance degradation incidents, and
new thresholds proposed for the rules that page too often (from the values observed while they fired)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import col

from bot.blocks.review_opsbot import degradation_lines, proposal_line, proposal_summary
from bot.config import Team
from bot.deps import Deps
from bot.domain.degradations import is_degradation
from bot.domain.digest_periods import DigestKind, Period
from bot.domain.digests import noisy_rules
from bot.domain.hostchecks import HOST_JOB
from bot.domain.incident_report import IncidentFacts
from bot.domain.review_checklist import Finding
from bot.domain.threshold_proposals import Firing, Proposal, propose
from bot.services.incident_reports import incidents_between
from bot.services.teams import rows_of
from storage import digest_queries as q
from storage import host_samples
from storage import review_queries as rq
from storage.models import Alert

ITEMS: tuple[str, ...] = ("degradation_incidents", "thresholds")
MAX_PROPOSALS = 5  # as many as the digest lists noisy rules


async def findings(deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    """The weekly review's degradation incidents and threshold proposals (the monthly has neither item)."""
    if period.kind is not DigestKind.WEEKLY:
        return {}
    degradations, thresholds = await asyncio.gather(
        degradation_finding(deps, team, period), threshold_finding(deps, team, period)
    )
    return {"degradation_incidents": degradations, "thresholds": thresholds}


async def degradation_finding(deps: Deps, team: Team, period: Period) -> Finding:
    """The team's incidents of the period that were performance degradations, against the period before."""
    now, before = await asyncio.gather(
        _degradations(deps, team, period.start, period.end),
        _degradations(deps, team, period.previous_start, period.start),
    )
    ordered = sorted(now, key=lambda i: (i.level, i.declared_at))
    versus = "last week" if period.kind is DigestKind.WEEKLY else "last month"
    summary = f"{len(now)} performance degradation incident{'s' if len(now) != 1 else ''}"
    return Finding(degradation_lines(ordered, len(before), versus=versus), summary=summary)


async def _degradations(deps: Deps, team: Team, start: datetime, end: datetime) -> list[IncidentFacts]:
    found = await incidents_between(deps, start=start, end=end, team=team)
    alerts = await rq.incident_alerts(deps.db, [i.number for i in found])
    words = deps.settings.file.digests.degradation_match
    return [i for i in found if is_degradation([i.title, *alerts.get(i.number, [])], words)]


async def threshold_finding(deps: Deps, team: Team, period: Period) -> Finding:
    """A proposed threshold for each noisy rule (the digest lists the rules themselves)."""
    scope = q.Scope(period.start, period.end, rows_of(deps.settings, col(Alert.team), team))
    noisy = noisy_rules(await q.rule_noise(deps.db, scope))[:MAX_PROPOSALS]
    if not noisy:
        return Finding((), has_data=False)
    proposals = await proposals_for(deps, scope, [r.alertname for r in noisy], end=period.end)
    return Finding(tuple(proposal_line(p) for p in proposals), summary=proposal_summary(proposals))


async def proposals_for(deps: Deps, scope: q.Scope, names: Sequence[str], *, end: datetime) -> list[Proposal]:
    """For each rule of `names`, its firings with the value observed in each, then the proposal."""
    firings = await rq.rule_firings(deps.db, scope, names)
    keys = {f.group_key for f in firings}
    alerts = await rq.alerts_of_groups(deps.db, keys)
    stated = await rq.stated_values(deps.db, keys, scope.start, end)
    host_rules = {r.name: r for r in deps.settings.file.host_checks.rules}
    proposals = []
    for name in names:
        mine = [f for f in firings if f.alertname == name]
        rule = host_rules.get(name)
        values = [await _observed(deps, f, alerts, stated, end=end, host=rule is not None) for f in mine]
        seen = [Firing(not f.false_positive, v) for f, v in zip(mine, values, strict=True)]
        if rule is not None:
            proposals.append(propose(name, seen, current=rule.threshold, above=True))
        else:
            proposals.append(propose(name, seen))
    return proposals


async def _observed(
    deps: Deps,
    firing: rq.RuleFiring,
    alerts: Sequence[rq.StoredAlert],
    stated: Sequence[rq.StatedValue],
    *,
    end: datetime,
    host: bool,
) -> float | None:
    """The highest value the firing's alerts showed: their host samples while it fired (opsbot's own
    checks), else the values their `value` annotations stated as they began firing within it."""
    until = firing.ended_at or end
    values: list[float] = []
    if host:  # the samples tell every moment of the firing, not only its start
        for alert in alerts:
            if alert.group_key == firing.group_key and alert.labels.get("job") == HOST_JOB:
                values += await _peak_sample(deps, alert, firing.started_at, until)
    values += [
        s.value
        for s in stated
        if s.group_key == firing.group_key
        and s.alertname == firing.alertname
        and firing.started_at <= s.started_at <= until
    ]
    return max(values) if values else None


async def _peak_sample(deps: Deps, alert: rq.StoredAlert, start: datetime, end: datetime) -> list[float]:
    rule = next(r for r in deps.settings.file.host_checks.rules if r.name == alert.alertname)
    stats = await host_samples.stats_between(
        deps.db,
        host=alert.labels.get("instance", ""),
        metric=rule.metric,
        key=alert.labels.get("mountpoint", ""),
        start=start,
        end=end,
    )
    return [] if stats.max is None else [stats.max]
