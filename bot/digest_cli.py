"""`opsbot digest weekly|monthly|info [--dry-run] [--team NAME] [--for YYYY-MM-DD] [--force]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind, local_midnight
from bot.errors import BotError, UsageError
from bot.scheduler import info_review_trigger, last_fire_time
from bot.services import digest_runs, info_reviews
from storage import digests as store
from storage import info_reviews as info_store
from storage import outbox

LEASE_SECONDS = 120.0
WAIT_FOR_SERVER_SECONDS = 120.0
REVIEW_LOOKBACK = timedelta(days=31)  # the last info review: a daily one, or whatever `cron` schedules


async def run_digest_command(settings: Settings, args: argparse.Namespace) -> int:
    """Preview or post one digest; print one clear line about what happened."""
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.secrets.database_url.get_secret_value())
    deps = build_deps(settings)
    deps.open_http()
    try:
        return await run_digest(deps, args)
    except BotError as error:
        print(f"opsbot: {error}", file=sys.stderr)
        return 2
    finally:
        await deps.close()


async def run_digest(deps: Deps, args: argparse.Namespace) -> int:
    """Preview or post what `args` ask for on `deps` (its clock decides which period or review is due)."""
    if args.kind == "info":
        return await _run_info_review(deps, args)
    kind = DigestKind(args.kind)
    chosen = digest_runs.team(deps, args.team)
    period = digest_runs.period_for(deps, kind, chosen, for_day=args.for_day)
    if args.dry_run:
        print(await digest_runs.preview(deps, kind, chosen, period), end="")
        return 0
    if deps.settings.secrets.slack_bot_token is None:
        print("opsbot: posting needs SLACK_BOT_TOKEN (or use --dry-run)", file=sys.stderr)
        return 2
    found = await digest_runs.request(deps, kind, chosen, period, force=args.force)
    if not found.claimed:
        run = await store.get_run(deps.db, found.key)
        if run is not None and run.ts is None:
            print(f"{kind.value} digest for {chosen.handle} {period.label} is claimed and queued (a running "
                  "opsbot posts it); use --force to post it again")  # fmt: skip
        else:
            print(found.describe())
        return 1
    await _post_or_wait(deps, found.key)
    print(found.describe())
    return 0


async def _run_info_review(deps: Deps, args: argparse.Namespace) -> int:
    """Preview or post the team's info review of the last scheduled time (or the one on `--for`)."""
    chosen = digest_runs.team(deps, args.team)
    end = _review_end(deps, chosen.handle, args.for_day)
    if args.dry_run:
        print(await info_reviews.preview(deps, chosen, end=end), end="")
        return 0
    if deps.settings.secrets.slack_bot_token is None:
        print("opsbot: posting needs SLACK_BOT_TOKEN (or use --dry-run)", file=sys.stderr)
        return 2
    found = await info_reviews.request(deps, chosen, end=end, force=args.force)
    if not found.claimed:
        print(found.describe())
        return 1
    await _post_or_wait(deps, found.key, post=info_reviews.post_run, lease=info_store.lease_job,
                        posted=_review_posted)  # fmt: skip
    print(found.describe())
    return 0


def _review_end(deps: Deps, handle: str, for_day: date | None) -> datetime:
    """When the review ends: the team's last scheduled time by now, or its first on `for_day` (local)."""
    trigger, now = info_review_trigger(deps, handle), deps.clock()
    if for_day is None:
        fired: datetime | None = last_fire_time(trigger, since=now - REVIEW_LOOKBACK, now=now)
    else:
        fired = trigger.get_next_fire_time(None, local_midnight(for_day, trigger.timezone))
        if fired is not None and fired >= local_midnight(for_day + timedelta(days=1), trigger.timezone):
            fired = None
    if fired is None or fired > now:
        when = f"on {for_day}" if for_day else "in the last 31 days"
        raise UsageError(f"no info review of team {handle} was due {when}")
    return fired


async def _review_posted(deps: Deps, key: str) -> bool:
    run = await info_store.get_run(deps.db, key)
    return run is not None and run.ts is not None


async def _digest_posted(deps: Deps, key: str) -> bool:
    run = await store.get_run(deps.db, key)
    return run is not None and run.ts is not None


async def _post_or_wait(
    deps: Deps,
    key: str,
    *,
    post: Callable[[Deps, str], Awaitable[None]] = digest_runs.post_run,
    lease: Callable[..., Awaitable[int | None]] = store.lease_job,
    posted: Callable[[Deps, str], Awaitable[bool]] = _digest_posted,
) -> None:
    """Run the claimed post job here, unless a running opsbot leased it first (then wait for it)."""
    owner = f"cli:{digest_runs.owner_name()}"
    job_id = await lease(deps.db, key, owner=owner, now=deps.clock(), lease_seconds=LEASE_SECONDS)
    if job_id is None:
        await _wait_until_posted(deps, key, posted)
        return
    try:
        await post(deps, key)
    except Exception as error:
        # Back to pending: a running opsbot (or the next `opsbot digest`) retries it; the claim stays.
        await outbox.retry_at(deps.db, job_id, owner=owner, due_at=deps.clock(), error=repr(error)[:1000])
        raise
    await outbox.finish(deps.db, job_id, owner=owner, now=deps.clock())


async def _wait_until_posted(deps: Deps, key: str, posted: Callable[[Deps, str], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WAIT_FOR_SERVER_SECONDS):
        while True:
            if await posted(deps, key):
                return
            await asyncio.sleep(0.5)
