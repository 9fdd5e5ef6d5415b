"""The outbox's lanes on SQLite and PostgreSQL: one job per lane across owners, the most urgent first,
pacing shared through the database, leases renewed or lost, and a retry that meets a newer job of its key."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from storage import outbox
from storage.db import Database
from storage.models import OutboxJob

pytestmark = pytest.mark.calendar_free

NOW = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
LEASE = timedelta(seconds=15)


async def add(
    db: Database, kind: str, *, lane: str | None, priority: int = 50, key: str | None = None
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(
            session, kind=kind, payload={}, now=NOW, channel=lane, priority=priority, dedupe_key=key
        )


async def claim(db: Database, owner: str, *, now: datetime = NOW, limit: int = 10) -> list[OutboxJob]:
    return await outbox.claim_lanes(db, owner=owner, now=now, lease=LEASE, limit=limit)


async def test_a_lane_runs_one_job_at_a_time_whoever_claims(db: Database) -> None:
    for n in range(5):
        await add(db, f"post-{n}", lane="ops-info")
    await add(db, "page", lane="critical-alerts", priority=0)
    claims = await asyncio.gather(*(claim(db, owner) for owner in ("a", "b", "c")))
    claimed = [job for jobs in claims for job in jobs]
    assert sorted(job.kind for job in claimed) == ["page", "post-0"]  # the head of each lane, once
    assert await claim(db, "d") == []  # both lanes are held


async def test_the_most_urgent_job_of_a_lane_goes_first_then_the_lane_waits_its_pace(db: Database) -> None:
    for n in range(3):
        await add(db, f"warning-{n}", lane="ops-alerts", priority=20)
    await add(db, "critical", lane="ops-alerts", priority=0)
    [first] = await claim(db, "a")
    assert first.kind == "critical"
    assert first.id is not None
    await outbox.finish(
        db, first.id, owner="a", now=NOW, lane="ops-alerts", next_post_at=NOW + timedelta(seconds=1)
    )
    assert await claim(db, "b") == []  # another replica honours the pace
    [second] = await claim(db, "b", now=NOW + timedelta(seconds=1))
    assert second.kind == "warning-0"


async def test_a_lane_held_by_a_replica_that_died_is_free_once_its_lease_runs_out(db: Database) -> None:
    await add(db, "post", lane="ops-info")
    [job] = await claim(db, "dead")
    assert await claim(db, "alive", now=NOW + LEASE - timedelta(seconds=1)) == []
    [again] = await claim(db, "alive", now=NOW + LEASE)
    assert (again.id, again.attempts) == (job.id, 2)
    assert not await outbox.renew(db, job, owner="dead", now=NOW + LEASE, lease=LEASE)  # it lost the job


async def test_a_renewed_lease_keeps_the_job_and_its_lane(db: Database) -> None:
    await add(db, "slow", lane="ops-info")
    await add(db, "next", lane="ops-info")
    [job] = await claim(db, "a")
    assert await outbox.renew(db, job, owner="a", now=NOW + timedelta(seconds=10), lease=LEASE)
    assert await claim(db, "b", now=NOW + LEASE + timedelta(seconds=1)) == []


async def test_laneless_jobs_run_side_by_side_most_urgent_first(db: Database) -> None:
    await add(db, "measure", lane=None, priority=50)
    await add(db, "escalate", lane=None, priority=0)
    jobs = await outbox.claim_laneless(db, owner="a", now=NOW, limit=10, lease=LEASE)
    assert [job.kind for job in jobs] == ["escalate", "measure"]


async def test_a_retry_that_meets_a_newer_pending_job_of_its_key_gives_way(db: Database) -> None:
    await add(db, "sync", lane="ops-info", key="sync:1")
    [running] = await claim(db, "a")
    await add(db, "sync", lane="ops-info", key="sync:1")  # the group changed again meanwhile
    assert running.id is not None
    await outbox.retry_at(db, running.id, owner="a", due_at=NOW, error="500", lane="ops-info")
    counts = await outbox.counts_by_status(db)
    assert counts == {outbox.DONE: 1, outbox.PENDING: 1}
    [newer] = await claim(db, "b")
    assert newer.id != running.id


async def test_a_subjects_jobs_wait_for_those_queued_before_them(db: Database) -> None:
    for key in ("pagerduty:1:7:trigger", "pagerduty:1:7:acknowledge", "pagerduty:12:9:trigger"):
        await add(db, "pagerduty.event", lane=None, key=key)
    async with db.transaction() as session:
        await session.execute(update(OutboxJob).values(due_at=NOW + timedelta(minutes=5)))  # a backoff
        earlier = [
            await outbox.queued_earlier(session, key=key, key_prefix=prefix)
            for key, prefix in (
                ("pagerduty:1:7:trigger", "pagerduty:1:"),
                ("pagerduty:1:7:acknowledge", "pagerduty:1:"),
                ("pagerduty:12:9:trigger", "pagerduty:12:"),  # group 12 is not group 1's follower
            )
        ]
    assert earlier == [None, NOW + timedelta(minutes=5), None]
    async with db.transaction() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.dedupe_key == "pagerduty:1:7:trigger").values(status="failed")
        )
        assert not await outbox.queued_earlier(
            session, key="pagerduty:1:7:acknowledge", key_prefix="pagerduty:1:"
        )
