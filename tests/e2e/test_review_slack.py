"""The weekly review's user feedback and support metrics, read from the Slack channels the config names:
people's messages of last week against the week before, and what to do when opsbot cannot read one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.digest_periods import DigestKind, Period, period_reported_at
from sandbox import Workspace
from tests.e2e import test_digests

opsbot_serve = test_digests.opsbot_serve  # the fixture running `opsbot` commands against the sandbox
pytestmark = pytest.mark.calendar_free  # the messages are placed in whatever last week is


@pytest.fixture
def serve_config() -> dict[str, Any]:
    return {
        "digests": {"enabled": False, "feedback_channel": "user-feedback", "support_channel": "#support"},
        "alerts": {"escalation": []},
        "host_checks": {"enabled": False},
    }


def last_week() -> Period:
    """The week `opsbot digest weekly` reports now (UTC, the default team's zone)."""
    return period_reported_at(DigestKind.WEEKLY, datetime.now(UTC), "UTC")


def post(ws: Workspace, channel: str, at: datetime, user: str, text: str, **more: Any) -> str:
    return ws.add_past_message(channel, at=at.timestamp(), user=user, text=text, **more).ts


def seed_feedback(ws: Workspace, week: Period) -> None:
    """Last week four messages by people (and one by a bot, one join), the week before two."""
    channel = ws.create_channel("user-feedback").id
    day = timedelta(days=1)
    monday = week.start
    liked = {"+1": ["U0BOB", "U0CAROL"], "tada": ["U0DAVE"]}
    post(ws, channel, monday + 1 * day, "U0ALICE", "Love the new *export* button", reactions=liked)
    asked = post(ws, channel, monday + 2 * day, "U0BOB", "Search is slow", reactions={"eyes": ["U0ALICE"]})
    post(ws, channel, monday + 2 * day + timedelta(hours=1), "U0CAROL", "on it", thread_ts=asked)
    post(ws, channel, monday + 3 * day, "U0CAROL", "<!here> checkout &lt;broken&gt; <@U0BOB>")
    hearts = {"heart": ["U0ALICE", "U0BOB"]}
    post(ws, channel, monday + 4 * day, "U0DAVE", "Dark mode please", reactions=hearts)
    everyone = {"fire": ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"]}
    post(ws, channel, monday + 4 * day, "U0OPSBOT", "weekly digest", reactions=everyone)
    post(ws, channel, monday + 5 * day, "U0DAVE", "joined", subtype="channel_join")
    for hours in (10, 30):
        post(ws, channel, monday - timedelta(hours=hours), "U0ALICE", "older feedback")


def seed_support(ws: Workspace, week: Period) -> None:
    """Last week three requests (two answered, in 30 and 10 minutes; Tuesday the busiest), the week before
    one, answered in an hour."""
    channel = ws.create_channel("support").id
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    monday, tuesday = week.start + timedelta(hours=9), week.start + timedelta(days=1, hours=14)
    first = post(ws, channel, monday, "U0ALICE", "cannot log in")
    post(ws, channel, monday + minutes(5), "U0ALICE", "from the EU region", thread_ts=first)  # her own
    post(ws, channel, monday + minutes(30), "U0BOB", "fixed", thread_ts=first)
    second = post(ws, channel, tuesday, "U0CAROL", "invoice missing")
    post(ws, channel, tuesday + minutes(10), "U0DAVE", "sent", thread_ts=second)
    post(ws, channel, tuesday + minutes(120), "U0DAVE", "export times out")
    earlier = post(ws, channel, week.previous_start + timedelta(days=2), "U0BOB", "api key?")
    post(ws, channel, week.previous_start + timedelta(days=2, hours=1), "U0CAROL", "here", thread_ts=earlier)


async def test_the_weekly_review_counts_feedback_and_support_requests_from_their_channels(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str
) -> None:
    week = last_week()
    seed_feedback(sandbox.workspace, week)
    seed_support(sandbox.workspace, week)
    day = (week.first_day + timedelta(days=2)).isoformat()
    code, out = await opsbot_serve.command(sqlite_url, "digest", "weekly", "--for", day, "--dry-run")
    assert code == 0, out
    feedback = out.split("[ ] User feedback / complaints")[1].split("[ ] ")[0]
    assert "Messages in #user-feedback: 4 (▲ 100 % vs 2 last week) · 1 with a reply (25%)" in feedback
    ranked = [line for line in feedback.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert [line.split("” — ")[1].split(" · ")[0] for line in ranked] == [
        "3 reactions",
        "2 reactions",
        "1 reaction",
    ]
    assert ranked[0].startswith("1. “Love the new export button”")  # the bot's 4 reactions do not count
    assert "/archives/" in ranked[0]  # its permalink
    assert "<!here>" not in out and "checkout" not in feedback  # unreacted: not quoted
    support = out.split("[ ] Support metrics")[1].split("[ ] ")[0]
    assert "Requests in #support: 3 (▲ 200 % vs 1 last week)" in support
    assert "Answered: 2 · unanswered: 1" in support
    assert "Median time to first reply: 20 min (1 h last week)" in support
    assert "Busiest day: Tuesday (2 requests)" in support


async def test_a_channel_opsbot_is_not_in_says_to_invite_it_and_a_missing_one_names_its_key(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str
) -> None:
    ws = sandbox.workspace
    support = ws.create_channel("support", creator="U0ALICE").id  # public, opsbot never invited
    post(ws, support, last_week().start + timedelta(hours=9), "U0ALICE", "help")
    code, out = await opsbot_serve.command(sqlite_url, "digest", "weekly", "--dry-run")
    assert code == 0, out
    support_part = out.split("[ ] Support metrics")[1].split("[ ] ")[0]
    assert "opsbot cannot read #support: invite @opsbot to #support" in support_part
    feedback_part = out.split("[ ] User feedback / complaints")[1].split("[ ] ")[0]
    assert "opsbot sees no channel #user-feedback: check digests.feedback_channel" in feedback_part
    assert "Identify the top 3 issues" in out  # the rest of the review is there
