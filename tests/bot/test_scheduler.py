"""The scheduler table: digest triggers in each team's zone, misfire policy, and catch-up after downtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind
from bot.scheduler import build_scheduler, catch_up, digest_trigger, last_fire_time
from storage.migrate import upgrade

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"timezone": "Europe/Berlin"},
        "digests": {
            "teams": [{"name": "ops"}, {"name": "payments", "channel": "pay-review", "timezone": "UTC"}]
        },
    }


@pytest.fixture
async def deps_at(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[Callable[..., Deps]]:
    await asyncio.to_thread(upgrade, sqlite_url)
    made: list[Deps] = []

    def make(now: datetime) -> Deps:
        deps = build_deps(make_settings(), clock=lambda: now)
        made.append(deps)
        return deps

    yield make
    for deps in made:
        await deps.close()


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
    }
    for job in jobs.values():
        assert job.misfire_grace_time == 3600 and job.coalesce and job.max_instances == 1


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
