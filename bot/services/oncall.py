"""On-call use cases: who is on call now and next, temporary overrides, the escalation chain."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.config import Team
from bot.deps import Deps
from bot.domain.oncall import (
    EscalationStep,
    EscalationTarget,
    Handoff,
    Override,
    Rotation,
    Shift,
    next_on_call,
    on_call,
)
from bot.domain.permissions import override_problem
from bot.errors import UsageError
from bot.services.permissions import ensure_allowed
from bot.services.teams import rows_of
from storage.models import OncallOverride

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def rotation(team: Team) -> Rotation:
    """The team's rotation as a domain value."""
    config = team.oncall
    hours, minutes = (int(part) for part in config.handoff_time.split(":"))
    return Rotation(
        members=config.members,
        handoff=Handoff(config.handoff),
        timezone=config.timezone or team.timezone,
        start=config.start,
        handoff_time=time(hours, minutes),
        handoff_weekday=WEEKDAYS.index(config.handoff_day),
    )


def escalation_chain(team: Team) -> list[EscalationStep]:
    return [
        EscalationStep(timedelta(minutes=s.after_minutes), EscalationTarget(s.target), s.ids, sms=s.sms)
        for s in team.escalation
    ]


async def overrides(deps: Deps, team: Team, *, at: datetime) -> list[Override]:
    """The team's overrides that have not ended yet."""
    mine = rows_of(deps.settings, col(OncallOverride.team), team)
    async with deps.db.sessions() as session:
        rows = await session.execute(select(OncallOverride).where(col(OncallOverride.ends_at) > at, mine))
        return [Override(o.user_id, o.starts_at, o.ends_at) for o in rows.scalars()]


async def who_is_on_call(deps: Deps, team: Team | None = None) -> tuple[Shift, Shift]:
    """(current shift, next shift) of the team (None: the default team), overrides included."""
    team = team or deps.settings.default_team
    now = deps.clock()
    active = await overrides(deps, team, at=now)
    return on_call(rotation(team), active, now), next_on_call(rotation(team), active, now)


async def hand_over(
    deps: Deps, *, to_user: str, duration: timedelta, by_user: str, team: Team | None = None
) -> Override:
    """Make `to_user` on call for `duration` from now, if `by_user` may and it is not too long.

    The rotation's members may always hand over; others need `alerts.permissions.oncall_override`.
    """
    team = team or deps.settings.default_team
    await ensure_allowed(
        deps,
        user_id=by_user,
        allowed=team.alert_permissions.oncall_override,
        doing=f"change who is on call for {team.handle}",
        key="alerts.permissions.oncall_override"
        if team.is_default
        else f"teams.{team.handle}.permissions.alerts.oncall_override",
        holders=team.oncall.members,
        holders_named="a member of the rotation",
    )
    if problem := override_problem(duration, max_hours=team.oncall.max_override_hours):
        raise UsageError(problem)
    now = deps.clock()
    async with deps.db.transaction() as session:
        session.add(
            OncallOverride(
                user_id=to_user,
                starts_at=now,
                ends_at=now + duration,
                created_by=by_user,
                created_at=now,
                team=team.handle,
            )
        )
    return Override(to_user, now, now + duration)
