"""Episode rules: re-fire presentation, ordinals, and when each escalation step falls due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.episodes import escalation_due, ordinal, reuses_message

POSTED = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # ten minutes before Europe's spring DST change
DELAYS = [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)]


def test_steps_add_up_from_the_first_post() -> None:
    assert escalation_due(DELAYS, 0, posted_at=POSTED, last_step_at=None) == POSTED + timedelta(minutes=5)
    assert escalation_due(DELAYS, 1, posted_at=POSTED, last_step_at=POSTED + timedelta(minutes=5)) == (
        POSTED + timedelta(minutes=15)
    )
    assert escalation_due(DELAYS, 3, posted_at=POSTED, last_step_at=None) is None


def test_a_late_step_does_not_bunch_the_next_one() -> None:
    # step 1 ran an hour late (Slack was down): step 2 still waits its own 10 minutes after it
    ran = POSTED + timedelta(hours=1)
    assert escalation_due(DELAYS, 1, posted_at=POSTED, last_step_at=ran) == ran + timedelta(minutes=10)


def test_a_snooze_end_restarts_the_wait_for_the_step_reached() -> None:
    ended = POSTED + timedelta(hours=4)
    assert escalation_due(DELAYS, 0, posted_at=POSTED, last_step_at=ended) == ended + timedelta(minutes=5)


def test_a_refire_within_the_window_reuses_the_message() -> None:
    window = timedelta(minutes=60)
    resolved = POSTED
    assert reuses_message(resolved, resolved + timedelta(minutes=60), window=window)
    assert not reuses_message(resolved, resolved + timedelta(minutes=61), window=window)
    assert not reuses_message(None, resolved, window=window)


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip
