"""build_scheduler(deps): the table of scheduled jobs, each a one-line call into a service."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, catch_up_due, period_reported_at
from bot.services import digest_runs, digests

log = logging.getLogger(__name__)
# A catch-up looks back this many fire times at most (a seconds-level test schedule must not spin).
MAX_LOOKBACK_FIRES = 10_000


@dataclass(frozen=True)
class ScheduledJob:
    """One row of the table: a name, its trigger and the service call it makes."""

    name: str
    trigger: CronTrigger
    call: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]


def digest_trigger(deps: Deps, kind: DigestKind, team_name: str) -> CronTrigger:
    """The team's cron trigger in its own time zone (day names, never crontab day numbers)."""
    config = deps.settings.file.digests
    team = digest_runs.team(deps, team_name)
    return CronTrigger(timezone=digests.team_zone(deps, team), **config.schedule(kind.value))


def jobs(deps: Deps) -> Iterator[ScheduledJob]:
    """Every scheduled job of this process."""
    config = deps.settings.file.digests
    if not config.enabled:
        return
    for team in config.teams:
        for kind in DigestKind:
            trigger = digest_trigger(deps, kind, team.name)
            yield ScheduledJob(
                f"digest:{kind}:{team.name}", trigger, digest_runs.scheduled, (deps, kind, team.name)
            )


def build_scheduler(deps: Deps) -> AsyncIOScheduler:
    """An AsyncIOScheduler with every job; late runs within the grace coalesce into one."""
    grace = int(deps.settings.file.digests.misfire_grace_minutes * 60)
    scheduler = AsyncIOScheduler(timezone=UTC)
    for job in jobs(deps):
        scheduler.add_job(
            job.call,
            job.trigger,
            args=job.args,
            id=job.name,
            name=job.name,
            misfire_grace_time=grace,
            coalesce=True,
            max_instances=1,
        )
    return scheduler


def last_fire_time(trigger: CronTrigger, *, since: datetime, now: datetime) -> datetime | None:
    """The latest time the trigger fired in (since, now], or None."""
    found: datetime | None = None
    previous: datetime | None = None
    moment = trigger.get_next_fire_time(None, since)
    for _ in range(MAX_LOOKBACK_FIRES):
        if moment is None or moment > now:
            break
        if moment > since:
            found = moment
        previous = moment
        moment = trigger.get_next_fire_time(previous, moment + timedelta(microseconds=1))
    return found


async def catch_up(deps: Deps) -> list[digest_runs.Requested]:
    """Run, once, the digests whose scheduled time passed while opsbot was down (within the grace)."""
    config = deps.settings.file.digests
    grace = timedelta(hours=config.catch_up_hours)
    now = deps.clock()
    done = []
    for job in jobs(deps):
        _, kind, team_name = job.args
        fired = last_fire_time(job.trigger, since=now - grace, now=now)
        if fired is not None and catch_up_due(fired, now=now, grace=grace):
            chosen = digest_runs.team(deps, team_name)
            period = period_reported_at(kind, fired, digests.team_zone(deps, chosen))
            done.append(await digest_runs.request(deps, kind, chosen, period))
    return done


async def start_scheduler(deps: Deps) -> Callable[[], Awaitable[None]]:
    """Catch up on missed digests, start the scheduler, and return its stop function."""
    await catch_up(deps)
    scheduler = build_scheduler(deps)
    scheduler.start()

    async def stop() -> None:
        scheduler.shutdown(wait=False)

    return stop
