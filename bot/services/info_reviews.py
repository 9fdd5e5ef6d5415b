"""The daily info review: info alerts wait for it instead of a message each; each team's review is claimed
once per scheduled time (with the window since its last review and its post job), then built and posted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.blocks.info_review import render_review, render_text, review_marker
from bot.config import Settings, Team
from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.info_review import (
    InfoReview,
    InfoReviewMode,
    ReviewWindow,
    claim_key,
    review_window,
    summarize,
)
from bot.services import digest_runs
from bot.services.digests import owned
from bot.services.jobs import PostInfoReview, queue
from storage import info_reviews as store
from storage.models import Alert

log = logging.getLogger(__name__)


def reviews_info(settings: Settings) -> bool:
    """Tell whether info alerts wait for a review: mode daily, and digests on with a team to review them.

    Without digests nothing would tell them, so they get a message each as with `mode: per_alert`.
    """
    digests = settings.file.digests
    daily = settings.file.alerts.info_review.mode == InfoReviewMode.DAILY.value
    return daily and digests.enabled


def schedule(settings: Settings, team: Team) -> dict[str, str | int]:
    """The team's review time as APScheduler cron fields (in the team's zone)."""
    default_at = settings.file.alerts.info_review.at
    return settings.file.digests.info_review_schedule(team.info_review_at, default_at=default_at)


@dataclass(frozen=True)
class Requested:
    """What asking for a review did: `claimed` False when that team's review at `end` was claimed before."""

    team: str
    channel: str
    key: str
    claimed: bool

    def describe(self, *, posted: bool = True) -> str:
        until = self.key.removeprefix(f"info:{self.team}:").replace("T", " ")
        what = f"info review for {self.team} until {until}"
        if not self.claimed:
            return f"already posted {what} to #{self.channel}; use --force to post it again"
        return f"{'posted' if posted else 'queued'} {what} to #{self.channel}"


async def request(deps: Deps, chosen: Team, *, end: datetime, force: bool = False) -> Requested:
    """Claim the team's review ending at `end` (its window since the last review) and queue its post, in one
    transaction: exactly once across replicas and restarts, unless `force` posts it again."""
    zone, channel = chosen.timezone, chosen.channels.info
    key, now = claim_key(chosen.handle, end, zone), deps.clock()
    try:
        async with deps.db.transaction() as session:
            previous = await store.previous_window(session, chosen.handle, before=end)
            window = review_window(end=end, zone=zone, previous=previous)
            session.add(_run(deps, chosen, key=key, channel=channel, window=window))
            await session.flush()
            await _queue_post(session, key, channel=channel, now=now)
        claimed = True
    except IntegrityError:
        claimed = force and await _repost(deps, key, channel=channel)
    if claimed:
        deps.wake_outbox()
    log.info("info review requested", extra={"key": key, "claimed": claimed})
    return Requested(chosen.handle, channel, key, claimed)


def _run(deps: Deps, chosen: Team, *, key: str, channel: str, window: ReviewWindow) -> store.InfoReviewRun:
    return store.InfoReviewRun(
        key=key,
        team=chosen.handle,
        channel=channel,
        window_start=window.start,
        window_end=window.end,
        previous_start=window.previous_start,
        claimed_by=digest_runs.owner_name(),
        claimed_at=deps.clock(),
    )


async def _queue_post(session: AsyncSession, key: str, *, channel: str, now: datetime) -> None:
    await queue(
        session,
        PostInfoReview(key=key),
        now=now,
        lane=channel,
        priority=Priority.INFO,
        key=store.job_key(key),
    )


async def _repost(deps: Deps, key: str, *, channel: str) -> bool:
    async with deps.db.transaction() as session:
        await store.reset_for_repost(session, key)
        await _queue_post(session, key, channel=channel, now=deps.clock())
    return True


async def build(deps: Deps, chosen: Team, window: ReviewWindow) -> InfoReview:
    """The team's review of `window`: its info alerts (for the default team, also those of no team)."""
    rows = await store.name_counts(deps.db, window, owned(deps.settings, col(Alert.team), chosen))
    return summarize(rows, team=chosen.handle, zone=chosen.timezone, window=window)


async def post_run(deps: Deps, key: str, *, retried: bool = False) -> None:
    """The outbox job: build the claimed review and post it once (a retry first looks for its message)."""
    run = await store.get_run(deps.db, key)
    if run is None or run.ts is not None:
        return
    # a claimed run may outlive its team: the default team's review then
    review = await build(deps, deps.settings.team_of(run.team), run.window)
    marker = review_marker(run.key, run.runs)
    channel_id, ts = await deps.gateway.post_or_update(
        channel=run.channel,
        channel_id=None,
        ts=None,
        payload=render_review(review, marker=marker),
        marker=marker if retried else None,
    )
    await store.mark_posted(deps.db, run.key, channel_id=channel_id, ts=ts, now=deps.clock())


async def preview(deps: Deps, chosen: Team, *, end: datetime) -> str:
    """The review ending at `end` as terminal text, without claiming or posting anything."""
    async with deps.db.sessions() as session:
        previous = await store.previous_window(session, chosen.handle, before=end)
    window = review_window(end=end, zone=chosen.timezone, previous=previous)
    return render_text(await build(deps, chosen, window))


async def run_now(deps: Deps) -> str:
    """Post the default team's review of everything since its last one now (the sandbox page's button)."""
    found = await request(deps, digest_runs.team(deps, None), end=deps.clock())
    return found.describe(posted=False)


async def run_digest_now(deps: Deps, period: str, *, so_far: bool = False) -> str:
    """The sandbox page's buttons: the weekly or monthly digest (the last complete period, or with `so_far`
    the current one up to now), or (`info`) the info review."""
    if period == "info":
        return await run_now(deps)
    return await digest_runs.run_now(deps, period, so_far=so_far)
