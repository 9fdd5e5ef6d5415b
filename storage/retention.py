"""Retention deletes: rows past their keeping time go in batches, so none holds the write lock for long."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, inspect, select
from sqlmodel import SQLModel, col

from storage.db import Database
from storage.info_reviews import InfoReviewRun
from storage.models import (
    AlertEpisode,
    AlertEvent,
    AlertGroup,
    AlertGroupEpisode,
    Claim,
    OutboxJob,
    SmsPage,
)
from storage.outbox import DONE, _rowcount

BATCH = 5000  # rows per transaction: a few milliseconds of SQLite's single writer, even on a slow disk


async def prune_outbox(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete done jobs finished before the cutoff; failed ones stay until an operator retries them."""
    where = and_(col(OutboxJob.status) == DONE, col(OutboxJob.done_at) < before)
    return await _delete_in_batches(db, OutboxJob, where, batch=batch)


async def prune_claims(db: Database, *, before: datetime, scopes: Collection[str], batch: int = BATCH) -> int:
    """Delete claims of the given scopes made before the cutoff (other scopes are kept for good)."""
    where = and_(col(Claim.scope).in_(list(scopes)), col(Claim.claimed_at) < before)
    return await _delete_in_batches(db, Claim, where, batch=batch)


async def prune_alert_episodes(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete alert episodes that ended before the cutoff; open ones stay however old."""
    where = and_(col(AlertEpisode.ended_at).is_not(None), col(AlertEpisode.ended_at) < before)
    return await _delete_in_batches(db, AlertEpisode, where, batch=batch)


async def prune_group_episodes(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete group episodes that ended before the cutoff, except the one its group points at."""
    current = exists().where(col(AlertGroup.episode_id) == col(AlertGroupEpisode.id))
    where = and_(
        col(AlertGroupEpisode.ended_at).is_not(None), col(AlertGroupEpisode.ended_at) < before, ~current
    )
    return await _delete_in_batches(db, AlertGroupEpisode, where, batch=batch)


async def prune_alert_events(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete announced group events from before the cutoff; an unannounced one still has a message due."""
    where = and_(col(AlertEvent.announced).is_(True), col(AlertEvent.at) < before)
    return await _delete_in_batches(db, AlertEvent, where, batch=batch)


async def prune_sms_pages(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete SMS page records from before the cutoff (the hourly cap reads only the last hour of them)."""
    return await _delete_in_batches(db, SmsPage, col(SmsPage.created_at) < before, batch=batch)


async def prune_info_reviews(db: Database, *, before: datetime, batch: int = BATCH) -> int:
    """Delete info reviews whose window ended before the cutoff (the next review reads only the latest)."""
    return await _delete_in_batches(db, InfoReviewRun, col(InfoReviewRun.window_end) < before, batch=batch)


async def _delete_in_batches(db: Database, table: type[SQLModel], where: Any, *, batch: int) -> int:
    """Delete the matching rows in id order, one short transaction per batch; return how many went.

    Walking the primary key from the last batch on keeps every batch a short range scan, however many kept
    rows lie behind it. A batch is deleted as its id range with the condition checked again, so a row that
    changed since it was read stays, and no statement carries thousands of parameters.
    """
    key = inspect(table).primary_key[0]
    deleted, after = 0, 0
    while True:
        async with db.transaction() as session:
            found = await session.execute(select(key).where(key > after, where).order_by(key).limit(batch))
            ids = [int(row) for row in found.scalars()]
            if not ids:
                return deleted
            result = await session.execute(delete(table).where(key >= ids[0], key <= ids[-1], where))
        deleted += _rowcount(result)
        if len(ids) < batch:
            return deleted
        after = ids[-1]
