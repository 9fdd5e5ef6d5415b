"""Once-only claims in the database: safe across restarts and replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import Claim
from storage.outbox import _rowcount


async def claim(db: Database, *, scope: str, key: str, now: datetime, owner: str = "") -> bool:
    """Claim (scope, key); True for the one caller that got it, False for everyone after.

    `now` is the app's clock (deps.clock), so claimed_at agrees with the `older_than` that forgets it.
    """
    try:
        async with db.transaction() as session:
            session.add(Claim(scope=scope, key=key, claimed_by=owner, claimed_at=now))
    except IntegrityError:
        return False
    return True


async def claim_in(session: AsyncSession, *, scope: str, key: str, now: datetime, owner: str = "") -> bool:
    """Claim (scope, key) in the caller's transaction, so the claim stands or falls with the work it guards;
    True for the one caller that got it (a concurrent duplicate waits for it, then gets False)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Claim)
        .values(scope=scope, key=key, claimed_by=owner, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(col(Claim.id))  # the rowcount of an ORM insert is not the rows inserted on PostgreSQL
    )
    return (await session.execute(statement)).first() is not None


async def claim_or_take_over(
    db: Database, *, scope: str, key: str, now: datetime, stale_before: datetime, owner: str = ""
) -> bool:
    """Claim (scope, key), or take over a claim made before `stale_before`: its holder died mid-work.

    The take-over is one conditional UPDATE, so of several callers at once exactly one wins it.
    """
    if await claim(db, scope=scope, key=key, now=now, owner=owner):
        return True
    async with db.transaction() as session:
        result = await session.execute(
            update(Claim)
            .where(col(Claim.scope) == scope, col(Claim.key) == key, col(Claim.claimed_at) < stale_before)
            .values(claimed_by=owner, claimed_at=now)
        )
        return _rowcount(result) == 1


async def is_claimed(db: Database, *, scope: str, key: str) -> bool:
    """Tell whether (scope, key) was claimed already."""
    async with db.sessions() as session:
        found = await session.execute(
            select(col(Claim.id)).where(col(Claim.scope) == scope, col(Claim.key) == key)
        )
        return found.first() is not None


async def forget_claims(db: Database, *, scope: str, older_than: datetime) -> int:
    """Delete old claims of one scope (e.g. request ids past Slack's retry window); return how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(Claim).where(col(Claim.scope) == scope, col(Claim.claimed_at) < older_than)
        )
        return _rowcount(result)
