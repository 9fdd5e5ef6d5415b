"""Who may do what: the one place permission lists are checked (rules in bot/domain/permissions.py),
plus the two checks tied to a place: a click must come from its object's own channel, and (optionally)
only members of an alert's channel may act on it."""

from __future__ import annotations

import time
from collections.abc import Collection

from bot.channel_audience import channel_members
from bot.deps import Deps
from bot.domain.permissions import from_its_place, judge, needed
from bot.errors import Forbidden

_GROUP_TTL_SECONDS = 300
_group_cache: dict[str, tuple[float, frozenset[str]]] = {}


async def ensure_allowed(
    deps: Deps,
    *,
    user_id: str,
    allowed: tuple[str, ...],
    doing: str,
    key: str,
    holders: Collection[str] | None = None,
    holders_named: str | None = None,
) -> None:
    """Raise Forbidden (shown to the user ephemerally) unless `user_id` is allowed to do `doing`.

    The refusal names who may and the config `key` that grants it. `holders` may always act (and make
    an empty list mean "only them"); `holders_named` says who they are, e.g. "its reporter or owner".
    """
    verdict = judge(user_id, allowed, holders=holders)
    if verdict.allowed:
        return
    for group in verdict.groups:
        if user_id in await _members(deps, group):
            return
    who = needed(allowed, holders_named=holders_named)
    raise Forbidden(f"You may not {doing}. Ask {who} (the right is `{key}`).")


def ensure_clicked_in(clicked_channel: str, places: Collection[str | None], *, what: str) -> None:
    """Refuse a click that names `what` from outside the channel(s) where its message is (a forged value)."""
    if not from_its_place(clicked_channel, places):
        raise Forbidden(f"That button does not belong to {what}; use the button on its own message.")


async def ensure_channel_member(deps: Deps, *, user_id: str, channel_id: str, doing: str) -> None:
    """Raise Forbidden unless `user_id` is a member of `channel_id` (asked of Slack each time: a click is
    rare, and a cached list would let someone who just left keep acting)."""
    if user_id in await channel_members(deps.slack, channel_id):
        return
    raise Forbidden(f"You may not {doing}: only members of <#{channel_id}> may. Join it first.")


async def _members(deps: Deps, usergroup: str) -> frozenset[str]:
    cached = _group_cache.get(usergroup)
    if cached and time.monotonic() - cached[0] < _GROUP_TTL_SECONDS:
        return cached[1]
    response = await deps.slack.usergroups_users_list(usergroup=usergroup)
    members: frozenset[str] = frozenset(response.get("users", []))
    _group_cache[usergroup] = (time.monotonic(), members)
    return members
