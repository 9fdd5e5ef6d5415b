"""The outbox worker's own life: it stops when told, whatever it is doing; it gives a job up after hours of
failing, never after a number of attempts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from bot.config import DeliveryConfig, load_settings
from bot.deps import Deps, build_deps
from bot.server import RunningServer
from bot.services.job_runners import RUNNERS
from bot.services.jobs import Job
from bot.services.outbox import GiveUp, LeaseLost, OutboxWorker, Runner, runners
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


@dataclass(frozen=True)
class Probe(Job):
    """A job kind of the tests' own."""

    kind: ClassVar[str] = "test.probe"


@pytest.fixture
async def deps(database_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    # A closed loopback port as Slack: nothing here may reach a real Slack, and no call is meant to land.
    environ = {"OPSBOT_DATABASE_URL": database_url, "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    built = build_deps(load_settings(environ))
    yield built
    await built.close()


async def test_a_failing_job_is_retried_for_hours_whatever_its_attempts_then_given_up_and_counted(
    deps: Deps,
) -> None:
    runs: list[int] = []

    async def always_fails(_: Deps, job: Probe, attempt: int) -> None:
        runs.append(attempt)
        raise RuntimeError("Slack is down")

    worker = OutboxWorker(deps, runners(Runner(Probe, always_fails)))
    now = deps.clock()
    async with deps.db.transaction() as session:
        await outbox.enqueue(session, kind=Probe.kind, payload={}, now=now - timedelta(hours=11))
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
    assert deps.telemetry.outbox_jobs_failed.labels(Probe.kind)._value.get() == 1


async def test_a_job_the_receiver_refused_fails_for_good_at_once_and_is_counted(deps: Deps) -> None:
    runs: list[int] = []

    async def refused(_: Deps, job: Probe, attempt: int) -> None:
        runs.append(attempt)
        raise GiveUp("PagerDuty refused the trigger event with 400: Invalid routing key")

    worker = OutboxWorker(deps, runners(Runner(Probe, refused)))
    async with deps.db.transaction() as session:
        await outbox.enqueue(session, kind=Probe.kind, payload={}, now=deps.clock())
    assert await worker.run_once() == 1
    [job] = await jobs(deps)
    assert (job.status, runs) == ("failed", [1])  # no retry could change PagerDuty's mind
    assert job.last_error == "GiveUp: PagerDuty refused the trigger event with 400: Invalid routing key"
    assert deps.telemetry.outbox_jobs_failed.labels(Probe.kind)._value.get() == 1
    assert deps.telemetry.outbox_retries.labels(Probe.kind)._value.get() == 0


async def jobs(deps: Deps) -> list[OutboxJob]:
    async with deps.db.sessions() as session:
        return list((await session.execute(select(OutboxJob))).scalars())


async def test_a_job_whose_lease_was_taken_over_stops_before_its_next_slack_call(deps: Deps) -> None:
    """Another replica took over the job (this one stalled past its lease): no more Slack calls from here."""
    outcome: list[str] = []

    async def stalls_then_posts(deps: Deps, job: Probe, attempt: int) -> None:
        async with deps.db.transaction() as session:  # the other replica claims it meanwhile
            await session.execute(update(OutboxJob).values(lease_owner="another-replica"))
        # Past the whole lease: every renewal (each 0.5 s) found the job gone, so none extended it; this
        # holds however late the renewals ran.
        await asyncio.sleep(1.6)
        try:
            await deps.slack.chat_postMessage(channel="C0123456789", text="once only")
        except LeaseLost:
            outcome.append("stopped")
            raise
        outcome.append("posted")

    deps.settings = deps.settings.model_copy(
        update={"file": deps.settings.file.model_copy(update={"delivery": DeliveryConfig(lease_seconds=1.5)})}
    )
    worker = OutboxWorker(deps, runners(Runner(Probe, stalls_then_posts)))
    async with deps.db.transaction() as session:
        await outbox.enqueue(session, kind=Probe.kind, payload={}, now=deps.clock(), channel="ops-info")
    assert await worker.run_once() == 1
    assert outcome == ["stopped"]
    assert deps.telemetry.slack_calls.labels("chat.postMessage")._value.get() == 0
    [job] = await jobs(deps)
    assert (job.status, job.lease_owner) == ("sending", "another-replica")  # left to its new owner
