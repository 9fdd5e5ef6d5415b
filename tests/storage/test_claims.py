"""Once-only claims, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from storage.claims import claim, claim_in, claim_or_take_over, forget_claims, is_claimed
from storage.db import Database, create_database, is_unavailable
from storage.migrate import current_revision, head_revision

pytestmark = pytest.mark.calendar_free


async def test_migrations_reach_the_newest_revision(db: Database) -> None:
    assert await asyncio.to_thread(current_revision, db.url) == head_revision()


NOW = datetime.now(UTC)  # the app clock of these tests: now at test start


async def test_only_the_first_claim_wins(db: Database) -> None:
    assert await claim(db, scope="digest", key="weekly:ops:2026-W47", owner="replica-a", now=NOW)
    assert not await claim(db, scope="digest", key="weekly:ops:2026-W47", owner="replica-b", now=NOW)
    assert await claim(db, scope="digest", key="weekly:ops:2026-W48", now=NOW)
    assert await claim(db, scope="other", key="weekly:ops:2026-W47", now=NOW)
    assert await is_claimed(db, scope="digest", key="weekly:ops:2026-W47")
    assert not await is_claimed(db, scope="digest", key="monthly:ops:2026-11")


async def test_a_claim_in_a_transaction_stands_or_falls_with_it(db: Database) -> None:
    async with db.transaction() as session:
        assert await claim_in(session, scope="pagerduty-webhook", key="event-1", now=NOW)
        assert not await claim_in(session, scope="pagerduty-webhook", key="event-1", now=NOW)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            assert await claim_in(session, scope="pagerduty-webhook", key="event-2", now=NOW)
            raise RuntimeError("the work it guards failed")
    assert not await is_claimed(db, scope="pagerduty-webhook", key="event-2")  # free for the retry
    async with db.transaction() as session:
        assert not await claim_in(session, scope="pagerduty-webhook", key="event-1", now=NOW)
        assert await claim_in(session, scope="pagerduty-webhook", key="event-2", now=NOW)


async def test_concurrent_claims_have_exactly_one_winner(db: Database) -> None:
    results = await asyncio.gather(
        *(claim(db, scope="timer", key="escalate:42", owner=str(i), now=NOW) for i in range(20))
    )
    assert results.count(True) == 1


async def test_a_claim_left_too_long_is_taken_over_by_exactly_one(db: Database) -> None:
    later = NOW + timedelta(minutes=6)
    assert await claim_or_take_over(db, scope="stale", key="web-1", now=NOW, stale_before=NOW, owner="a")
    # still fresh: nobody may take it
    assert not await claim_or_take_over(db, scope="stale", key="web-1", now=NOW, stale_before=NOW, owner="b")
    results = await asyncio.gather(
        *(
            claim_or_take_over(
                db,
                scope="stale",
                key="web-1",
                now=later,
                stale_before=later - timedelta(minutes=5),
                owner=str(i),
            )
            for i in range(10)
        )
    )
    assert results.count(True) == 1
    assert not await claim_or_take_over(
        db, scope="stale", key="web-1", now=later, stale_before=later - timedelta(minutes=5), owner="c"
    )


async def test_old_claims_can_be_forgotten(db: Database) -> None:
    await claim(db, scope="slack-event", key="Ev1", now=NOW)
    assert await forget_claims(db, scope="slack-event", older_than=NOW) == 0  # not older than itself
    removed = await forget_claims(db, scope="slack-event", older_than=NOW + timedelta(seconds=1))
    assert removed == 1
    assert not await is_claimed(db, scope="slack-event", key="Ev1")


async def test_ping_answers_a_live_database_and_raises_for_one_that_is_gone(
    db: Database, tmp_path: Path
) -> None:
    await db.ping()  # a live database: no error
    if db.url.startswith("sqlite"):
        gone = create_database(f"sqlite:///{tmp_path / 'no-such-directory' / 'opsbot.db'}")
    else:
        gone = create_database(f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    try:
        with pytest.raises(OperationalError) as raised:
            await gone.ping()
        assert is_unavailable(raised.value)  # what /healthz and the webhook turn into a 503
    finally:
        await gone.dispose()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
