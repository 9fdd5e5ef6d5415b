"""Retention of info reviews: a review whose window ended before the cutoff goes, the rest stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.info_reviews import InfoReviewRun
from storage.retention import prune_info_reviews

pytestmark = pytest.mark.calendar_free

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def review(end: datetime) -> InfoReviewRun:
    start = end - timedelta(days=1)
    return InfoReviewRun(
        key=f"info:ops:{end:%Y-%m-%dT%H:%M:%S}", team="ops", channel="ops-info", window_start=start,
        window_end=end, previous_start=start - timedelta(days=1), claimed_at=end,
    )  # fmt: skip


async def test_reviews_older_than_the_cutoff_are_pruned(db: Database) -> None:
    async with db.transaction() as session:
        session.add_all([review(NOW - timedelta(days=401)), review(NOW - timedelta(days=1)), review(NOW)])
    assert await prune_info_reviews(db, before=NOW - timedelta(days=400)) == 1
    async with db.sessions() as session:
        ends = (await session.execute(select(col(InfoReviewRun.window_end)))).scalars().all()
    assert sorted(ends) == [NOW - timedelta(days=1), NOW]
