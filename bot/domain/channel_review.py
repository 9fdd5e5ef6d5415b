"""A Slack channel in review (user feedback, support requests): which messages count, and the period's
numbers from them. Pure: the service reads Slack and hands the messages here as Slack's JSON."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.commands import unescape_slack

# A person's own post; any other subtype (channel_join, bot_message, thread_broadcast …) is Slack's doing
# or a reply shown in the channel, not a request.
PERSON_SUBTYPES = frozenset({"", "file_share", "me_message"})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Post:
    """A person's top-level message: when, by whom, its words, reactions (all emoji) and replies."""

    ts: str
    at: datetime
    user: str
    text: str
    reactions: int = 0
    replies: int = 0


@dataclass(frozen=True)
class Reading:
    """The posts of one period; `cut` when the reading stopped at its bound (the count is "at least")."""

    posts: tuple[Post, ...]
    cut: bool = False


def instant(ts: str) -> datetime:
    """The instant of a Slack ts ("1700000000.000100")."""
    return datetime.fromtimestamp(float(ts), UTC)


def slack_ts(at: datetime) -> str:
    """A Slack ts for an instant (the bounds of conversations.history)."""
    return f"{at.timestamp():.6f}"


def person_post(message: Mapping[str, Any]) -> Post | None:
    """The message as a Post when a person wrote it at the top level of the channel, else None."""
    if message.get("bot_id") or not message.get("user"):
        return None
    if str(message.get("subtype") or "") not in PERSON_SUBTYPES:
        return None
    ts, thread = str(message.get("ts") or ""), message.get("thread_ts")
    if not ts or (thread and thread != ts):
        return None
    reactions = sum(int(r.get("count") or 0) for r in message.get("reactions") or [])
    return Post(
        ts=ts,
        at=instant(ts),
        user=str(message["user"]),
        text=str(message.get("text") or ""),
        reactions=reactions,
        replies=int(message.get("reply_count") or 0),
    )


def posts_between(messages: Sequence[Mapping[str, Any]], start: datetime, end: datetime) -> list[Post]:
    """People's top-level posts within [start, end), oldest first, each once."""
    found = {p.ts: p for m in messages if (p := person_post(m)) is not None and start <= p.at < end}
    return sorted(found.values(), key=lambda p: p.at)


def most_reacted(posts: Sequence[Post], limit: int = 3) -> list[Post]:
    """The posts with the most reactions (at least one), the earlier first on a tie."""
    reacted = [p for p in posts if p.reactions > 0]
    return sorted(reacted, key=lambda p: (-p.reactions, p.at))[:limit]


def answered(posts: Sequence[Post]) -> list[Post]:
    """The posts someone replied to in a thread."""
    return [p for p in posts if p.replies > 0]


def replied_share(posts: Sequence[Post]) -> float | None:
    """The share of posts with a reply (0–1); None without posts."""
    return len(answered(posts)) / len(posts) if posts else None


def first_answer(post: Post, replies: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When someone other than the author first replied to `post` (a person, not a bot), from its thread
    (conversations.replies: the parent, then replies oldest first); None when nobody else has."""
    for reply in replies:
        if str(reply.get("ts")) == post.ts or reply.get("bot_id") or not reply.get("user"):
            continue
        if reply["user"] != post.user:
            return instant(str(reply["ts"]))
    return None


def median_delay(delays: Sequence[timedelta]) -> timedelta | None:
    """The median of the delays; None without any."""
    if not delays:
        return None
    return timedelta(seconds=statistics.median(d.total_seconds() for d in delays))


def busiest_weekday(posts: Sequence[Post], zone: str) -> tuple[str, int] | None:
    """The weekday (in the team's zone) with the most posts and how many; Monday first on a tie."""
    tz = ZoneInfo(zone)
    per_day = Counter(p.at.astimezone(tz).weekday() for p in posts)
    if not per_day:
        return None
    day = min(per_day, key=lambda d: (-per_day[d], d))
    return WEEKDAYS[day], per_day[day]


_CONTROL = re.compile(r"<([^<>]*)>")


def readable(text: str, limit: int = 150) -> str:
    """A person's message as plain words on one line, clipped: Slack's `<…>` sequences become what they
    show (`<@U1|ann>` → @ann, `<https://x|docs>` → docs, `<!here>` → @here), entities become characters.
    The result is still outside text: escape it before it reaches Slack."""
    shown = unescape_slack(_CONTROL.sub(lambda m: _shown(m.group(1)), text))
    words = " ".join(shown.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def _shown(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target[:1] in "@#!":
        word = label.removeprefix("@").removeprefix("#") or target[1:].split("^", 1)[0]
        return f"{'#' if target[0] == '#' else '@'}{word}"
    return label or target
