"""Digest periods: which week or month a run reports, in the team's time zone, and its claim key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo


class DigestKind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Period:
    """One reported period: [start, end) as aware instants, its label and the period before it."""

    kind: DigestKind
    label: str  # 2026-W47 or 2026-10
    first_day: date
    last_day: date  # inclusive
    start: datetime
    end: datetime
    previous_start: datetime
    zone: str
    so_far: bool = False  # the current period cut at the moment it was asked for (period_so_far)

    @property
    def previous_end(self) -> datetime:
        return self.start

    def days(self) -> list[date]:
        """Every local calendar day of the period."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]

    def day_boundaries(self) -> list[datetime]:
        """The local midnights from the first day to the day after the last (len = days + 1)."""
        return [local_midnight(d, self.zone) for d in [*self.days(), self.last_day + timedelta(days=1)]]

    def week_boundaries(self) -> list[datetime]:
        """Monday midnights cutting the period into (partial) ISO weeks, start and end included."""
        cuts = [self.start]
        day = self.first_day + timedelta(days=(7 - self.first_day.weekday()) % 7 or 7)
        while day <= self.last_day:
            cuts.append(local_midnight(day, self.zone))
            day += timedelta(days=7)
        return [*cuts, self.end]

    def describe(self) -> str:
        """A title for people: "week 47 (16–22 Nov 2026)", "October 2026", or with `so_far` "week 48 so far
        (23–25 Nov 2026)" and "November 2026 so far (1 – 25 Nov)"."""
        if self.kind is DigestKind.MONTHLY:
            month = f"{self.first_day:%B %Y}"
            return f"{month} so far ({self.first_day:%-d} – {self.last_day:%-d %b})" if self.so_far else month
        week = self.first_day.isocalendar().week
        so_far = " so far" if self.so_far else ""
        return f"week {week}{so_far} ({self.first_day:%-d %b} – {self.last_day:%-d %b %Y})"


def local_midnight(day: date, zone: str | tzinfo) -> datetime:
    """00:00 of `day` in `zone`, as UTC (arithmetic on aware datetimes of one zone ignores DST jumps)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def week_period(day: date, zone: str) -> Period:
    """The ISO week (Monday to Sunday) containing `day`."""
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    iso = monday.isocalendar()
    return Period(
        kind=DigestKind.WEEKLY,
        label=f"{iso.year}-W{iso.week:02d}",
        first_day=monday,
        last_day=sunday,
        start=local_midnight(monday, zone),
        end=local_midnight(sunday + timedelta(days=1), zone),
        previous_start=local_midnight(monday - timedelta(days=7), zone),
        zone=zone,
    )


def month_period(day: date, zone: str) -> Period:
    """The calendar month containing `day`."""
    first = day.replace(day=1)
    following = _add_month(first, 1)
    return Period(
        kind=DigestKind.MONTHLY,
        label=f"{first:%Y-%m}",
        first_day=first,
        last_day=following - timedelta(days=1),
        start=local_midnight(first, zone),
        end=local_midnight(following, zone),
        previous_start=local_midnight(_add_month(first, -1), zone),
        zone=zone,
    )


def period_containing(kind: DigestKind, day: date, zone: str) -> Period:
    """The week or month that contains `day`."""
    return week_period(day, zone) if kind is DigestKind.WEEKLY else month_period(day, zone)


def period_reported_at(kind: DigestKind, run_at: datetime, zone: str) -> Period:
    """The period a run at `run_at` reports: the last complete week or month in the team's zone."""
    local_day = run_at.astimezone(ZoneInfo(zone)).date()
    if kind is DigestKind.WEEKLY:
        return week_period(local_day - timedelta(days=7), zone)
    return month_period(_add_month(local_day.replace(day=1), -1), zone)


def period_so_far(kind: DigestKind, now: datetime, zone: str) -> Period:
    """The week or month containing `now`, cut at `now`, against the same length of time just before it (a
    partial week set against a whole one would always look quieter). Never a period's once-only digest."""
    today = now.astimezone(ZoneInfo(zone)).date()
    whole = period_containing(kind, today, zone)
    elapsed = now - whole.start
    return replace(whole, last_day=today, end=now, previous_start=whole.start - elapsed, so_far=True)


def claim_key(kind: DigestKind, team: str, period: Period) -> str:
    """The once-only key of one team's digest for one period, e.g. `weekly:ops:2026-W47`."""
    return f"{kind.value}:{team}:{period.label}"


def first_monday(year: int, month: int) -> date:
    """The first Monday of a month (the monthly deep dive's default day)."""
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def catch_up_due(last_scheduled: datetime | None, *, now: datetime, grace: timedelta) -> bool:
    """Tell whether a run scheduled at `last_scheduled` (missed while down) should still happen now."""
    return last_scheduled is not None and last_scheduled <= now and now - last_scheduled <= grace


def _add_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
