"""Group commit: items that callers submit while a write is under way go out together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Write = Callable[[Sequence[Item]], Awaitable[None]]


class GroupCommit(Generic[Item]):
    """Each caller returns only once its own item is written, so nothing is acknowledged before it is stored.

    Why: a transaction's fixed cost (begin, commit, one round trip per statement, and on SQLite a hop to
    the driver's thread for each) dwarfs the cost of one more row. Callers queue while one write runs; the
    next caller to get the lock writes everything queued in one transaction. If that combined write fails,
    each item is written alone, so one bad item fails only its own caller.
    """

    def __init__(
        self, *, max_items: int = 32, shared_failure: Callable[[Exception], bool] = lambda _: False
    ) -> None:
        """At most `max_items` share a write (a transaction stays short); `shared_failure` tells errors that
        no item caused (the database is down): those fail every caller at once, not item by item."""
        self._queued: list[tuple[Item, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()
        self._max_items = max_items
        self._shared_failure = shared_failure

    async def submit(self, item: Item, write: Write[Item]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queued.append((item, done))
        async with self._lock:
            while self._queued and not done.done():  # oldest first, until this caller's item is written
                batch = self._queued[: self._max_items]
                del self._queued[: self._max_items]
                # Shielded: if this caller goes away mid-write, the others' items are still written.
                await asyncio.shield(asyncio.ensure_future(self._write_batch(batch, write)))
        await done

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[None]]], write: Write[Item]) -> None:
        try:
            await write([item for item, _ in batch])
        except Exception as error:
            if len(batch) == 1 or self._shared_failure(error):
                for _, done in batch:
                    _settle(done, error)
                return
            for item, done in batch:
                try:
                    await write([item])
                except Exception as alone:
                    _settle(done, alone)
                else:
                    _settle(done, None)
            return
        for _, done in batch:
            _settle(done, None)


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():  # its caller was cancelled; the item was written (or failed) all the same
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
