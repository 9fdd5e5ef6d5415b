"""The items of posted reviews (digest runs): their ticks, owners, carried-over origins and tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.db import Database
from storage.digests import POSTED, DigestRun
from storage.tickets import Ticket
from storage.types import UTCDateTime


class ReviewItem(SQLModel, table=True):
    """One checklist item of a posted digest run; a carried one names the period and run it came from."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("run_key", "item_key", name="uq_review_items_run_item"),)

    id: int | None = Field(default=None, primary_key=True)
    run_key: str = Field(max_length=255)  # digest_runs.key
    team: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    period: str = Field(max_length=16)
    item_key: str = Field(max_length=80)
    title: str = Field(max_length=255)
    position: int
    summary: str = Field(default="", max_length=300)  # the finding's one line, shown when carried
    ticked_by: str | None = Field(default=None, max_length=32)  # a Slack user id
    ticked_name: str | None = Field(default=None, max_length=80)  # their name as Slack sent it
    ticked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    owner: str | None = Field(default=None, max_length=32)  # a Slack user id (planning items)
    carried_since: str | None = Field(default=None, max_length=16)  # the period label it was first open in
    origin_run: str | None = Field(default=None, max_length=255)
    origin_item: str | None = Field(default=None, max_length=80)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def add_items(db: Database, items: Sequence[ReviewItem]) -> None:
    """Store a run's items; those stored before (a retried post job) are left as they are."""
    if not items:
        return
    rows = [item.model_dump(exclude={"id"}) for item in items]
    async with db.transaction() as session:
        statement = _insert(session)(ReviewItem).values(rows)
        await session.execute(statement.on_conflict_do_nothing(index_elements=["run_key", "item_key"]))


async def items_of(db: Database, run_key: str) -> list[ReviewItem]:
    """A run's items in the order the message shows them."""
    async with db.sessions() as session:
        found = await session.execute(
            select(ReviewItem).where(col(ReviewItem.run_key) == run_key).order_by(col(ReviewItem.position))
        )
        return list(found.scalars())


async def previous_run(db: Database, *, team: str, kind: str, before_day: str) -> DigestRun | None:
    """The team's latest review of `kind` posted for a period before `before_day` (an ISO date)."""
    async with db.sessions() as session:
        found = await session.execute(
            select(DigestRun)
            .where(
                col(DigestRun.team) == team,
                col(DigestRun.kind) == kind,
                col(DigestRun.status) == POSTED,
                col(DigestRun.day) < before_day,
            )
            .order_by(col(DigestRun.day).desc())
            .limit(1)
        )
        return found.scalar_one_or_none()


async def open_items(db: Database, run_key: str) -> list[ReviewItem]:
    """A run's items nobody ticked (its own and those carried into it)."""
    return [item for item in await items_of(db, run_key) if item.ticked_at is None]


async def run_of_message(db: Database, *, channel_id: str, ts: str) -> DigestRun | None:
    """The digest run posted as message `ts` in `channel_id`."""
    async with db.sessions() as session:
        found = await session.execute(
            select(DigestRun).where(col(DigestRun.channel_id) == channel_id, col(DigestRun.ts) == ts)
        )
        return found.scalars().first()


async def set_ticks(
    session: AsyncSession,
    run_key: str,
    changes: Mapping[str, bool],
    *,
    user_id: str,
    name: str,
    now: datetime,
) -> None:
    """Tick or untick items, each row on its own: the last write per item wins, other items are untouched."""
    for item_key, ticked in changes.items():
        values: dict[str, Any] = (
            {"ticked_by": user_id[:32], "ticked_name": name[:80], "ticked_at": now}
            if ticked
            else {"ticked_by": None, "ticked_name": None, "ticked_at": None}
        )
        await session.execute(
            update(ReviewItem)
            .where(col(ReviewItem.run_key) == run_key, col(ReviewItem.item_key) == item_key)
            .values(**values)
        )


async def set_owner(session: AsyncSession, run_key: str, item_key: str, owner: str | None) -> None:
    await session.execute(
        update(ReviewItem)
        .where(col(ReviewItem.run_key) == run_key, col(ReviewItem.item_key) == item_key)
        .values(owner=owner[:32] if owner else None)
    )


async def all_ticked(session: AsyncSession, run_key: str) -> bool:
    """True when the run has items and every one is ticked (read in the caller's transaction)."""
    found = await session.execute(
        select(func.count(), func.count(col(ReviewItem.ticked_at))).where(col(ReviewItem.run_key) == run_key)
    )
    total, ticked = found.one()
    return bool(total) and total == ticked


async def mark_done(session: AsyncSession, run_key: str, *, now: datetime) -> bool:
    """Record that the review was done; True only for the first caller (across replicas)."""
    found = await session.execute(
        update(DigestRun)
        .where(col(DigestRun.key) == run_key, col(DigestRun.review_done_at).is_(None))
        .values(review_done_at=now)
        .returning(col(DigestRun.id))
    )
    return found.first() is not None


async def tickets_of(db: Database, ref_prefix: str) -> dict[str, int]:
    """Tickets opened from a run's items, by the rest of their source ref (the item key): the first one."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(col(Ticket.source_ref), col(Ticket.id))
            .where(col(Ticket.source_ref).startswith(ref_prefix, autoescape=True))
            .order_by(col(Ticket.id))
        )
    found: dict[str, int] = {}
    for ref, number in rows.all():
        if ref is not None and number is not None:
            found.setdefault(str(ref).removeprefix(ref_prefix), int(number))
    return found


async def review_tally(
    db: Database, *, team: str, kind: str, first_day: date, last_day: date
) -> tuple[int, int]:
    """(posted, done) of a team's reviews of `kind` for periods starting from `first_day` to `last_day`."""
    async with db.sessions() as session:
        found = await session.execute(
            select(func.count(), func.count(col(DigestRun.review_done_at))).where(
                col(DigestRun.team) == team,
                col(DigestRun.kind) == kind,
                col(DigestRun.status) == POSTED,
                col(DigestRun.day) >= first_day.isoformat(),
                col(DigestRun.day) <= last_day.isoformat(),
            )
        )
        posted, done = found.one()
    return int(posted), int(done)


async def tickets_opened(db: Database, ref_prefix: str, *, start: datetime, end: datetime) -> int:
    """How many tickets opened in [start, end) came from review items whose refs start with `ref_prefix`."""
    async with db.sessions() as session:
        found = await session.execute(
            select(func.count()).where(
                col(Ticket.source_ref).startswith(ref_prefix, autoescape=True),
                col(Ticket.created_at) >= start,
                col(Ticket.created_at) < end,
            )
        )
        return int(found.scalar_one())
