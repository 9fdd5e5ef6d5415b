"""The info reviews in the scheduler table: a job per team at its time in its zone (DST days
included), claimed once per scheduled time across replicas and restarts, and caught up after downtime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.deps import Deps
from bot.scheduler import build_scheduler, catch_up, info_review_trigger, jobs, review_due
from storage import info_reviews as store

BERLIN = ZoneInfo("Europe/Berlin")
NEVER = {"year": 2099}
CONFIG: dict[str, Any] = {
    "team": {"timezone": "Europe/Berlin"},
    "digests": {"enabled": True, "cron": {"weekly": NEVER, "monthly": NEVER}},
    "teams": [
        {
            "name": "payments",
            "timezone": "UTC",
            "channels": {"info": "payments-oncall"},
            "digests": {"info_review_at": "08:00"},
        }
    ],
}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return CONFIG


def berlin(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=BERLIN)


def info_jobs(deps: Deps) -> dict[str, Any]:
    return {job.name: job for job in jobs(deps) if job.name.startswith("info_review:")}


def test_each_team_has_a_daily_job_at_its_time_in_its_zone_across_dst(deps_at: Callable[..., Deps]) -> None:
    deps = deps_at(berlin(3, 25, 12))
    table = info_jobs(deps)
    assert set(table) == {"info_review:ops", "info_review:payments"}
    assert {job.id for job in build_scheduler(deps).get_jobs()} >= set(table)
    ops = info_review_trigger(deps, "ops")
    saturday = ops.get_next_fire_time(None, berlin(3, 28, 0))
    sunday = ops.get_next_fire_time(None, saturday + timedelta(seconds=1))
    assert (saturday, sunday) == (berlin(3, 28, 9, 30), berlin(3, 29, 9, 30))  # clocks go forward on the 29th
    assert (saturday.astimezone(UTC).hour, sunday.astimezone(UTC).hour) == (8, 7)
    payments = info_review_trigger(deps, "payments")
    assert payments.get_next_fire_time(None, berlin(3, 28, 0)) == datetime(2026, 3, 28, 8, tzinfo=UTC)


async def test_the_due_review_ends_at_its_scheduled_time_and_a_second_replica_gets_nothing(
    deps_at: Callable[..., Deps],
) -> None:
    late = deps_at(berlin(11, 17, 9, 30, 2))  # the job ran two seconds after its time
    trigger = info_review_trigger(late, "ops")
    first = await review_due(late, "ops", trigger)
    second = await review_due(deps_at(berlin(11, 17, 9, 30, 3)), "ops", trigger)
    assert first is not None and second is not None
    assert (first.key, first.claimed, second.claimed) == ("info:ops:2026-11-17T09:30:00", True, False)
    run = await store.get_run(late.db, first.key)
    assert run is not None and run.window_end == berlin(11, 17, 9, 30) and run.channel == "ops-info"


async def test_windows_meet_across_a_dst_change_and_after_a_late_run(deps_at: Callable[..., Deps]) -> None:
    keys = []
    for clock in (berlin(3, 28, 9, 30, 1), berlin(3, 29, 9, 45), berlin(3, 30, 9, 30)):
        deps = deps_at(clock)
        found = await review_due(deps, "ops", info_review_trigger(deps, "ops"))
        assert found is not None and found.claimed
        keys.append(found.key)
    runs = [await store.get_run(deps.db, key) for key in keys]
    assert all(run is not None for run in runs)
    saturday, sunday, monday = (run.window for run in runs if run is not None)
    assert sunday.start == saturday.end and monday.start == sunday.end
    assert sunday.end - sunday.start == timedelta(hours=23)  # 09:30 CET to 09:30 CEST
    assert monday.previous_start == sunday.start


async def test_catch_up_claims_each_missed_review_once_within_the_grace(deps_at: Callable[..., Deps]) -> None:
    afternoon = datetime(2026, 11, 17, 15, tzinfo=UTC)  # opsbot was down at 09:30 Berlin and 08:00 UTC
    done = await catch_up(deps_at(afternoon))
    assert sorted((r.key, r.claimed) for r in done) == [
        ("info:ops:2026-11-17T09:30:00", True),
        ("info:payments:2026-11-17T08:00:00", True),
    ]
    again = await catch_up(deps_at(afternoon + timedelta(minutes=5)))  # a restart: nothing new
    assert [r.claimed for r in again] == [False, False]
    assert await catch_up(deps_at(datetime(2026, 11, 17, 21, 1, tzinfo=UTC))) == []  # past the 12 h grace
    payments = await store.get_run(deps_at(afternoon).db, "info:payments:2026-11-17T08:00:00")
    assert payments is not None and payments.channel == "payments-oncall"


@pytest.mark.parametrize(
    "bot_config",
    [
        {**CONFIG, "alerts": {"info_review": {"mode": "per_alert"}}},
        {**CONFIG, "digests": {**CONFIG["digests"], "enabled": False}},
    ],
    ids=["per_alert", "digests-off"],
)
async def test_without_daily_reviews_there_is_no_job_and_nothing_to_catch_up(
    deps_at: Callable[..., Deps],
) -> None:
    deps = deps_at(datetime(2026, 11, 17, 15, tzinfo=UTC))
    assert info_jobs(deps) == {}
    assert [r for r in await catch_up(deps) if r.key.startswith("info:")] == []


EVERY_TWO_SECONDS = {**CONFIG["digests"]["cron"], "info_review": {"second": "*/2"}}


@pytest.mark.parametrize(
    "bot_config", [{**CONFIG, "digests": {**CONFIG["digests"], "cron": EVERY_TWO_SECONDS}}]
)
def test_a_raw_cron_replaces_every_teams_review_time(deps_at: Callable[..., Deps]) -> None:
    deps = deps_at(berlin(11, 17, 12))
    for team in ("ops", "payments"):
        fired = info_review_trigger(deps, team).get_next_fire_time(None, berlin(11, 17, 12, 0, 1))
        assert fired == berlin(11, 17, 12, 0, 2)
