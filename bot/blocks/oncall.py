"""Render who is on call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import context, header, message, section, slack_date
from bot.domain.durations import humanize_duration
from bot.domain.oncall import Override, Shift


def render_oncall(current: Shift, following: Shift, *, now: datetime) -> dict[str, Any]:
    """Who is on call now (and until when) and who is next."""
    note = " (override)" if current.overridden else ""
    blocks = [
        header("On call"),
        section(
            f"*Now:* <@{current.user}>{note} — for another {humanize_duration(current.ends_at - now)}\n"
            f"*Next:* <@{following.user}> from {slack_date(following.starts_at)}"
        ),
        context("Hand over for a while with `/oncall override @user 4h`."),
    ]
    return message(f"On call now: <@{current.user}>, next: <@{following.user}>", blocks)


def render_handover(override: Override, *, by_user: str) -> dict[str, Any]:
    text = (
        f":handshake: <@{override.user}> is on call until {slack_date(override.ends_at)} "
        f"(handed over by <@{by_user}>)."
    )
    return message(text, [section(text)])
