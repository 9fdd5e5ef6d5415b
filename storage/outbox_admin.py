"""The outbox as an operator sees it: health for /healthz and /metrics, listing, and putting jobs back.

Kept apart from storage/outbox.py, which holds the worker's hot path (enqueue, claim, finish, retry).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.delivery import OVERDUE_AFTER
from storage.db import Database
from storage.models import OutboxJob
from storage.outbox import DONE, FAILED, PENDING, SENDING


@dataclass(frozen=True)
class JobSummary:
    """One job as an operator sees it (in /healthz and `opsbot outbox list`)."""

    id: int
    kind: str
    lane: str | None
    status: str
    attempts: int
    due_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class OutboxHealth:
    """The outbox at a glance: jobs per status, pending jobs past due, and a few of each trouble by name."""

    counts: Mapping[str, int]
    overdue: int
    oldest_overdue_due_at: datetime | None
    failed_examples: tuple[JobSummary, ...] = ()
    overdue_examples: tuple[JobSummary, ...] = ()

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def troubled(self) -> bool:
        """Jobs were given up or are stuck: something will not reach Slack unless someone looks."""
        return self.count(FAILED) > 0 or self.overdue > 0


def _overdue(now: datetime, after: timedelta) -> Any:
    return and_(col(OutboxJob.status) == PENDING, col(OutboxJob.due_at) < now - after)


async def read_health(
    db: Database, *, now: datetime, overdue_after: timedelta = OVERDUE_AFTER, examples: int = 0
) -> OutboxHealth:
    """Count jobs per status and pending jobs past due (two aggregates on the status/due_at index, cheap
    enough for every scrape); with `examples`, also name up to that many failed and overdue jobs."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(col(OutboxJob.status), func.count()).group_by(col(OutboxJob.status))
        )
        counts = {str(status): int(count) for status, count in rows.all()}
        late = await session.execute(
            select(func.count(), func.min(col(OutboxJob.due_at))).where(_overdue(now, overdue_after))
        )
        overdue, oldest = late.one()
        failed = examples if counts.get(FAILED) else 0
        return OutboxHealth(
            counts=counts,
            overdue=int(overdue),
            oldest_overdue_due_at=oldest,
            failed_examples=await _summaries(session, col(OutboxJob.status) == FAILED, limit=failed),
            overdue_examples=await _summaries(
                session, _overdue(now, overdue_after), limit=examples if overdue else 0, oldest_first=True
            ),
        )


class Selection(StrEnum):
    """Which jobs `opsbot outbox list` shows."""

    FAILED = "failed"
    PENDING = "pending"
    OVERDUE = "overdue"
    ALL = "all"


async def list_jobs(
    db: Database, which: Selection, *, now: datetime, limit: int, overdue_after: timedelta = OVERDUE_AFTER
) -> list[JobSummary]:
    """Jobs of one selection: waiting ones in the order they fall due, the others newest first."""
    where = {
        Selection.FAILED: col(OutboxJob.status) == FAILED,
        Selection.PENDING: col(OutboxJob.status) == PENDING,
        Selection.OVERDUE: _overdue(now, overdue_after),
        Selection.ALL: true(),
    }[which]
    oldest_first = which in (Selection.PENDING, Selection.OVERDUE)
    async with db.sessions() as session:
        return list(await _summaries(session, where, limit=limit, oldest_first=oldest_first))


async def _summaries(
    session: AsyncSession, where: Any, *, limit: int, oldest_first: bool = False
) -> tuple[JobSummary, ...]:
    if limit <= 0:
        return ()
    order = (col(OutboxJob.due_at), col(OutboxJob.id)) if oldest_first else (col(OutboxJob.id).desc(),)
    rows = await session.execute(select(OutboxJob).where(where).order_by(*order).limit(limit))
    return tuple(_summary(job) for job in rows.scalars())


def _summary(job: OutboxJob) -> JobSummary:
    assert job.id is not None
    return JobSummary(
        id=job.id,
        kind=job.kind,
        lane=job.channel,
        status=job.status,
        attempts=job.attempts,
        due_at=job.due_at,
        last_error=job.last_error,
    )


class NotRetryable(LookupError):
    """Some jobs named for a retry do not exist, are done or are being sent: nothing was changed."""

    def __init__(self, problems: Mapping[int, str]) -> None:
        self.problems = dict(sorted(problems.items()))
        super().__init__("; ".join(f"job {job_id}: {why}" for job_id, why in self.problems.items()))


@dataclass(frozen=True)
class Retried:
    """What a retry did: jobs now pending and due, and jobs left to a pending job of the same key."""

    retried: tuple[JobSummary, ...]
    superseded: Mapping[int, int]  # job id -> id of the pending job of its key, which does its work


async def retry_jobs(db: Database, job_ids: Collection[int] | None, *, now: datetime) -> Retried:
    """Put failed (or stuck pending) jobs back to pending, due now, their attempts kept; `None` means every
    failed job. All or nothing: an unknown, done or running job raises NotRetryable.

    `created_at` becomes `now`: the worker gives a job up `delivery.give_up_after_hours` after it, so the
    retried job gets the whole horizon again instead of failing for good on its next error.
    """
    async with db.transaction() as session:
        jobs = await _jobs_to_retry(session, job_ids)
        holders = await _pending_holders(session, {job.dedupe_key for job in jobs if job.dedupe_key})
        retried, superseded = [], {}
        for job in sorted(jobs, key=lambda job: -(job.id or 0)):  # the newest of a key is the one kept
            assert job.id is not None
            holder = holders.get(job.dedupe_key or "")
            if job.status == FAILED and holder is not None:
                superseded[job.id] = holder
                await _close_superseded(session, job, by=holder, now=now)
                continue
            await _reopen(session, job, now=now)
            retried.append(replace(_summary(job), status=PENDING, due_at=now))
            if job.dedupe_key:
                holders[job.dedupe_key] = job.id
    return Retried(retried=tuple(sorted(retried, key=lambda job: job.id)), superseded=superseded)


async def _jobs_to_retry(session: AsyncSession, job_ids: Collection[int] | None) -> list[OutboxJob]:
    """Load (and on PostgreSQL lock) the jobs to retry; raise NotRetryable naming any that cannot be."""
    where = col(OutboxJob.status) == FAILED if job_ids is None else col(OutboxJob.id).in_(list(job_ids))
    found = list((await session.execute(select(OutboxJob).where(where).with_for_update())).scalars())
    problems = {job_id: "no such job" for job_id in set(job_ids or ()) - {job.id for job in found}}
    for job in found:
        if job.status == DONE:
            problems[job.id or 0] = "done; nothing to retry"
        elif job.status == SENDING:
            problems[job.id or 0] = f"being sent by {job.lease_owner} (lease until {job.lease_until})"
    if problems:
        raise NotRetryable(problems)
    return found


async def _pending_holders(session: AsyncSession, keys: set[str]) -> dict[str, int]:
    """The pending job holding each key (a key has at most one pending job)."""
    if not keys:
        return {}
    rows = await session.execute(
        select(col(OutboxJob.dedupe_key), col(OutboxJob.id)).where(
            col(OutboxJob.status) == PENDING, col(OutboxJob.dedupe_key).in_(keys)
        )
    )
    return {str(key): job_id for key, job_id in rows.all() if job_id is not None}


async def _reopen(session: AsyncSession, job: OutboxJob, *, now: datetime) -> None:
    values = {"status": PENDING, "due_at": now, "created_at": now, "done_at": None}
    await _guarded_update(session, job, {**values, "lease_owner": None, "lease_until": None})


async def _close_superseded(session: AsyncSession, job: OutboxJob, *, by: int, now: datetime) -> None:
    error = f"superseded by pending job {by} of the same key; last error: {job.last_error}"[:1000]
    await _guarded_update(session, job, {"status": DONE, "done_at": now, "last_error": error})


async def _guarded_update(session: AsyncSession, job: OutboxJob, values: dict[str, Any]) -> None:
    """Change a job only if it is still failed or pending (a worker may have claimed it meanwhile)."""
    result = await session.execute(
        update(OutboxJob)
        .where(col(OutboxJob.id) == job.id, col(OutboxJob.status).in_((FAILED, PENDING)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise NotRetryable({job.id or 0: "claimed by a worker meanwhile; try again"})


async def discard_unfinished(db: Database, *, now: datetime, reason: str, created_before: datetime) -> int:
    """Close every job queued before `created_before` and not done yet as done without running it, `reason`
    kept as its last error; return how many. For work nobody should see: the sandbox's sample history
    queues posts of a past month (while the page's own, newer work waits for the outbox to start)."""
    statement = (
        update(OutboxJob)
        .where(
            col(OutboxJob.status).in_((PENDING, SENDING, FAILED)), col(OutboxJob.created_at) < created_before
        )
        .values(status=DONE, done_at=now, lease_owner=None, lease_until=None, last_error=reason[:1000])
    )
    async with db.transaction() as session:
        result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
