"""The outbox as an operator sees it, on SQLite and PostgreSQL: counts and overdue jobs for /healthz and
/metrics, listings, and a retry that puts given-up jobs back with a fresh horizon (or refuses, changing
nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import outbox, outbox_admin
from storage.db import Database
from storage.models import OutboxJob
from storage.outbox_admin import NotRetryable, Selection

pytestmark = pytest.mark.calendar_free

NOW = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
LEASE = timedelta(seconds=15)


async def add(
    db: Database, kind: str, *, due: datetime = NOW, key: str | None = None, created: datetime = NOW
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(session, kind=kind, payload={}, now=created, due_at=due, dedupe_key=key)


async def run(db: Database, kind: str, *, failed_with: str | None, key: str | None = None) -> int:
    """A job claimed and finished as the worker does: done, or failed for good after hours of errors."""
    await add(db, kind, key=key, created=NOW - timedelta(hours=30))
    claimed = await outbox.claim_laneless(db, owner="w", now=NOW, limit=10, lease=LEASE)
    [job] = [job for job in claimed if job.kind == kind]
    assert job.id is not None
    await outbox.finish(db, job.id, owner="w", now=NOW, failed_with=failed_with)
    return job.id


async def give_up(
    db: Database, kind: str, *, error: str = "channel_not_found", key: str | None = None
) -> int:
    return await run(db, kind, failed_with=error, key=key)


async def stored(db: Database, job_id: int) -> OutboxJob:
    async with db.sessions() as session:
        job = await session.get(OutboxJob, job_id)
    assert job is not None
    return job


async def test_health_counts_jobs_by_status_and_pending_jobs_due_over_a_minute_ago(db: Database) -> None:
    await give_up(db, "post")
    await add(db, "stuck", due=NOW - timedelta(minutes=5))
    await add(db, "late-but-fine", due=NOW - timedelta(seconds=30))
    await add(db, "timer", due=NOW + timedelta(hours=1))
    health = await outbox_admin.read_health(db, now=NOW)
    assert dict(health.counts) == {"failed": 1, "pending": 3}
    assert (health.overdue, health.oldest_overdue_due_at) == (1, NOW - timedelta(minutes=5))
    assert health.troubled
    assert (health.failed_examples, health.overdue_examples) == ((), ())  # named only when asked


async def test_an_empty_or_healthy_outbox_is_not_troubled(db: Database) -> None:
    health = await outbox_admin.read_health(db, now=NOW, examples=5)
    assert (dict(health.counts), health.overdue, health.oldest_overdue_due_at) == ({}, 0, None)
    await add(db, "post")
    assert not (await outbox_admin.read_health(db, now=NOW, examples=5)).troubled


async def test_health_names_at_most_five_failed_newest_first_and_overdue_oldest_first(db: Database) -> None:
    failed = [await give_up(db, f"post-{n}", error=f"error {n}") for n in range(7)]
    for n in range(7):
        await add(db, f"stuck-{n}", due=NOW - timedelta(minutes=10 - n))
    health = await outbox_admin.read_health(db, now=NOW, examples=5)
    assert (health.count("failed"), health.overdue) == (7, 7)
    assert [job.id for job in health.failed_examples] == failed[::-1][:5]
    assert health.failed_examples[0].last_error == "error 6"
    assert [job.kind for job in health.overdue_examples] == [f"stuck-{n}" for n in range(5)]


async def test_listings_select_failed_pending_overdue_or_all(db: Database) -> None:
    await give_up(db, "given-up")
    await add(db, "timer", due=NOW + timedelta(hours=1))
    await add(db, "stuck", due=NOW - timedelta(minutes=5))

    async def kinds(which: Selection, limit: int = 10) -> list[str]:
        return [job.kind for job in await outbox_admin.list_jobs(db, which, now=NOW, limit=limit)]

    assert await kinds(Selection.FAILED) == ["given-up"]
    assert await kinds(Selection.PENDING) == ["stuck", "timer"]  # in the order they fall due
    assert await kinds(Selection.OVERDUE) == ["stuck"]
    assert await kinds(Selection.ALL) == ["stuck", "timer", "given-up"]  # newest first
    assert await kinds(Selection.ALL, limit=1) == ["stuck"]


async def test_a_retried_job_is_due_now_keeps_its_attempts_and_gets_the_whole_horizon_again(
    db: Database,
) -> None:
    job_id = await give_up(db, "post")
    later = NOW + timedelta(hours=2)
    result = await outbox_admin.retry_jobs(db, [job_id], now=later)
    assert [(job.id, job.status, job.due_at) for job in result.retried] == [(job_id, "pending", later)]
    job = await stored(db, job_id)
    assert (job.status, job.due_at, job.created_at, job.attempts) == ("pending", later, later, 1)
    assert (job.lease_owner, job.lease_until, job.done_at) == (None, None, None)
    assert job.last_error == "channel_not_found"  # what happened last time stays visible
    [again] = await outbox.claim_laneless(db, owner="w2", now=later, limit=10, lease=LEASE)
    assert (again.id, again.attempts) == (job_id, 2)


async def test_a_stuck_pending_job_is_made_due_now(db: Database) -> None:
    await add(db, "stuck", due=NOW - timedelta(hours=1), created=NOW - timedelta(hours=1))
    [job] = await outbox_admin.list_jobs(db, Selection.OVERDUE, now=NOW, limit=10)
    await outbox_admin.retry_jobs(db, [job.id], now=NOW)
    retried = await stored(db, job.id)
    assert (retried.status, retried.due_at, retried.created_at) == ("pending", NOW, NOW)


async def test_retry_refuses_unknown_done_and_running_jobs_and_changes_nothing(db: Database) -> None:
    failed = await give_up(db, "post")
    done = await run(db, "other", failed_with=None)
    await add(db, "running")
    [running] = await outbox.claim_laneless(db, owner="w", now=NOW, limit=1, lease=LEASE)
    with pytest.raises(NotRetryable) as refused:
        await outbox_admin.retry_jobs(db, [failed, done, running.id or 0, 999_999], now=NOW)
    problems = refused.value.problems
    assert problems[999_999] == "no such job" and "done" in problems[done]
    assert "being sent by w" in problems[running.id or 0] and failed not in problems
    assert (await stored(db, failed)).status == "failed"  # all or nothing


async def test_retry_all_failed_leaves_a_job_to_the_pending_job_of_its_key(db: Database) -> None:
    superseded = await give_up(db, "sync", key="sync:1")
    lone = await give_up(db, "post")
    await add(db, "sync", key="sync:1")  # the group changed again: a newer job does the key's work
    [holder] = await outbox_admin.list_jobs(db, Selection.PENDING, now=NOW, limit=10)
    result = await outbox_admin.retry_jobs(db, None, now=NOW)
    assert [job.id for job in result.retried] == [lone]
    assert result.superseded == {superseded: holder.id}
    closed = await stored(db, superseded)
    assert closed.status == "done" and f"superseded by pending job {holder.id}" in (closed.last_error or "")
    assert await outbox.counts_by_status(db) == {"pending": 2, "done": 1}
