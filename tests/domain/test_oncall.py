from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.oncall import (
    EscalationStep,
    EscalationTarget,
    Handoff,
    Override,
    Rotation,
    due_step,
    next_on_call,
    on_call,
    scheduled_shift,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY = Rotation(("U1", "U2", "U3"), Handoff.WEEKLY, "Europe/Berlin", date(2026, 11, 2))


def test_weekly_rotation_hands_off_on_monday_morning_local_time() -> None:
    assert scheduled_shift(WEEKLY, datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)).user == "U1"
    assert scheduled_shift(WEEKLY, datetime(2026, 11, 9, 8, 59, tzinfo=BERLIN)).user == "U1"
    assert scheduled_shift(WEEKLY, datetime(2026, 11, 9, 9, 0, tzinfo=BERLIN)).user == "U2"
    assert scheduled_shift(WEEKLY, datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)).user == "U1"


def test_a_start_date_mid_week_snaps_back_to_the_handoff_day() -> None:
    rotation = Rotation(("U1", "U2"), Handoff.WEEKLY, "UTC", date(2026, 11, 5))
    shift = scheduled_shift(rotation, datetime(2026, 11, 6, tzinfo=UTC))
    assert shift.user == "U1" and shift.starts_at.date() == date(2026, 11, 2)


def test_handoffs_stay_at_local_wall_clock_across_dst() -> None:
    rotation = Rotation(("U1", "U2"), Handoff.DAILY, "Europe/Berlin", date(2026, 10, 24))
    shift = scheduled_shift(
        rotation, datetime(2026, 10, 25, 6, tzinfo=BERLIN)
    )  # DST ends at 03:00 this night
    assert shift.starts_at.hour == 9 and shift.ends_at.hour == 9
    assert shift.ends_at.astimezone(UTC) - shift.starts_at.astimezone(UTC) == timedelta(hours=25)


def test_overrides_take_precedence_and_next_follows_them() -> None:
    now = datetime(2026, 11, 3, 12, tzinfo=BERLIN)
    override = Override("U9", now - timedelta(hours=1), now + timedelta(hours=4))
    current = on_call(WEEKLY, [override], now)
    assert current.user == "U9" and current.overridden
    assert next_on_call(WEEKLY, [override], now).user == "U1"
    assert on_call(WEEKLY, [override], now + timedelta(hours=5)).user == "U1"


def test_the_chain_names_each_step() -> None:
    chain = [
        EscalationStep(timedelta(minutes=5), EscalationTarget.ONCALL),
        EscalationStep(timedelta(minutes=10), EscalationTarget.USERGROUP, ("S0SRE",)),
    ]
    assert due_step(chain, 1) == chain[1] and due_step(chain, 2) is None
