"""On-call use cases: who is on call now and next, temporary overrides, the escalation chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.blocks.oncall import TeamOnCall
from bot.config import RotationLayerConfig, Settings, Team
from bot.deps import Deps
from bot.domain.oncall import (
    EscalationStep,
    EscalationTarget,
    Handoff,
    Layer,
    LayerShifts,
    Override,
    Rotation,
    Shift,
    layer_shifts,
    next_shift_of,
    overrides_of,
)
from bot.domain.permissions import override_problem
from bot.errors import UsageError
from bot.services.permissions import ensure_allowed
from bot.services.teams import rotation_teams, rows_of
from storage.models import OncallOverride

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def layers(team: Team) -> list[Layer]:
    """The team's rotation layers as domain values, the first one first."""
    zone = team.oncall.timezone or team.timezone
    return [Layer(config.name, _rotation(config, zone)) for config in team.oncall.all_layers()]


def _rotation(config: RotationLayerConfig, zone: str) -> Rotation:
    hours, minutes = (int(part) for part in config.handoff_time.split(":"))
    return Rotation(
        members=config.members,
        handoff=Handoff(config.handoff),
        timezone=zone,
        start=config.start,
        handoff_time=time(hours, minutes),
        handoff_weekday=WEEKDAYS.index(config.handoff_day),
    )


def rotation(team: Team) -> Rotation:
    """The team's first layer as a domain value."""
    return layers(team)[0].rotation


def every_rotation_member(settings: Settings) -> tuple[str, ...]:
    """Everyone on any layer of any team's rotation, each once."""
    return tuple(dict.fromkeys(m for team in settings.teams for m in team.oncall.all_members()))


def escalation_chain(team: Team) -> list[EscalationStep]:
    return [
        EscalationStep(
            timedelta(minutes=s.after_minutes), EscalationTarget(s.target), s.ids, sms=s.sms, layer=s.layer
        )
        for s in team.escalation
    ]


async def overrides(deps: Deps, team: Team, *, at: datetime) -> list[Override]:
    """The team's overrides that have not ended yet (each naming its layer; None: the first)."""
    mine = rows_of(deps.settings, col(OncallOverride.team), team)
    async with deps.db.sessions() as session:
        rows = await session.execute(select(OncallOverride).where(col(OncallOverride.ends_at) > at, mine))
        return [Override(o.user_id, o.starts_at, o.ends_at, o.layer) for o in rows.scalars()]


async def shifts_by_layer(deps: Deps, team: Team | None = None) -> list[LayerShifts]:
    """Each layer's current and next shift of the team (None: the default team), overrides included."""
    team = team or deps.settings.default_team
    now = deps.clock()
    return layer_shifts(layers(team), await overrides(deps, team, at=now), now)


async def who_is_on_call(
    deps: Deps, team: Team | None = None, *, layer: str | None = None
) -> tuple[Shift, Shift]:
    """(current shift, next shift) of the team's `layer` (None: its first), overrides included."""
    shifts = await shifts_by_layer(deps, team)
    chosen = next((s for s in shifts if s.layer == layer), shifts[0])
    return chosen.current, chosen.following


async def team_on_call(deps: Deps, team: Team) -> TeamOnCall:
    """The team's layers now and next, as /oncall shows them."""
    return TeamOnCall(team.handle, team.title, await shifts_by_layer(deps, team))


@dataclass(frozen=True)
class MyShift:
    """A shift of one person in one team's layer."""

    team: Team
    layer: str
    shift: Shift


async def shifts_of(deps: Deps, user_id: str) -> tuple[list[MyShift], MyShift | None]:
    """Where `user_id` is on call now (every team and layer), and their next shift when they are on none."""
    now = deps.clock()
    current: list[MyShift] = []
    upcoming: list[MyShift] = []
    for team in deps.settings.teams:
        team_layers = layers(team)
        active = await overrides(deps, team, at=now)
        for shifts in layer_shifts(team_layers, active, now):
            if shifts.current.user == user_id:
                current.append(MyShift(team, shifts.layer, shifts.current))
        for layer in team_layers:
            own = overrides_of(team_layers, active, layer.name)
            if found := next_shift_of(user_id, layer.rotation, own, now):
                upcoming.append(MyShift(team, layer.name, found))
    if current:
        return current, None
    return [], min(upcoming, key=lambda mine: mine.shift.starts_at, default=None)


def home_team(settings: Settings, user_id: str) -> Team:
    """The team whose on-call a person's App Home names first: the first whose rotation they are on, else
    the default team."""
    return next(iter(rotation_teams(settings, user_id)), settings.default_team)


def layer_named(team: Team, layer: str | None) -> str | None:
    """The layer a user named, checked against the team's rotation (None: the first layer)."""
    names = team.oncall.layer_names()
    if layer is None or layer == names[0]:
        return None
    if layer not in names:
        raise UsageError(f"Team {team.handle} has no layer {layer!r}; its layers: {', '.join(names)}.")
    return layer


async def hand_over(
    deps: Deps,
    *,
    to_user: str,
    duration: timedelta,
    by_user: str,
    team: Team | None = None,
    layer: str | None = None,
) -> Override:
    """Make `to_user` on call in `layer` (None: the first) for `duration` from now, if `by_user` may and it
    is not too long.

    The team's rotation members (any layer) may always hand over; others need its `oncall_override` list.
    """
    team = team or deps.settings.default_team
    layer = layer_named(team, layer)
    await ensure_allowed(
        deps,
        user_id=by_user,
        allowed=team.alert_permissions.oncall_override,
        doing=f"change who is on call for {team.handle}",
        key=team.permission_key("alerts", "oncall_override"),
        holders=team.oncall.all_members(),
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
                layer=layer,
            )
        )
    return Override(to_user, now, now + duration, layer)
