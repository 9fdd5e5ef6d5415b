"""Who may act on an alert group, and from where: its own message's channel, the permission lists of its
team (`alerts.permissions`, or a team's `permissions.alerts`), and (with `channel_members_only`) membership
of the group's channel."""

from __future__ import annotations

from typing import Literal

from bot.deps import Deps
from bot.errors import NotFound
from bot.services.permissions import ensure_allowed, ensure_channel_member, ensure_clicked_in
from storage import alert_groups
from storage.models import AlertGroup

AlertRight = Literal["acknowledge", "resolve", "noise"]  # lists under alerts.permissions


async def authorize(
    deps: Deps,
    group_id: int,
    *,
    user_id: str,
    clicked_channel: str | None,
    right: AlertRight | None,
    doing: str,
) -> None:
    """Raise Forbidden unless `user_id` may do `doing` to the group: a click must come from the group's
    own channel (None: not a click), the list `alerts.permissions.<right>` must allow it (None: no list),
    and with `alerts.permissions.channel_members_only` the user must be a member of that channel."""
    group = await _group(deps, group_id)
    team = deps.settings.team_of(group.team)
    permissions = team.alert_permissions
    allowed: tuple[str, ...] = getattr(permissions, right) if right else ()
    key = team.permission_key("alerts", right) if right else ""
    if clicked_channel is None:
        await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing=doing, key=key)
        return
    channel_id = await _channel_id(deps, group)
    ensure_clicked_in(clicked_channel, (channel_id,), what="this alert")
    await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing=doing, key=key)
    if permissions.channel_members_only:
        await ensure_channel_member(deps, user_id=user_id, channel_id=channel_id, doing=doing)


async def ensure_clicked_at_alert(deps: Deps, group_id: int, *, clicked_channel: str) -> str:
    """Refuse a click naming this group from another channel (a forged value); return the group's channel."""
    channel_id = await _channel_id(deps, await _group(deps, group_id))
    ensure_clicked_in(clicked_channel, (channel_id,), what="this alert")
    return channel_id


async def _group(deps: Deps, group_id: int) -> AlertGroup:
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=0)
    if snapshot is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    return snapshot.group


async def _channel_id(deps: Deps, group: AlertGroup) -> str:
    """The Slack channel the group's message is in (by name when its first post is not stored yet)."""
    return group.slack_channel_id or await deps.channels.id_for(group.channel)
