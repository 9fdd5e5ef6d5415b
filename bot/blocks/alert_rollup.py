"""Render a storm's roll-up: one message listing its alert groups, within Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.alerts import EMOJI
from bot.blocks.limits import (
    BLOCKS_PER_MESSAGE,
    SECTION_TEXT,
    clip,
    context,
    header,
    message,
    section,
    slack_date,
)
from bot.blocks.text import untrusted

# Lines beyond this are summed up: a roll-up is read at a glance, and a storm of thousands stays one message.
SHOWN_GROUPS = 100
# Blocks besides the list: header, intro, the "… and N more" line, the how-to-act footer.
_OTHER_BLOCKS = 4


@dataclass(frozen=True)
class RollupLine:
    """One group as the roll-up lists it."""

    alertname: str
    labels: str
    severity: str
    status: str
    firing_count: int
    alert_count: int


@dataclass(frozen=True)
class RollupView:
    """Everything the roll-up shows; `groups` is the first of `total` groups, firing and worst first."""

    rollup_id: int
    groups: Sequence[RollupLine]
    total: int
    firing: int
    threshold: int
    opened_at: datetime


def rollup_marker(rollup_id: int) -> str:
    """The header's block_id: finds the roll-up's message again if its ts was lost in a crash."""
    return f"alert-rollup-{rollup_id}"


def render_rollup(view: RollupView) -> dict[str, Any]:
    """The roll-up: a header with the counts, one line per group, and how to act on them."""
    state = f"{view.firing} firing" if view.firing else "all resolved"
    groups = f"{view.total} alert group{'s' if view.total != 1 else ''}"
    title = f"⚡ Alert storm · {groups}, {state}"
    intro = (
        f"More than {view.threshold} new alert groups arrived here within a minute (since "
        f"{slack_date(view.opened_at)}), so they are listed in this one message instead of a message each. "
        "It updates in place as they fire and resolve."
    )
    sections, shown = _sections(view.groups, room=BLOCKS_PER_MESSAGE - _OTHER_BLOCKS)
    blocks = [header(title, block_id=rollup_marker(view.rollup_id)), section(intro), *sections]
    if view.total > shown:
        blocks.append(context(f"… and {view.total - shown} more"))
    blocks.append(
        context(
            "No buttons here: acknowledge or silence these at their source (e.g. an Alertmanager silence). "
            "Critical alerts never join a roll-up: they get their own message and escalation. A group that "
            "fires again after the storm gets its own message."
        )
    )
    return message(f"Alert storm: {groups}, {state}", blocks)


def _sections(groups: Sequence[RollupLine], *, room: int) -> tuple[list[dict[str, Any]], int]:
    """Pack group lines into at most `room` sections of 3,000 characters; return them and how many fit."""
    chunks: list[list[str]] = [[]]
    shown = 0
    for group in groups[:SHOWN_GROUPS]:
        line = _line(group)
        if sum(len(text) + 1 for text in chunks[-1]) + len(line) > SECTION_TEXT:
            if len(chunks) == room:
                break
            chunks.append([])
        chunks[-1].append(line)
        shown += 1
    return [section("\n".join(chunk)) for chunk in chunks if chunk], shown


def _line(group: RollupLine) -> str:
    name = clip(untrusted(group.alertname), 150)
    labels = f" `{clip(untrusted(group.labels), 150)}`" if group.labels else ""
    if group.status == "resolved":
        return f":white_check_mark: ~{name}~{labels} · resolved · {group.alert_count} alerts"
    emoji = EMOJI.get(group.severity, ":large_orange_circle:")
    return f"{emoji} *{name}*{labels} · {group.severity} · {group.firing_count} of {group.alert_count} firing"
