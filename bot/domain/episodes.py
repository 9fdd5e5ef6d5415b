"""Alert episodes: how a firing period ends, when a re-fire reuses its message, when escalation falls due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum


class EndReason(StrEnum):
    """How a firing period ended."""

    RESOLVED = "resolved"  # the source said so (Alertmanager, a host check)
    BY_HAND = "by_hand"  # someone clicked Resolve
    EXPIRED = "expired"  # the source stopped reporting it (a stale host, an endsAt long past)


def reuses_message(resolved_at: datetime | None, now: datetime, *, window: timedelta) -> bool:
    """A re-fire within `window` of the last resolve updates the group's message; later it gets a new one."""
    return resolved_at is not None and now - resolved_at <= window


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def escalation_due(
    delays: Sequence[timedelta], level: int, *, posted_at: datetime, last_step_at: datetime | None
) -> datetime | None:
    """When step `level` falls due: its delays added up from when the episode's message was first posted,
    and never sooner than its own delay after the step before ran (a late step does not bunch the next)."""
    if not 0 <= level < len(delays):
        return None
    due = posted_at + sum(delays[: level + 1], timedelta())
    if last_step_at is not None:
        due = max(due, last_step_at + delays[level])
    return due


# An annotation a source sets on a resolve that only means "I stopped hearing from it" (a host that stopped
# reporting): its episode ends as expired, not resolved.
STALE_ANNOTATION = "opsbot_stale"
