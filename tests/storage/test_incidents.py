"""Incidents and their timelines, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage import incidents as store
from storage.db import Database
from storage.incidents import Incident

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def incident(title: str, *, at: datetime = T0, key: str | None = None, **fields: object) -> Incident:
    return Incident(
        title=title,
        level=2,
        declared_by="U0ALICE",
        declared_at=at,
        respond_due_at=at + timedelta(minutes=30),
        request_key=key,
        **fields,
    )


async def add(db: Database, *items: Incident) -> list[int]:
    async with db.transaction() as session:
        stored = [await store.insert(session, item) for item in items]
    return [s.id or 0 for s in stored]


async def test_numbers_places_and_periods(db: Database) -> None:
    first, second, third = await add(
        db,
        incident("Checkout slow", channel_id="C0INC1"),
        incident("Search stale", at=T0 + timedelta(days=1), header_channel_id="C0INCIDENTS", header_ts="1.5"),
        incident("Old one", at=T0 - timedelta(days=10), status="resolved"),
    )
    assert (first, second, third) == (1, 2, 3)
    assert (await store.by_slack_place(db, channel_id="C0INC1")).title == "Checkout slow"  # type: ignore[union-attr]
    thread = await store.by_slack_place(db, channel_id="C0INCIDENTS", thread_ts="1.5")
    assert thread is not None and thread.id == second
    assert await store.by_slack_place(db, channel_id="C0INCIDENTS", thread_ts="9.9") is None
    assert [i.id for i in await store.listing(db, open_only=True)] == [second, first]
    assert [i.id for i in await store.listing(db, open_only=False)] == [third, second, first]
    week = await store.declared_between(db, start=T0, end=T0 + timedelta(days=7))
    assert [i.title for i in week] == ["Checkout slow", "Search stale"]


async def test_a_request_key_is_taken_once(db: Database) -> None:
    await add(db, incident("Payments down", key="view:V1"))
    with pytest.raises(IntegrityError):
        await add(db, incident("Payments down", key="view:V1"))
    found = await store.by_request_key(db, "view:V1")
    assert found is not None and found.title == "Payments down"


async def test_timeline_in_order_and_a_pinned_message_once(db: Database) -> None:
    (number,) = await add(db, incident("Orders stuck"))
    async with db.transaction() as session:
        await store.add_event(session, number, "declared", at=T0, actor="U0ALICE", text="Declared SEV2")
        await store.add_event(session, number, "acked", at=T0 + timedelta(minutes=3), detail={"by": "U0BOB"})
    pin = {"slack_ts": "1700000000.000100", "actor": "U0DAVE", "text": "lease lost"}
    assert await store.add_pinned_message(db, number, at=T0 + timedelta(minutes=1), **pin)
    assert not await store.add_pinned_message(db, number, at=T0 + timedelta(minutes=2), **pin)
    events = await store.events(db, number)
    assert [e.kind for e in events] == ["declared", "pinned", "acked"]
    assert events[2].detail == {"by": "U0BOB"} and events[1].at == T0 + timedelta(minutes=1)
