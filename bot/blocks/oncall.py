"""Render who is on call: one team's layers now and next, or every team's current on-call at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.limits import context, header, message, section, slack_date
from bot.domain.durations import humanize_duration
from bot.domain.oncall import LayerShifts, Override, Shift

SINGLE_TEAM_HINT = "Hand over for a while with `/oncall override @user 4h`."


@dataclass(frozen=True)
class TeamOnCall:
    """One team's layers as /oncall shows them."""

    handle: str
    title: str
    layers: Sequence[LayerShifts]


def render_oncall(team: TeamOnCall, *, now: datetime, several_teams: bool = False) -> dict[str, Any]:
    """Who is on call now (and until when) and who is next, in each of the team's layers; with
    `several_teams`, the team is named (one team alone reads as it always has)."""
    named = len(team.layers) > 1
    blocks = [header(f"On call — {team.title}" if several_teams else "On call")]
    for shifts in team.layers:
        blocks.append(section(_layer_text(shifts, now=now, named=named)))
    hint = (
        f"Hand over for a while with `/oncall override @user 4h {team.handle} [layer]`."
        if several_teams
        else SINGLE_TEAM_HINT
    )
    blocks.append(context(hint))
    first = team.layers[0]
    text = f"On call now: <@{first.current.user}>, next: <@{first.following.user}>"
    return message(f"{team.title}: {text}" if several_teams else text, blocks)


def render_teams_oncall(teams: Sequence[TeamOnCall], *, now: datetime) -> dict[str, Any]:
    """Every team's current on-call, one line per team and its layers."""
    lines = [
        f"*{team.title}* (`{team.handle}`): "
        + " · ".join(_compact(shifts, named=len(team.layers) > 1) for shifts in team.layers)
        for team in teams
    ]
    blocks = [
        header("On call"),
        section("\n".join(lines)),
        context("`/oncall <team>` shows a team's next shifts; `/oncall help` shows hand-overs."),
    ]
    return message(
        "On call: " + "; ".join(f"{t.handle} <@{t.layers[0].current.user}>" for t in teams), blocks
    )


def _layer_text(shifts: LayerShifts, *, now: datetime, named: bool) -> str:
    current, following = shifts.current, shifts.following
    note = " (override)" if current.overridden else ""
    text = (
        f"*Now:* <@{current.user}>{note} — for another {humanize_duration(current.ends_at - now)}\n"
        f"*Next:* <@{following.user}> from {slack_date(following.starts_at)}"
    )
    return f"*{shifts.layer.capitalize()}*\n{text}" if named else text


def _compact(shifts: LayerShifts, *, named: bool) -> str:
    current: Shift = shifts.current
    note = " (override)" if current.overridden else ""
    who = f"<@{current.user}>{note} until {slack_date(current.ends_at)}"
    return f"{shifts.layer} {who}" if named else who


def render_handover(override: Override, *, by_user: str, where: str | None = None) -> dict[str, Any]:
    """Announce a hand-over; `where` names the team and layer when there is more than one."""
    place = f" ({where})" if where else ""
    text = (
        f":handshake: <@{override.user}> is on call{place} until {slack_date(override.ends_at)} "
        f"(handed over by <@{by_user}>)."
    )
    return message(text, [section(text)])
