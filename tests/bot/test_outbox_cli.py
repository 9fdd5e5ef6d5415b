"""`opsbot outbox list|retry` as an operator runs it: a subprocess against a SQLite file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import outbox
from storage.db import create_database
from storage.migrate import upgrade
from storage.models import OutboxJob

pytestmark = pytest.mark.calendar_free

LEASE = timedelta(seconds=30)


def opsbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process's environment (so `make test-clock`'s clock reaches it too), minus any
    opsbot or Slack settings of the shell that runs the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSBOT_", "SLACK_"))}
    env["OPSBOT_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", "outbox", *args],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip


async def seed(url: str) -> dict[str, int]:
    """A job given up after a day of errors (as the worker finishes it) and a timer due in an hour."""
    db = create_database(url)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as session:
            await outbox.enqueue(
                session, kind="alert-post", payload={}, now=now - timedelta(days=1), channel="ops-alerts"
            )
            await outbox.enqueue(
                session, kind="reminder", payload={}, now=now, due_at=now + timedelta(hours=1)
            )
        [job] = await outbox.claim_lanes(db, owner="w", now=now, lease=LEASE, limit=1)
        assert job.id is not None
        await outbox.finish(db, job.id, owner="w", now=now, failed_with="SlackApiError: channel_not_found")
        async with db.sessions() as session:
            ids = {j.kind: j.id for j in (await session.execute(select(OutboxJob))).scalars()}
        return {kind: job_id for kind, job_id in ids.items() if job_id is not None}
    finally:
        await db.dispose()


async def stored(url: str, job_id: int) -> OutboxJob:
    db = create_database(url)
    try:
        async with db.sessions() as session:
            job = await session.get(OutboxJob, job_id)
        assert job is not None
        return job
    finally:
        await db.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    database_url = f"sqlite:///{tmp_path / 'opsbot.db'}"
    upgrade(database_url)
    return database_url


def test_list_prints_the_failed_jobs_as_a_table(url: str) -> None:
    ids = asyncio.run(seed(url))
    result = opsbot(url, "list")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["id", "kind", "lane", "status", "attempts", "due", "last", "error"]
    assert row.split()[:5] == [str(ids["alert-post"]), "alert-post", "ops-alerts", "failed", "1"]
    assert row.endswith("SlackApiError: channel_not_found")
    assert header.index("last error") == row.index("SlackApiError")  # the columns line up
    every = opsbot(url, "list", "--status", "all", "--limit", "1").stdout.splitlines()
    assert len(every) == 2 and "reminder" in every[1]  # newest first
    assert opsbot(url, "list", "--status", "overdue").stdout == "no overdue jobs\n"


def test_retry_puts_a_failed_job_back_due_now_with_a_fresh_horizon(url: str) -> None:
    job_id = asyncio.run(seed(url))["alert-post"]
    before = datetime.now(UTC)
    result = opsbot(url, "retry", str(job_id))
    assert result.returncode == 0, result.stderr
    assert f"job {job_id} (alert-post, lane ops-alerts) is pending again, due now" in result.stdout
    job = asyncio.run(stored(url, job_id))
    assert (job.status, job.attempts) == ("pending", 1)
    assert before <= job.created_at <= datetime.now(UTC) and job.due_at == job.created_at


def test_retry_failed_retries_every_failed_job(url: str) -> None:
    job_id = asyncio.run(seed(url))["alert-post"]
    result = opsbot(url, "retry", "--failed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"job {job_id} (alert-post")
    assert opsbot(url, "retry", "--failed").stdout == "no failed jobs to retry\n"


def test_an_unknown_job_is_a_clear_error_with_code_2_and_nothing_changes(url: str) -> None:
    job_id = asyncio.run(seed(url))["alert-post"]
    result = opsbot(url, "retry", str(job_id), "424242")
    assert result.returncode == 2
    assert result.stderr.strip() == "opsbot: nothing retried: job 424242: no such job"
    assert result.stdout == ""
    assert asyncio.run(stored(url, job_id)).status == "failed"
    assert opsbot(url, "retry").returncode == 2  # neither ids nor --failed
