"""The daily info review as one Slack message (within Slack's limits however many names fired) and as
terminal text (`opsbot digest info --dry-run`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.limits import BLOCKS_PER_MESSAGE, clip, context, header, message, pack_lines, section
from bot.blocks.text import untrusted
from bot.domain.commands import unescape_slack
from bot.domain.info_review import InfoReview, NameCounts, Trend

# Names beyond this are summed up: the review is read at a glance.
SHOWN_NAMES = 40
NAME_LIMIT = 150
BLOCK_ID_LIMIT = 255
_OTHER_BLOCKS = 5  # header, window, totals, "… and N more", quiet names


def review_marker(key: str, run: int) -> str:
    """The header's block_id: finds a review's message again if its ts was lost in a crash."""
    return f"info-review-{run}-{key}"[:BLOCK_ID_LIMIT]


def title_of(review: InfoReview) -> str:
    return f"Info review · {review.team} · {_local(review.window.end, review.zone, '%-d %b %Y %H:%M')}"


def window_line(review: InfoReview) -> str:
    """E.g. `Since the last review: 16 Nov 09:30 – 17 Nov 09:30 (Europe/Berlin)`."""
    start = _local(review.window.start, review.zone, "%-d %b %H:%M")
    end = _local(review.window.end, review.zone, "%-d %b %H:%M")
    return f"Since the last review: {start} – {end} ({review.zone})"


def totals_line(review: InfoReview) -> str:
    """E.g. `*Fired* 12 (▲ 50 % vs 8 the review before) · *resolved* 10 · *still firing* 3`."""
    if review.empty:
        return "No info alerts fired, resolved or kept firing since the last review."
    fired = review.fired.describe("the review before")
    return f"*Fired* {fired} · *resolved* {review.resolved} · *still firing* {review.firing}"


def name_line(counts: NameCounts) -> str:
    """E.g. `• *SignupsLow* — fired 3 (▲ from 1) · resolved 2 · 1 still firing`."""
    parts = [f"fired {counts.fired}{_trend(counts)}"] if counts.fired else []
    if counts.resolved:
        parts.append(f"resolved {counts.resolved}")
    if counts.firing:
        parts.append(f"{counts.firing} still firing" if counts.fired else f"still firing {counts.firing}")
    return f"• *{clip(untrusted(counts.alertname), NAME_LIMIT)}* — {' · '.join(parts)}"


def quiet_line(quiet: Sequence[NameCounts]) -> str:
    """Names that fired in the window before and not since."""
    names = ", ".join(f"*{clip(untrusted(n.alertname), NAME_LIMIT)}* ({n.fired_before})" for n in quiet)
    return f"Quiet since the review before: {names}"


def render_review(review: InfoReview, *, marker: str | None = None) -> dict[str, Any]:
    """The review: a header, its window, the totals, one line per alert name, and the names gone quiet."""
    title = title_of(review)
    blocks = [header(title, block_id=marker), context(window_line(review)), section(totals_line(review))]
    lines = [name_line(n) for n in review.names[:SHOWN_NAMES]]
    sections, shown = pack_lines(lines, room=BLOCKS_PER_MESSAGE - _OTHER_BLOCKS)
    blocks += sections
    if len(review.names) > shown:
        blocks.append(context(f"… and {len(review.names) - shown} more alert names"))
    if review.quiet:
        blocks.append(context(quiet_line(review.quiet[:SHOWN_NAMES])))
    return message(f"{title}: {_plain(totals_line(review))}", blocks)


def render_text(review: InfoReview) -> str:
    """The review as terminal text."""
    title = title_of(review)
    out = [title, "=" * len(title), window_line(review), _plain(totals_line(review))]
    out += [_plain(name_line(n)) for n in review.names]
    if review.quiet:
        out.append(_plain(quiet_line(review.quiet)))
    return "\n".join(out) + "\n"


def _trend(counts: NameCounts) -> str:
    trend = counts.trend
    if trend is Trend.NEW:
        return " (new)"
    if trend is Trend.UP or trend is Trend.DOWN:
        arrow = "▲" if trend is Trend.UP else "▼"
        return f" ({arrow} from {counts.fired_before})"
    return " (= as before)" if trend is Trend.SAME else ""


def _local(at: datetime, zone: str, pattern: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime(pattern)


def _plain(line: str) -> str:
    """Drop Slack mrkdwn markers (and its escaping of &, < and >) for the terminal and the fallback text."""
    return unescape_slack(re.sub(r"(?<!\w)[*_`](.+?)[*_`](?!\w)", r"\1", line))
