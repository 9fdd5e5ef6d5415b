"""The scheduler table: digest triggers in each team's zone, misfire policy, and catch-up after downtime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind
from bot.scheduler import STEP, build_scheduler, catch_up, digest_trigger, jobs, last_fire_time
from bot.services import retention

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"timezone": "Europe/Berlin"},
        # the info reviews' own jobs and catch-up: tests/bot/test_info_review_schedule.py
        "alerts": {"info_review": {"mode": "per_alert"}},
        "digests": {"enabled": True},
        "teams": [{"name": "payments", "channels": {"review": "pay-review"}, "timezone": "UTC"}],
    }


def test_weekly_fires_mondays_at_nine_in_the_teams_zone_across_dst(deps_at: Callable[..., Deps]) -> None:
    deps = deps_at(datetime(2026, 3, 25, tzinfo=UTC))
    weekly = digest_trigger(deps, DigestKind.WEEKLY, "ops")
    fired = weekly.get_next_fire_time(None, datetime(2026, 3, 25, tzinfo=BERLIN))
    assert fired == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)  # the Monday after the spring change
    assert fired.astimezone(UTC).hour == 7
    before = weekly.get_next_fire_time(None, datetime(2026, 3, 20, tzinfo=BERLIN))
    assert before.astimezone(UTC).hour == 8 and before.weekday() == 0
    utc_team = digest_trigger(deps, DigestKind.WEEKLY, "payments")
    assert utc_team.get_next_fire_time(None, datetime(2026, 3, 25, tzinfo=UTC)) == datetime(
        2026, 3, 30, 9, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "bot_config",
    [
        {
            "team": {"timezone": "Europe/Berlin"},
            "alerts": {"info_review": {"mode": "per_alert"}},
            "digests": {"enabled": True},
            "teams": [
                {
                    "name": "payments",
                    "timezone": "America/New_York",
                    "digests": {
                        "weekly": {"day_of_week": "tue", "hour": 8, "minute": 30},
                        "monthly": {"day": "last fri", "hour": 16, "minute": 0},
                    },
                },
                {"name": "search", "timezone": "Asia/Tokyo"},
            ],
        }
    ],
)
def test_each_teams_jobs_use_its_own_schedule_in_its_own_zone(deps_at: Callable[..., Deps]) -> None:
    deps = deps_at(datetime(2026, 11, 22, tzinfo=UTC))
    table = {job.name: job for job in jobs(deps) if job.name.startswith("digest:")}
    assert set(table) == {f"digest:{kind}:{team}" for kind in ("weekly", "monthly")
                          for team in ("ops", "payments", "search")}  # fmt: skip
    after = datetime(2026, 11, 22, tzinfo=UTC)
    fires = {name: job.trigger.get_next_fire_time(None, after) for name, job in table.items()}
    new_york, tokyo = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
    assert fires["digest:weekly:ops"] == datetime(2026, 11, 23, 9, tzinfo=BERLIN)
    assert fires["digest:weekly:payments"] == datetime(2026, 11, 24, 8, 30, tzinfo=new_york)
    assert fires["digest:monthly:payments"] == datetime(2026, 11, 27, 16, tzinfo=new_york)
    assert fires["digest:weekly:search"] == datetime(2026, 11, 23, 9, tzinfo=tokyo)  # the top-level schedule
    assert fires["digest:monthly:search"] == datetime(2026, 12, 7, 9, tzinfo=tokyo)
    assert table["digest:weekly:payments"].args[1:] == (DigestKind.WEEKLY, "payments")


def test_monthly_fires_on_the_first_monday(deps_at: Callable[..., Deps]) -> None:
    deps = deps_at(datetime(2026, 11, 22, tzinfo=UTC))
    monthly = digest_trigger(deps, DigestKind.MONTHLY, "ops")
    found, moment = [], datetime(2026, 11, 3, tzinfo=BERLIN)
    for _ in range(3):
        moment = monthly.get_next_fire_time(None, moment)
        found.append(moment.date().isoformat())
        moment += timedelta(minutes=1)
    assert found == ["2026-12-07", "2027-01-04", "2027-02-01"]


def test_the_table_has_one_job_per_team_and_kind_with_a_deliberate_misfire_policy(
    deps_at: Callable[..., Deps],
) -> None:
    scheduler = build_scheduler(deps_at(datetime(2026, 11, 22, tzinfo=UTC)))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "digest:weekly:ops",
        "digest:monthly:ops",
        "digest:weekly:payments",
        "digest:monthly:payments",
        "retention",
    }
    for job in jobs.values():
        assert job.misfire_grace_time == 3600 and job.coalesce and job.max_instances == 1


@pytest.mark.parametrize(
    "bot_config", [{"team": {"timezone": "Europe/Berlin"}, "digests": {"enabled": False}}]
)
async def test_retention_is_scheduled_daily_in_the_teams_zone_even_with_digests_off(
    deps_at: Callable[..., Deps],
) -> None:
    deps = deps_at(datetime(2026, 3, 28, tzinfo=UTC))
    table = list(jobs(deps))
    assert [job.name for job in table] == ["retention"]
    assert table[0].call is retention.prune and table[0].args == (deps,)
    assert [job.id for job in build_scheduler(deps).get_jobs()] == ["retention"]
    fired = table[0].trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, tzinfo=BERLIN))
    assert fired == datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)  # the night the clocks go forward
    assert fired.astimezone(UTC).hour == 1
    assert await catch_up(deps) == []  # nothing to catch up, and retention is not a digest job


def test_last_fire_time_looks_back_within_the_window(deps_at: Callable[..., Deps]) -> None:
    weekly = digest_trigger(deps_at(datetime(2026, 11, 23, tzinfo=UTC)), DigestKind.WEEKLY, "payments")
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert (
        last_fire_time(weekly, since=monday - timedelta(hours=11), now=monday + timedelta(hours=1)) == monday
    )
    assert (
        last_fire_time(weekly, since=monday - timedelta(hours=12), now=monday - timedelta(minutes=1)) is None
    )


async def test_catch_up_runs_a_missed_digest_once_within_the_grace(deps_at: Callable[..., Deps]) -> None:
    three_pm = datetime(2026, 11, 23, 15, tzinfo=UTC)  # opsbot was down at 09:00 on Monday
    done = await catch_up(deps_at(three_pm))
    assert sorted((r.key, r.claimed) for r in done) == [
        ("weekly:ops:2026-W47", True),
        ("weekly:payments:2026-W47", True),
    ]
    again = await catch_up(deps_at(three_pm + timedelta(minutes=5)))  # a restart: nothing new
    assert [r.claimed for r in again] == [False, False]
    assert await catch_up(deps_at(datetime(2026, 11, 23, 21, 1, tzinfo=UTC))) == []  # past the 12 h grace


async def test_catch_up_of_the_monthly_deep_dive(deps_at: Callable[..., Deps]) -> None:
    done = await catch_up(deps_at(datetime(2026, 12, 7, 12, tzinfo=UTC)))
    assert sorted(r.key for r in done) == [
        "monthly:ops:2026-11",
        "monthly:payments:2026-11",
        "weekly:ops:2026-W49",
        "weekly:payments:2026-W49",
    ]


class CountingTrigger(CronTrigger):  # type: ignore[misc]
    """A CronTrigger that counts the questions asked of it (the search must not walk fire by fire)."""

    calls = 0

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        self.calls += 1
        fired: datetime | None = super().get_next_fire_time(previous, now)
        return fired


def walk_forward(trigger: CronTrigger, *, since: datetime, now: datetime) -> datetime | None:
    """The obvious answer, fire by fire (only for short windows): the reference the search must match.

    Steps in UTC: adding to a local time ignores `fold`, and would loop inside an autumn DST fold.
    """
    found = None
    moment = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    while moment is not None and moment <= now:
        found = moment
        moment = trigger.get_next_fire_time(None, moment.astimezone(UTC) + timedelta(seconds=1))
    return found


def test_last_fire_time_of_a_two_second_schedule_over_a_long_lookback() -> None:
    clock = datetime(2026, 11, 30, 0, 10, 1, 500_000, tzinfo=UTC)  # Monday 00:10 UTC
    every_two = CountingTrigger(second="*/2", timezone=UTC)
    for lookback in (timedelta(hours=12), timedelta(days=30), timedelta(days=3 * 365)):
        every_two.calls = 0
        found = last_fire_time(every_two, since=clock - lookback, now=clock)
        assert found == datetime(2026, 11, 30, 0, 10, 0, tzinfo=UTC)
        assert every_two.calls < 80  # ~log2 of the lookback in microseconds, not one call per fire
    on_a_fire = datetime(2026, 11, 30, 0, 10, tzinfo=UTC)
    assert last_fire_time(every_two, since=on_a_fire - timedelta(days=1), now=on_a_fire) == on_a_fire
    assert last_fire_time(every_two, since=on_a_fire, now=on_a_fire + timedelta(seconds=1.9)) is None


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        # Spring forward on Sunday 2027-03-28: 09:00 Berlin is 08:00 UTC before and 07:00 UTC after.
        (datetime(2027, 3, 29, 0, 10, tzinfo=UTC), datetime(2027, 3, 22, 8, tzinfo=UTC)),
        (datetime(2027, 3, 29, 6, 59, 59, tzinfo=UTC), datetime(2027, 3, 22, 8, tzinfo=UTC)),
        (datetime(2027, 3, 29, 7, 0, 1, tzinfo=UTC), datetime(2027, 3, 29, 7, tzinfo=UTC)),
        # Fall back on Sunday 2027-10-31: 09:00 Berlin is 07:00 UTC before and 08:00 UTC after.
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), datetime(2027, 10, 25, 7, tzinfo=UTC)),
        (datetime(2027, 11, 1, 7, 30, tzinfo=UTC), datetime(2027, 10, 25, 7, tzinfo=UTC)),
        (datetime(2027, 11, 1, 8, 0, tzinfo=UTC), datetime(2027, 11, 1, 8, tzinfo=UTC)),
    ],
)
def test_last_weekly_fire_in_berlin_across_both_dst_changes(
    deps_at: Callable[..., Deps], clock: datetime, expected: datetime
) -> None:
    weekly = digest_trigger(deps_at(clock), DigestKind.WEEKLY, "ops")
    found = last_fire_time(weekly, since=clock - timedelta(days=8), now=clock)
    assert found == expected
    assert found is not None and found.astimezone(BERLIN).hour == 9 and found.weekday() == 0


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (datetime(2027, 1, 4, 8, 30, tzinfo=UTC), datetime(2027, 1, 4, 8, tzinfo=UTC)),  # 1st Mon of 2027
        (datetime(2027, 1, 4, 7, 59, tzinfo=UTC), datetime(2026, 12, 7, 8, tzinfo=UTC)),  # a minute early
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), datetime(2026, 12, 7, 8, tzinfo=UTC)),  # New Year
        (datetime(2027, 4, 5, 7, 0, tzinfo=UTC), datetime(2027, 4, 5, 7, tzinfo=UTC)),  # CEST by April
    ],
)
def test_last_monthly_fire_on_the_first_monday(
    deps_at: Callable[..., Deps], clock: datetime, expected: datetime
) -> None:
    monthly = digest_trigger(deps_at(clock), DigestKind.MONTHLY, "ops")
    assert last_fire_time(monthly, since=clock - timedelta(days=62), now=clock) == expected


def test_last_fire_time_over_the_year_end(deps_at: Callable[..., Deps]) -> None:
    clock = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    weekly = digest_trigger(deps_at(clock), DigestKind.WEEKLY, "payments")  # a UTC team
    assert last_fire_time(weekly, since=clock - timedelta(days=30), now=clock) == datetime(
        2026, 12, 28, 9, tzinfo=UTC
    )
    new_years_eve = CronTrigger(month=12, day="last", hour=23, minute=59, second=59, timezone=UTC)
    assert last_fire_time(new_years_eve, since=clock - timedelta(days=400), now=clock) == datetime(
        2026, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def test_last_fire_time_of_a_leap_day_schedule() -> None:
    leap_noon = CountingTrigger(month=2, day=29, hour=12, timezone=UTC)
    clock = datetime(2031, 6, 1, tzinfo=UTC)
    found = last_fire_time(leap_noon, since=clock - timedelta(days=3660), now=clock)
    assert found == datetime(2028, 2, 29, 12, tzinfo=UTC) and leap_noon.calls < 80
    at_noon = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert last_fire_time(leap_noon, since=at_noon - timedelta(days=1), now=at_noon) == at_noon
    assert last_fire_time(leap_noon, since=at_noon - timedelta(days=1000), now=at_noon - STEP) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"hour": "2", "minute": "30"},  # skipped in spring, repeated in autumn
        {"minute": "*/15"},
        {"day_of_week": "sun", "hour": "1-3", "minute": "0,59", "second": "30"},
    ],
)
@pytest.mark.parametrize(
    "clock",
    [datetime(2027, 3, 28, 3, 17, 11, tzinfo=UTC), datetime(2027, 10, 31, 3, 17, 11, tzinfo=UTC)],
)
def test_last_fire_time_matches_a_fire_by_fire_walk_around_dst(
    fields: dict[str, str], clock: datetime
) -> None:
    trigger = CronTrigger(timezone=BERLIN, **fields)
    for hours in range(30):
        now = clock - timedelta(hours=hours, minutes=7 * hours)
        since = now - timedelta(hours=26)
        assert last_fire_time(trigger, since=since, now=now) == walk_forward(trigger, since=since, now=now)


@pytest.mark.parametrize(
    "bot_config",
    [
        {
            "team": {"timezone": "Europe/Berlin"},
            "digests": {
                "enabled": True,
                "cron": {"weekly": {"second": "*/2"}, "monthly": {"year": 2099}},
            },
            "teams": [{"name": "payments", "channels": {"review": "pay-review"}, "timezone": "UTC"}],
        }
    ],
)
async def test_catch_up_of_a_seconds_schedule_on_monday_at_ten_past_midnight(
    deps_at: Callable[..., Deps],
) -> None:
    """Issue #13: a 10,000-fire cap found a fire from Sunday afternoon and posted the week before."""
    monday = datetime(2026, 11, 30, 0, 10, 1, tzinfo=UTC)
    done = await catch_up(deps_at(monday))
    assert sorted(r.key for r in done) == ["weekly:ops:2026-W48", "weekly:payments:2026-W48"]
