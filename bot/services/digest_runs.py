"""Digest runs: claim a team's period once (with its outbox job), post it, preview it, run it now, or post
the current period so far."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import date

from bot import digest_charts
from bot.blocks.digests import digest_marker, render_digest, render_text
from bot.blocks.review_checklist import apply_states
from bot.config import Team
from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.digest_periods import (
    DigestKind,
    Period,
    claim_key,
    period_containing,
    period_reported_at,
    period_so_far,
)
from bot.domain.digests import MonthlyDigest, WeeklyDigest
from bot.services import digests, review_checklist, teams
from storage import digests as store

log = logging.getLogger(__name__)
POST_JOB = store.POST_JOB


@dataclass(frozen=True)
class Requested:
    """What asking for a digest did: `claimed` False when that period was claimed before."""

    kind: DigestKind
    team: Team
    period: Period
    key: str
    claimed: bool

    def describe(self, *, posted: bool = True) -> str:
        what = f"{self.kind.value} digest for {self.team.handle} {self.period.label}"
        channel = self.team.channels.review
        if not self.claimed:
            return f"already posted {what} to #{channel}; use --force to post it again"
        return f"{'posted' if posted else 'queued'} {what} to #{channel}"


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def team(deps: Deps, handle: str | None) -> Team:
    """The configured team by handle (the default team when none is given); a UsageError listing the teams."""
    return teams.named(deps.settings, handle)


def period_for(deps: Deps, kind: DigestKind, chosen: Team, *, for_day: date | None = None) -> Period:
    """The period containing `for_day`, else the last complete one in the team's zone."""
    zone = chosen.timezone
    if for_day is not None:
        return period_containing(kind, for_day, zone)
    return period_reported_at(kind, deps.clock(), zone)


async def request(
    deps: Deps, kind: DigestKind, chosen: Team, period: Period, *, force: bool = False
) -> Requested:
    """Claim the team's period and enqueue its post in one transaction (exactly once unless `force`)."""
    key = claim_key(kind, chosen.handle, period)
    run = store.DigestRun(
        key=key,
        kind=kind.value,
        team=chosen.handle,
        period=period.label,
        day=period.first_day.isoformat(),
        channel=chosen.channels.review,
        claimed_by=owner_name(),
        claimed_at=deps.clock(),
    )
    claimed = await store.claim_and_enqueue(
        deps.db, run, now=deps.clock(), priority=Priority.DIGEST, force=force
    )
    if claimed:
        deps.wake_outbox()
    log.info("digest requested", extra={"key": key, "claimed": claimed})
    return Requested(kind, chosen, period, key, claimed)


async def scheduled(deps: Deps, kind: str, handle: str) -> Requested:
    """The scheduler's call: claim the period that ended before now (a second replica gets False)."""
    chosen = team(deps, handle)
    digest_kind = DigestKind(kind)
    return await request(deps, digest_kind, chosen, period_for(deps, digest_kind, chosen))


async def post_run(deps: Deps, key: str, *, retried: bool = False) -> None:
    """The outbox job: build the digest and post it, then its chart in the thread (each step once).

    A crash between posting and storing the ts must not post twice: a retried job first looks for the
    message by its header's block_id (unique per run, so `--force` still posts anew). The run's checklist
    items are stored first (once), so the message shows them with any ticks they carry.
    """
    run = await store.get_run(deps.db, key)
    if run is None:
        return
    chosen = deps.settings.team_of(run.team)  # a claimed run may outlive its team: the default team's then
    period = period_containing(DigestKind(run.kind), date.fromisoformat(run.day), chosen.timezone)
    digest = await digests.build(deps, chosen, period)
    channel_id, ts = run.channel_id, run.ts
    if ts is None:
        marker = digest_marker(run.key, run.runs)
        items = await review_checklist.materialize(deps, run, digest)
        carried = [item for item in items if item.carried_since is not None]
        base = render_digest(digest, marker=marker, run_key=run.key, carried=carried)
        channel_id, ts = await deps.gateway.post_or_update(
            channel=run.channel,
            channel_id=None,
            ts=None,
            payload=apply_states(base, items, zone=chosen.timezone),
            marker=marker if retried else None,
        )
        await store.mark_posted(
            deps.db, run.key, channel_id=channel_id, ts=ts, now=deps.clock(), payload=json.dumps(base)
        )
    if not run.chart_done and channel_id is not None:
        await _post_chart(
            deps, digest, channel_id=channel_id, ts=ts, name=f"{run.kind}-{run.team}-{run.period}"
        )
        await store.mark_chart_done(deps.db, run.key)


async def _post_chart(
    deps: Deps, digest: WeeklyDigest | MonthlyDigest, *, channel_id: str, ts: str, name: str
) -> None:
    png, period = await asyncio.to_thread(_chart, digest), digest.period
    so_far = " so far" if period.so_far else ""
    await deps.slack.files_upload_v2(
        channel=channel_id,
        thread_ts=ts,
        content=png,
        filename=f"digest-{name}.png",
        title=f"{period.kind.title()} digest {period.label}{so_far}: firings by severity",
    )


def _chart(digest: WeeklyDigest | MonthlyDigest) -> bytes:
    title = f"{digest.team} · {digest.period.describe()}"
    if isinstance(digest, WeeklyDigest):
        return digest_charts.alerts_by_severity(
            digest.per_day, title=f"Firings per day · {title}", period=digest.period
        )
    return digest_charts.monthly_overview(
        digest.per_week_alerts, digest.per_week_incidents, digest.kpi_weeks, title=title, period=digest.period
    )


async def preview(deps: Deps, kind: DigestKind, chosen: Team, period: Period) -> str:
    """The digest as terminal text, with the items it would carry over, without claiming or posting
    anything."""
    digest = await digests.build(deps, chosen, period)
    return render_text(digest, carried=await review_checklist.would_carry(deps, chosen, period))


async def run_now(deps: Deps, kind: str, *, so_far: bool = False) -> str:
    """Post the last complete period's digest for the default team now (the sandbox page's button), or
    with `so_far` the current period's up to now."""
    digest_kind = DigestKind(kind)
    if so_far:
        return await post_so_far(deps, digest_kind, team(deps, None))
    chosen = team(deps, None)
    found = await request(deps, digest_kind, chosen, period_for(deps, digest_kind, chosen), force=True)
    return found.describe(posted=False)


async def post_so_far(deps: Deps, kind: DigestKind, chosen: Team) -> str:
    """Post the digest of the period containing now, up to now, with its chart: a preview that claims
    nothing, so the period's real digest still posts once when the period is over."""
    period = period_so_far(kind, deps.clock(), chosen.timezone)
    digest = await digests.build(deps, chosen, period)
    channel = chosen.channels.review
    channel_id, ts = await deps.gateway.post_or_update(
        channel=channel, channel_id=None, ts=None, payload=render_digest(digest)
    )
    await _post_chart(deps, digest, channel_id=channel_id, ts=ts, name=f"{kind.value}-{chosen.handle}-so-far")
    log.info(
        "digest so far posted", extra={"kind": kind.value, "team": chosen.handle, "period": period.label}
    )
    return f"posted {kind.value} digest for {chosen.handle} {period.describe()} to #{channel}"
