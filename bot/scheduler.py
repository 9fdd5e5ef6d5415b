"""build_scheduler(deps): the table of scheduled jobs, each a one-line call into a service."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, catch_up_due, period_reported_at
from bot.services import digest_runs, info_reviews, retention

log = logging.getLogger(__name__)
STEP = timedelta(microseconds=1)  # the finest instant a datetime tells apart
# How far back a running review job looks for the time it was scheduled at (it runs within the misfire grace).
REVIEW_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class ScheduledJob:
    """One row of the table: a name, its trigger and the service call it makes."""

    name: str
    trigger: CronTrigger
    call: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]


def digest_trigger(deps: Deps, kind: DigestKind, handle: str) -> CronTrigger:
    """The team's cron trigger in its own time zone (day names, never crontab day numbers)."""
    team = digest_runs.team(deps, handle)
    return CronTrigger(timezone=team.timezone, **team.digest_schedule(kind.value))


def info_review_trigger(deps: Deps, handle: str) -> CronTrigger:
    """The team's info review time, in its own time zone."""
    team = digest_runs.team(deps, handle)
    return CronTrigger(timezone=team.timezone, **info_reviews.schedule(deps.settings, team))


def retention_trigger(deps: Deps) -> CronTrigger:
    """Daily at retention.at in the team's zone."""
    zone = ZoneInfo(deps.settings.file.team.timezone)
    return CronTrigger(timezone=zone, **deps.settings.file.retention.schedule())


def digest_jobs(deps: Deps) -> Iterator[ScheduledJob]:
    """One job per team and kind; none when digests are off."""
    config = deps.settings.file.digests
    if not config.enabled:
        return
    for team in deps.settings.teams:
        for kind in DigestKind:
            trigger = digest_trigger(deps, kind, team.handle)
            yield ScheduledJob(
                f"digest:{kind}:{team.handle}", trigger, digest_runs.scheduled, (deps, kind, team.handle)
            )


def info_review_jobs(deps: Deps) -> Iterator[ScheduledJob]:
    """One job per team while info alerts wait for a review (alerts.info_review.mode: daily)."""
    if not info_reviews.reviews_info(deps.settings):
        return
    for team in deps.settings.teams:
        trigger = info_review_trigger(deps, team.handle)
        yield ScheduledJob(f"info_review:{team.handle}", trigger, review_due, (deps, team.handle, trigger))


async def review_due(deps: Deps, handle: str, trigger: CronTrigger) -> info_reviews.Requested | None:
    """The scheduler's call: claim the review of the time that just came (a second replica gets False).

    The review ends at its scheduled time, not at whenever the job ran, so windows meet exactly.
    """
    now = deps.clock()
    fired = last_fire_time(trigger, since=now - REVIEW_LOOKBACK, now=now)
    if fired is None:
        return None
    return await info_reviews.request(deps, digest_runs.team(deps, handle), end=fired)


def jobs(deps: Deps) -> Iterator[ScheduledJob]:
    """Every scheduled job of this process: the digests, the info reviews, and retention whatever else is
    configured."""
    yield from digest_jobs(deps)
    yield from info_review_jobs(deps)
    yield ScheduledJob("retention", retention_trigger(deps), retention.prune, (deps,))


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
    """The latest time the trigger fired in (since, now], or None: exact for any schedule and lookback.

    APScheduler's own maths answer "the first fire at or after t" (always a whole second). Some fire lies
    in [t, now] exactly when t is at or before the last fire time, so halving the whole seconds of
    (since, now] finds it in ~40 questions even for years of a seconds-level schedule, where walking
    forward fire by fire would take millions. Instants are stepped in UTC: adding to a local time
    ignores `fold`, which inside an autumn DST fold would jump back an hour.
    """
    low = _whole_second(since.astimezone(UTC) + STEP, up=True)  # invariant: some fire in [low, now]
    if not _fires_between(trigger, low, now):
        return None
    high = _whole_second(now, up=False)  # invariant: the last fire is in [low, high]
    while low < high:
        middle = low + timedelta(seconds=math.ceil((high - low).total_seconds() / 2))
        if _fires_between(trigger, middle, now):
            low = middle
        else:
            high = middle - timedelta(seconds=1)
    fired: datetime = trigger.get_next_fire_time(None, low)
    return fired


def _fires_between(trigger: CronTrigger, start: datetime, end: datetime) -> bool:
    """Tell whether the trigger fires at some instant in [start, end]."""
    fired = trigger.get_next_fire_time(None, start)
    return fired is not None and fired <= end


def _whole_second(moment: datetime, *, up: bool) -> datetime:
    """The moment rounded to a whole second of absolute time (in UTC, so a DST fold cannot shift it)."""
    moment = moment.astimezone(UTC)
    floor = moment.replace(microsecond=0)
    return floor + timedelta(seconds=1) if up and floor < moment else floor


async def catch_up(deps: Deps) -> list[digest_runs.Requested | info_reviews.Requested]:
    """Run, once, the digests and info reviews whose scheduled time passed while opsbot was down (within
    the grace)."""
    config = deps.settings.file.digests
    grace = timedelta(hours=config.catch_up_hours)
    now = deps.clock()
    done: list[digest_runs.Requested | info_reviews.Requested] = []
    for job in digest_jobs(deps):
        _, kind, handle = job.args
        fired = last_fire_time(job.trigger, since=now - grace, now=now)
        if fired is not None and catch_up_due(fired, now=now, grace=grace):
            chosen = digest_runs.team(deps, handle)
            period = period_reported_at(kind, fired, chosen.timezone)
            done.append(await digest_runs.request(deps, kind, chosen, period))
    for job in info_review_jobs(deps):
        fired = last_fire_time(job.trigger, since=now - grace, now=now)
        if fired is not None and catch_up_due(fired, now=now, grace=grace):
            done.append(await info_reviews.request(deps, digest_runs.team(deps, job.args[1]), end=fired))
    return done


async def start_scheduler(deps: Deps) -> Callable[[], Awaitable[None]]:
    """Catch up on missed digests and info reviews, start the scheduler, and return its stop function.

    A missed retention run is not caught up: the next day's deletes what it would have.
    """
    await catch_up(deps)
    scheduler = build_scheduler(deps)
    scheduler.start()

    async def stop() -> None:
        scheduler.shutdown(wait=False)

    return stop
