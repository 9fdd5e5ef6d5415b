"""Blocking calls on a few threads of their own, each with a deadline.

`asyncio.to_thread` shares the loop's default executor with aiohttp's DNS resolver (ThreadedResolver) and
every other `to_thread` user: a hung upstream whose calls fill that pool delays Slack calls by as long as
the calls hang. A `BoundedCalls` owns its threads, so a slow upstream can only use up its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class NoSlot(TimeoutError):
    """The deadline passed while every thread was still busy with earlier calls."""


class BoundedCalls:
    """Run blocking calls on at most `limit` threads; a call not done within `timeout` raises TimeoutError.

    A slot is held until the thread finishes, not until the caller gives up: a call abandoned at its
    deadline still occupies its thread, so the next one waits here instead of queuing unseen in the pool.
    Waiting for a slot counts against the caller's deadline, so nothing waits longer than `timeout`.
    """

    def __init__(self, *, name: str, limit: int, timeout: float) -> None:
        self.limit = limit
        self.timeout = timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=limit, thread_name_prefix=name)
        self._slots = asyncio.Semaphore(limit)
        self._busy = 0

    @property
    def busy(self) -> int:
        """Threads running a call now (abandoned ones included)."""
        return self._busy

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function(*args)` on one of the threads; NoSlot or TimeoutError at the deadline."""
        got_slot = False
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
                got_slot = True
                return await asyncio.wrap_future(self._submit(function, *args))
        except TimeoutError:
            raise (TimeoutError() if got_slot else NoSlot()) from None

    def close(self) -> None:
        """Stop taking calls; threads still stuck end when their own (client) time-out fires."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _submit(self, function: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        loop = asyncio.get_running_loop()
        try:
            future = self._executor.submit(function, *args)
        except BaseException:
            self._slots.release()
            raise
        self._busy += 1
        future.add_done_callback(lambda _: _call_soon(loop, self._free_slot))
        return future

    def _free_slot(self) -> None:
        self._busy -= 1
        self._slots.release()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Hand `callback` to the loop from a worker thread; a loop already closed has nobody left to free."""
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:
        log.debug("a blocking call ended after its event loop closed")
