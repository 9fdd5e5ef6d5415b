"""`opsbot digest weekly|monthly [--dry-run] [--team NAME] [--for YYYY-MM-DD] [--force]`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind
from bot.errors import BotError
from bot.services import digest_runs
from storage import digests as store
from storage import outbox

LEASE_SECONDS = 120.0
WAIT_FOR_SERVER_SECONDS = 120.0


async def run_digest_command(settings: Settings, args: argparse.Namespace) -> int:
    """Preview or post one digest; print one clear line about what happened."""
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.secrets.database_url.get_secret_value())
    deps = build_deps(settings)
    deps.open_http()
    try:
        return await _run(deps, args)
    except BotError as error:
        print(f"opsbot: {error}", file=sys.stderr)
        return 2
    finally:
        await deps.close()


async def _run(deps: Deps, args: argparse.Namespace) -> int:
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
            print(f"{kind.value} digest for {chosen.name} {period.label} is claimed and queued (a running "
                  "opsbot posts it); use --force to post it again")  # fmt: skip
        else:
            print(found.describe())
        return 1
    await _post_or_wait(deps, found.key)
    print(found.describe())
    return 0


async def _post_or_wait(deps: Deps, key: str) -> None:
    """Run the claimed post job here, unless a running opsbot leased it first (then wait for it)."""
    owner = f"cli:{digest_runs.owner_name()}"
    job_id = await store.lease_job(deps.db, key, owner=owner, now=deps.clock(), lease_seconds=LEASE_SECONDS)
    if job_id is None:
        await _wait_until_posted(deps, key)
        return
    try:
        await digest_runs.post_run(deps, key)
    except Exception as error:
        # Back to pending: a running opsbot (or the next `opsbot digest`) retries it; the claim stays.
        await outbox.retry_at(deps.db, job_id, owner=owner, due_at=deps.clock(), error=repr(error)[:1000])
        raise
    await outbox.finish(deps.db, job_id, owner=owner, now=deps.clock())


async def _wait_until_posted(deps: Deps, key: str) -> None:
    async with asyncio.timeout(WAIT_FOR_SERVER_SECONDS):
        while True:
            run = await store.get_run(deps.db, key)
            if run is not None and run.ts is not None:
                return
            await asyncio.sleep(0.5)
