"""Who may do what: configured Slack user IDs or user groups; an empty list allows everyone."""

from __future__ import annotations

import time

from bot.deps import Deps
from bot.errors import Forbidden

_GROUP_TTL_SECONDS = 300
_group_cache: dict[str, tuple[float, frozenset[str]]] = {}


async def ensure_allowed(deps: Deps, *, user_id: str, allowed: tuple[str, ...], doing: str) -> None:
    """Raise Forbidden (shown to the user ephemerally) unless `user_id` is allowed to do `doing`."""
    if not allowed or user_id in allowed:
        return
    for entry in allowed:
        if entry.startswith("S") and user_id in await _members(deps, entry):
            return
    who = ", ".join(f"<!subteam^{e}>" if e.startswith("S") else f"<@{e}>" for e in allowed)
    raise Forbidden(f"You may not {doing}. Ask {who}.")


async def _members(deps: Deps, usergroup: str) -> frozenset[str]:
    cached = _group_cache.get(usergroup)
    if cached and time.monotonic() - cached[0] < _GROUP_TTL_SECONDS:
        return cached[1]
    response = await deps.slack.usergroups_users_list(usergroup=usergroup)
    members: frozenset[str] = frozenset(response.get("users", []))
    _group_cache[usergroup] = (time.monotonic(), members)
    return members
