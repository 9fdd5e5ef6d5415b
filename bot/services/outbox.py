"""The outbox worker: runs due jobs with leases, paces Slack posts per channel, retries with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from storage import outbox as jobs
from storage.models import OutboxJob

log = logging.getLogger(__name__)
JobRunner = Callable[[Deps, dict[str, Any]], Awaitable[None]]
MAX_ATTEMPTS = 12
# The worker adds this key to every payload: a runner whose side effect is not idempotent (a first Slack post)
# checks for an earlier attempt's effect only when this is above 1.
ATTEMPT = "_attempt"


class RetryLater(Exception):
    """A job cannot run yet; the worker puts it back and tries again after `delay`."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


def backoff(attempts: int) -> timedelta:
    """Exponential backoff for failed jobs: 1 s, 2 s, 4 s … capped at 5 min."""
    return timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


class OutboxWorker:
    """Works off due jobs; several replicas can run one each (leases keep a job to one of them)."""

    def __init__(
        self,
        deps: Deps,
        runners: Mapping[str, JobRunner],
        *,
        batch: int = 100,
        idle_poll: float = 1.0,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._deps, self._runners = deps, runners
        self._batch, self._idle_poll, self._lease = batch, idle_poll, lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        self._next_post: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("outbox round failed; retrying")
                worked = 0
            if not worked:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when it is cancelled
                # just as the event it waits on is set (a request waking the worker as the server stops), and
                # the loop would then never end.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_poll):
                        await self._wake.wait()
                self._wake.clear()

    async def run_once(self) -> int:
        """Claim and run one batch of due jobs; channels run side by side, each paced on its own."""
        claimed = await jobs.claim_due(
            self._deps.db, owner=self.owner, now=self._deps.clock(), limit=self._batch, lease=self._lease
        )
        by_channel: dict[str | None, list[OutboxJob]] = {}
        for job in claimed:
            by_channel.setdefault(job.channel, []).append(job)
        await asyncio.gather(*(self._run_channel(channel, queue) for channel, queue in by_channel.items()))
        return len(claimed)

    async def _run_channel(self, channel: str | None, queue: list[OutboxJob]) -> None:
        for job in queue:
            if channel is not None:
                await self._pace(channel)
            await self._run(job)

    async def _pace(self, channel: str) -> None:
        """About one Slack post per second per channel, so a storm never meets Slack's rate limit."""
        wait = self._next_post.get(channel, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_post[channel] = time.monotonic() + self._deps.settings.file.alerts.pace_per_channel_seconds

    async def _run(self, job: OutboxJob) -> None:
        assert job.id is not None
        runner = self._runners.get(job.kind)
        db, now = self._deps.db, self._deps.clock
        if runner is None:
            await jobs.finish(
                db, job.id, owner=self.owner, now=now(), failed_with=f"no runner for {job.kind!r}"
            )
            return
        try:
            await runner(self._deps, {**job.payload, ATTEMPT: job.attempts})
        except RetryLater as later:
            await jobs.retry_at(db, job.id, owner=self.owner, due_at=now() + later.delay, error=str(later))
        except Exception as error:
            await self._failed(job, error)
        else:
            await jobs.finish(db, job.id, owner=self.owner, now=now())

    async def _failed(self, job: OutboxJob, error: Exception) -> None:
        assert job.id is not None
        delay = backoff(job.attempts)
        if isinstance(error, SlackApiError) and error.response.status_code == 429:
            delay = timedelta(seconds=int(error.response.headers.get("Retry-After", 1)))
        reason = f"{type(error).__name__}: {error}"[:1000]
        if job.attempts >= MAX_ATTEMPTS:
            log.error("outbox job failed for good", extra={"job": job.id, "kind": job.kind, "error": reason})
            await jobs.finish(
                self._deps.db, job.id, owner=self.owner, now=self._deps.clock(), failed_with=reason
            )
            return
        log.warning("outbox job failed; will retry", extra={"job": job.id, "kind": job.kind, "error": reason})
        await jobs.retry_at(
            self._deps.db, job.id, owner=self.owner, due_at=self._deps.clock() + delay, error=reason
        )
