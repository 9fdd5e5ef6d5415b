"""Optimization tickets: the table and its queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, ColumnElement, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.db import Database
from storage.models import utcnow
from storage.types import UTCDateTime


class Ticket(SQLModel, table=True):
    """One ticket; its id is the number people use (`TKT-3`, `/ticket show 3`)."""

    __tablename__ = "tickets"

    id: int | None = Field(default=None, primary_key=True)
    request_key: str | None = Field(default=None, max_length=255, unique=True)
    title: str = Field(max_length=255)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    area: str = Field(max_length=32, index=True)
    # the owning team's handle (bot/config/teams.py); NULL before migration 0017: the default team
    team: str | None = Field(default=None, max_length=40, index=True)
    impact: str = Field(max_length=8)
    effort: str = Field(max_length=8)
    quadrant: str = Field(max_length=32, index=True)
    status: str = Field(default="open", max_length=16, index=True)
    owner: str | None = Field(default=None, max_length=64, index=True)
    created_by: str = Field(max_length=64)
    source_kind: str = Field(default="manual", max_length=16)
    source_ref: str | None = Field(default=None, max_length=255)
    source_link: str | None = Field(default=None, max_length=2000)
    channel_id: str | None = Field(default=None, max_length=32)
    metric: str | None = Field(default=None, max_length=2000)
    baseline_value: float | None = None
    baseline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    after_value: float | None = None
    after_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    after_final: bool = False
    measure_error: str | None = Field(default=None, max_length=500)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    dropped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def insert(session: AsyncSession, ticket: Ticket) -> Ticket:
    """Add a ticket in the caller's transaction and return it with its number."""
    session.add(ticket)
    await session.flush()
    return ticket


async def by_request_key(db: Database, key: str) -> Ticket | None:
    async with db.sessions() as session:
        found = await session.execute(select(Ticket).where(col(Ticket.request_key) == key))
        return found.scalar_one_or_none()


async def get(db: Database, number: int) -> Ticket | None:
    async with db.sessions() as session:
        return await session.get(Ticket, number)


async def lock(session: AsyncSession, number: int) -> Ticket | None:
    """Load a ticket for changing it (row-locked on PostgreSQL)."""
    statement = select(Ticket).where(col(Ticket.id) == number).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def listing(
    db: Database,
    *,
    statuses: Sequence[str],
    quadrant: str | None = None,
    owner: str | None = None,
    area: str | None = None,
    team: ColumnElement[bool] | None = None,
    limit: int = 50,
) -> list[Ticket]:
    """Tickets matching every given condition, newest first; `team` picks a team's rows (services.teams)."""
    statement = select(Ticket).where(col(Ticket.status).in_(list(statuses)))
    if team is not None:
        statement = statement.where(team)
    if quadrant is not None:
        statement = statement.where(col(Ticket.quadrant) == quadrant)
    if owner is not None:
        statement = statement.where(col(Ticket.owner) == owner)
    if area is not None:
        statement = statement.where(col(Ticket.area) == area)
    statement = statement.order_by(col(Ticket.id).desc()).limit(limit)
    async with db.sessions() as session:
        return list((await session.execute(statement)).scalars())


async def quadrant_counts(
    db: Database, *, statuses: Sequence[str], team: ColumnElement[bool] | None = None
) -> dict[str, int]:
    """How many tickets of these statuses (of one team, given its condition) sit in each quadrant."""
    statement = select(col(Ticket.quadrant), func.count()).where(col(Ticket.status).in_(list(statuses)))
    if team is not None:
        statement = statement.where(team)
    statement = statement.group_by(col(Ticket.quadrant))
    async with db.sessions() as session:
        rows = (await session.execute(statement)).all()
    return {str(name): int(count) for name, count in rows}


async def done_between(
    db: Database,
    *,
    start: datetime,
    end: datetime,
    team: ColumnElement[bool] | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """Tickets done in [start, end) (of one team, given its condition), newest first (the registry)."""
    statement = select(Ticket).where(
        col(Ticket.status) == "done", col(Ticket.done_at) >= start, col(Ticket.done_at) < end
    )
    if team is not None:
        statement = statement.where(team)
    statement = statement.order_by(col(Ticket.done_at).desc(), col(Ticket.id).desc()).limit(limit)
    async with db.sessions() as session:
        return list((await session.execute(statement)).scalars())


async def for_action_items(db: Database, incident_id: int) -> dict[int, int]:
    """Tickets opened from an incident's action items: {action item id: ticket number} (the first one)."""
    prefix = f"{incident_id}/"
    async with db.sessions() as session:
        rows = await session.execute(
            select(col(Ticket.id), col(Ticket.source_ref))
            .where(col(Ticket.source_kind) == "incident", col(Ticket.source_ref).startswith(prefix))
            .order_by(col(Ticket.id).desc())
        )
    found: dict[int, int] = {}
    for number, ref in rows.all():
        item = str(ref).removeprefix(prefix)
        if item.isdigit() and number is not None:
            found[int(item)] = int(number)
    return found
