"""The outbox worker's own life: it stops when told, whatever it is doing."""

from __future__ import annotations

import asyncio

from bot.server import RunningServer
from bot.services.job_runners import RUNNERS
from bot.services.outbox import OutboxWorker


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
