"""Wait for opsbot's outbox to have done all the work that is due: the positive signal after which a test
can assert that nothing more was posted (instead of sleeping for a while and hoping)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlmodel import col, select

from storage.db import Database
from storage.models import OutboxJob
from storage.outbox import PENDING, SENDING


async def due_jobs(db: Database, *, now: datetime) -> list[OutboxJob]:
    """Jobs being sent, or pending and already due (timers set for later do not count)."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(OutboxJob).where(
                (col(OutboxJob.status) == SENDING)
                | ((col(OutboxJob.status) == PENDING) & (col(OutboxJob.due_at) <= now))
            )
        )
        return list(rows.scalars().all())


async def wait_until_drained(db: Database, *, now: datetime, within: float = 15.0) -> None:
    """Return once no job due at `now` is left (every post, update and sync it implies has been made)."""
    try:
        async with asyncio.timeout(within):
            while True:
                if not await due_jobs(db, now=now):
                    return
                await asyncio.sleep(0.05)  # a poll of the stored state, not a guess at how long work takes
    except TimeoutError:
        left = [(job.kind, job.status, job.attempts, job.last_error) for job in await due_jobs(db, now=now)]
        raise TimeoutError(f"after {within}s the outbox still has due jobs: {left}") from None
