"""conversations.* Web API methods."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

from sandbox.common import Args, Handler, page, require_member
from sandbox.errors import SlackError
from sandbox.model import BOT_USER_ID, Channel, Message, ts_key
from sandbox.scopes import kind_of

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

_TYPES = {"public_channel", "private_channel", "im", "mpim"}


def _visible(ws: Workspace, ref: str) -> Channel:
    channel = ws.conversation(ref)
    if (channel.is_private or channel.is_im or channel.is_mpim) and BOT_USER_ID not in channel.members:
        raise SlackError("channel_not_found")
    return channel


def list_conversations(ws: Workspace, args: Args) -> dict[str, Any]:
    """List the conversations the bot can see, one page at a time."""
    types = set(args.listing("types") or ["public_channel"])
    if not types <= _TYPES:
        raise SlackError("invalid_types")
    found = []
    for channel in ws.channels.values():
        hidden = kind_of(channel) != "public_channel" and BOT_USER_ID not in channel.members
        if (
            kind_of(channel) in types
            and not hidden
            and not (args.flag("exclude_archived") and channel.is_archived)
        ):
            found.append(channel.to_api())
    chunk, cursor = page(found, cursor=args.text("cursor"), limit=args.number("limit", default=100))
    return {"ok": True, "channels": chunk, "response_metadata": {"next_cursor": cursor}}


def info(ws: Workspace, args: Args) -> dict[str, Any]:
    """Describe one conversation."""
    return {"ok": True, "channel": _visible(ws, args.text("channel", required=True)).to_api()}


def create(ws: Workspace, args: Args) -> dict[str, Any]:
    """Create a channel with the bot as its creator and first member."""
    channel = ws.create_channel(args.text("name"), is_private=args.flag("is_private"))
    return {"ok": True, "channel": channel.to_api()}


def invite(ws: Workspace, args: Args) -> dict[str, Any]:
    """Invite users (comma-separated ids) into a channel the bot is in."""
    channel = _visible(ws, args.text("channel", required=True))
    require_member(channel.members, BOT_USER_ID)
    users = [ws.user(u).id for u in args.listing("users", required=True)]
    if BOT_USER_ID in users:
        raise SlackError("cant_invite_self")
    present = [u for u in users if u in channel.members]
    if present and (len(present) == len(users) or not args.flag("force")):
        errors = [{"user": u, "ok": False, "error": "already_in_channel"} for u in present]
        raise SlackError("already_in_channel", errors=errors)
    for user in users:
        ws.join_channel(channel.id, user, inviter=BOT_USER_ID)
    return {"ok": True, "channel": channel.to_api()}


def join(ws: Workspace, args: Args) -> dict[str, Any]:
    """Let the bot join a public channel."""
    channel = ws.conversation(args.text("channel", required=True))
    if channel.is_private or channel.is_im or channel.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    joined = ws.join_channel(channel.id, BOT_USER_ID)
    body: dict[str, Any] = {"ok": True, "channel": channel.to_api()}
    if not joined:
        body.update(warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]})
    return body


def open_conversation(ws: Workspace, args: Args) -> dict[str, Any]:
    """Open (or resume) the bot's DM (one user) or group DM (2-8 users), as conversations.open does.

    `channel` resumes an existing DM or group DM; `users` are user IDs; `return_im` asks for the full
    channel object of a DM (a group DM's comes back whole anyway); `prevent_creation` only looks one up.
    """
    if "channel" in args:
        channel, existed = _visible(ws, args.text("channel")), True
        if not (channel.is_im or channel.is_mpim):
            raise SlackError("method_not_supported_for_channel_type")
    else:
        users = args.listing("users")
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        if any(u not in ws.users for u in users):
            raise SlackError("user_not_found")
        channel, existed = ws.open_conversation(users, create=not args.flag("prevent_creation"))
    whole = channel.is_mpim or args.flag("return_im")
    body: dict[str, Any] = {"ok": True, "channel": channel.to_api() if whole else {"id": channel.id}}
    if existed:
        body.update(no_op=True, already_open=True)
    return body


def set_topic(ws: Workspace, args: Args) -> dict[str, Any]:
    """Set a channel's topic."""
    channel = _visible(ws, args.text("channel", required=True))
    require_member(channel.members, BOT_USER_ID)
    topic = args.text("topic")
    if len(topic) > 250:
        raise SlackError("too_long")
    ws.set_topic(channel.id, topic)
    return {"ok": True, "channel": channel.to_api()}


def _bound(args: Args, name: str, default: str) -> int:
    """`oldest` or `latest` as microseconds; Slack refuses one that is not a timestamp."""
    try:
        return ts_key(args.text(name, default=default))
    except ValueError:
        raise SlackError(f"invalid_ts_{name}") from None


def _in_window(messages: list[Message], args: Args) -> list[Message]:
    oldest = _bound(args, "oldest", "0")
    latest = _bound(args, "latest", f"{time.time() + 1:.6f}")
    if args.flag("inclusive"):
        return [m for m in messages if oldest <= ts_key(m.ts) <= latest]
    return [m for m in messages if oldest < ts_key(m.ts) < latest]


def history(ws: Workspace, args: Args) -> dict[str, Any]:
    """Return a channel's top-level messages, newest first, paged by a `next_ts` cursor."""
    channel = _visible(ws, args.text("channel", required=True))
    require_member(channel.members, BOT_USER_ID)
    messages = _in_window(list(reversed(ws.messages(channel.id))), args)
    if cursor := args.text("cursor"):
        try:
            start = ts_key(base64.b64decode(cursor.encode()).decode().removeprefix("next_ts:"))
        except ValueError:
            raise SlackError("invalid_cursor") from None
        messages = [m for m in messages if ts_key(m.ts) <= start]
    limit = args.number("limit", default=100, high=999)
    chunk, rest = messages[:limit], messages[limit:]
    next_cursor = base64.b64encode(f"next_ts:{rest[0].ts}".encode()).decode() if rest else ""
    return {
        "ok": True,
        "messages": [m.to_api() for m in chunk],
        "has_more": bool(rest),
        "pin_count": len(ws.pins.get(channel.id, [])),
        "response_metadata": {"next_cursor": next_cursor},
    }


def replies(ws: Workspace, args: Args) -> dict[str, Any]:
    """Return a thread: the parent, then its replies oldest first."""
    channel = _visible(ws, args.text("channel", required=True))
    require_member(channel.members, BOT_USER_ID)
    try:
        thread = ws.thread(channel.id, args.text("ts", required=True))
    except SlackError:
        raise SlackError("thread_not_found") from None
    parent, rest = thread[0], _in_window(thread[1:], args)
    items = [parent, *rest]
    chunk, cursor = page(items, cursor=args.text("cursor"), limit=args.number("limit", default=1000))
    return {
        "ok": True,
        "messages": [m.to_api() for m in chunk],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


def members(ws: Workspace, args: Args) -> dict[str, Any]:
    """List a conversation's member ids."""
    channel = _visible(ws, args.text("channel", required=True))
    chunk, cursor = page(
        list(channel.members), cursor=args.text("cursor"), limit=args.number("limit", default=100)
    )
    return {"ok": True, "members": chunk, "response_metadata": {"next_cursor": cursor}}


METHODS: dict[str, Handler] = {
    "conversations.list": list_conversations,
    "conversations.info": info,
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.join": join,
    "conversations.open": open_conversation,
    "conversations.setTopic": set_topic,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.members": members,
}
