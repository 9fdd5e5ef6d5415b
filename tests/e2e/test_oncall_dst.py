"""/oncall across a DST change: a hand-off in the repeated autumn hour happens once, not twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from tests.support.clock import SetClock

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

# Berlin's clocks go back from 03:00 CEST to 02:00 CET this night: 02:00–03:00 happens twice. The 02:30
# hand-off happened at 00:30 UTC (its first pass); 01:10 UTC reads 02:10 on the second pass.
SECOND_PASS = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"timezone": "Europe/Berlin"},
        "oncall": {
            "members": ["U0ALICE", "U0BOB"],
            "handoff": "daily",
            "handoff_time": "02:30",
            "start": "2026-10-24",
        },
    }


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningServer]:
    """opsbot on a clock stopped in the second pass of the repeated hour."""
    deps = build_deps(make_settings(), clock=SetClock(SECOND_PASS))
    server = await start_server(deps, host="127.0.0.1", port=0)
    yield server
    await server.close()


async def test_oncall_in_the_repeated_hour_names_who_took_over_at_its_first_pass(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/oncall", "", user="alice", channel="general")
    shown = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="Now:"))
    assert "*Now:* <@U0BOB> — for another 1 d" in shown, shown  # until 02:30 CET tomorrow
    tomorrow = int(datetime(2026, 10, 26, 1, 30, tzinfo=UTC).timestamp())
    assert f"*Next:* <@U0ALICE> from <!date^{tomorrow}^" in shown, shown
