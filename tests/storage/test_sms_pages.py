"""The SMS page record: each page once, and the hourly cap counted across replicas (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.sms import CAP_WINDOW, within_cap
from storage import sms_pages
from storage.db import Database, create_database
from storage.models import SmsPage
from storage.retention import prune_sms_pages

pytestmark = pytest.mark.calendar_free

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def page(group_id: int, *, user: str = "U0CAROL", at: datetime = NOW, name: str = "open") -> SmsPage:
    return SmsPage(
        page_key=sms_pages.page_key(group_id, group_id, name, user), group_id=group_id, episode_id=group_id,
        page=name, user_id=user, status=sms_pages.SENDING, to_number="+15550109999", body="x", created_at=at,
    )  # fmt: skip


def cap(limit: int, now: datetime = NOW) -> Callable[[list[datetime]], str | None]:
    return lambda counted: None if within_cap(counted, now=now, limit=limit) else "full"


@pytest.fixture
async def replica(db: Database) -> AsyncIterator[Database]:
    """A second process's handle on the same database (its own engine, pool and write lock)."""
    other = create_database(db.url)
    yield other
    await other.dispose()


async def test_a_page_takes_its_slot_once(db: Database) -> None:
    first = await sms_pages.take_slot(db, page(1), window=CAP_WINDOW, over_cap=cap(6))
    again = await sms_pages.take_slot(db, page(1), window=CAP_WINDOW, over_cap=cap(6))
    assert first.status == again.status == sms_pages.SENDING and again.id == first.id
    await sms_pages.settle(db, first.page_key, status=sms_pages.SENT, now=NOW, sid="SM1")
    await sms_pages.settle(db, first.page_key, status=sms_pages.REFUSED, now=NOW, detail="late")  # no-op
    stored = await sms_pages.find(db, first.page_key)
    assert stored is not None and (stored.status, stored.sid, stored.sent_at) == ("sent", "SM1", NOW)
    assert await sms_pages.recipient(db, group_id=1, episode_id=1, page="open") == "U0CAROL"


async def test_the_cap_counts_sent_and_sending_within_the_hour_per_person(db: Database) -> None:
    old = page(1, at=NOW - CAP_WINDOW - timedelta(seconds=1))
    await sms_pages.take_slot(db, old, window=CAP_WINDOW, over_cap=cap(9))
    for group_id in (2, 3):
        await sms_pages.take_slot(db, page(group_id), window=CAP_WINDOW, over_cap=cap(9))
    other_person = await sms_pages.take_slot(db, page(4, user="U0BOB"), window=CAP_WINDOW, over_cap=cap(2))
    capped = await sms_pages.take_slot(db, page(5), window=CAP_WINDOW, over_cap=cap(2))
    assert other_person.status == sms_pages.SENDING
    assert (capped.status, capped.detail) == (sms_pages.CAPPED, "full")
    assert not await sms_pages.capped_before(db, capped)
    await sms_pages.settle(db, page(2).page_key, status=sms_pages.REFUSED, now=NOW, detail="21610")
    freed = await sms_pages.take_slot(db, page(6), window=CAP_WINDOW, over_cap=cap(2))
    assert freed.status == sms_pages.SENDING  # a refused SMS was never sent: it does not count


async def test_replicas_texting_one_person_at_once_never_pass_the_cap(
    db: Database, replica: Database
) -> None:
    handles = [db, replica] * 6
    taken = await asyncio.gather(
        *(
            sms_pages.take_slot(handle, page(n), window=CAP_WINDOW, over_cap=cap(3))
            for n, handle in enumerate(handles, start=1)
        )
    )
    assert sorted(p.status for p in taken).count(sms_pages.SENDING) == 3


async def test_retention_deletes_only_records_older_than_the_cutoff(db: Database) -> None:
    await sms_pages.take_slot(db, page(1, at=NOW - timedelta(days=401)), window=CAP_WINDOW, over_cap=cap(9))
    await sms_pages.take_slot(db, page(2), window=CAP_WINDOW, over_cap=cap(9))
    assert await prune_sms_pages(db, before=NOW - timedelta(days=400)) == 1
    assert await sms_pages.find(db, page(1).page_key) is None
    assert await sms_pages.find(db, page(2).page_key) is not None
