"""Incident clocks as durable outbox timers: target warnings and breaches, status-update reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from secrets import token_hex

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.durations import humanize_duration
from bot.domain.incidents import Clock, warning_at
from bot.services import incident_slack
from bot.services.incident_policy import pacing_key, policy
from bot.services.jobs import IncidentTimer, RemindIncident, queue
from bot.services.oncall import who_is_on_call
from bot.services.outbox import RetryLater
from storage import incidents as store
from storage.claims import claim
from storage.incidents import Incident
from storage.outbox import cancel

WARN, BREACH = "warn", "breach"


def _key(incident_id: int, clock: Clock, stage: str) -> str:
    return f"incident:{incident_id}:{clock}:{stage}"


async def schedule_clocks(
    session: AsyncSession, incident: Incident, *, since: datetime, now: datetime, fraction: float
) -> None:
    """(Re)arm the warning and breach timers of both targets; a stopped clock gets none."""
    assert incident.id is not None
    await cancel_clocks(session, incident.id)
    if incident.status == "resolved":
        return
    clocks: list[tuple[Clock, datetime | None]] = [(Clock.RESOLVE, incident.resolve_due_at)]
    if incident.acked_at is None:
        clocks.append((Clock.RESPOND, incident.respond_due_at))
    for clock, due in clocks:
        if due is None:
            continue
        stages = [(WARN, warning_at(since, due, fraction)), (BREACH, due)]
        for stage, at in stages:
            if stage == WARN and at <= now:
                continue
            await queue(
                session,
                IncidentTimer(incident_id=incident.id, clock=clock, stage=stage, due=due.isoformat()),
                now=now,
                lane=pacing_key(incident.id),
                priority=Priority.INCIDENT,
                key=_key(incident.id, clock, stage),
                due_at=max(at, now),
            )


async def cancel_clocks(session: AsyncSession, incident_id: int, *, only: Clock | None = None) -> None:
    for clock in (only,) if only else tuple(Clock):
        for stage in (WARN, BREACH):
            await cancel(session, dedupe_key=_key(incident_id, clock, stage))


async def schedule_reminder(session: AsyncSession, incident: Incident, *, deps: Deps, now: datetime) -> None:
    """Ask for the next status update one level interval from now (none when resolved or no interval)."""
    assert incident.id is not None
    key = f"incident:{incident.id}:remind"
    await cancel(session, dedupe_key=key)
    interval = policy(deps.settings, incident.level).reminder
    if interval is None or incident.status == "resolved":
        return
    await queue(
        session,
        RemindIncident(incident_id=incident.id, post_id=token_hex(8)),
        now=now,
        lane=pacing_key(incident.id),
        priority=Priority.INCIDENT,
        key=key,
        due_at=now + interval,
    )


async def fire(deps: Deps, incident_id: int, *, clock: str, stage: str, due: str) -> None:
    """Warn before, or tell of, a missed target: in the incident's place and to its commander (or its
    team's on-call)."""
    incident = await store.get(deps.db, incident_id)
    if incident is None or not _still_running(incident, Clock(clock), due):
        return
    if incident.header_ts is None:
        raise RetryLater(timedelta(seconds=2), "the incident is not set up in Slack yet")
    # Once per target and stage, even when a re-armed timer comes due again; but a notice Slack failed to
    # take (claimed, never recorded) is tried again, and found rather than repeated if it did get through.
    key = f"{incident_id}:{clock}:{stage}:{due}"
    first_try = await claim(deps.db, scope="incident-timer", key=key, now=deps.clock())
    if not first_try and await _told(deps, incident_id, f"{clock}_{stage}", due):
        return
    now = deps.clock()
    due_at = datetime.fromisoformat(due)
    what = "response" if clock == Clock.RESPOND else "resolution"
    label = f"INC-{incident_id} ({'SEV' + str(incident.level)})"
    if stage == WARN:
        text = (
            f":hourglass_flowing_sand: {label}: the {what} target ends in {humanize_duration(due_at - now)}."
        )
    else:
        text = f":rotating_light: {label} missed its {what} target ({humanize_duration(now - due_at)} ago)."
    if clock == Clock.RESPOND:
        text += " Nobody has acknowledged it yet: `/incident ack`."
    team = deps.settings.team_of(incident.team)
    target = incident.commander or (await who_is_on_call(deps, team))[0].user
    channel_id, thread_ts = _place(incident)
    marker = f"incident-{incident_id}-{clock}-{stage}-{due_at.timestamp():.0f}"
    await deps.gateway.post_once(
        channel_id=channel_id, thread_ts=thread_ts, text=text, marker=marker, look_first=not first_try
    )
    await deps.gateway.direct_message(
        user_id=target,
        text=f"{text} <#{incident.header_channel_id}>",
        marker=marker,
        look_first=not first_try,
    )
    async with deps.db.transaction() as session:
        await store.add_event(
            session, incident_id, f"{clock}_{stage}", at=now, text=text.split(" ", 1)[1], detail={"due": due}
        )
    if stage == BREACH:
        await incident_slack.sync(deps, incident_id)  # the header shows the target as overdue


async def _told(deps: Deps, incident_id: int, kind: str, due: str) -> bool:
    """Whether this notice was posted and recorded (records from before `due` was kept count as told)."""
    events = await store.events(deps.db, incident_id)
    return any(e.kind == kind and e.detail.get("due", due) == due for e in events)


def _still_running(incident: Incident, clock: Clock, due: str) -> bool:
    if incident.status == "resolved":
        return False
    if clock == Clock.RESPOND:
        return incident.acked_at is None and incident.respond_due_at.isoformat() == due
    return incident.resolve_due_at is not None and incident.resolve_due_at.isoformat() == due


def _place(incident: Incident) -> tuple[str, str | None]:
    """(channel id, thread ts): the incident channel, or the thread of its message in #incidents."""
    if incident.channel_id:
        return incident.channel_id, None
    assert incident.header_channel_id is not None
    return incident.header_channel_id, incident.header_ts


async def remind(deps: Deps, incident_id: int, *, post_id: str | None = None, retried: bool = False) -> None:
    """Ask for a status update when none came within the level's interval; then schedule the next ask.

    With `post_id` the ask carries a marker, so a retried job finds it instead of asking twice."""
    incident = await store.get(deps.db, incident_id)
    if incident is None or incident.status == "resolved":
        return
    interval = policy(deps.settings, incident.level).reminder
    if interval is None:
        return
    if incident.header_ts is None:
        raise RetryLater(timedelta(seconds=2), "the incident is not set up in Slack yet")
    now = deps.clock()
    last = incident.last_update_at or incident.declared_at
    who = f"<@{incident.commander}> " if incident.commander else ""
    text = (
        f":memo: {who}Time for a status update on INC-{incident_id}: "
        f"the last was {humanize_duration(now - last)} ago "
        f"(SEV{incident.level} asks every {humanize_duration(interval)}). `/incident update <text>`"
    )
    channel_id, thread_ts = _place(incident)
    marker = f"incident-remind-{post_id}" if post_id else None
    await deps.gateway.post_once(
        channel_id=channel_id, thread_ts=thread_ts, text=text, marker=marker, look_first=retried
    )
    await incident_slack.sync(deps, incident_id)  # the header's elapsed time moves on too
    async with deps.db.transaction() as session:
        fresh = await store.lock(session, incident_id)
        await store.add_event(session, incident_id, "reminder", at=now, text="Status update reminder")
        if fresh is not None:
            await schedule_reminder(session, fresh, deps=deps, now=now)
