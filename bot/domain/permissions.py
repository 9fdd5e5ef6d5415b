"""Who may do what, as pure rules: permission lists, the rights a severity change needs, on-call caps.

A permission list holds Slack user IDs (U…/W…) and user group IDs (S…). Some actions have *holders*
who may always act (a ticket's reporter and owner, an incident's declarer and commander, the rotation's
members): for those an empty list means "only the holders". For actions without holders an empty list
keeps its old meaning, "everyone".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Verdict:
    """The answer a list alone gives: allowed, or allowed only if the user is in one of `groups`."""

    allowed: bool
    groups: tuple[str, ...] = ()


def judge(user_id: str, allowed: Sequence[str], *, holders: Collection[str] | None = None) -> Verdict:
    """Decide from the list (and the holders, when the action has any) without looking up groups."""
    if holders is not None and user_id in holders:
        return Verdict(True)
    if not allowed:
        return Verdict(holders is None)
    if user_id in allowed:
        return Verdict(True)
    return Verdict(False, groups=tuple(e for e in allowed if is_usergroup(e)))


def is_usergroup(entry: str) -> bool:
    """Slack user group IDs start with S."""
    return entry.startswith("S")


def needed(allowed: Sequence[str], *, holders_named: str | None = None) -> str:
    """Who the refusal names: the list's entries (as mentions in an ephemeral reply) and the holders."""
    who = [f"<!subteam^{e}>" if is_usergroup(e) else f"<@{e}>" for e in allowed]
    if holders_named:
        who.insert(0, holders_named)
    return ", ".join(who) if who else "nobody"


def regrade_right(old: int, new: int) -> int:
    """The level whose declare right changing `old` → `new` needs.

    Raising needs the new level's right (declaring it); lowering needs the old level's, so a SEV1 is
    not quietly made a SEV4 (its clocks re-armed as SEV4) by someone who could not have declared it.
    """
    return min(old, new)


def override_problem(duration: timedelta, *, max_hours: float) -> str | None:
    """Why an on-call override of `duration` is refused, or None when it is within the maximum."""
    if duration.total_seconds() > max_hours * 3600:
        return f"An on-call override may last at most {max_hours:g} hours (oncall.max_override_hours)."
    return None


def from_its_place(clicked_channel: str, places: Collection[str | None]) -> bool:
    """A button acts on the thing it names only when it was clicked where that thing's message is."""
    return bool(clicked_channel) and clicked_channel in {p for p in places if p}
