"""auth.test, team.info, users.* and usergroups.* Web API methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.common import Args, Handler, page
from sandbox.errors import SlackError
from sandbox.model import BOT_ID, BOT_USER_ID

if TYPE_CHECKING:
    from sandbox.workspace import Workspace


def auth_test(ws: Workspace, args: Args) -> dict[str, Any]:
    """Describe the bot token's identity."""
    return {
        "ok": True,
        "url": f"{ws.base_url}/",
        "team": ws.team["name"],
        "user": ws.users[BOT_USER_ID].name,
        "team_id": ws.team["id"],
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def team_info(ws: Workspace, args: Args) -> dict[str, Any]:
    """Describe the workspace."""
    team = {**ws.team, "url": f"{ws.base_url}/", "email_domain": "", "icon": {}}
    return {"ok": True, "team": team}


def users_info(ws: Workspace, args: Args) -> dict[str, Any]:
    """Describe one user by id."""
    user_id = args.text("user", required=True)
    if user_id not in ws.users:
        raise SlackError("user_not_found")
    return {"ok": True, "user": ws.users[user_id].to_api()}


def users_profile_get(ws: Workspace, args: Args) -> dict[str, Any]:
    """A person's profile (the bot's own without `user`); its `phone` is what SMS pages fall back to."""
    user_id = args.text("user") or BOT_USER_ID
    if user_id not in ws.users:
        raise SlackError("user_not_found")
    return {"ok": True, "profile": ws.users[user_id].profile()}


def users_list(ws: Workspace, args: Args) -> dict[str, Any]:
    """List every member, one page at a time."""
    everyone = [u.to_api() for u in ws.users.values()]
    chunk, cursor = page(everyone, cursor=args.text("cursor"), limit=args.number("limit", default=100))
    return {
        "ok": True,
        "members": chunk,
        "cache_ts": 1700000000,
        "response_metadata": {"next_cursor": cursor},
    }


def users_lookup_by_email(ws: Workspace, args: Args) -> dict[str, Any]:
    """Find a user by email address."""
    email = args.text("email", required=True).lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email:
            return {"ok": True, "user": user.to_api()}
    raise SlackError("users_not_found")


def usergroups_list(ws: Workspace, args: Args) -> dict[str, Any]:
    """List user groups, with members when `include_users` is set."""
    include = args.flag("include_users")
    return {"ok": True, "usergroups": [g.to_api(include_users=include) for g in ws.usergroups.values()]}


def usergroups_users_list(ws: Workspace, args: Args) -> dict[str, Any]:
    """List the members of one user group."""
    group = ws.usergroups.get(args.text("usergroup", required=True))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "team.info": team_info,
    "users.info": users_info,
    "users.profile.get": users_profile_get,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
}
