"""SMS pages: the record that sends each page once, and the count behind the per-person hourly cap.

A slot is taken by inserting the page's row (status `sending`) while the person is locked, so replicas
texting the same person at once count each other: on PostgreSQL an advisory lock per person, on SQLite
the insert itself (one writer at a time, and the count follows it in the same transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import SmsPage

SENDING, SENT, CAPPED, NO_NUMBER = "sending", "sent", "capped", "no_number"
REFUSED, CANCELLED = "refused", "cancelled"  # by Twilio; by an acknowledgement before it went out
COUNTED = (SENDING, SENT)  # what uses up a person's hourly SMS: sent, or on its way


def page_key(group_id: int, episode_id: int, page: str, user_id: str) -> str:
    return f"{group_id}:{episode_id}:{page}:{user_id}"


async def find(db: Database, key: str) -> SmsPage | None:
    async with db.sessions() as session:
        return (
            await session.execute(select(SmsPage).where(col(SmsPage.page_key) == key))
        ).scalar_one_or_none()


async def recipient(db: Database, *, group_id: int, episode_id: int, page: str) -> str | None:
    """The person an earlier try of this page chose (the on-call may have changed since)."""
    async with db.sessions() as session:
        statement = (
            select(col(SmsPage.user_id))
            .where(
                col(SmsPage.group_id) == group_id,
                col(SmsPage.episode_id) == episode_id,
                col(SmsPage.page) == page,
            )
            .order_by(col(SmsPage.id))
            .limit(1)
        )
        return (await session.execute(statement)).scalar_one_or_none()


async def record(db: Database, page: SmsPage) -> SmsPage:
    """Store a page that settles at once (no number); an earlier try's row for its key wins."""
    async with db.transaction() as session:
        existing = await _by_key(session, page.page_key)
        if existing is not None:
            return existing
        session.add(page)
    return page


async def take_slot(
    db: Database, page: SmsPage, *, window: timedelta, over_cap: Callable[[list[datetime]], str | None]
) -> SmsPage:
    """Insert the page as `sending`, or as `capped` when `over_cap` (given when the person's other counted
    SMS within `window` took their slots) says why there is no room left. An earlier try's row for the key
    is returned as it is."""
    async with db.transaction() as session:
        await _lock_person(session, page.user_id)
        existing = await _by_key(session, page.page_key)
        if existing is not None:
            return existing
        session.add(page)
        await session.flush()
        reason = over_cap(await _counted(session, page, since=page.created_at - window))
        if reason is not None:
            page.status, page.detail = CAPPED, reason
        return page


async def settle(
    db: Database, key: str, *, status: str, now: datetime, sid: str | None = None, detail: str | None = None
) -> None:
    """Record how a `sending` page ended: sent (with Twilio's SID) or refused (with the reason)."""
    values: dict[str, object] = {"status": status, "sid": sid, "detail": detail and detail[:300]}
    if status == SENT:
        values["sent_at"] = now
    async with db.transaction() as session:
        await session.execute(
            update(SmsPage)
            .where(col(SmsPage.page_key) == key, col(SmsPage.status) == SENDING)
            .values(**values)
        )


async def capped_before(db: Database, page: SmsPage) -> bool:
    """Whether another page of the same episode to the same person was capped already (its thread was
    told once)."""
    async with db.sessions() as session:
        statement = select(func.count()).where(
            col(SmsPage.group_id) == page.group_id,
            col(SmsPage.episode_id) == page.episode_id,
            col(SmsPage.user_id) == page.user_id,
            col(SmsPage.status) == CAPPED,
            col(SmsPage.id) < page.id,
        )
        return bool((await session.execute(statement)).scalar_one())


async def _by_key(session: AsyncSession, key: str) -> SmsPage | None:
    statement = select(SmsPage).where(col(SmsPage.page_key) == key)
    return (await session.execute(statement)).scalar_one_or_none()


async def _counted(session: AsyncSession, page: SmsPage, *, since: datetime) -> list[datetime]:
    """When the person's other counted SMS in the window took their slots."""
    statement = select(col(SmsPage.created_at)).where(
        col(SmsPage.user_id) == page.user_id,
        col(SmsPage.status).in_(COUNTED),
        col(SmsPage.created_at) > since,
        col(SmsPage.id) != page.id,
    )
    return list((await session.execute(statement)).scalars())


async def _lock_person(session: AsyncSession, user_id: str) -> None:
    """Serialize slot-taking per person across replicas (PostgreSQL; SQLite has one writer anyway)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"opsbot-sms:{user_id}"}
        )
