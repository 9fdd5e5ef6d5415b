"""Digest periods: ISO weeks and months in the team's zone, DST weeks, first Mondays, catch-up grace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.digest_periods import (
    DigestKind,
    catch_up_due,
    claim_key,
    first_monday,
    month_period,
    period_reported_at,
    period_so_far,
    week_period,
)

BERLIN = "Europe/Berlin"


def test_a_monday_run_reports_the_previous_iso_week_in_the_teams_zone() -> None:
    run = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo(BERLIN))
    period = period_reported_at(DigestKind.WEEKLY, run, BERLIN)
    assert period.label == "2026-W47"
    assert period.first_day == date(2026, 11, 16) and period.last_day == date(2026, 11, 22)
    assert period.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert period.previous_start == datetime(2026, 11, 8, 23, 0, tzinfo=UTC)
    assert claim_key(DigestKind.WEEKLY, "ops", period) == "weekly:ops:2026-W47"


def test_the_zone_decides_the_day_a_utc_instant_falls_on() -> None:
    run = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday in UTC, still Sunday in New York
    assert period_reported_at(DigestKind.WEEKLY, run, "UTC").label == "2026-W47"
    assert period_reported_at(DigestKind.WEEKLY, run, "America/New_York").label == "2026-W46"


def test_a_dst_change_week_has_167_hours_and_its_days_have_local_midnights() -> None:
    period = week_period(date(2026, 3, 25), BERLIN)  # clocks go forward on Sunday 29 March
    assert period.end - period.start == timedelta(hours=167)
    cuts = period.day_boundaries()
    assert len(cuts) == 8
    assert all(c.astimezone(ZoneInfo(BERLIN)).hour == 0 for c in cuts)
    assert cuts[-1] - cuts[-2] == timedelta(hours=23)
    autumn = week_period(date(2026, 10, 21), BERLIN)  # back on Sunday 25 October
    assert autumn.end - autumn.start == timedelta(hours=169)


def test_iso_week_labels_across_the_new_year() -> None:
    assert week_period(date(2027, 1, 1), "UTC").label == "2026-W53"
    assert week_period(date(2027, 1, 4), "UTC").label == "2027-W01"
    assert week_period(date(2025, 12, 31), "UTC").label == "2026-W01"


def test_a_monthly_run_reports_the_previous_calendar_month() -> None:
    period = period_reported_at(DigestKind.MONTHLY, datetime(2026, 12, 7, 8, 0, tzinfo=UTC), BERLIN)
    assert period.label == "2026-11"
    assert period.first_day == date(2026, 11, 1) and period.last_day == date(2026, 11, 30)
    january = period_reported_at(DigestKind.MONTHLY, datetime(2027, 1, 4, 9, tzinfo=UTC), "UTC")
    assert january.label == "2026-12" and january.previous_start == datetime(2026, 11, 1, tzinfo=UTC)


def test_month_weeks_are_cut_at_mondays() -> None:
    period = month_period(date(2026, 10, 15), "UTC")
    cuts = period.week_boundaries()
    assert cuts[0] == datetime(2026, 10, 1, tzinfo=UTC) and cuts[-1] == datetime(2026, 11, 1, tzinfo=UTC)
    assert [c.weekday() for c in cuts[1:-1]] == [0, 0, 0, 0]
    assert len(cuts) == 6  # Thu 1st … Sat 31st: five (partial) weeks


def test_first_monday_of_the_month() -> None:
    assert first_monday(2026, 6) == date(2026, 6, 1)
    assert first_monday(2026, 11) == date(2026, 11, 2)
    assert first_monday(2026, 12) == date(2026, 12, 7)


def test_catch_up_only_within_the_grace() -> None:
    now = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    grace = timedelta(hours=12)
    assert catch_up_due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), now=now, grace=grace)
    assert not catch_up_due(datetime(2026, 11, 23, 7, 59, tzinfo=UTC), now=now, grace=grace)
    assert not catch_up_due(None, now=now, grace=grace)
    assert not catch_up_due(now + timedelta(minutes=1), now=now, grace=grace)


def test_the_week_so_far_ends_now_and_compares_with_as_long_just_before() -> None:
    now = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # Wednesday of week 48, 15:30 in Berlin
    period = period_so_far(DigestKind.WEEKLY, now, BERLIN)
    assert period.so_far and period.label == "2026-W48"
    assert period.first_day == date(2026, 11, 23) and period.last_day == date(2026, 11, 25)
    assert period.start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC) and period.end == now
    assert period.start - period.previous_start == now - period.start
    assert period.describe() == "week 48 so far (23 Nov – 25 Nov 2026)"
    assert week_period(date(2026, 11, 25), BERLIN).describe() == "week 48 (23 Nov – 29 Nov 2026)"


def test_the_month_so_far_says_so() -> None:
    now = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    period = period_so_far(DigestKind.MONTHLY, now, "UTC")
    assert period.first_day == date(2026, 11, 1) and period.last_day == date(2026, 11, 25)
    assert period.end == now and period.week_boundaries()[-1] == now
    assert period.describe() == "November 2026 so far (1 – 25 Nov)"
