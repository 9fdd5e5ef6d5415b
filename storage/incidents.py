"""Incidents and their timelines: the tables and their queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Text, UniqueConstraint, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from storage.db import Database
from storage.models import utcnow
from storage.types import UTCDateTime


class Incident(SQLModel, table=True):
    """One incident; its id is the number people use (`INC-12`, `/incident status 12`)."""

    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    request_key: str | None = Field(default=None, max_length=255, unique=True)
    title: str = Field(max_length=255)
    level: int
    status: str = Field(default="open", max_length=16, index=True)
    service: str = Field(default="", max_length=255)
    # the owning team's handle (bot/config/teams.py); NULL before migration 0017: the default team
    team: str | None = Field(default=None, max_length=40, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    declared_by: str = Field(max_length=64)
    declared_at: datetime = Field(index=True, sa_type=UTCDateTime)
    acked_by: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    respond_due_at: datetime = Field(sa_type=UTCDateTime)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_update_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    commander: str | None = Field(default=None, max_length=64)
    comms: str | None = Field(default=None, max_length=64)
    scribe: str | None = Field(default=None, max_length=64)
    channel_id: str | None = Field(default=None, max_length=32, index=True)
    channel_name: str | None = Field(default=None, max_length=80)
    header_channel_id: str | None = Field(default=None, max_length=32)
    header_ts: str | None = Field(default=None, max_length=32)
    checklist_ts: str | None = Field(default=None, max_length=32)
    announcements: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    invited: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    alert_group_id: int | None = Field(default=None, index=True)
    alert_link: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IncidentEvent(SQLModel, table=True):
    """A timeline entry: a state change, update, role change, command, or a :pushpin:'d message."""

    __tablename__ = "incident_events"
    __table_args__ = (UniqueConstraint("incident_id", "slack_ts", name="uq_incident_events_slack_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    kind: str = Field(max_length=32)
    actor: str | None = Field(default=None, max_length=64)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    slack_ts: str | None = Field(default=None, max_length=32)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)


async def insert(session: AsyncSession, incident: Incident) -> Incident:
    """Add an incident in the caller's transaction and return it with its number."""
    session.add(incident)
    await session.flush()
    return incident


async def by_request_key(db: Database, key: str) -> Incident | None:
    async with db.sessions() as session:
        found = await session.execute(select(Incident).where(col(Incident.request_key) == key))
        return found.scalar_one_or_none()


async def get(db: Database, number: int) -> Incident | None:
    async with db.sessions() as session:
        return await session.get(Incident, number)


async def lock(session: AsyncSession, number: int) -> Incident | None:
    """Load an incident for changing it (row-locked on PostgreSQL)."""
    statement = select(Incident).where(col(Incident.id) == number).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def by_slack_place(db: Database, *, channel_id: str, thread_ts: str | None = None) -> Incident | None:
    """The incident whose own channel this is, or whose header message starts this thread."""
    conditions = [col(Incident.channel_id) == channel_id]
    if thread_ts:
        conditions.append(
            (col(Incident.header_channel_id) == channel_id) & (col(Incident.header_ts) == thread_ts)
        )
    statement = select(Incident).where(or_(*conditions)).order_by(col(Incident.id).desc()).limit(1)
    async with db.sessions() as session:
        return (await session.execute(statement)).scalar_one_or_none()


async def add_event(
    session: AsyncSession,
    incident_id: int,
    kind: str,
    *,
    at: datetime,
    actor: str | None = None,
    text: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a timeline entry in the caller's transaction."""
    session.add(
        IncidentEvent(incident_id=incident_id, kind=kind, actor=actor, text=text, detail=detail or {}, at=at)
    )


async def add_pinned_message(
    db: Database, incident_id: int, *, slack_ts: str, at: datetime, actor: str, text: str
) -> bool:
    """Record a :pushpin:'d message once; False when it is in the timeline already."""
    try:
        async with db.transaction() as session:
            session.add(
                IncidentEvent(
                    incident_id=incident_id,
                    kind="pinned",
                    actor=actor,
                    text=text,
                    slack_ts=slack_ts,
                    at=at,
                )
            )
    except IntegrityError:
        return False
    return True


async def events(db: Database, incident_id: int) -> list[IncidentEvent]:
    """The incident's timeline, oldest first."""
    statement = (
        select(IncidentEvent)
        .where(col(IncidentEvent.incident_id) == incident_id)
        .order_by(col(IncidentEvent.at), col(IncidentEvent.id))
    )
    async with db.sessions() as session:
        return list((await session.execute(statement)).scalars())


async def listing(
    db: Database, *, open_only: bool, limit: int = 50, where: ColumnElement[bool] | None = None
) -> list[Incident]:
    """Newest incidents first; only unresolved ones when `open_only`, only those `where` picks (e.g. a
    team's, bot.services.teams.rows_of) when given."""
    statement = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
    if open_only:
        statement = statement.where(col(Incident.status) != "resolved")
    if where is not None:
        statement = statement.where(where)
    async with db.sessions() as session:
        return list((await session.execute(statement)).scalars())


async def declared_between(
    db: Database, *, start: datetime, end: datetime, where: ColumnElement[bool] | None = None
) -> list[Incident]:
    """Incidents declared in [start, end), oldest first (for digests); only those `where` picks when given."""
    statement = (
        select(Incident)
        .where(col(Incident.declared_at) >= start, col(Incident.declared_at) < end)
        .order_by(col(Incident.declared_at))
    )
    if where is not None:
        statement = statement.where(where)
    async with db.sessions() as session:
        return list((await session.execute(statement)).scalars())
