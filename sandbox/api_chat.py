"""chat.*, reactions.*, pins.* and bookmarks.* Web API methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.blockkit import MAX_MESSAGE_TEXT, validate_blocks
from sandbox.common import Args, Handler, require_member
from sandbox.errors import SlackError
from sandbox.model import BOT_USER_ID, Channel

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

_EXTRA_FIELDS = ("username", "icon_emoji", "icon_url", "metadata")


def content(args: Args) -> tuple[str, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """Validate text/blocks/attachments like Slack; return them (None = not given)."""
    text = args.text("text")
    blocks, attachments = args.structure("blocks"), args.structure("attachments")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    if attachments is not None and len(attachments) > 100:
        raise SlackError("too_many_attachments")
    errors = validate_blocks(blocks) if blocks is not None else []
    if errors:
        raise SlackError(
            "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
        )
    return text, blocks, attachments


def bot_channel(ws: Workspace, ref: str, *, by_name: bool = False, public_ok: bool = False) -> Channel:
    """Resolve a conversation the bot may write to by ID (and, where Slack allows it, by name or a user ID
    meaning the bot's DM). `public_ok`: a public channel the bot is not in will do (chat:write.public)."""
    if by_name and ref.startswith(("U", "W")) and ref in ws.users:
        return ws.open_conversation([ref])[0]
    channel = ws.channel(ref) if by_name else ws.conversation(ref)
    if (channel.is_private or channel.is_im or channel.is_mpim) and BOT_USER_ID not in channel.members:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    public = not (channel.is_private or channel.is_im or channel.is_mpim)
    if not (public_ok and public and "chat:write.public" in ws.scopes):
        require_member(channel.members, BOT_USER_ID)
    return channel


def post_message(ws: Workspace, args: Args) -> dict[str, Any]:
    """Post a message (or thread reply) as the bot."""
    channel = bot_channel(ws, args.text("channel", required=True), by_name=True, public_ok=True)
    if ws.rate_limiter is not None:
        retry_after = ws.rate_limiter.acquire(channel.id)
        if retry_after is not None:
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
    text, blocks, attachments = content(args)
    extra = {key: args.structure(key) for key in _EXTRA_FIELDS if key in args}
    message = ws.add_message(
        channel.id,
        text=text,
        blocks=blocks,
        attachments=attachments,
        thread_ts=args.optional("thread_ts"),
        reply_broadcast=args.flag("reply_broadcast"),
        extra=extra,
        link_names=_links_names(args),
    )
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.to_api()}


def update(ws: Workspace, args: Args) -> dict[str, Any]:
    """Edit one of the bot's messages; omitted blocks/attachments are kept."""
    channel = ws.conversation(args.text("channel", required=True))
    message = ws.message(channel.id, args.text("ts", required=True))
    if message.user != BOT_USER_ID:
        raise SlackError("cant_update_message")
    text, blocks, attachments = content(args)
    given_text = text if args.data.get("text") is not None else None
    message = ws.update_message(
        channel.id, message.ts, text=given_text, blocks=blocks, attachments=attachments,
        link_names=_links_names(args),
    )  # fmt: skip
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(),
    }


def _links_names(args: Args) -> bool:
    """Slack turns plain `@here` and `@handle` into mentions only when asked to (link_names, parse=full)."""
    return args.flag("link_names") or args.optional("parse") == "full"


def delete(ws: Workspace, args: Args) -> dict[str, Any]:
    """Delete one of the bot's messages."""
    channel = ws.conversation(args.text("channel", required=True))
    message = ws.message(channel.id, args.text("ts", required=True))
    if message.user != BOT_USER_ID:
        raise SlackError("cant_delete_message")
    ws.delete_message(channel.id, message.ts)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def post_ephemeral(ws: Workspace, args: Args) -> dict[str, Any]:
    """Show a message to one member of a channel."""
    user = ws.user(args.text("user", required=True))
    channel = bot_channel(ws, args.text("channel", required=True), by_name=True, public_ok=True)
    require_member(channel.members, user.id, error="user_not_in_channel")
    text, blocks, attachments = content(args)
    ephemeral = ws.add_ephemeral(
        channel.id,
        user.id,
        text=text,
        blocks=blocks,
        attachments=attachments,
        thread_ts=args.optional("thread_ts"),
    )
    return {"ok": True, "message_ts": ephemeral.ts}


def get_permalink(ws: Workspace, args: Args) -> dict[str, Any]:
    """Return a message's permalink."""
    channel = ws.conversation(args.text("channel", required=True))
    link = ws.permalink(channel.id, args.text("message_ts", required=True))
    return {"ok": True, "channel": channel.id, "permalink": link}


def reactions_add(ws: Workspace, args: Args) -> dict[str, Any]:
    """Add the bot's emoji reaction to a message."""
    channel = ws.conversation(args.text("channel", required=True))
    ws.add_reaction(channel.id, args.text("timestamp", required=True), _emoji(args), user=BOT_USER_ID)
    return {"ok": True}


def reactions_remove(ws: Workspace, args: Args) -> dict[str, Any]:
    """Remove the bot's emoji reaction from a message."""
    channel = ws.conversation(args.text("channel", required=True))
    ws.remove_reaction(channel.id, args.text("timestamp", required=True), _emoji(args), user=BOT_USER_ID)
    return {"ok": True}


def _emoji(args: Args) -> str:
    name = args.text("name").strip(":")
    if not name:
        raise SlackError("invalid_name")
    return name


def pins_add(ws: Workspace, args: Args) -> dict[str, Any]:
    """Pin a message to its channel."""
    channel = bot_channel(ws, args.text("channel", required=True))
    ws.add_pin(channel.id, args.text("timestamp", required=True), user=BOT_USER_ID)
    return {"ok": True}


def pins_remove(ws: Workspace, args: Args) -> dict[str, Any]:
    """Unpin a message."""
    channel = bot_channel(ws, args.text("channel", required=True))
    ws.remove_pin(channel.id, args.text("timestamp", required=True), user=BOT_USER_ID)
    return {"ok": True}


def pins_list(ws: Workspace, args: Args) -> dict[str, Any]:
    """List a channel's pinned messages."""
    channel = ws.conversation(args.text("channel", required=True))
    items = [
        {**pin, "message": ws.message(channel.id, pin["ts"]).to_api()} for pin in ws.pins.get(channel.id, [])
    ]
    return {"ok": True, "items": items}


def bookmarks_add(ws: Workspace, args: Args) -> dict[str, Any]:
    """Add a link bookmark to a channel."""
    channel = bot_channel(ws, args.text("channel_id", required=True))
    if args.text("type", required=True) != "link":
        raise SlackError("invalid_bookmark_type")
    bookmark = ws.add_bookmark(
        channel.id, title=args.text("title", required=True), link=args.text("link", required=True),
        emoji=args.text("emoji"),
    )  # fmt: skip
    return {"ok": True, "bookmark": bookmark}


def bookmarks_list(ws: Workspace, args: Args) -> dict[str, Any]:
    """List a channel's bookmarks."""
    channel = ws.conversation(args.text("channel_id", required=True))
    return {"ok": True, "bookmarks": list(ws.bookmarks.get(channel.id, []))}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "pins.list": pins_list,
    "bookmarks.add": bookmarks_add,
    "bookmarks.list": bookmarks_list,
}
