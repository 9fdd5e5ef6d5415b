"""Incident use cases: declare, re-grade, assign, acknowledge, update, resolve, reopen, report.

Each change is one transaction that also queues its Slack work (bot/services/incident_slack.py) and
re-arms its clocks (bot/services/incident_timers.py) in the outbox, so nothing is lost in a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from secrets import token_hex

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.text import relayed
from bot.config import Team
from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.durations import humanize_duration
from bot.domain.incidents import Clock, Role, Status, resolve_due, respond_due
from bot.errors import NotFound, UsageError
from bot.services.alert_actions import link_incident
from bot.services.incident_permissions import (
    may_assign,
    may_declare,
    may_regrade,
    may_reopen,
    may_resolve,
    rights_basis,
)
from bot.services.incident_policy import pacing_key, policy, sprints
from bot.services.incident_timers import cancel_clocks, schedule_clocks, schedule_reminder
from bot.services.jobs import DraftPostmortem, PostInIncident, SetUpIncident, SyncIncident, queue
from storage import incidents as store
from storage.claims import claim
from storage.incidents import Incident


@dataclass(frozen=True)
class Declared:
    number: int
    level: int
    created: bool


async def declare(
    deps: Deps,
    *,
    user_id: str,
    level: int,
    title: str,
    service: str = "",
    description: str = "",
    alert_group_id: int | None = None,
    user_name: str = "",
    team: Team | None = None,
    request_key: str | None = None,
    earlier_keys: tuple[str, ...] = (),
) -> Declared:
    """Declare an incident owned by `team` (None: the default team); the same `request_key` twice (a retry,
    a double click) declares it once.

    An incident stored under one of `earlier_keys` also counts as this request.
    """
    team = team or deps.settings.default_team
    await may_declare(deps, team, user_id=user_id, level=level)
    title = " ".join(title.split())[:255]
    if not title:
        raise UsageError("An incident needs a title, e.g. `/incident declare sev2 Checkout is slow`.")
    for key in (request_key, *earlier_keys) if request_key else ():
        if existing := await store.by_request_key(deps.db, key):
            return Declared(existing.id or 0, existing.level, created=False)
    now, rules = deps.clock(), policy(deps.settings, level)
    incident = _new_incident(
        deps, team, now=now, user_id=user_id, level=level, title=title, request_key=request_key
    )
    incident.service, incident.description = service[:255], description
    incident.alert_group_id = alert_group_id
    try:
        async with deps.db.transaction() as session:
            incident = await store.insert(session, incident)
            text = f"Declared SEV{level} ({rules.name}): {title}"
            await _record(
                session, incident, "declared", now, user_id, text, {"level": level, "reason": "declared"}
            )
            await _queue(session, incident, SetUpIncident, now)
            await _rearm(session, incident, deps=deps, since=now, now=now)
            if alert_group_id is not None:
                assert incident.id is not None
                await link_incident(
                    session, alert_group_id, incident_id=incident.id, user_id=user_id, user_name=user_name,
                    now=now,
                )  # fmt: skip
    except IntegrityError:
        existing = await store.by_request_key(deps.db, request_key or "")
        if existing is None:
            raise
        return Declared(existing.id or 0, existing.level, created=False)
    deps.wake_outbox()
    assert incident.id is not None
    return Declared(incident.id, level, created=True)


def _new_incident(
    deps: Deps,
    team: Team,
    *,
    now: datetime,
    user_id: str,
    level: int,
    title: str,
    request_key: str | None,
) -> Incident:
    rules = policy(deps.settings, level)
    return Incident(
        request_key=request_key,
        title=title,
        level=level,
        team=team.handle,
        declared_by=user_id,
        declared_at=now,
        respond_due_at=respond_due(rules, now, timezone=team.timezone),
        resolve_due_at=resolve_due(rules, now, sprints=sprints(deps.settings)),
        created_at=now,
    )


async def acknowledge(deps: Deps, number: int, *, user_id: str) -> bool:
    """Record the first response (stops the response clock); False when it was acknowledged already."""
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=True)
        if incident.acked_at is not None:
            return False
        now = deps.clock()
        incident.acked_at, incident.acked_by = now, user_id
        incident.status = Status.ACKNOWLEDGED.value
        took = humanize_duration(now - incident.declared_at)
        target = humanize_duration(incident.respond_due_at - incident.declared_at)
        verdict = "within" if now <= incident.respond_due_at else "outside"
        text = f":eyes: <@{user_id}> acknowledged INC-{number} after {took} ({verdict} the {target} target)."
        await _record(session, incident, "acked", now, user_id, f"Acknowledged after {took}")
        await cancel_clocks(session, number, only=Clock.RESPOND)
        await _announce(session, incident, text, now, announce=True)
    deps.wake_outbox()
    return True


async def post_update(
    deps: Deps, number: int, *, user_id: str, text: str, request_key: str | None = None
) -> None:
    """Post a status update in the incident's place and announcement threads; resets the reminder."""
    if request_key and not await claim(deps.db, scope="incident-update", key=request_key, now=deps.clock()):
        return
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=True)
        now = deps.clock()
        incident.last_update_at = now
        await _record(session, incident, "update", now, user_id, f"Status update: {text}")
        await schedule_reminder(session, incident, deps=deps, now=now)
        message = f":memo: *Status update on INC-{number}* from <@{user_id}>:\n{relayed(text)}"
        await _announce(session, incident, message, now, announce=True)
    deps.wake_outbox()


async def regrade(deps: Deps, number: int, *, user_id: str, level: int, reason: str) -> None:
    """Change the severity; targets restart from now and a higher level's extra steps run."""
    checked = await _read(deps, number)
    team = deps.settings.team_of(checked.team)
    await may_regrade(deps, team, user_id=user_id, old=checked.level, new=level)
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=True, checked=checked)
        if incident.level == level:
            raise UsageError(f"INC-{number} is SEV{level} already.")
        old = incident.level
        now, rules = deps.clock(), policy(deps.settings, level)
        incident.level = level
        if incident.acked_at is None:
            incident.respond_due_at = respond_due(rules, now, timezone=team.timezone)
        incident.resolve_due_at = resolve_due(rules, now, sprints=sprints(deps.settings))
        why = f": {reason}" if reason else ""
        await _record(
            session,
            incident,
            "severity",
            now,
            user_id,
            f"SEV{old} → SEV{level}{why}",
            {"level": level, "reason": reason},
        )
        await _queue(session, incident, SetUpIncident, now)
        await _rearm(session, incident, deps=deps, since=now, now=now)
        arrow = ":arrow_up:" if level < old else ":arrow_down:"
        text = (
            f"{arrow} <@{user_id}> re-graded INC-{number} from SEV{old} to SEV{level} ({rules.name})"
            f"{relayed(why)}"
        )
        await _announce(session, incident, text, now, announce=True)
    deps.wake_outbox()


async def assign(deps: Deps, number: int, *, user_id: str, role: Role, assignee: str) -> None:
    """Give `assignee` a role (commander, comms, scribe); they are invited to the channel."""
    checked = await _read(deps, number)
    await may_assign(deps, deps.settings.team_of(checked.team), checked, user_id=user_id)
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=True, checked=checked)
        setattr(incident, role.value, assignee)
        now = deps.clock()
        await _record(
            session,
            incident,
            "role",
            now,
            user_id,
            f"{role.value.capitalize()}: <@{assignee}>",
            {"role": role.value, "user": assignee},
        )
        await _queue(session, incident, SetUpIncident, now)
        text = (
            f":bust_in_silhouette: <@{assignee}> is now the {role.value} of INC-{number} "
            f"(set by <@{user_id}>)."
        )
        await _announce(session, incident, text, now, announce=False)
    deps.wake_outbox()


async def resolve(deps: Deps, number: int, *, user_id: str, summary: str) -> bool:
    """Resolve: stop every clock, tell everyone, and draft the postmortem; False if it was resolved."""
    await ensure_may_resolve(deps, number, user_id=user_id)
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=False)
        if incident.status == Status.RESOLVED:
            return False
        now = deps.clock()
        incident.status, incident.resolved_at, incident.resolved_by = Status.RESOLVED.value, now, user_id
        incident.summary = summary
        took = humanize_duration(now - incident.declared_at)
        await _record(session, incident, "resolved", now, user_id, f"Resolved after {took}: {summary}")
        await _rearm(session, incident, deps=deps, since=now, now=now)
        text = f":white_check_mark: <@{user_id}> resolved INC-{number} after {took}: {relayed(summary)}"
        await _announce(session, incident, text, now, announce=True)
        await _queue(session, incident, DraftPostmortem, now)
    deps.wake_outbox()
    return True


async def reopen(deps: Deps, number: int, *, user_id: str) -> None:
    """Reopen a resolved incident; its clocks and reminders run again."""
    checked = await _read(deps, number)
    await may_reopen(deps, deps.settings.team_of(checked.team), user_id=user_id, level=checked.level)
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=False, checked=checked)
        if incident.status != Status.RESOLVED:
            raise UsageError(f"INC-{number} is not resolved.")
        now = deps.clock()
        incident.status = (Status.ACKNOWLEDGED if incident.acked_at else Status.OPEN).value
        incident.resolved_at = incident.resolved_by = None
        await _record(session, incident, "reopened", now, user_id, "Reopened")
        await _rearm(session, incident, deps=deps, since=incident.declared_at, now=now)
        await _announce(
            session, incident, f":repeat: <@{user_id}> reopened INC-{number}.", now, announce=True
        )
    deps.wake_outbox()


async def request_postmortem(deps: Deps, number: int, *, user_id: str) -> None:
    """Queue the postmortem draft upload."""
    async with deps.db.transaction() as session:
        incident = await _locked(session, number, open_only=False)
        await _record(session, incident, "command", deps.clock(), user_id, "Asked for the postmortem draft")
        await _queue(session, incident, DraftPostmortem, deps.clock())
    deps.wake_outbox()


async def ensure_may_resolve(deps: Deps, number: int, *, user_id: str) -> None:
    """Raise Forbidden unless `user_id` may resolve INC-`number` (its team's resolve list)."""
    incident = await _read(deps, number)
    await may_resolve(deps, deps.settings.team_of(incident.team), user_id=user_id)


async def _read(deps: Deps, number: int) -> Incident:
    """The incident now, to check a right on before the write transaction (a group lookup asks Slack)."""
    incident = await store.get(deps.db, number)
    if incident is None:
        raise NotFound(f"There is no incident INC-{number}.")
    return incident


async def _locked(
    session: AsyncSession, number: int, *, open_only: bool, checked: Incident | None = None
) -> Incident:
    """Lock the incident; with `checked`, refuse when what a right depends on changed since the check."""
    incident = await store.lock(session, number)
    if incident is None:
        raise NotFound(f"There is no incident INC-{number}.")
    if checked is not None and rights_basis(incident) != rights_basis(checked):
        raise UsageError(f"INC-{number} changed just now; look at it again and retry.")
    if open_only and incident.status == Status.RESOLVED:
        raise UsageError(f"INC-{number} is resolved; `/incident reopen {number}` first.")
    return incident


async def _record(
    session: AsyncSession,
    incident: Incident,
    kind: str,
    now: datetime,
    actor: str,
    text: str,
    detail: dict[str, object] | None = None,
) -> None:
    assert incident.id is not None
    await store.add_event(session, incident.id, kind, at=now, actor=actor, text=text, detail=detail)


IncidentStep = type[SetUpIncident] | type[SyncIncident] | type[DraftPostmortem]


async def _queue(session: AsyncSession, incident: Incident, step: IncidentStep, now: datetime) -> None:
    """Queue one of the incident's Slack steps; a pending one of the same step absorbs it."""
    assert incident.id is not None
    await queue(
        session,
        step(incident_id=incident.id),
        now=now,
        lane=pacing_key(incident.id),
        priority=Priority.INCIDENT,
        key=f"incident:{incident.id}:{step.kind}",
    )


async def _announce(
    session: AsyncSession, incident: Incident, text: str, now: datetime, *, announce: bool
) -> None:
    """Queue a message for the incident's place (and announcement threads), then a header refresh."""
    assert incident.id is not None
    post = PostInIncident(incident_id=incident.id, text=text, announce=announce, post_id=token_hex(8))
    await queue(session, post, now=now, lane=pacing_key(incident.id), priority=Priority.INCIDENT)
    await _queue(session, incident, SyncIncident, now)


async def _rearm(
    session: AsyncSession, incident: Incident, *, deps: Deps, since: datetime, now: datetime
) -> None:
    fraction = deps.settings.file.incidents.warn_at_fraction
    await schedule_clocks(session, incident, since=since, now=now, fraction=fraction)
    await schedule_reminder(session, incident, deps=deps, now=now)
