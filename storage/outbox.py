"""The durable outbox: enqueue (coalescing by key), claim with a lease, complete, retry, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

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
        "kind": kind, "payload": payload, "channel": channel, "dedupe_key": dedupe_key, "status": PENDING,
        "attempts": 0, "due_at": due_at or now, "created_at": now,
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
    in_flight = select(OutboxJob.dedupe_key).where(
        OutboxJob.status == SENDING, OutboxJob.lease_until > now, OutboxJob.dedupe_key.is_not(None)  # type: ignore[union-attr,operator]
    )
    claimable = or_(
        OutboxJob.status == PENDING,
        and_(OutboxJob.status == SENDING, OutboxJob.lease_until <= now),  # type: ignore[operator]
    )
    candidates = (
        select(OutboxJob.id)
        .where(claimable, OutboxJob.due_at <= now)
        .where(or_(OutboxJob.dedupe_key.is_(None), OutboxJob.dedupe_key.not_in(in_flight)))  # type: ignore[union-attr]
        .order_by(OutboxJob.due_at, OutboxJob.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboxJob)
        .where(OutboxJob.id.in_(candidates.scalar_subquery()))  # type: ignore[union-attr]
        .values(status=SENDING, lease_owner=owner, lease_until=now + lease, attempts=OutboxJob.attempts + 1)
        .returning(OutboxJob)
        .execution_options(synchronize_session=False)
    )
    async with db.transaction() as session:
        jobs = list((await session.execute(statement)).scalars())
    return sorted(jobs, key=lambda job: (job.due_at, job.id or 0))


async def finish(db: Database, job_id: int, *, owner: str, now: datetime, failed_with: str | None = None) -> None:
    """Mark a leased job done (or failed for good, keeping the error)."""
    status = FAILED if failed_with else DONE
    async with db.transaction() as session:
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id, OutboxJob.lease_owner == owner)  # type: ignore[arg-type]
            .values(status=status, done_at=now, lease_until=None, last_error=failed_with and failed_with[:1000])
        )


async def retry_at(db: Database, job_id: int, *, owner: str, due_at: datetime, error: str) -> None:
    """Put a leased job back to pending, due again at `due_at`."""
    async with db.transaction() as session:
        result = await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id, OutboxJob.lease_owner == owner)  # type: ignore[arg-type]
            .values(status=PENDING, due_at=due_at, lease_until=None, lease_owner=None, last_error=error[:1000])
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return


async def cancel(session: AsyncSession, *, dedupe_key: str) -> None:
    """Drop the pending job with this key (e.g. an escalation after the alert was acknowledged)."""
    await session.execute(delete(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key, OutboxJob.status == PENDING))  # type: ignore[arg-type]


async def purge_finished(db: Database, *, older_than: datetime) -> int:
    """Delete done jobs older than the cutoff (failed ones stay for inspection)."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(OutboxJob).where(OutboxJob.status == DONE, OutboxJob.done_at < older_than)  # type: ignore[arg-type,operator]
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def counts_by_status(db: Database) -> dict[str, int]:
    """How many jobs are in each state (for tests, health and benchmarks)."""
    from sqlalchemy import func

    async with db.sessions() as session:
        rows = await session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status))
        return {str(status): int(count) for status, count in rows.all()}


def job_ids(jobs: Sequence[OutboxJob]) -> list[int]:
    return [job.id for job in jobs if job.id is not None]
