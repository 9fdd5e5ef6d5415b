"""The daily info review: which info alerts it tells instead of a message each, the window each review
covers (since the last one), and the firings it tells by alert name with their trend."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.digests import Change

INFO = "info"


class InfoReviewMode(StrEnum):
    DAILY = "daily"  # info alerts are told in one review per team and day
    PER_ALERT = "per_alert"  # each info alert group gets its own message, like warnings


def told_in_review(*, severity: str, has_message: bool, reviews_on: bool) -> bool:
    """Tell whether a group stays out of Slack for the review to tell: an info group without a message.

    A group raised to warning or critical gets its own message at once; a group that has a message (posted
    before the review was turned on, or while it was worse than info) keeps it up to date.
    """
    return reviews_on and severity == INFO and not has_message


@dataclass(frozen=True)
class ReviewWindow:
    """What one review covers, [start, end); its trends compare with [previous_start, start)."""

    start: datetime
    end: datetime
    previous_start: datetime

    @property
    def previous_end(self) -> datetime:
        return self.start


def wall_time(at: datetime, zone: str) -> str:
    """The local wall-clock time of `at`, to the second: `2026-11-16T09:30:00`.

    Both passes of an autumn DST fold read the same, so a review scheduled inside the fold claims once.
    """
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0).isoformat()


def claim_key(team: str, end: datetime, zone: str) -> str:
    """The once-only key of a team's review ending at `end`, e.g. `info:ops:2026-11-16T09:30:00`."""
    return f"info:{team}:{wall_time(end, zone)}"


def same_time_day_before(at: datetime, zone: str) -> datetime:
    """The same local wall time one calendar day earlier (23 or 25 hours before across a DST change)."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    earlier = (local.replace(tzinfo=None) - timedelta(days=1)).replace(tzinfo=tz, fold=local.fold)
    return earlier.astimezone(UTC)


def review_window(*, end: datetime, zone: str, previous: ReviewWindow | None) -> ReviewWindow:
    """The window of a review ending at `end`: from the previous review's stored end, or for a team's first
    review from the same time the day before; trends compare with the previous review's own window."""
    if previous is not None and previous.end < end:
        return ReviewWindow(start=previous.end, end=end, previous_start=previous.start)
    start = same_time_day_before(end, zone)
    return ReviewWindow(start=start, end=end, previous_start=same_time_day_before(start, zone))


class Trend(StrEnum):
    NEW = "new"  # fired now, not in the window before
    UP = "up"
    SAME = "same"
    DOWN = "down"
    QUIET = "quiet"  # fired in the window before, not now


def trend_of(current: int, previous: int) -> Trend | None:
    """How a count moved against the window before (None when both are zero)."""
    if current == previous:
        return Trend.SAME if current else None
    if previous == 0:
        return Trend.NEW
    if current == 0:
        return Trend.QUIET
    return Trend.UP if current > previous else Trend.DOWN


@dataclass(frozen=True)
class NameCounts:
    """One alert name's info firings: begun in the window (as opsbot heard them), ended in it, firing at its
    end, and begun in the window before."""

    alertname: str
    fired: int = 0
    resolved: int = 0
    firing: int = 0
    fired_before: int = 0

    @property
    def trend(self) -> Trend | None:
        return trend_of(self.fired, self.fired_before)

    def __add__(self, other: NameCounts) -> NameCounts:
        return NameCounts(
            self.alertname,
            self.fired + other.fired,
            self.resolved + other.resolved,
            self.firing + other.firing,
            self.fired_before + other.fired_before,
        )

    @property
    def active(self) -> bool:
        """Whether anything happened in either window, or it still fires."""
        return bool(self.fired or self.resolved or self.firing)


@dataclass(frozen=True)
class InfoReview:
    """One team's review: its window, what happened by alert name, and names quiet since the window before."""

    team: str
    zone: str
    window: ReviewWindow
    names: tuple[NameCounts, ...]  # busiest first
    quiet: tuple[NameCounts, ...]  # fired only in the window before

    @property
    def fired(self) -> Change:
        every = (*self.names, *self.quiet)
        return Change(sum(n.fired for n in every), sum(n.fired_before for n in every))

    @property
    def resolved(self) -> int:
        return sum(n.resolved for n in self.names)

    @property
    def firing(self) -> int:
        return sum(n.firing for n in self.names)

    @property
    def empty(self) -> bool:
        return not self.names and not self.quiet


def summarize(rows: Iterable[NameCounts], *, team: str, zone: str, window: ReviewWindow) -> InfoReview:
    """Merge counts by alert name; order by most fired, then most still firing, then name."""
    merged: dict[str, NameCounts] = {}
    for row in rows:
        merged[row.alertname] = merged[row.alertname] + row if row.alertname in merged else row
    active = sorted(
        (n for n in merged.values() if n.active),
        key=lambda n: (-n.fired, -n.firing, -n.resolved, n.alertname),
    )
    quiet = sorted(
        (n for n in merged.values() if not n.active and n.fired_before),
        key=lambda n: (-n.fired_before, n.alertname),
    )
    return InfoReview(team=team, zone=zone, window=window, names=tuple(active), quiet=tuple(quiet))
