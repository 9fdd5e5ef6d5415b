"""Group commit: concurrent items share writes, each caller returns after its own item is written, and a
bad item or a cancelled caller never costs the others their write."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.group_commit import GroupCommit


class Store:
    def __init__(self, *, bad: frozenset[int] = frozenset(), pause: float = 0.01) -> None:
        self.writes: list[list[int]] = []
        self.stored: set[int] = set()
        self.bad, self.pause = bad, pause
        self.attempts = 0
        self.started: asyncio.Queue[list[int]] = asyncio.Queue()  # each write's items, as it begins

    async def write(self, items: Sequence[int]) -> None:
        self.attempts += 1
        self.started.put_nowait(list(items))
        await asyncio.sleep(self.pause)  # a transaction in flight: others queue meanwhile
        if self.bad & set(items):
            raise ValueError(f"bad items {sorted(self.bad & set(items))}")
        self.writes.append(list(items))
        self.stored.update(items)


async def test_concurrent_items_share_writes_and_each_caller_returns_after_its_own() -> None:
    commits, store = GroupCommit[int](), Store()

    async def submit(item: int) -> None:
        await commits.submit(item, store.write)
        assert item in store.stored  # never acknowledged before it is written

    await asyncio.gather(*(submit(i) for i in range(20)))
    assert store.stored == set(range(20))
    assert len(store.writes) < 20
    assert store.writes[0] == [0]  # the first caller finds nothing else queued
    assert sorted(i for write in store.writes for i in write) == list(range(20))  # each written once


async def test_a_bad_item_fails_only_its_own_caller() -> None:
    commits, store = GroupCommit[int](), Store(bad=frozenset({7}))
    submitted = (commits.submit(i, store.write) for i in range(12))
    results = await asyncio.gather(*submitted, return_exceptions=True)
    failed = [i for i, result in enumerate(results) if isinstance(result, Exception)]
    assert failed == [7]
    assert str(results[7]) == "bad items [7]"
    assert store.stored == set(range(12)) - {7}


async def test_a_caller_cancelled_mid_write_does_not_strand_the_items_written_with_its_own() -> None:
    commits, store = GroupCommit[int](), Store(pause=0.05)
    first = asyncio.ensure_future(commits.submit(0, store.write))
    # 0 is being written; 1 and 2 queue behind it
    assert await asyncio.wait_for(store.started.get(), 5) == [0]
    others = [asyncio.ensure_future(commits.submit(i, store.write)) for i in (1, 2)]
    # 0 is written; the caller of 1 now writes 1 and 2 together
    assert await asyncio.wait_for(store.started.get(), 5) == [1, 2]
    others[0].cancel()  # mid-write
    with pytest.raises(asyncio.CancelledError):
        await others[0]
    await asyncio.wait_for(others[1], timeout=1)
    await first
    assert store.stored == {0, 1, 2}
    assert store.writes == [[0], [1, 2]]


async def test_a_failure_no_item_caused_fails_every_caller_without_retrying_each() -> None:
    store = Store(bad=frozenset(range(6)))
    commits = GroupCommit[int](shared_failure=lambda error: "bad items" in str(error))
    results = await asyncio.gather(
        *(commits.submit(i, store.write) for i in range(6)), return_exceptions=True
    )
    assert all(isinstance(result, ValueError) for result in results)
    assert store.attempts < 6  # one try per combined batch, none per item


async def test_a_write_takes_at_most_max_items_and_every_caller_still_gets_its_own_written() -> None:
    commits, store = GroupCommit[int](max_items=3), Store()
    await asyncio.gather(*(commits.submit(i, store.write) for i in range(10)))
    assert store.stored == set(range(10))
    assert max(len(write) for write in store.writes) <= 3
    assert [i for write in store.writes for i in write] == list(range(10))  # in arrival order
