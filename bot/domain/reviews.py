"""Review deadlines of warnings: when a reminder is owed, how each firing's review went, and the share of
warnings reviewed in time that the digests report.

A warning group's firing (episode) is *reviewed* by the first person who acknowledges, resolves, snoozes
or marks it as noise (declaring an incident from it acknowledges it). Its deadline is
`alerts.warning_review_minutes` after opsbot saw it start firing, stored with the episode when it opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ReviewOutcome(StrEnum):
    """How one warning firing's review went, as seen at some moment."""

    IN_TIME = "in_time"  # reviewed by its deadline
    LATE = "late"  # reviewed, after its deadline
    MISSED = "missed"  # its deadline passed with nobody reviewing it (whether it still fires or not)
    WENT_AWAY = "went_away"  # ended on its own before its deadline, unreviewed: nothing was left to review
    PENDING = "pending"  # neither reviewed nor ended, and its deadline is still ahead


def review_outcome(
    *, due: datetime, reviewed_at: datetime | None, ended_at: datetime | None, now: datetime
) -> ReviewOutcome:
    """Judge one firing at `now` (storage/digest_queries.py says the same in SQL, case for case)."""
    if reviewed_at is not None:
        return ReviewOutcome.IN_TIME if reviewed_at <= due else ReviewOutcome.LATE
    if ended_at is not None and ended_at <= due:
        return ReviewOutcome.WENT_AWAY
    return ReviewOutcome.PENDING if due > now else ReviewOutcome.MISSED


def reminder_wait(
    *,
    due: datetime,
    now: datetime,
    reviewed_at: datetime | None,
    ended_at: datetime | None,
    reminded_at: datetime | None,
) -> timedelta | None:
    """How long until the firing's one reminder is owed (zero: now); None when none is owed any more —
    someone reviewed it, it ended, or it was reminded already."""
    if reviewed_at is not None or ended_at is not None or reminded_at is not None:
        return None
    return max(due - now, timedelta(0))


@dataclass(frozen=True)
class ReviewTally:
    """Warning firings of a period by how their review went."""

    in_time: int = 0
    late: int = 0
    missed: int = 0
    went_away: int = 0
    pending: int = 0

    @property
    def needed(self) -> int:
        """The firings that needed a review: still there at their deadline, or reviewed before it."""
        return self.in_time + self.late + self.missed

    @property
    def share_in_time(self) -> float | None:
        """The share of those reviewed by their deadline (None when none needed a review)."""
        return self.in_time / self.needed if self.needed else None


def tally(counts: dict[ReviewOutcome, int]) -> ReviewTally:
    """A tally from counts per outcome (absent outcomes count zero)."""
    return ReviewTally(**{outcome.value: int(counts.get(outcome, 0)) for outcome in ReviewOutcome})


@dataclass(frozen=True)
class ReviewSummary:
    """The digest's warning review: this period, the one before, and the deadline now configured."""

    current: ReviewTally = ReviewTally()
    previous: ReviewTally = ReviewTally()
    deadline_minutes: float = 60
