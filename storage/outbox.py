"""The durable outbox: enqueue (coalescing by key), claim with a lease, complete, retry, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import OutboxJob

PENDING, SENDING, DONE, FAILED = "pending", "sending", "done", "failed"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    channel: str | None = None,
    dedupe_key: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """Add a job in the caller's transaction; a pending job with the same dedupe_key absorbs it."""
    values = {
        "kind": kind,
        "payload": payload,
        "channel": channel,
        "dedupe_key": dedupe_key,
        "status": PENDING,
        "attempts": 0,
        "due_at": due_at or now,
        "created_at": now,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxJob).values(**values)
    statement = statement.on_conflict_do_nothing(
        index_elements=["dedupe_key"], index_where=text("status = 'pending'")
    )
    await session.execute(statement)


async def claim_due(
    db: Database, *, owner: str, now: datetime, limit: int, lease: timedelta
) -> list[OutboxJob]:
    """Lease up to `limit` due jobs for `owner`; a key already in flight elsewhere waits its turn."""
    in_flight = select(col(OutboxJob.dedupe_key)).where(
        col(OutboxJob.status) == SENDING,
        col(OutboxJob.lease_until) > now,
        col(OutboxJob.dedupe_key).is_not(None),
    )
    claimable = or_(
        col(OutboxJob.status) == PENDING,
        and_(col(OutboxJob.status) == SENDING, col(OutboxJob.lease_until) <= now),
    )
    candidates = (
        select(col(OutboxJob.id))
        .where(claimable, col(OutboxJob.due_at) <= now)
        .where(or_(col(OutboxJob.dedupe_key).is_(None), col(OutboxJob.dedupe_key).not_in(in_flight)))
        .order_by(col(OutboxJob.due_at), col(OutboxJob.id))
        .limit(limit)
    )
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboxJob)
        .where(col(OutboxJob.id).in_(candidates.scalar_subquery()))
        .values(status=SENDING, lease_owner=owner, lease_until=now + lease, attempts=OutboxJob.attempts + 1)
        .returning(OutboxJob)
        .execution_options(synchronize_session=False)
    )
    async with db.transaction() as session:
        jobs = list((await session.execute(statement)).scalars())
    return sorted(jobs, key=lambda job: (job.due_at, job.id or 0))


async def finish(
    db: Database, job_id: int, *, owner: str, now: datetime, failed_with: str | None = None
) -> None:
    """Mark a leased job done (or failed for good, keeping the error)."""
    status = FAILED if failed_with else DONE
    async with db.transaction() as session:
        await session.execute(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job_id, col(OutboxJob.lease_owner) == owner)
            .values(
                status=status, done_at=now, lease_until=None, last_error=failed_with and failed_with[:1000]
            )
        )


async def retry_at(db: Database, job_id: int, *, owner: str, due_at: datetime, error: str) -> None:
    """Put a leased job back to pending, due again at `due_at`."""
    async with db.transaction() as session:
        await session.execute(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job_id, col(OutboxJob.lease_owner) == owner)
            .values(
                status=PENDING, due_at=due_at, lease_until=None, lease_owner=None, last_error=error[:1000]
            )
        )


async def cancel(session: AsyncSession, *, dedupe_key: str) -> None:
    """Drop the pending job with this key (e.g. an escalation after the alert was acknowledged)."""
    await session.execute(
        delete(OutboxJob).where(col(OutboxJob.dedupe_key) == dedupe_key, col(OutboxJob.status) == PENDING)
    )


async def purge_finished(db: Database, *, older_than: datetime) -> int:
    """Delete done jobs older than the cutoff (failed ones stay for inspection)."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(OutboxJob).where(col(OutboxJob.status) == DONE, col(OutboxJob.done_at) < older_than)
        )
        return _rowcount(result)


async def counts_by_status(db: Database) -> dict[str, int]:
    """How many jobs are in each state (for tests, health and benchmarks)."""
    from sqlalchemy import func

    async with db.sessions() as session:
        rows = await session.execute(
            select(col(OutboxJob.status), func.count()).group_by(col(OutboxJob.status))
        )
        return {str(status): int(count) for status, count in rows.all()}


def job_ids(jobs: Sequence[OutboxJob]) -> list[int]:
    return [job.id for job in jobs if job.id is not None]


def _rowcount(result: Any) -> int:
    """Rows a DELETE or UPDATE touched (typed loosely by SQLAlchemy)."""
    return int(result.rowcount or 0)
