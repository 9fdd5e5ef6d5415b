"""Render a storm's roll-up (one message listing its alert groups) and a source's overflow (one message
counting the alerts held back from new groups), within Slack's limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.alerts import EMOJI
from bot.blocks.limits import (
    BLOCKS_PER_MESSAGE,
    clip,
    context,
    header,
    message,
    pack_lines,
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
    return pack_lines([_line(group) for group in groups[:SHOWN_GROUPS]], room=room)


def _line(group: RollupLine) -> str:
    name = clip(untrusted(group.alertname), 150)
    labels = f" `{clip(untrusted(group.labels), 150)}`" if group.labels else ""
    if group.status == "resolved":
        return f":white_check_mark: ~{name}~{labels} · resolved · {group.alert_count} alerts"
    emoji = EMOJI.get(group.severity, ":large_orange_circle:")
    return f"{emoji} *{name}*{labels} · {group.severity} · {group.firing_count} of {group.alert_count} firing"


@dataclass(frozen=True)
class OverflowView:
    """A source's overflow: `held` counts, by alertname, alerts stored without opening a group."""

    rollup_id: int
    source: str
    held: Mapping[str, int]
    cap: int
    opened_at: datetime


def render_overflow(view: OverflowView) -> dict[str, Any]:
    """Say how many alerts, by name, were held back from new groups, why, and what it means for paging."""
    total = sum(view.held.values())
    source = clip(untrusted(view.source), 40)
    title = f"⚠️ Alert overflow · {total:,} alert{'s' if total != 1 else ''} from {source} held back"
    intro = (
        f"*{source}* sent more new alert groups within a minute than its cap of {view.cap} (warning and "
        f"info: half of it) since "
        f"{slack_date(view.opened_at)}. opsbot stored every alert, but the ones below opened no group, "
        "message or page: a flood (or a forged sender) cannot bury this channel. They open as groups when "
        f"{source} reports them again under the cap (`alerts.max_new_groups_per_source_per_minute`)."
    )
    names = sorted(view.held.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"• *{clip(untrusted(name), 150)}* × {count:,}" for name, count in names[:SHOWN_GROUPS]]
    sections, shown = pack_lines(lines, room=BLOCKS_PER_MESSAGE - _OTHER_BLOCKS)
    blocks = [header(title, block_id=rollup_marker(view.rollup_id)), section(intro), *sections]
    if len(names) > shown:
        blocks.append(context(f"… and {len(names) - shown:,} more alertnames"))
    blocks.append(context("Check the source: a real storm needs a look there, a forged one a new token."))
    return message(f"Alert overflow: {total:,} alerts from {source} held back", blocks)
