"""The durable outbox: enqueue (coalescing by key), claim with a lease, complete, retry, cancel."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import OutboxJob, OutboxLane

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
    priority: int = 50,
) -> None:
    """Add a job in the caller's transaction; a pending job with the same dedupe_key absorbs it."""
    values = {
        "kind": kind,
        "payload": payload,
        "channel": channel,
        "priority": priority,
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


def _claimable(now: datetime) -> Any:
    """Pending, or leased by a replica whose lease ran out (it died mid-job)."""
    return or_(
        col(OutboxJob.status) == PENDING,
        and_(col(OutboxJob.status) == SENDING, col(OutboxJob.lease_until) <= now),
    )


def _key_free(now: datetime) -> Any:
    """No job with the same key is running elsewhere (a key's jobs run one after the other)."""
    in_flight = select(col(OutboxJob.dedupe_key)).where(
        col(OutboxJob.status) == SENDING,
        col(OutboxJob.lease_until) > now,
        col(OutboxJob.dedupe_key).is_not(None),
    )
    return or_(col(OutboxJob.dedupe_key).is_(None), col(OutboxJob.dedupe_key).not_in(in_flight))


def _lane_free(now: datetime) -> Any:
    """No replica holds the lane (or its holder's lease ran out), and its pace allows a post now."""
    return and_(
        or_(col(OutboxLane.lease_until).is_(None), col(OutboxLane.lease_until) <= now),
        or_(col(OutboxLane.next_post_at).is_(None), col(OutboxLane.next_post_at) <= now),
    )


def _leased(owner: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    return {
        "status": SENDING,
        "lease_owner": owner,
        "lease_until": now + lease,
        "attempts": OutboxJob.attempts + 1,
    }


async def claim_lanes(
    db: Database, *, owner: str, now: datetime, lease: timedelta, limit: int, skip: Collection[str] = ()
) -> list[OutboxJob]:
    """Lease the most urgent due job of up to `limit` lanes, the lanes with the most urgent work first.

    A lane is leased with its job, so across all replicas a lane runs one job at a time, and only once its
    `next_post_at` (its pace, or a 429's Retry-After) has come. `skip` names lanes this replica is running.
    """
    if limit <= 0:
        return []
    async with db.transaction() as session:
        claimed = []
        # Leased in name order: two replicas locking the same lanes never wait on each other in a circle.
        for lane in sorted(await _ready_lanes(session, now=now, skip=skip, limit=limit)):
            if not await _lease_lane(session, lane, owner=owner, now=now, lease=lease):
                continue
            job = await _claim_head(session, lane, owner=owner, now=now, lease=lease)
            if job is None:
                await _release_lane(session, lane, owner=owner, next_post_at=None)
            else:
                claimed.append(job)
    return claimed


async def _ready_lanes(
    session: AsyncSession, *, now: datetime, skip: Collection[str], limit: int
) -> list[str]:
    """Lanes with due work that no replica holds and whose pace allows a post now, most urgent first."""
    statement = (
        select(col(OutboxJob.channel))
        .outerjoin(OutboxLane, col(OutboxLane.name) == col(OutboxJob.channel))
        .where(col(OutboxJob.channel).is_not(None), _claimable(now), col(OutboxJob.due_at) <= now)
        .where(_lane_free(now))
        .group_by(col(OutboxJob.channel))
        .order_by(func.min(OutboxJob.priority), func.min(OutboxJob.due_at))
        .limit(limit + len(skip))
    )
    names = [str(name) for name in (await session.execute(statement)).scalars()]
    return [name for name in names if name not in skip][:limit]


async def _lease_lane(
    session: AsyncSession, lane: str, *, owner: str, now: datetime, lease: timedelta
) -> bool:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(OutboxLane).values(name=lane).on_conflict_do_nothing(index_elements=["name"])
    )
    result = await session.execute(
        update(OutboxLane)
        .where(col(OutboxLane.name) == lane, _lane_free(now))
        .values(lease_owner=owner, lease_until=now + lease)
    )
    return _rowcount(result) == 1


async def _claim_head(
    session: AsyncSession, lane: str, *, owner: str, now: datetime, lease: timedelta
) -> OutboxJob | None:
    head = (
        select(col(OutboxJob.id))
        .where(col(OutboxJob.channel) == lane, _claimable(now), col(OutboxJob.due_at) <= now, _key_free(now))
        .order_by(col(OutboxJob.priority), col(OutboxJob.due_at), col(OutboxJob.id))
        .limit(1)
    )
    statement = (
        update(OutboxJob)
        .where(col(OutboxJob.id) == head.scalar_subquery(), _claimable(now))
        .values(**_leased(owner, now, lease))
        .returning(OutboxJob)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalars().first()


async def _release_lane(
    session: AsyncSession, lane: str, *, owner: str, next_post_at: datetime | None
) -> None:
    await session.execute(
        update(OutboxLane)
        .where(col(OutboxLane.name) == lane, col(OutboxLane.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None, next_post_at=next_post_at)
    )


async def claim_laneless(
    db: Database, *, owner: str, now: datetime, limit: int, lease: timedelta
) -> list[OutboxJob]:
    """Lease up to `limit` due jobs that belong to no lane (they run side by side), most urgent first."""
    if limit <= 0:
        return []
    candidates = (
        select(col(OutboxJob.id))
        .where(
            col(OutboxJob.channel).is_(None), _claimable(now), col(OutboxJob.due_at) <= now, _key_free(now)
        )
        .order_by(col(OutboxJob.priority), col(OutboxJob.due_at), col(OutboxJob.id))
        .limit(limit)
    )
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboxJob)
        .where(col(OutboxJob.id).in_(candidates.scalar_subquery()))
        .values(**_leased(owner, now, lease))
        .returning(OutboxJob)
        .execution_options(synchronize_session=False)
    )
    async with db.transaction() as session:
        jobs = list((await session.execute(statement)).scalars())
    return sorted(jobs, key=lambda job: (job.priority, job.due_at, job.id or 0))


async def renew(db: Database, job: OutboxJob, *, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend a running job's lease (and its lane's); False when another replica has taken it over."""
    async with db.transaction() as session:
        result = await session.execute(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job.id, col(OutboxJob.lease_owner) == owner)
            .where(col(OutboxJob.status) == SENDING)
            .values(lease_until=now + lease)
        )
        if job.channel is not None:
            await session.execute(
                update(OutboxLane)
                .where(col(OutboxLane.name) == job.channel, col(OutboxLane.lease_owner) == owner)
                .values(lease_until=now + lease)
            )
    return _rowcount(result) == 1


async def finish(
    db: Database,
    job_id: int,
    *,
    owner: str,
    now: datetime,
    failed_with: str | None = None,
    lane: str | None = None,
    next_post_at: datetime | None = None,
) -> None:
    """Mark a leased job done (or failed for good, keeping the error); free its lane until `next_post_at`."""
    status = FAILED if failed_with else DONE
    async with db.transaction() as session:
        await session.execute(
            update(OutboxJob)
            .where(col(OutboxJob.id) == job_id, col(OutboxJob.lease_owner) == owner)
            .values(
                status=status, done_at=now, lease_until=None, last_error=failed_with and failed_with[:1000]
            )
        )
        if lane is not None:
            await _release_lane(session, lane, owner=owner, next_post_at=next_post_at)


async def retry_at(
    db: Database,
    job_id: int,
    *,
    owner: str,
    due_at: datetime,
    error: str,
    lane: str | None = None,
    next_post_at: datetime | None = None,
) -> None:
    """Put a leased job back to pending, due again at `due_at`; free its lane until `next_post_at`.

    When a newer job with the same key is already pending, that one does this job's work (a key has one
    pending job): this one is closed as superseded instead of colliding with it.
    """
    async with db.transaction() as session:
        job = await session.get(OutboxJob, job_id)
        if job is not None and job.lease_owner == owner:
            if job.dedupe_key is not None and await _pending_with_key(session, job.dedupe_key):
                job.status, job.done_at, job.lease_until = DONE, due_at, None
                job.last_error = f"superseded by a newer job; last error: {error}"[:1000]
            else:
                job.status, job.due_at, job.lease_until, job.lease_owner = PENDING, due_at, None, None
                job.last_error = error[:1000]
        if lane is not None:
            await _release_lane(session, lane, owner=owner, next_post_at=next_post_at)


async def has_pending(session: AsyncSession, key: str) -> bool:
    """True when a pending job holds `key` (a job queued with it now would be absorbed by that one)."""
    return await _pending_with_key(session, key)


async def _pending_with_key(session: AsyncSession, key: str) -> bool:
    found = await session.execute(
        select(col(OutboxJob.id)).where(col(OutboxJob.dedupe_key) == key, col(OutboxJob.status) == PENDING)
    )
    return found.first() is not None


async def queued_earlier(session: AsyncSession, *, key: str, key_prefix: str) -> datetime | None:
    """While a job whose key starts with `key_prefix`, queued before the running job with `key`, is not
    finished (pending or running): the latest due time among them, else None. A subject's jobs then take
    effect in the order they were queued, even when an earlier one is waiting out a backoff; a job failed for
    good holds nothing up."""
    unfinished = col(OutboxJob.status).in_((PENDING, SENDING))
    mine = select(func.min(OutboxJob.id)).where(col(OutboxJob.dedupe_key) == key, unfinished)
    earlier = select(func.max(OutboxJob.due_at)).where(
        col(OutboxJob.dedupe_key).startswith(key_prefix, autoescape=True),
        unfinished,
        col(OutboxJob.id) < mine.scalar_subquery(),
    )
    due: datetime | None = (await session.execute(earlier)).scalar()
    return due


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


async def lease_pending(
    db: Database, dedupe_key: str, *, owner: str, now: datetime, lease_seconds: float
) -> int | None:
    """Lease the pending job queued under `dedupe_key` for a caller that runs it itself (the digest CLI);
    return its id, or None when there is none pending (a worker has it, or it is done)."""
    statement = (
        update(OutboxJob)
        .where(col(OutboxJob.dedupe_key) == dedupe_key, col(OutboxJob.status) == PENDING)
        .values(**_leased(owner, now, timedelta(seconds=lease_seconds)))
        .returning(col(OutboxJob.id))
        .execution_options(synchronize_session=False)
    )
    async with db.transaction() as session:
        found = (await session.execute(statement)).first()
    return None if found is None or found[0] is None else int(found[0])
