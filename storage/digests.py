"""Digest runs: the once-only claim of a team's period, enqueued with its outbox job, and its progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage import outbox
from storage.db import Database
from storage.models import Alert, Claim
from storage.types import UTCDateTime

CLAIM_SCOPE = "digest"
POST_JOB = "digest.post"
CLAIMED, POSTED = "claimed", "posted"


class DigestRun(SQLModel, table=True):
    """One team's digest for one period; `ts` is set the moment the message is posted (never twice)."""

    __tablename__ = "digest_runs"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)  # weekly:ops:2026-W47
    kind: str = Field(max_length=16)
    team: str = Field(max_length=64)
    period: str = Field(max_length=16)
    day: str = Field(max_length=10)  # a local date inside the period (ISO)
    channel: str = Field(max_length=80)
    status: str = Field(default=CLAIMED, max_length=16)
    claimed_by: str = Field(default="", max_length=128)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    chart_done: bool = False
    runs: int = 1
    # the posted message without its ticks (JSON), re-rendered with the items' states on every tick
    payload: str | None = Field(default=None, sa_column=Column(Text))
    review_done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Covering index for the digests' window scans over alerts (counts by severity, name and group key).
ALERTS_WINDOW_INDEX = Index(
    "ix_alerts_digest_window",
    col(Alert.starts_at),
    col(Alert.severity),
    col(Alert.alertname),
    col(Alert.group_key),
    col(Alert.ends_at),
)


async def claim_and_enqueue(
    db: Database, run: DigestRun, *, now: datetime, priority: int = 40, force: bool = False
) -> bool:
    """Claim the run's key and enqueue its post job in ONE transaction; False when it was claimed before.

    With `force` an already claimed period is posted again (the run is reset and a new job enqueued).
    """
    try:
        async with db.transaction() as session:
            session.add(Claim(scope=CLAIM_SCOPE, key=run.key, claimed_by=run.claimed_by, claimed_at=now))
            session.add(run)
            await session.flush()
            await _enqueue(session, run, now=now, priority=priority)
        return True
    except IntegrityError:
        if not force:
            return False
    async with db.transaction() as session:
        await session.execute(
            update(DigestRun)
            .where(col(DigestRun.key) == run.key)
            .values(status=CLAIMED, ts=None, posted_at=None, chart_done=False, runs=DigestRun.runs + 1)
        )
        await _enqueue(session, run, now=now, priority=priority)
    return True


async def _enqueue(session: AsyncSession, run: DigestRun, *, now: datetime, priority: int) -> None:
    await outbox.enqueue(
        session,
        kind=POST_JOB,
        payload={"key": run.key},
        now=now,
        channel=run.channel,
        priority=priority,
        dedupe_key=f"digest:{run.key}",
    )


async def get_run(db: Database, key: str) -> DigestRun | None:
    """The run claimed under `key`, if any."""
    async with db.sessions() as session:
        found = await session.execute(select(DigestRun).where(col(DigestRun.key) == key))
        return found.scalar_one_or_none()


async def mark_posted(
    db: Database, key: str, *, channel_id: str, ts: str, now: datetime, payload: str | None = None
) -> None:
    """Record the posted message (and what re-renders it) at once, so a retried job never posts it again."""
    async with db.transaction() as session:
        await session.execute(
            update(DigestRun)
            .where(col(DigestRun.key) == key)
            .values(status=POSTED, channel_id=channel_id, ts=ts, posted_at=now, payload=payload)
        )


async def mark_chart_done(db: Database, key: str) -> None:
    async with db.transaction() as session:
        await session.execute(update(DigestRun).where(col(DigestRun.key) == key).values(chart_done=True))


async def lease_job(db: Database, key: str, *, owner: str, now: datetime, lease_seconds: float) -> int | None:
    """Lease the pending post job of one run (for `opsbot digest`); None when a server has it already."""
    return await outbox.lease_pending(db, f"digest:{key}", owner=owner, now=now, lease_seconds=lease_seconds)
