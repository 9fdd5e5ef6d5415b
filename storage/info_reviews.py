"""Info reviews: each team's claimed review (its window stored at the claim), and its counts by alert name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Index, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from bot.domain.info_review import INFO, NameCounts, ReviewWindow
from storage import outbox
from storage.db import Database
from storage.digest_queries import at, rows_of
from storage.models import Alert, AlertEpisode
from storage.types import UTCDateTime

POST_JOB = "info_review.post"
CLAIMED, POSTED = "claimed", "posted"


class InfoReviewRun(SQLModel, table=True):
    """One team's info review, claimed once under `key` with its window; `ts` is set once it is posted."""

    __tablename__ = "info_reviews"
    __table_args__ = (Index("ix_info_reviews_team_end", "team", "window_end"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)  # info:ops:2026-11-16T09:30:00
    team: str = Field(max_length=64)
    channel: str = Field(max_length=80)
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    previous_start: datetime = Field(
        sa_type=UTCDateTime
    )  # the trend's window: [previous_start, window_start)
    status: str = Field(default=CLAIMED, max_length=16)
    claimed_by: str = Field(default="", max_length=128)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    runs: int = 1

    @property
    def window(self) -> ReviewWindow:
        return ReviewWindow(self.window_start, self.window_end, self.previous_start)


def job_key(key: str) -> str:
    """The post job's dedupe key."""
    return f"info-review:{key}"


async def previous_window(session: AsyncSession, team: str, *, before: datetime) -> ReviewWindow | None:
    """The window of the team's latest review that ended before `before` (None for its first)."""
    found = await session.execute(
        select(InfoReviewRun)
        .where(col(InfoReviewRun.team) == team, col(InfoReviewRun.window_end) < before)
        .order_by(col(InfoReviewRun.window_end).desc())
        .limit(1)
    )
    run = found.scalar_one_or_none()
    return None if run is None else run.window


async def reset_for_repost(session: AsyncSession, key: str) -> None:
    """Post a claimed review again (`--force`): its window stays, its message is forgotten."""
    await session.execute(
        update(InfoReviewRun)
        .where(col(InfoReviewRun.key) == key)
        .values(status=CLAIMED, ts=None, posted_at=None, runs=InfoReviewRun.runs + 1)
    )


async def get_run(db: Database, key: str) -> InfoReviewRun | None:
    """The review claimed under `key`, if any."""
    async with db.sessions() as session:
        found = await session.execute(select(InfoReviewRun).where(col(InfoReviewRun.key) == key))
        return found.scalar_one_or_none()


async def mark_posted(db: Database, key: str, *, channel_id: str, ts: str, now: datetime) -> None:
    """Record the posted message at once, so a retried job never posts it again."""
    async with db.transaction() as session:
        await session.execute(
            update(InfoReviewRun)
            .where(col(InfoReviewRun.key) == key)
            .values(status=POSTED, channel_id=channel_id, ts=ts, posted_at=now)
        )


async def lease_job(db: Database, key: str, *, owner: str, now: datetime, lease_seconds: float) -> int | None:
    """Lease the pending post job of one review (for `opsbot digest info`); None when a server has it."""
    return await outbox.lease_pending(db, job_key(key), owner=owner, now=now, lease_seconds=lease_seconds)


async def name_counts(
    db: Database, window: ReviewWindow, owned: ColumnElement[bool] | None
) -> list[NameCounts]:
    """The team's info firings (`owned`: a condition on `alerts`, None for all) by alert name: begun in the
    window (when opsbot heard them, so consecutive reviews count each once however late a source reports),
    ended in it, firing at its end, begun in the window before."""
    received, ended = col(AlertEpisode.received_at), col(AlertEpisode.ended_at)
    start, end, before = at(window.start), at(window.end), at(window.previous_start)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    still_firing = or_(ended.is_(None), ended >= end)
    statement = (
        select(
            col(AlertEpisode.alertname),
            count(received >= start),
            count(and_(ended >= start, ended < end)),
            count(still_firing),
            count(and_(received >= before, received < start)),
        )
        .where(
            col(AlertEpisode.severity) == INFO,
            received < end,
            or_(received >= before, still_firing, ended >= start),
            *([] if owned is None else [col(AlertEpisode.alert_id).in_(select(col(Alert.id)).where(owned))]),
        )
        .group_by(col(AlertEpisode.alertname))
    )
    rows = await rows_of(db, statement)
    return [
        NameCounts(str(name), int(f or 0), int(r or 0), int(s or 0), int(b or 0)) for name, f, r, s, b in rows
    ]
