"""The outbox worker: lanes (one job at a time per Slack channel, across replicas), priorities, renewed
leases, retries bounded by time; see bot/domain/delivery.py for the rules."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain.delivery import backoff, gives_up, next_post_at
from bot.services.jobs import Job, decode
from bot.slack import BEFORE_CALL
from storage import outbox as jobs
from storage.models import OutboxJob

log = logging.getLogger(__name__)
J = TypeVar("J", bound=Job)


@dataclass(frozen=True)
class Runner(Generic[J]):
    """A job kind and the one function that runs it. `attempt` counts from 1: a runner whose side effect is
    not idempotent (a first Slack post) looks for an earlier attempt's effect only when it is above 1."""

    job: type[J]
    run: Callable[[Deps, J, int], Awaitable[None]]


def runners(*entries: Runner[Any]) -> dict[str, Runner[Any]]:
    """The worker's table: each kind's runner."""
    return {entry.job.kind: entry for entry in entries}


class RetryLater(Exception):
    """A job cannot run yet; the worker puts it back and tries again after `delay`."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class GiveUp(Exception):
    """Retrying cannot help (the receiver refused the request itself, e.g. a 400 for a malformed event):
    the job fails for good at once, logged and counted like a job given up after hours of failures."""


class LeaseLost(Exception):
    """The job's lease ran out or was taken over: another replica may be running it, so this one stops."""


class _Lease:
    """A running job's lease as this replica knows it: renewed in the database, trusted only until the
    last renewal's end (measured on the monotonic clock, so a stalled event loop counts too)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.valid_until = time.monotonic() + seconds
        self.lost = False

    def renewed(self) -> None:
        self.valid_until = time.monotonic() + self.seconds

    def check(self) -> None:
        if self.lost or time.monotonic() >= self.valid_until:
            self.lost = True
            raise LeaseLost("the job's lease is gone")


class OutboxWorker:
    """Runs due jobs: one at a time per lane (a Slack channel) across all replicas, the most urgent lane and
    job first, up to `delivery.concurrent_jobs` side by side; a slow lane never holds up another."""

    def __init__(self, deps: Deps, runners: Mapping[str, Runner[Any]], *, idle_poll: float = 1.0) -> None:
        self._deps, self._runners, self._idle_poll = deps, runners, idle_poll
        delivery = deps.settings.file.delivery
        self._lease = timedelta(seconds=delivery.lease_seconds)
        self._slots = delivery.concurrent_jobs
        self._backoff_cap = timedelta(seconds=delivery.max_backoff_seconds)
        self._give_up_after = timedelta(hours=delivery.give_up_after_hours)
        self._pace = timedelta(seconds=deps.settings.file.alerts.pace_per_channel_seconds)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], OutboxJob] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self, *, grace: float = 5.0) -> None:
        """Claim nothing more, give running jobs `grace` seconds to finish (a post cut off half way is retried
        elsewhere, but only after its lease), then cancel what is left."""
        self._stopping = True  # the loop ends at its next wait, never inside a claim's database call
        self._wake.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=grace)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        running = list(self._running)
        if running:
            await asyncio.wait(running, timeout=grace)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._fill()
            except Exception:
                log.exception("outbox round failed; retrying")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when it is cancelled
            # just as the event it waits on is set (a request waking the worker as the server stops), and
            # the loop would then never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle_poll):
                    await self._wake.wait()
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim what is due now (a job per free lane, and laneless jobs) and run it to the end."""
        started = await self._fill()
        await asyncio.gather(*started, return_exceptions=True)
        return len(started)

    async def _fill(self) -> list[asyncio.Task[None]]:
        """Start a job on every lane that is free here and ready in the database, while slots are free."""
        db, now = self._deps.db, self._deps.clock()
        busy = {job.channel for job in self._running.values() if job.channel is not None}
        free = self._slots - len(self._running)
        laned = await jobs.claim_lanes(
            db, owner=self.owner, now=now, lease=self._lease, limit=free, skip=busy
        )
        free -= len(laned)
        laneless = await jobs.claim_laneless(db, owner=self.owner, now=now, limit=free, lease=self._lease)
        started = []
        for job in (*laned, *laneless):
            task = asyncio.create_task(self._run(job), name=f"outbox-job-{job.id}")
            self._running[task] = job
            task.add_done_callback(self._finished)
            started.append(task)
        return started

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._wake.set()

    async def _run(self, job: OutboxJob) -> None:
        lease, ended = _Lease(self._lease.total_seconds()), asyncio.Event()
        keeper = asyncio.create_task(self._keep_leased(job, lease, ended))
        token = BEFORE_CALL.set(lease.check)
        try:
            await self._execute(job)
        except LeaseLost:
            log.warning("outbox job lost its lease; left to its new owner", extra={"job": job.id})
        except Exception:
            log.exception("outbox job bookkeeping failed; its lease will run out", extra={"job": job.id})
        finally:
            BEFORE_CALL.reset(token)
            ended.set()
            await keeper  # never cancelled mid-renewal: a database call cut off would outlive its loop

    async def _keep_leased(self, job: OutboxJob, lease: _Lease, ended: asyncio.Event) -> None:
        """Renew the lease at a third of its length until the job ends; mark it lost if that fails."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(lease.seconds / 3):
                    await ended.wait()
            if ended.is_set():
                return
            try:
                kept = await jobs.renew(
                    self._deps.db, job, owner=self.owner, now=self._deps.clock(), lease=self._lease
                )
            except Exception:
                log.warning("could not renew an outbox lease", extra={"job": job.id}, exc_info=True)
                continue  # the lease is trusted only until valid_until anyway
            if not kept:
                lease.lost = True
                return
            lease.renewed()

    async def _execute(self, job: OutboxJob) -> None:
        assert job.id is not None
        runner = self._runners.get(job.kind)
        db, now, lane = self._deps.db, self._deps.clock, job.channel
        try:
            if runner is None:
                raise LookupError(f"no runner for {job.kind!r}")
            task = decode(runner.job, job.payload)
        except (LookupError, TypeError) as error:  # nothing a retry could change
            await jobs.finish(db, job.id, owner=self.owner, now=now(), failed_with=str(error), lane=lane)
            return
        try:
            await runner.run(self._deps, task, job.attempts)
        except LeaseLost:
            raise
        except RetryLater as later:
            await jobs.retry_at(
                db, job.id, owner=self.owner, due_at=now() + later.delay, error=str(later), lane=lane
            )
        except GiveUp as refused:
            await self._give_up(job, f"{type(refused).__name__}: {refused}"[:1000], paused_until=None)
        except Exception as error:
            await self._failed(job, error)
        else:
            paced = next_post_at(lane, now=now(), pace=self._pace)
            await jobs.finish(db, job.id, owner=self.owner, now=now(), lane=lane, next_post_at=paced)
            self._deps.telemetry.outbox_jobs_done.labels(job.kind).inc()
            if paced is not None:
                asyncio.get_running_loop().call_later(self._pace.total_seconds(), self._wake.set)

    async def _failed(self, job: OutboxJob, error: Exception) -> None:
        """Back off and retry; a 429 pauses the whole lane for Retry-After; give up only after hours."""
        assert job.id is not None
        db, now = self._deps.db, self._deps.clock()
        reason = f"{type(error).__name__}: {error}"[:1000]
        delay = backoff(job.attempts, cap=self._backoff_cap)
        paused_until = next_post_at(job.channel, now=now, pace=self._pace)
        if isinstance(error, SlackApiError) and error.response.status_code == 429:
            delay = timedelta(seconds=int(error.response.headers.get("Retry-After", 1)))
            paused_until = now + delay
        if gives_up(job.created_at, now=now, horizon=self._give_up_after):
            await self._give_up(job, reason, paused_until=paused_until)
            return
        log.warning("outbox job failed; will retry", extra={"job": job.id, "kind": job.kind, "error": reason})
        await jobs.retry_at(
            db, job.id, owner=self.owner, due_at=now + delay, error=reason, lane=job.channel,
            next_post_at=paused_until,
        )  # fmt: skip
        self._deps.telemetry.outbox_retries.labels(job.kind).inc()

    async def _give_up(self, job: OutboxJob, reason: str, *, paused_until: datetime | None) -> None:
        """Fail the job for good: it stays in the outbox for an operator, logged and counted."""
        assert job.id is not None
        log.error("outbox job failed for good", extra={"job": job.id, "kind": job.kind, "error": reason})
        await jobs.finish(
            self._deps.db, job.id, owner=self.owner, now=self._deps.clock(), failed_with=reason,
            lane=job.channel, next_post_at=paused_until,
        )  # fmt: skip
        self._deps.telemetry.outbox_jobs_failed.labels(job.kind).inc()
