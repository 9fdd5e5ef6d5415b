"""Wait for opsbot's outbox to have done its work: the positive signal after which a test can assert that
nothing more was posted (instead of sleeping for a while and hoping nothing else arrives)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlmodel import col, select

from storage.db import Database
from storage.models import OutboxJob
from storage.outbox import PENDING, SENDING


async def unfinished_jobs(db: Database, *, due_by: datetime | None = None) -> list[OutboxJob]:
    """Jobs being sent or still pending. With `due_by`, pending ones count only when due by then or when
    they are retries (tried before, waiting out a backoff); timers set for later do not count."""
    waiting = col(OutboxJob.status) == PENDING
    if due_by is not None:
        waiting = waiting & ((col(OutboxJob.due_at) <= due_by) | (col(OutboxJob.attempts) > 0))
    async with db.sessions() as session:
        rows = await session.execute(select(OutboxJob).where((col(OutboxJob.status) == SENDING) | waiting))
        return list(rows.scalars().all())


async def wait_until_drained(db: Database, *, due_by: datetime | None = None, within: float = 15.0) -> None:
    """Return once no job is left, or none due by `due_by` and no retry: every post they imply is made."""
    try:
        async with asyncio.timeout(within):
            while True:
                if not await unfinished_jobs(db, due_by=due_by):
                    return
                await asyncio.sleep(0.05)  # a poll of the stored state, not a guess at how long work takes
    except TimeoutError:
        left = [(j.kind, j.status, j.attempts, j.due_at, j.last_error) for j in await unfinished_jobs(db)]
        raise TimeoutError(f"after {within}s the outbox still has work: {left}") from None
