"""Several teams' reviews: each reads its own feedback channel and lists its own items; a team that sets
neither reads the top level's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e import test_digests
from tests.e2e.test_review_slack import last_week, post, seed_feedback

opsbot_serve = test_digests.opsbot_serve
pytestmark = pytest.mark.calendar_free  # the messages are placed in whatever last week is


@pytest.fixture
def serve_config() -> dict[str, Any]:
    return {
        "digests": {
            "enabled": False,
            "feedback_channel": "user-feedback",
            "weekly_items": ["Check the handbook"],
        },
        "teams": [
            {
                "name": "payments",
                "match": ["team=payments"],
                "digests": {"feedback_channel": "payments-feedback", "weekly_items": ["Review PSP fees"]},
            },
            {"name": "search", "match": ["team=search"]},
        ],
        "alerts": {"escalation": []},
        "host_checks": {"enabled": False},
    }


async def test_each_team_reads_its_own_feedback_channel_and_lists_its_own_items(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str
) -> None:
    week, ws = last_week(), sandbox.workspace
    seed_feedback(ws, week)  # #user-feedback: four messages last week
    payments = ws.create_channel("payments-feedback").id
    post(ws, payments, week.start + timedelta(days=1), "U0ALICE", "Refunds take a week")
    day = (week.first_day + timedelta(days=2)).isoformat()
    found = {}
    for team in ("payments", "search", "ops"):
        code, out = await opsbot_serve.command(
            sqlite_url, "digest", "weekly", "--team", team, "--for", day, "--dry-run"
        )
        assert code == 0, out
        found[team] = out
    assert "Messages in #payments-feedback: 1 (none last week)" in found["payments"]
    assert "[ ] Review PSP fees" in found["payments"] and "Check the handbook" not in found["payments"]
    for team in ("search", "ops"):
        assert "Messages in #user-feedback: 4" in found[team]
        assert "[ ] Check the handbook" in found[team] and "Review PSP fees" not in found[team]
