"""`make run` on a fresh clone: the embedded sandbox starts with a past month of history, posts none of it
to the sandbox's Slack, seeds a database once, and `--empty` starts without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import ALREADY_SEEDED
from bot.domain.sample_history import RULES
from storage.db import create_database
from storage.outbox import DONE, counts_by_status
from tests.e2e.test_embedded_security import (
    Embedded,
    control,
    embedded,
    read_until_listening,
    spawn,
    wait_for_state,
)

pytestmark = pytest.mark.calendar_free  # whatever the day, the history ends at the start

SEEDED = "sample history: "


async def test_the_first_start_seeds_a_month_and_posts_none_of_it(tmp_path: Path) -> None:
    async with embedded(tmp_path, history=True) as bot:
        assert SEEDED in bot.output, bot.output
        status, _ = await control(bot, "alerts", {"kind": "warning"})
        assert status == 200
        state = await wait_for_state(bot, contains="ApiLatencyHigh")
    past = [rule.name for rule in RULES if rule.name != "ApiLatencyHigh" and rule.name in state]
    assert past == [], f"the sandbox shows alerts of the sample history: {past}"
    assert "INC-" not in state and "TKT-" not in state
    db = create_database(f"sqlite:///{tmp_path / 'opsbot-sandbox.db'}")
    try:
        assert set(await counts_by_status(db)) <= {DONE, "pending", "sending"}
    finally:
        await db.dispose()
    async with embedded(tmp_path, history=True) as again:
        assert SEEDED not in again.output and ALREADY_SEEDED in again.output  # once per database


async def test_empty_starts_without_history(tmp_path: Path) -> None:
    async with embedded(tmp_path) as bot:  # --empty
        assert SEEDED not in bot.output
    db = create_database(f"sqlite:///{tmp_path / 'opsbot-sandbox.db'}")
    try:
        assert await counts_by_status(db) == {}
    finally:
        await db.dispose()


async def test_the_page_works_while_the_history_is_told_and_its_alert_is_posted_after(tmp_path: Path) -> None:
    process = await spawn(tmp_path)  # with the sample history
    try:
        output, listening = await read_until_listening(process)  # the bot answers before the history is told
        assert listening and SEEDED not in output, output
        bot = Embedded(process, output)
        status, _ = await control(bot, "alerts", {"kind": "warning"})
        assert status == 200  # stored now; its message waits for the outbox, which starts after the history
        rest, told = await read_until_listening(process, until=(SEEDED,))
        assert told, rest
        await wait_for_state(bot, contains="ApiLatencyHigh", within=30)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()
