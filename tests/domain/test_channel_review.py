"""A Slack channel in review: which messages are people's posts, and the numbers of a period from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.channel_review import (
    Post,
    answered,
    busiest_weekday,
    first_answer,
    instant,
    median_delay,
    most_reacted,
    person_post,
    posts_between,
    readable,
    replied_share,
    slack_ts,
)
from bot.domain.digest_periods import week_period

MONDAY = datetime(2026, 11, 9, tzinfo=UTC)


def message(at: datetime, user: str = "U0ALICE", **fields: Any) -> dict[str, Any]:
    return {"type": "message", "ts": slack_ts(at), "user": user, "text": "hello", **fields}


def post(at: datetime, *, reactions: int = 0, replies: int = 0, user: str = "U0ALICE") -> Post:
    return Post(slack_ts(at), at, user, "words", reactions=reactions, replies=replies)


def test_a_ts_and_an_instant_turn_into_each_other_to_the_microsecond() -> None:
    at = datetime(2026, 11, 9, 8, 30, 15, 123456, tzinfo=UTC)
    assert slack_ts(at) == "1794213015.123456"
    assert instant(slack_ts(at)) == at


def test_only_peoples_own_top_level_posts_count() -> None:
    at = MONDAY + timedelta(hours=9)
    ts = slack_ts(at)
    assert person_post(message(at)) == Post(ts, at, "U0ALICE", "hello")
    assert person_post(message(at, subtype="file_share")) is not None
    assert person_post(message(at, thread_ts=ts, reply_count=2)) is not None  # a thread's parent
    refused = [
        message(at, subtype="channel_join"),
        message(at, subtype="bot_message"),
        message(at, bot_id="B0OTHER"),  # an app posting as a user still has a bot_id
        message(at, subtype="thread_broadcast", thread_ts="1700000000.000100"),
        message(at, thread_ts="1700000000.000100"),  # a reply
        {"type": "message", "ts": ts, "text": "no author"},
    ]
    assert [person_post(m) for m in refused] == [None] * len(refused)


def test_reactions_are_summed_over_every_emoji_and_replies_read_from_reply_count() -> None:
    reactions = [{"name": "+1", "users": ["U1", "U2"], "count": 2}, {"name": "eyes", "count": 3}]
    found = person_post(message(MONDAY, reactions=reactions, reply_count=4))
    assert found is not None and (found.reactions, found.replies) == (5, 4)


def test_a_periods_posts_are_those_from_its_start_up_to_its_end() -> None:
    week = week_period(MONDAY.date(), "UTC")
    inside = [message(week.start), message(week.end - timedelta(microseconds=1), user="U0BOB")]
    outside = [message(week.start - timedelta(microseconds=1)), message(week.end)]
    found = posts_between([*reversed(inside), *outside, inside[0]], week.start, week.end)  # newest first
    assert [p.user for p in found] == ["U0ALICE", "U0BOB"]  # oldest first, each once


def test_the_most_reacted_to_come_first_the_earlier_on_a_tie_and_none_without_reactions() -> None:
    posts = [
        post(MONDAY, reactions=2),
        post(MONDAY + timedelta(hours=1), reactions=5),
        post(MONDAY + timedelta(hours=2), reactions=2),
        post(MONDAY + timedelta(hours=3), reactions=0),
        post(MONDAY + timedelta(hours=4), reactions=1),
    ]
    top = most_reacted(posts)
    assert [p.reactions for p in top] == [5, 2, 2]
    assert top[1].at == MONDAY  # of the two with 2, the earlier
    assert most_reacted([post(MONDAY)]) == []


def test_the_share_with_a_reply() -> None:
    posts = [post(MONDAY, replies=1), post(MONDAY, replies=0), post(MONDAY, replies=3), post(MONDAY)]
    assert len(answered(posts)) == 2
    assert replied_share(posts) == 0.5
    assert replied_share([]) is None


def test_the_first_answer_is_the_first_reply_by_someone_else_and_not_a_bot() -> None:
    asked = post(MONDAY, user="U0ALICE", replies=3)
    thread = [
        message(MONDAY, user="U0ALICE"),  # the parent
        message(MONDAY + timedelta(minutes=2), user="U0ALICE", thread_ts=asked.ts),  # more details
        message(MONDAY + timedelta(minutes=3), user="U0OPSBOT", bot_id="B0OPSBOT", thread_ts=asked.ts),
        message(MONDAY + timedelta(minutes=40), user="U0BOB", thread_ts=asked.ts),
    ]
    assert first_answer(asked, thread) == MONDAY + timedelta(minutes=40)
    assert first_answer(asked, thread[:3]) is None


def test_the_median_delay_of_an_even_count_is_the_middle_two_averaged() -> None:
    minutes = [timedelta(minutes=m) for m in (50, 10, 30)]
    assert median_delay(minutes) == timedelta(minutes=30)
    assert median_delay([*minutes, timedelta(minutes=20)]) == timedelta(minutes=25)
    assert median_delay([]) is None


def test_the_busiest_weekday_is_counted_in_the_teams_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    posts = [post(late_sunday_utc), post(late_sunday_utc + timedelta(minutes=5)), post(MONDAY + timedelta(1))]
    assert busiest_weekday(posts, "UTC") == ("Sunday", 2)
    assert busiest_weekday(posts, "Europe/Berlin") == ("Monday", 2)
    tie = [post(MONDAY + timedelta(days=3)), post(MONDAY + timedelta(days=1))]
    assert busiest_weekday(tie, "UTC") == ("Tuesday", 1)  # the earlier weekday on a tie
    assert busiest_weekday([], "UTC") is None


def test_a_quoted_message_shows_what_slack_shows_on_one_line_and_clipped() -> None:
    text = (
        "<!here> <@U0BOB|bob> the <https://x.test/a?b=1&amp;c=2|checkout page> is &lt;slow&gt;\n\n"
        "see <#C1|ops>"
    )
    assert readable(text) == "@here @bob the checkout page is <slow> see #ops"
    assert (
        readable("<@U0BOB> and <!subteam^S1|@sre> and <https://x.test>")
        == "@U0BOB and @sre and https://x.test"
    )
    clipped = readable("word " * 100, limit=20)
    assert len(clipped) <= 20 and clipped.endswith("…")
