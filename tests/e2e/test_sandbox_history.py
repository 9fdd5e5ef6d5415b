"""`make run` on a fresh clone: the embedded sandbox starts with a past month of history, posts none of it
to the sandbox's Slack, seeds a database once, and `--empty` starts without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.sample_history import RULES
from storage.db import create_database
from storage.outbox import DONE, counts_by_status
from tests.e2e.test_embedded_security import control, embedded, wait_for_state

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
        assert SEEDED not in again.output  # once per database


async def test_empty_starts_without_history(tmp_path: Path) -> None:
    async with embedded(tmp_path) as bot:  # --empty
        assert SEEDED not in bot.output
    db = create_database(f"sqlite:///{tmp_path / 'opsbot-sandbox.db'}")
    try:
        assert await counts_by_status(db) == {}
    finally:
        await db.dispose()
