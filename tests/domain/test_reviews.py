"""Review deadline rules: when a warning's one reminder is owed, how each firing's review went, and the
share reviewed in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.reviews import (
    ReviewOutcome,
    ReviewSummary,
    ReviewTally,
    reminder_wait,
    review_outcome,
    tally,
)

# fixed instants passed in: nothing here reads a clock
pytestmark = pytest.mark.calendar_free

OPENED = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # half an hour before Europe's autumn DST change
DUE = OPENED + timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def wait(now: datetime, **state: datetime | None) -> timedelta | None:
    return reminder_wait(
        due=DUE,
        now=now,
        reviewed_at=state.get("reviewed_at"),
        ended_at=state.get("ended_at"),
        reminded_at=state.get("reminded_at"),
    )


def test_an_unreviewed_firing_is_reminded_at_its_deadline_and_not_before() -> None:
    assert wait(OPENED) == timedelta(hours=1)
    assert wait(DUE - MINUTE) == MINUTE
    assert wait(DUE) == timedelta(0)
    assert wait(DUE + timedelta(hours=3)) == timedelta(0)  # a job run late (opsbot was down) still reminds


@pytest.mark.parametrize("what", ["reviewed_at", "ended_at", "reminded_at"])
def test_no_reminder_once_reviewed_ended_or_reminded(what: str) -> None:
    assert wait(DUE, **{what: OPENED + 5 * MINUTE}) is None
    assert wait(DUE + MINUTE, **{what: DUE + MINUTE}) is None  # late, yet before the job ran: none either


def outcome(
    *, reviewed: datetime | None = None, ended: datetime | None = None, now: datetime = DUE + 60 * MINUTE
) -> ReviewOutcome:
    return review_outcome(due=DUE, reviewed_at=reviewed, ended_at=ended, now=now)


def test_a_review_by_the_deadline_is_in_time_and_one_after_it_late() -> None:
    assert outcome(reviewed=OPENED + 4 * MINUTE) is ReviewOutcome.IN_TIME
    assert outcome(reviewed=DUE) is ReviewOutcome.IN_TIME  # the deadline itself still counts
    assert outcome(reviewed=DUE + MINUTE) is ReviewOutcome.LATE
    assert outcome(reviewed=OPENED + 4 * MINUTE, ended=OPENED + 10 * MINUTE) is ReviewOutcome.IN_TIME


def test_nobody_reviewing_by_the_deadline_is_missed_even_if_it_ended_later() -> None:
    assert outcome() is ReviewOutcome.MISSED
    assert outcome(ended=DUE + MINUTE) is ReviewOutcome.MISSED


def test_a_warning_gone_before_its_deadline_needed_no_review() -> None:
    assert outcome(ended=OPENED + 3 * MINUTE) is ReviewOutcome.WENT_AWAY
    assert outcome(ended=DUE) is ReviewOutcome.WENT_AWAY


def test_a_deadline_still_ahead_is_pending_until_it_passes() -> None:
    assert outcome(now=DUE - MINUTE) is ReviewOutcome.PENDING
    assert outcome(now=DUE) is ReviewOutcome.MISSED


def test_the_share_counts_only_warnings_that_needed_a_review() -> None:
    counted = tally({ReviewOutcome.IN_TIME: 3, ReviewOutcome.LATE: 1, ReviewOutcome.WENT_AWAY: 5})
    assert counted == ReviewTally(in_time=3, late=1, missed=0, went_away=5, pending=0)
    assert counted.needed == 4 and counted.share_in_time == 0.75
    assert tally({ReviewOutcome.MISSED: 2}).share_in_time == 0.0
    assert tally({ReviewOutcome.WENT_AWAY: 2, ReviewOutcome.PENDING: 1}).share_in_time is None
    assert ReviewSummary().current == ReviewTally()  # a digest built without reviews shows none
