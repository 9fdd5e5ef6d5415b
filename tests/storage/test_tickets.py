"""Tickets: filters, quadrant counts and the registry query, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage import tickets as store
from storage.db import Database
from storage.tickets import Ticket

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACTIVE = ["open", "in progress"]


def ticket(title: str, *, quadrant: str = "Quick Win", **fields: object) -> Ticket:
    values: dict[str, object] = {
        "area": "api",
        "impact": "high",
        "effort": "low",
        "created_by": "U0ALICE",
        "created_at": T0,
        "updated_at": T0,
        **fields,
    }
    return Ticket(title=title, quadrant=quadrant, **values)


async def add(db: Database, *items: Ticket) -> list[int]:
    async with db.transaction() as session:
        stored = [await store.insert(session, item) for item in items]
    return [t.id for t in stored if t.id is not None]


async def test_filters_counts_and_the_registry(db: Database) -> None:
    await add(
        db,
        ticket("quick", owner="U0BOB"),
        ticket("big", quadrant="Major Project", area="database"),
        ticket("gone", status="dropped"),
        ticket("old win", status="done", done_at=T0 - timedelta(days=8)),
        ticket("new win", status="done", done_at=T0, metric="latency", baseline_value=2.5),
    )
    assert [t.title for t in await store.listing(db, statuses=ACTIVE)] == ["big", "quick"]
    assert [t.title for t in await store.listing(db, statuses=ACTIVE, owner="U0BOB")] == ["quick"]
    assert [t.title for t in await store.listing(db, statuses=ACTIVE, area="database")] == ["big"]
    assert [t.title for t in await store.listing(db, statuses=ACTIVE, quadrant="Quick Win")] == ["quick"]
    assert await store.quadrant_counts(db, statuses=ACTIVE) == {"Quick Win": 1, "Major Project": 1}
    week = await store.done_between(db, start=T0 - timedelta(days=7), end=T0 + timedelta(seconds=1))
    assert [t.title for t in week] == ["new win"]
    assert week[0].done_at == T0 and week[0].baseline_value == 2.5
    everything = await store.done_between(db, start=T0 - timedelta(days=30), end=T0 + timedelta(days=1))
    assert [t.title for t in everything] == ["new win", "old win"]


async def test_a_request_key_is_used_once(db: Database) -> None:
    (number,) = await add(db, ticket("from the form", request_key="view:V1"))
    found = await store.by_request_key(db, "view:V1")
    assert found is not None and found.id == number
    with pytest.raises(IntegrityError):
        await add(db, ticket("again", request_key="view:V1"))
