"""The words of a warning's review reminder: a thread reply that mentions the on-call, and their DM."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks.limits import clip
from bot.blocks.text import link, mention, untrusted
from bot.domain.durations import humanize_duration


def review_marker(group_id: int, episode_id: int) -> str:
    """The reminder's block_id: a retried reminder job finds what it sent instead of reminding twice."""
    return f"alert-group-{group_id}-review-{episode_id}"


def review_reminder(oncall: str, alertname: str, *, waited: timedelta, deadline: timedelta) -> str:
    """The thread reply reminding the on-call (opsbot's own mention, the alert's name escaped)."""
    return (
        f":hourglass: {mention(oncall)} — *{clip(untrusted(alertname), 200)}* is a warning nobody has "
        f"reviewed for {humanize_duration(waited)} (review within {humanize_duration(deadline)}). "
        "Acknowledge it, snooze it, resolve it or mark it as noise."
    )


def review_dm(alertname: str, permalink: str, *, waited: timedelta) -> str:
    """The DM that links the on-call to the warning's thread."""
    name, waited_for = clip(untrusted(alertname), 200), humanize_duration(waited)
    return f":hourglass: Warning *{name}* has waited {waited_for} for a review: {link(permalink)}"


def review_dm_unposted(alertname: str, *, channel: str, reason: str, waited: timedelta) -> str:
    """The DM when the warning's channel could not take its message: it says where it should have been."""
    return (
        f":hourglass: Warning *{clip(untrusted(alertname), 200)}* has waited {humanize_duration(waited)} for "
        f"a review, and could not be posted to #{channel}: Slack said `{untrusted(reason)}`. Please fix the "
        "route (invite opsbot, unarchive the channel, or change `alerts.routes`)."
    )
