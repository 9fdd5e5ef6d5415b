"""`opsbot outbox list [--status failed|pending|overdue|all] [--limit N]` and
`opsbot outbox retry ID [ID ...] | --failed`: see what the outbox could not deliver and send it again."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.services.outbox_health import clip
from storage import outbox_admin
from storage.outbox_admin import JobSummary, NotRetryable, Retried, Selection

HEADERS = ("id", "kind", "lane", "status", "attempts", "due", "last error")
ERROR_COLUMN_CHARS = 80


async def run_outbox_command(settings: Settings, args: argparse.Namespace) -> int:
    """Run `outbox list` or `outbox retry`; problems end with one line on stderr."""
    if args.action == "retry" and bool(args.ids) == bool(args.failed):
        print("opsbot: outbox retry takes job ids or --failed (one of them)", file=sys.stderr)
        return 2
    deps = build_deps(settings)
    try:
        if args.action == "list":
            return await _list(deps, Selection(args.status), limit=args.limit)
        return await _retry(deps, None if args.failed else args.ids)
    except NotRetryable as error:
        print(f"opsbot: nothing retried: {error}", file=sys.stderr)
        return 2
    except DBAPIError as error:
        print(f"opsbot: cannot read the outbox: {str(error.orig).splitlines()[0][:300]}", file=sys.stderr)
        return 1
    finally:
        await deps.close()


async def _list(deps: Deps, which: Selection, *, limit: int) -> int:
    jobs = await outbox_admin.list_jobs(deps.db, which, now=deps.clock(), limit=limit)
    print(render_table(jobs) if jobs else f"no {'' if which is Selection.ALL else which.value + ' '}jobs")
    return 0


async def _retry(deps: Deps, ids: Sequence[int] | None) -> int:
    result = await outbox_admin.retry_jobs(deps.db, ids, now=deps.clock())
    print(render_retried(result))
    return 0


def render_table(jobs: Sequence[JobSummary]) -> str:
    """Jobs as aligned columns, one line each (errors on one line, clipped)."""
    rows = [HEADERS, *(_row(job) for job in jobs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    )


def _row(job: JobSummary) -> tuple[str, ...]:
    error = clip(job.last_error, ERROR_COLUMN_CHARS) or "-"
    return (str(job.id), job.kind, job.lane or "-", job.status, str(job.attempts), _when(job.due_at), error)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%SZ")


def render_retried(result: Retried) -> str:
    """One line per job: retried, or left to the pending job of its key."""
    lines = [
        f"job {job.id} ({job.kind}, lane {job.lane or '-'}) is pending again, due now; {job.attempts} "
        "attempts so far, retried until delivery.give_up_after_hours from now"
        for job in result.retried
    ]
    lines += [
        f"job {job_id} not retried: pending job {holder} of the same key does its work (closed as done)"
        for job_id, holder in sorted(result.superseded.items())
    ]
    return "\n".join(lines) or "no failed jobs to retry"
