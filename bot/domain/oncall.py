"""On-call rotation: who is on call at a moment, with overrides, and the escalation chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Handoff(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Rotation:
    """Members take turns; each shift starts at `handoff_time` local time (on `handoff_weekday` if weekly)."""

    members: tuple[str, ...]
    handoff: Handoff
    timezone: str
    start: date
    handoff_time: time = time(9, 0)
    handoff_weekday: int = 0  # Monday


@dataclass(frozen=True)
class Override:
    user: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Shift:
    user: str
    starts_at: datetime
    ends_at: datetime
    overridden: bool = False


def _shift_length(rotation: Rotation) -> timedelta:
    return timedelta(days=1 if rotation.handoff == Handoff.DAILY else 7)


def _first_handoff(rotation: Rotation) -> datetime:
    zone = ZoneInfo(rotation.timezone)
    first = rotation.start
    if rotation.handoff == Handoff.WEEKLY:
        first -= timedelta(days=(first.weekday() - rotation.handoff_weekday) % 7)
    return datetime.combine(first, rotation.handoff_time, tzinfo=zone)


def scheduled_shift(rotation: Rotation, at: datetime) -> Shift:
    """The regular shift covering `at` (handoffs at local wall-clock time, so DST is respected)."""
    if not rotation.members:
        raise ValueError("the rotation has no members")
    zone = ZoneInfo(rotation.timezone)
    first = _first_handoff(rotation)
    local = at.astimezone(zone)
    step = _shift_length(rotation)
    # Count shifts on local calendar dates: wall-clock handoffs stay put across DST changes.
    index = (local.date() - first.date()).days // step.days
    start = datetime.combine(first.date() + index * step, rotation.handoff_time, tzinfo=zone)
    if local < start:
        index -= 1
        start = datetime.combine(first.date() + index * step, rotation.handoff_time, tzinfo=zone)
    end = datetime.combine(start.date() + step, rotation.handoff_time, tzinfo=zone)
    return Shift(rotation.members[index % len(rotation.members)], start, end)


def on_call(rotation: Rotation, overrides: Sequence[Override], at: datetime) -> Shift:
    """Who is on call at `at`: the newest override covering it, else the scheduled shift."""
    for override in sorted(overrides, key=lambda o: o.starts_at, reverse=True):
        if override.starts_at <= at < override.ends_at:
            return Shift(override.user, override.starts_at, override.ends_at, overridden=True)
    return scheduled_shift(rotation, at)


def next_on_call(rotation: Rotation, overrides: Sequence[Override], at: datetime) -> Shift:
    """Who takes over after the current shift (or override) ends."""
    return on_call(rotation, overrides, on_call(rotation, overrides, at).ends_at)


class EscalationTarget(StrEnum):
    ONCALL = "oncall"
    NEXT_ONCALL = "next_oncall"
    USERS = "users"
    USERGROUP = "usergroup"


@dataclass(frozen=True)
class EscalationStep:
    """After `after` without an acknowledgement, page this step's target."""

    after: timedelta
    target: EscalationTarget
    ids: tuple[str, ...] = ()


def due_step(chain: Sequence[EscalationStep], level: int) -> EscalationStep | None:
    """The step to run at escalation `level` (0-based), or None when the chain is exhausted."""
    return chain[level] if 0 <= level < len(chain) else None
