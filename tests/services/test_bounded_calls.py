"""BoundedCalls: never more blocking calls at once than its threads, none waited on past its deadline."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from bot.services.bounded_calls import BoundedCalls, NoSlot


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Blocking calls wait on it; opened at the end so no thread outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def blocked(gate: threading.Event, value: int) -> int:
    if not gate.wait(timeout=30):
        raise AssertionError("the test never opened the gate")
    return value


async def until(calls: BoundedCalls, *, busy: int) -> None:
    """Let the loop run until `busy` threads are busy (the done callbacks arrive through the loop)."""
    async with asyncio.timeout(10):
        while True:
            if calls.busy == busy:
                return
            await asyncio.sleep(0.01)


async def test_no_more_calls_run_at_once_than_there_are_threads(gate: threading.Event) -> None:
    calls = BoundedCalls(name="test", limit=2, timeout=30)
    running = [asyncio.create_task(calls.run(blocked, gate, i)) for i in range(5)]
    await until(calls, busy=2)
    for _ in range(20):
        await asyncio.sleep(0)
    assert calls.busy == 2 and not any(task.done() for task in running)
    gate.set()
    assert await asyncio.gather(*running) == [0, 1, 2, 3, 4]
    await until(calls, busy=0)
    calls.close()


async def test_a_call_past_its_deadline_is_given_up_but_keeps_its_thread(gate: threading.Event) -> None:
    calls = BoundedCalls(name="test", limit=1, timeout=0.5)
    with pytest.raises(TimeoutError) as raised:
        await calls.run(blocked, gate, 1)
    assert not isinstance(raised.value, NoSlot)
    # The abandoned call still occupies the only thread: the next one waits for it, not for a hidden queue.
    assert calls.busy == 1
    with pytest.raises(NoSlot):
        await calls.run(blocked, gate, 2)
    gate.set()
    await until(calls, busy=0)
    assert await calls.run(blocked, gate, 3) == 3
    calls.close()


async def test_errors_of_the_call_reach_the_caller_and_free_the_thread() -> None:
    calls = BoundedCalls(name="test", limit=1, timeout=5)

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await calls.run(fails)
    await until(calls, busy=0)
    calls.close()
    with pytest.raises(RuntimeError, match="shutdown"):
        await calls.run(fails)
    assert calls.busy == 0
