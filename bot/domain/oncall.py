"""On-call rotation: who is on call at a moment, with overrides, and the escalation chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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
    layer: str | None = None  # the layer it replaces; None: the first


@dataclass(frozen=True)
class Layer:
    """A named layer of a team's rotation (primary, secondary …), each with its own turns and hand-offs."""

    name: str
    rotation: Rotation


@dataclass(frozen=True)
class LayerShifts:
    """Who is on call in one layer now, and who takes over next."""

    layer: str
    current: Shift
    following: Shift


@dataclass(frozen=True)
class Shift:
    user: str
    starts_at: datetime
    ends_at: datetime
    overridden: bool = False


def _shift_length(rotation: Rotation) -> timedelta:
    return timedelta(days=1 if rotation.handoff == Handoff.DAILY else 7)


def _first_handoff_day(rotation: Rotation) -> date:
    first = rotation.start
    if rotation.handoff == Handoff.WEEKLY:
        first -= timedelta(days=(first.weekday() - rotation.handoff_weekday) % 7)
    return first


def handoff_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The one instant (in UTC) of a hand-off at wall-clock `wall` on `day`: in a repeated hour (autumn) its
    first pass, in a skipped hour (spring) the moment the clock jumps over it — so a hand-off never undoes
    itself and who is on call only ever moves forward."""
    first_pass = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the earlier reading of a repeated hour
    if first_pass.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == first_pass.replace(tzinfo=None):
        return first_pass.astimezone(UTC)
    # Skipped: fold=1 reads it with the offset after the jump (an instant before it), fold=0 with the offset
    # before (an instant after it); the jump lies between, on a whole second.
    before = int(first_pass.replace(fold=1).timestamp())
    after = int(first_pass.timestamp())
    offset_before = datetime.fromtimestamp(before, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, UTC)


def scheduled_shift(rotation: Rotation, at: datetime) -> Shift:
    """The regular shift covering `at`, its bounds in UTC (handoffs at local wall-clock time, so DST is
    respected; instants, because a wall-clock reading in the autumn fold compares as the wrong hour)."""
    if not rotation.members:
        raise ValueError("the rotation has no members")
    zone = ZoneInfo(rotation.timezone)
    first = _first_handoff_day(rotation)
    step = _shift_length(rotation)
    # Count shifts on local calendar dates: wall-clock handoffs stay put across DST changes.
    index = (at.astimezone(zone).date() - first).days // step.days
    start = handoff_instant(first + index * step, rotation.handoff_time, zone)
    if at < start:  # compared as instants: wall-clock readings repeat in the autumn fold
        index -= 1
        start = handoff_instant(first + index * step, rotation.handoff_time, zone)
    end = handoff_instant(first + (index + 1) * step, rotation.handoff_time, zone)
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


def overrides_of(layers: Sequence[Layer], overrides: Sequence[Override], layer: str) -> list[Override]:
    """The overrides replacing `layer` (one naming no layer replaces the first)."""
    first = layers[0].name
    return [override for override in overrides if (override.layer or first) == layer]


def layer_shifts(layers: Sequence[Layer], overrides: Sequence[Override], at: datetime) -> list[LayerShifts]:
    """Each layer's current and next shift at `at`; an override of one layer leaves the others alone."""
    shifts = []
    for layer in layers:
        own = overrides_of(layers, overrides, layer.name)
        shifts.append(
            LayerShifts(layer.name, on_call(layer.rotation, own, at), next_on_call(layer.rotation, own, at))
        )
    return shifts


def next_shift_of(user: str, rotation: Rotation, overrides: Sequence[Override], at: datetime) -> Shift | None:
    """`user`'s first shift starting after `at` (an override for them included), or None when they have
    none within one round of the rotation and no override ahead."""
    ahead = [o for o in overrides if o.user == user and o.starts_at > at]
    found = min(ahead, key=lambda o: o.starts_at, default=None)
    best = Shift(user, found.starts_at, found.ends_at, overridden=True) if found else None
    boundary = on_call(rotation, overrides, at).ends_at
    for _ in range(len(rotation.members) + len(overrides) + 1):
        if best is not None and best.starts_at <= boundary:
            break
        shift = on_call(rotation, overrides, boundary)
        if shift.user == user:
            starts = max(shift.starts_at, boundary)
            if best is None or starts < best.starts_at:
                best = Shift(user, starts, shift.ends_at, shift.overridden)
            break
        boundary = shift.ends_at
    return best


class EscalationTarget(StrEnum):
    ONCALL = "oncall"
    NEXT_ONCALL = "next_oncall"
    USERS = "users"
    USERGROUP = "usergroup"


@dataclass(frozen=True)
class EscalationStep:
    """After `after` without an acknowledgement, page this step's target (with `sms`, by SMS too)."""

    after: timedelta
    target: EscalationTarget
    ids: tuple[str, ...] = ()
    sms: bool = False
    layer: str | None = None  # the rotation layer an oncall/next_oncall step pages (None: the first)


def due_step(chain: Sequence[EscalationStep], level: int) -> EscalationStep | None:
    """The step to run at escalation `level` (0-based), or None when the chain is exhausted."""
    return chain[level] if 0 <= level < len(chain) else None
