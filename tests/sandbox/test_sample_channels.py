"""The embedded sandbox's #user-feedback and #support: a past month of people's messages, reactions and
replies, the same for the same moment, enough for every week of the weekly review."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.domain.channel_review import Post, answered, most_reacted, posts_between
from bot.domain.digest_periods import DigestKind, period_reported_at
from sandbox import Workspace
from sandbox.sample_channels import DAYS, FEEDBACK_CHANNEL, SUPPORT_CHANNEL, seed_review_channels


def seeded(now: float) -> Workspace:
    ws = Workspace(seed=1)
    seed_review_channels(ws, now=now)
    return ws


def test_the_month_is_in_the_past_the_same_for_the_same_moment_and_answers_in_threads() -> None:
    now = time.time() - 60
    ws, again = seeded(now), seeded(now)
    for name in (FEEDBACK_CHANNEL, SUPPORT_CHANNEL):
        stored = ws.messages(name, include_replies=True)
        assert [(m.ts, m.user, m.text) for m in stored] == [
            (m.ts, m.user, m.text) for m in again.messages(name, include_replies=True)
        ]
        assert all(now - DAYS * 86400 <= float(m.ts) < now for m in stored)
        assert {"U0OPSBOT", "U0ALICE", "U0DAVE"} <= set(ws.channel(name).members)
        assert any(m.is_reply for m in stored) and all(not m.bot_id for m in stored)


def test_last_week_has_feedback_with_reactions_and_answered_requests() -> None:
    now = datetime.now(UTC)
    ws = seeded(now.timestamp())
    week = period_reported_at(DigestKind.WEEKLY, now, "UTC")
    assert week.previous_start >= now - timedelta(days=DAYS)  # the week before it is told too

    def posts(name: str) -> list[Post]:
        messages = [m.to_api() for m in ws.messages(name)]
        return posts_between(messages, week.start, week.end)

    feedback, support = posts(FEEDBACK_CHANNEL), posts(SUPPORT_CHANNEL)
    assert len(feedback) >= 7 and len(most_reacted(feedback)) == 3
    assert len(support) >= 7 and answered(support)
