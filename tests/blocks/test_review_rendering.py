"""Review deadlines in words: the reminder and its DM, and the digests' share of warnings reviewed in time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.blocks.digest_parts import review_lines
from bot.blocks.digests import render_digest, render_text
from bot.blocks.review_reminders import review_dm, review_dm_unposted, review_reminder
from bot.domain.reviews import ReviewSummary, ReviewTally
from sandbox.blockkit import validate_blocks
from tests.blocks.test_digest_blocks import weekly

HOSTILE = "Disk <!channel> & <@U0BOSS> <https://evil.example|click>"


def test_the_reminder_mentions_the_on_call_and_nobody_the_alert_names() -> None:
    text = review_reminder("U0BOB", HOSTILE, waited=timedelta(minutes=61), deadline=timedelta(minutes=60))
    assert text.startswith(":hourglass: <@U0BOB> — *Disk &lt;!channel&gt; &amp; &lt;@U0BOSS&gt;")
    assert "nobody has reviewed for 1 h 1 min (review within 1 h)" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https://evil" not in text


def test_the_dm_links_the_thread_and_escapes_the_name() -> None:
    text = review_dm(HOSTILE, "https://slack.example/archives/C1/p1", waited=timedelta(seconds=2))
    assert "has waited 2 s for a review: <https://slack.example/archives/C1/p1|" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text


def test_an_unposted_warning_dm_says_where_it_failed_without_trusting_slack_or_the_alert() -> None:
    text = review_dm_unposted(HOSTILE, channel="ops-alerts", reason="<!here>", waited=timedelta(minutes=60))
    assert "could not be posted to #ops-alerts: Slack said `&lt;!here&gt;`" in text
    assert "<!channel>" not in text and "<!here>" not in text


def test_the_share_is_of_warnings_that_needed_a_review_against_the_period_before() -> None:
    summary = ReviewSummary(
        current=ReviewTally(in_time=3, late=1, missed=0, went_away=5, pending=1),
        previous=ReviewTally(in_time=1, missed=1),
        deadline_minutes=60,
    )
    lines = review_lines(summary, versus="last week")
    assert lines[0] == (
        "*Warnings reviewed within 1 h:* 75 % (3 of 4 · 1 late · 0 not reviewed) · last week: 50 %"
    )
    assert lines[1] == (
        "_Not counted: 5 resolved on their own before their deadline · 1 still within their deadline._"
    )


def test_a_period_without_warnings_to_review_says_so() -> None:
    lines = review_lines(ReviewSummary(deadline_minutes=30), versus="last month")
    assert lines == ["*Warnings reviewed within 30 min:* – (no warning needed a review) · last month: –"]


def test_the_weekly_review_shows_the_share_under_response() -> None:
    reviews = ReviewSummary(ReviewTally(in_time=9, missed=1), ReviewTally(), 60)
    digest = replace(weekly(1), reviews=reviews)
    assert validate_blocks(render_digest(digest)["blocks"]) == []
    response = render_text(digest).split("⏱️ Response")[1].split("🎚️")[0]
    assert "Warnings reviewed within 1 h: 90 % (9 of 10 · 0 late · 1 not reviewed) · last week: –" in response
