"""Incident rules: SEV policy, targets and their clocks, channel names, and /incident command parsing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

CHANNEL_NAME_LIMIT = 80
LEVELS = (1, 2, 3, 4)


class Space(StrEnum):
    """Where an incident is worked: its own channel, a thread in #incidents, or only a record."""

    CHANNEL = "channel"
    THREAD = "thread"
    NONE = "none"


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Role(StrEnum):
    COMMANDER = "commander"
    COMMS = "comms"
    SCRIBE = "scribe"


class Clock(StrEnum):
    """The two targets every incident runs against."""

    RESPOND = "respond"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class SevPolicy:
    """One level's playbook, taken from the configuration."""

    level: int
    name: str
    description: str
    respond: timedelta
    respond_business_days: float | None
    resolve: timedelta | None
    resolve_next_sprint: bool
    space: Space
    invite_oncall: bool
    invite_usergroups: tuple[str, ...]
    invite_users: tuple[str, ...]
    announce: tuple[str, ...]
    reminder: timedelta | None
    checklist: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"SEV{self.level}"


@dataclass(frozen=True)
class Sprints:
    """Sprint calendar: sprints of `days` days starting at `start` (for the SEV4 resolution target)."""

    start: date
    days: int


def parse_level(text: str) -> int:
    """Read a SEV level from `1`, `sev1` or `SEV-1`; raise ValueError otherwise."""
    match = re.fullmatch(r"(?:sev[- ]?)?([1-4])", text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a SEV level (use sev1, sev2, sev3 or sev4)")
    return int(match.group(1))


def slugify(title: str) -> str:
    """Lowercase a-z, 0-9 and single dashes, from any title (accents folded, the rest dropped)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def channel_name(prefix: str, number: int, title: str, *, attempt: int = 1) -> str:
    """`<prefix>-<number>-<slug>`, with `-<attempt>` from the second attempt on, within 80 characters."""
    head = f"{prefix}-{number}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = CHANNEL_NAME_LIMIT - len(head) - len(suffix) - 1
    slug = slugify(title)[:room].strip("-") if room > 0 else ""
    return f"{head}-{slug}{suffix}" if slug else f"{head}{suffix}"


def add_business_days(start: datetime, days: float, *, timezone: str) -> datetime:
    """Move `days` working days (Mon–Fri) on from `start`, counted in local time; weekends do not count."""
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    if local.weekday() >= 5:
        skip = 7 - local.weekday()
        local = datetime.combine(local.date() + timedelta(days=skip), time(0, 0), tzinfo=zone)
    whole, part = int(days), days - int(days)
    current = local
    remaining = whole
    while remaining > 0:
        current = current + timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    current = current + timedelta(days=part)
    while current.weekday() >= 5:
        current = current + timedelta(days=1)
    return current.astimezone(start.tzinfo)


def end_of_next_sprint(sprints: Sprints, at: datetime) -> datetime:
    """When the sprint after the one running at `at` ends (midnight UTC of the sprint boundary)."""
    length = timedelta(days=sprints.days)
    origin = datetime.combine(sprints.start, time(0, 0), tzinfo=at.tzinfo)
    index = (at - origin) // length
    return origin + (index + 2) * length


def respond_due(policy: SevPolicy, declared_at: datetime, *, timezone: str) -> datetime:
    """When the first response is due."""
    if policy.respond_business_days is not None:
        return add_business_days(declared_at, policy.respond_business_days, timezone=timezone)
    return declared_at + policy.respond


def resolve_due(policy: SevPolicy, declared_at: datetime, *, sprints: Sprints) -> datetime | None:
    """When resolution is due (None when the level has no resolution target)."""
    if policy.resolve_next_sprint:
        return end_of_next_sprint(sprints, declared_at)
    return declared_at + policy.resolve if policy.resolve is not None else None


def warning_at(started: datetime, due: datetime, fraction: float) -> datetime:
    """When to warn that a target is close: `fraction` of the way from start to due."""
    return started + (due - started) * fraction


def met(started: datetime, done: datetime | None, due: datetime | None) -> bool | None:
    """Whether a target was met: None while open (or without target), else done by due."""
    if done is None or due is None:
        return None
    return done <= due


def invitees(policy: SevPolicy, *, oncall: str | None, extra: tuple[str, ...]) -> list[str]:
    """Users a level brings in (on-call, configured users, `extra` like declarer and commander), in order."""
    found: list[str] = []
    for user in (oncall if policy.invite_oncall else None, *policy.invite_users, *extra):
        if user and user not in found:
            found.append(user)
    return found
