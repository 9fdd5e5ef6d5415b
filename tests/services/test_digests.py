"""Building digests with real storage: the tickets and incidents features feed their sections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.blocks.digests import render_text
from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind, period_containing
from bot.services import digest_runs, digests
from storage.migrate import upgrade
from storage.tickets import Ticket

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the clock of these tests: the Monday the weekly review runs
WEEK = period_containing(DigestKind.WEEKLY, NOW.date() - timedelta(days=5), "UTC")  # the week before


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
async def deps(make_settings: Callable[..., Settings], database_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    built = build_deps(make_settings(), clock=lambda: NOW)
    yield built
    await built.close()


def ticket(title: str, *, quadrant: str, status: str, at: datetime, done: bool = False) -> Ticket:
    return Ticket(
        title=title, area="database", impact="high", effort="low", quadrant=quadrant, status=status,
        created_by="U0ALICE", metric="latency_p95", baseline_value=900.0 if done else None,
        after_value=600.0 if done else None, done_at=at if done else None, created_at=at, updated_at=at,
    )  # fmt: skip


async def test_the_weekly_review_lists_tickets_done_and_quick_wins_waiting(deps: Deps) -> None:
    at = WEEK.start + timedelta(days=2)
    async with deps.db.transaction() as session:
        session.add(
            ticket("Add index on orders.user_id", quadrant="Quick Win", status="done", at=at, done=True)
        )
        session.add(ticket("Cache the price list", quadrant="Quick Win", status="open", at=at))
        session.add(ticket("Old idea", quadrant="Fill-In", status="open", at=WEEK.start - timedelta(days=30)))
    digest = await digests.build(deps, digest_runs.team(deps, None), WEEK)
    text = render_text(digest)
    tickets = text.split("🎫 Tickets")[1]
    assert "2 opened · 1 done in this period" in tickets
    assert "Add index on orders.user_id" in tickets
    assert "Quick Wins waiting: Cache the price list" in tickets
