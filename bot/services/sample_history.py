"""The sandbox's sample history: on the first start of embedded mode, a past month told through opsbot's
own paths, so the first weekly review, monthly deep dive, /ticket matrix, /metrics ranges and App Home
have something to show.

Only for the embedded sandbox's own database (bot/__main__.py decides): never with a Slack token, never on
OPSBOT_DATABASE_URL. Once per database: a claim guards it, and a database that has alerts is left alone.
The Slack work it queues (messages of past alerts, incident channels, pages) is closed unsent, so only
what happens from now on posts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.deps import Deps, build_deps, system_clock
from bot.domain.sample_history import host_levels, plan_story
from bot.services.hostchecks import HostChecker, read_host_metrics
from bot.services.sample_actions import StoryClock, story_steps
from storage import alerts as alert_store
from storage.claims import claim
from storage.host_samples import HostSample, add_samples
from storage.outbox_admin import discard_unfinished

log = logging.getLogger(__name__)
CLAIM_SCOPE, CLAIM_KEY = "sample-history", "embedded"
SAMPLE_EVERY = timedelta(minutes=15)
DISCARDED = "sample history: past Slack work, not sent"


@dataclass(frozen=True)
class Seeded:
    """What the sample history holds, and how long telling it took."""

    firings: int
    incidents: int
    tickets: int
    samples: int
    discarded_jobs: int
    seconds: float

    def describe(self) -> str:
        return (
            f"sample history: {self.firings} alert firings, {self.incidents} incidents, {self.tickets} "
            f"tickets and {self.samples} host samples over the past month ({self.seconds:.1f} s; "
            "`opsbot serve --empty` starts without it, delete opsbot-sandbox.db to start over)"
        )


async def seed_once(settings: Settings, *, now: datetime | None = None) -> Seeded | None:
    """Fill a fresh (migrated) database with the sample month ending `now` (default: the real time); None
    when it has alerts already or another start claimed it."""
    began = time.monotonic()
    now = now or system_clock()
    clock = StoryClock(now)
    deps = build_deps(settings, clock=clock)
    try:
        async with deps.db.sessions() as session:
            if await alert_store.any_stored(session):
                return None
        if not await claim(deps.db, scope=CLAIM_SCOPE, key=CLAIM_KEY, now=now):
            return None
        return await _seed(deps, clock, now=now, began=began)
    finally:
        await deps.close()


async def _seed(deps: Deps, clock: StoryClock, *, now: datetime, began: float) -> Seeded:
    story = plan_story(now, deps.settings.file.team.timezone)
    samples = await seed_host_samples(deps, now=now)  # before the tickets measure them
    try:
        await story_steps(deps, story).tell(clock)
    finally:  # a story cut short leaves no past work for the outbox either
        discarded = await discard_unfinished(deps.db, now=now, reason=DISCARDED, created_before=now)
    seeded = Seeded(
        firings=len(story.firings),
        incidents=len(story.incidents),
        tickets=len(story.tickets),
        samples=samples,
        discarded_jobs=discarded,
        seconds=time.monotonic() - began,
    )
    log.info("sample history seeded", extra={"seconds": round(seeded.seconds, 2), "jobs": discarded})
    return seeded


async def seed_host_samples(deps: Deps, *, now: datetime) -> int:
    """cpu, memory and disk of this host every 15 minutes over the host samples' retention (bulk: the host
    checks' own storage, under the name they sample as), disk on every mount they would read."""
    hostname = HostChecker(deps).hostname
    reading = await asyncio.to_thread(read_host_metrics, cpu_seconds=0.0)
    mounts = sorted(reading.disks) or ["/"]
    days = min(35.0, deps.settings.file.host_checks.retention_days)
    rng = random.Random(19)
    rows: list[HostSample] = []
    at = now - timedelta(days=days) + SAMPLE_EVERY
    while at <= now:
        levels = host_levels(at, now=now, days=days, noise=rng.uniform(-1, 1))
        rows.append(HostSample(host=hostname, metric="cpu", value=levels["cpu"], at=at))
        rows.append(HostSample(host=hostname, metric="memory", value=levels["memory"], at=at))
        rows.extend(
            HostSample(host=hostname, metric="disk", key=mount, value=levels["disk"], at=at)
            for mount in mounts
        )
        at += SAMPLE_EVERY
    return await add_samples(deps.db, rows)
