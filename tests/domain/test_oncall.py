from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.oncall import (
    EscalationStep,
    EscalationTarget,
    Handoff,
    Layer,
    Override,
    Rotation,
    due_step,
    layer_shifts,
    next_on_call,
    next_shift_of,
    on_call,
    overrides_of,
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
    assert shift.user == "U1" and shift.starts_at == datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_handoffs_stay_at_local_wall_clock_across_dst() -> None:
    rotation = Rotation(("U1", "U2"), Handoff.DAILY, "Europe/Berlin", date(2026, 10, 24))
    shift = scheduled_shift(
        rotation, datetime(2026, 10, 25, 6, tzinfo=BERLIN)
    )  # DST ends at 03:00 this night
    assert shift.starts_at.astimezone(BERLIN).hour == 9 and shift.ends_at.astimezone(BERLIN).hour == 9
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


# (zone, hand-off wall time, the day clocks change, the instant the hand-off happens): in the repeated hour
# its first pass, in the skipped hour the moment the clock jumps over it.
DST_HANDOFFS = [
    ("Europe/Berlin", time(2, 30), date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("Europe/Berlin", time(2, 30), date(2026, 3, 29), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    ("America/New_York", time(1, 30), date(2026, 11, 1), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ("America/New_York", time(2, 30), date(2026, 3, 8), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "wall", "day", "handoff"), DST_HANDOFFS)
def test_a_handoff_in_a_dst_change_happens_once_and_never_flips_back(
    zone: str, wall: time, day: date, handoff: datetime
) -> None:
    rotation = Rotation(("U1", "U2"), Handoff.DAILY, zone, day - timedelta(days=1), handoff_time=wall)
    minutes = [handoff + timedelta(minutes=m) for m in range(-180, 181)]
    users = [scheduled_shift(rotation, moment).user for moment in minutes]
    assert users == ["U1"] * 180 + ["U2"] * 181
    before = scheduled_shift(rotation, handoff - timedelta(seconds=1))
    after = scheduled_shift(rotation, handoff)
    assert before.ends_at == after.starts_at == handoff


def test_a_handoff_in_the_repeated_hour_holds_through_its_second_pass() -> None:
    rotation = Rotation(
        ("U1", "U2"), Handoff.DAILY, "Europe/Berlin", date(2026, 10, 24), handoff_time=time(2, 30)
    )
    second_pass = datetime(2026, 10, 25, 2, 10, tzinfo=BERLIN, fold=1)  # 01:10 UTC, 40 minutes after
    assert scheduled_shift(rotation, second_pass).user == "U2"


PRIMARY = Layer("primary", WEEKLY)
SECONDARY = Layer(
    "secondary", Rotation(("U7", "U8"), Handoff.DAILY, "Europe/Berlin", date(2026, 10, 24), time(2, 30))
)
LAYERS = [PRIMARY, SECONDARY]


def test_each_layer_has_its_own_turns_and_handoffs() -> None:
    shifts = layer_shifts(LAYERS, [], datetime(2026, 11, 3, 12, tzinfo=BERLIN))
    assert [(s.layer, s.current.user, s.following.user) for s in shifts] == [
        ("primary", "U1", "U2"),  # weekly from Monday 2 November
        ("secondary", "U7", "U8"),  # daily from 24 October: the 11th day is U7's again
    ]
    assert shifts[1].following.starts_at == datetime(2026, 11, 4, 2, 30, tzinfo=BERLIN)


def test_an_override_replaces_only_its_own_layer() -> None:
    now = datetime(2026, 11, 3, 12, tzinfo=BERLIN)
    secondary = Override("U9", now - timedelta(hours=1), now + timedelta(hours=4), layer="secondary")
    unnamed = Override("U5", now - timedelta(hours=1), now + timedelta(hours=2))  # no layer: the first
    shifts = layer_shifts(LAYERS, [secondary, unnamed], now)
    assert [(s.current.user, s.current.overridden) for s in shifts] == [("U5", True), ("U9", True)]
    assert overrides_of(LAYERS, [secondary, unnamed], "primary") == [unnamed]
    only_secondary = layer_shifts(LAYERS, [secondary], now)
    assert only_secondary[0].current.user == "U1" and not only_secondary[0].current.overridden


def test_a_layer_hands_off_once_in_the_repeated_autumn_hour() -> None:
    # Berlin's clocks go back at 03:00 CEST on 25 October: the 02:30 hand-off is at its first pass.
    first_pass = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    before, after = (
        layer_shifts(LAYERS, [], first_pass + d)[1] for d in (-timedelta(minutes=1), timedelta(0))
    )
    assert (before.current.user, after.current.user) == ("U7", "U8")
    second_pass = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # reads 02:30 again: no second hand-off
    assert layer_shifts(LAYERS, [], second_pass)[1].current.user == "U8"
    assert after.current.ends_at - after.current.starts_at == timedelta(hours=25)


def test_a_layer_hand_off_in_the_skipped_spring_hour_happens_when_the_clock_jumps() -> None:
    # 29 March 2026: Berlin jumps from 02:00 CET to 03:00 CEST; 02:30 does not exist that night.
    shifts = layer_shifts(LAYERS, [], datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    assert shifts[1].current.ends_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_the_next_shift_of_someone_off_duty() -> None:
    now = datetime(2026, 11, 3, 12, tzinfo=BERLIN)
    assert next_shift_of("U3", WEEKLY, [], now) == scheduled_shift(
        WEEKLY, datetime(2026, 11, 16, 9, tzinfo=BERLIN)
    )
    cover = Override("U3", now + timedelta(days=1), now + timedelta(days=2))
    assert next_shift_of("U3", WEEKLY, [cover], now) == on_call(WEEKLY, [cover], now + timedelta(days=1))
    assert next_shift_of("U4", WEEKLY, [], now) is None  # not on the rotation
