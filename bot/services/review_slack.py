"""Review checklist findings from Slack itself: user feedback (the messages of the team's feedback channel)
and support metrics (the requests of its support channel), each period against the one before.

Reads are bounded (pages of history, threads for the time to first reply, calls in flight), so a busy
channel costs a few seconds, not the digest's time-out. A channel opsbot cannot read (not invited, gone, a
scope missing, rate-limited) costs its item one line saying what to do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.text import link, untrusted
from bot.config import Team
from bot.deps import Deps
from bot.domain.channel_review import (
    Post,
    Reading,
    answered,
    busiest_weekday,
    first_answer,
    median_delay,
    most_reacted,
    posts_between,
    readable,
    replied_share,
    slack_ts,
)
from bot.domain.digest_periods import DigestKind, Period
from bot.domain.digests import Change
from bot.domain.durations import humanize_duration
from bot.domain.review_checklist import Finding, catalog
from bot.errors import NotFound
from bot.slack import error_code

ITEMS: tuple[str, ...] = ("user_feedback", "support_metrics")
PAGE_SIZE = 200  # Slack's advice for conversations.history
MAX_MESSAGES = 2000  # per period: a channel busier than this reads "at least"
MAX_THREADS = 20  # per period, for the time to first reply (conversations.replies is Tier 3: 50+ a minute)
THREADS_IN_FLIGHT = 4
THREAD_LIMIT = 20  # replies looked at per thread for the first one by someone else
TOP_REACTED = 3
VERSUS = {DigestKind.WEEKLY: "last week", DigestKind.MONTHLY: "last month"}


@dataclass(frozen=True)
class ReviewChannel:
    """A configured channel: its config key (named when it cannot be found), its name and Slack ID."""

    key: str
    name: str
    id: str = ""


Reader = Callable[[Deps, Period, ReviewChannel], Awaitable[Finding]]


async def findings(deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    """A finding for each item of the period's list whose channel is configured."""
    review, where = team.review, "digests" if team.is_default else f"teams.{team.handle}.digests"
    configured: dict[str, tuple[str, str | None, Reader]] = {
        "user_feedback": (f"{where}.feedback_channel", review.feedback_channel, _feedback),
        "support_metrics": (f"{where}.support_channel", review.support_channel, _support),
    }
    asked = {spec.key for spec in catalog(period.kind)}
    chosen = [
        (item, ReviewChannel(key, name), reader)
        for item, (key, name, reader) in configured.items()
        if item in asked and name
    ]
    answers = await asyncio.gather(*(_answer(deps, period, channel, reader) for _, channel, reader in chosen))
    return {item: answer for (item, _, _), answer in zip(chosen, answers, strict=True)}


async def _answer(deps: Deps, period: Period, channel: ReviewChannel, reader: Reader) -> Finding:
    try:
        found = ReviewChannel(channel.key, channel.name, await deps.channels.id_for(channel.name))
        return await reader(deps, period, found)
    except NotFound:
        problem = _problem("channel_not_found", channel)
    except SlackApiError as error:
        problem = _problem(error_code(error), channel, needed=str(error.response.get("needed") or ""))
    return Finding((f"_⚠️ {problem}._",), has_data=False, summary=problem)


def _problem(code: str, channel: ReviewChannel, *, needed: str = "") -> str:
    """What to do when Slack refuses to show the channel (the channel name is validated config)."""
    name = f"#{channel.name}"
    if code == "not_in_channel":
        return f"opsbot cannot read {name}: invite @opsbot to {name}"
    if code == "channel_not_found":
        return f"opsbot sees no channel {name}: check {channel.key} (a private channel must invite @opsbot)"
    if code == "missing_scope":
        scope = untrusted(needed or "channels:history")
        return f"opsbot's Slack app lacks the {scope} scope to read {name}: add it and reinstall the app"
    if code == "ratelimited":
        return f"Slack rate-limited reading {name}; the next review reads it again"
    return f"{name} could not be read ({untrusted(code)})"


async def _feedback(deps: Deps, period: Period, channel: ReviewChannel) -> Finding:
    now, before = await _both_periods(deps, period, channel)
    versus, posts = VERSUS[period.kind], now.posts
    lines = [f"*Messages in #{channel.name}:* {_count(now, before, versus)}"]
    if posts:
        replied = len(answered(posts))
        lines[0] += f" · {replied} with a reply ({replied_share(posts) or 0:.0%})"
    top = most_reacted(posts, TOP_REACTED)
    links = await asyncio.gather(*(_permalink(deps, channel, post) for post in top))
    if top:
        lines.append("*Most reacted-to:*")
    lines += [
        f"{rank}. “{untrusted(readable(post.text))}” — {_plural(post.reactions, 'reaction')} · {url}"
        for rank, (post, url) in enumerate(zip(top, links, strict=True), start=1)
    ]
    summary = f"{len(posts)} messages in #{channel.name} ({len(before.posts)} {versus})"
    return Finding(tuple(lines), summary=summary)


async def _support(deps: Deps, period: Period, channel: ReviewChannel) -> Finding:
    now, before = await _both_periods(deps, period, channel)
    slots = asyncio.Semaphore(THREADS_IN_FLIGHT)
    (delays, read), (earlier, _) = await asyncio.gather(
        _reply_delays(deps, channel, now.posts, slots), _reply_delays(deps, channel, before.posts, slots)
    )
    versus, posts = VERSUS[period.kind], now.posts
    replied = len(answered(posts))
    lines = [
        f"*Requests in #{channel.name}:* {_count(now, before, versus)}",
        f"Answered: {replied} · unanswered: {len(posts) - replied}",
    ]
    median, median_before = median_delay(delays), median_delay(earlier)
    if median is not None:
        sample = f", from the first {read} of {replied} answered" if read < replied else ""
        was = f"{humanize_duration(median_before)} {versus}" if median_before is not None else f"– {versus}"
        lines.append(f"*Median time to first reply:* {humanize_duration(median)} ({was}{sample})")
    busiest = busiest_weekday(posts, period.zone)
    if busiest is not None:
        lines.append(f"*Busiest day:* {busiest[0]} ({_plural(busiest[1], 'request')})")
    summary = f"{len(posts)} requests in #{channel.name}, {len(posts) - replied} unanswered"
    return Finding(tuple(lines), summary=summary)


async def _both_periods(deps: Deps, period: Period, channel: ReviewChannel) -> tuple[Reading, Reading]:
    now, before = await asyncio.gather(
        _read(deps, channel, period.start, period.end),
        _read(deps, channel, period.previous_start, period.previous_end),
    )
    return now, before


async def _read(deps: Deps, channel: ReviewChannel, start: datetime, end: datetime) -> Reading:
    """People's top-level posts of [start, end), newest pages first, up to MAX_MESSAGES messages."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await deps.slack.conversations_history(
            channel=channel.id,
            oldest=slack_ts(start),
            latest=slack_ts(end),
            inclusive=True,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        messages += page.get("messages", [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None or len(messages) >= MAX_MESSAGES:
            return Reading(tuple(posts_between(messages, start, end)), cut=cursor is not None)


async def _reply_delays(
    deps: Deps, channel: ReviewChannel, posts: Sequence[Post], slots: asyncio.Semaphore
) -> tuple[list[timedelta], int]:
    """How long each of the first MAX_THREADS answered posts waited for someone else's reply, and how many
    threads were read."""
    threads = answered(posts)[:MAX_THREADS]

    async def delay(post: Post) -> timedelta | None:
        async with slots:
            thread = await deps.slack.conversations_replies(
                channel=channel.id, ts=post.ts, limit=THREAD_LIMIT
            )
        first = first_answer(post, thread.get("messages", []))
        return None if first is None else first - post.at

    delays = await asyncio.gather(*(delay(post) for post in threads))
    return [d for d in delays if d is not None], len(threads)


async def _permalink(deps: Deps, channel: ReviewChannel, post: Post) -> str:
    response = await deps.slack.chat_getPermalink(channel=channel.id, message_ts=post.ts)
    return link(str(response["permalink"]), "open")


def _count(now: Reading, before: Reading, versus: str) -> str:
    at_least = "at least " if now.cut else ""
    change = Change(len(now.posts), len(before.posts)).describe(versus)
    return f"{at_least}{change}" + (" (the previous period read in part)" if before.cut else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
