"""The outbox worker's own life: it stops when told, whatever it is doing; it gives a job up after hours of
failing, never after a number of attempts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.config import load_settings
from bot.deps import Deps, build_deps
from bot.server import RunningServer
from bot.services.job_runners import RUNNERS
from bot.services.outbox import ATTEMPT, OutboxWorker
from storage import outbox
from storage.migrate import upgrade
from storage.models import OutboxJob


async def test_a_worker_woken_just_as_it_is_stopped_still_stops(opsbot: RunningServer) -> None:
    """A request queues a job and wakes the worker in the same moment the server shuts it down.

    On Python 3.11 `asyncio.wait_for` swallowed that cancellation, so the worker ran on and shutdown hung.
    """
    for idle in (0.05, 0.1, 0.2, 0.4):  # an empty outbox: each round ends in the idle wait within these
        worker = OutboxWorker(opsbot.deps, RUNNERS, idle_poll=5.0)
        await worker.start()
        await asyncio.sleep(idle)
        worker.wake()
        async with asyncio.timeout(3):
            await worker.stop()


@pytest.fixture
async def deps(database_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    built = build_deps(load_settings({"OPSBOT_DATABASE_URL": database_url}))
    yield built
    await built.close()


async def test_a_failing_job_is_retried_for_hours_whatever_its_attempts_then_given_up_and_counted(
    deps: Deps,
) -> None:
    runs: list[int] = []

    async def always_fails(_: Any, payload: dict[str, Any]) -> None:
        runs.append(payload[ATTEMPT])
        raise RuntimeError("Slack is down")

    worker = OutboxWorker(deps, {"test.fail": always_fails})
    now = deps.clock()
    async with deps.db.transaction() as session:
        await outbox.enqueue(session, kind="test.fail", payload={}, now=now - timedelta(hours=11))
    async with deps.db.transaction() as session:
        await session.execute(update(OutboxJob).values(attempts=40))
    assert await worker.run_once() == 1
    [job] = await jobs(deps)
    assert (job.status, job.attempts, runs) == ("pending", 41, [41])  # 40 failures: still retried
    async with deps.db.transaction() as session:
        await session.execute(update(OutboxJob).values(created_at=now - timedelta(hours=12), due_at=now))
    assert await worker.run_once() == 1
    [job] = await jobs(deps)
    assert job.status == "failed" and "Slack is down" in (job.last_error or "")
    assert deps.telemetry.outbox_jobs_failed.labels("test.fail")._value.get() == 1


async def jobs(deps: Deps) -> list[OutboxJob]:
    async with deps.db.sessions() as session:
        return list((await session.execute(select(OutboxJob))).scalars())
