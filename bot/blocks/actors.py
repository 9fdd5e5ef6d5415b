"""Who acted on an alert, worded for Slack: a Slack user, or a person in a paging destination (PagerDuty),
whose name is outside text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.blocks.limits import clip
from bot.blocks.text import untrusted
from bot.domain.paging import Destination, read_outside_actor


def user(user_id: str | None) -> str:
    """A Slack user's mention (opsbot's own, of a stored ID), or "someone"."""
    return f"<@{user_id}>" if user_id else "someone"


def acted_by(actor: str | None, *, slack: str = "") -> str:
    """Who acted: "by <@U…>" for a Slack user (after `slack`, e.g. "by hand "), "in PagerDuty by <their
    name>" for someone in a paging destination (outside text, escaped)."""
    outside = read_outside_actor(actor)
    if outside is None:
        return f"{slack}by {user(actor)}"
    destination, name = outside
    return f"in {destination.display_name} by {clip(untrusted(name), 100)}"


def acted_where(detail: Mapping[str, Any]) -> dict[str, str]:
    """Where an acknowledgement or resolve was made: in Slack ("by hand"), or in a paging destination."""
    try:
        outside = Destination(str(detail["via"])) if detail.get("via") else None
    except ValueError:
        outside = None
    if outside is None:
        return {"where": "", "how": "by hand"}
    return {"where": f" in {outside.display_name}", "how": f"in {outside.display_name}"}
