"""Message, ephemeral, reaction, pin and bookmark state changes, as Slack's servers apply them."""

from __future__ import annotations

import bisect
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.blockkit import normalize_blocks
from sandbox.errors import SlackError
from sandbox.mentions import mentions
from sandbox.model import BOT_ID, BOT_USER_ID, Ephemeral, Message, ts_key
from sandbox.records import Notification
from sandbox.state import WorkspaceState


class MessagingMixin(WorkspaceState):
    """Change messages and everything attached to them, emitting one event per change."""

    def add_message(
        self,
        channel: str,
        *,
        user: str = BOT_USER_ID,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        files: list[dict[str, Any]] | None = None,
        subtype: str | None = None,
        extra: dict[str, Any] | None = None,
        link_names: bool = False,
    ) -> Message:
        """Store a new message (or thread reply) and update the thread parent."""
        conversation = self.channel(channel)
        parent = self._thread_parent(conversation.id, thread_ts) if thread_ts else None
        message = Message(
            channel=conversation.id,
            ts=self.next_ts(),
            text=text,
            user=user,
            bot_id=BOT_ID if user == BOT_USER_ID else None,
            blocks=normalize_blocks(blocks or [], self.new_token),
            attachments=list(attachments or []),
            thread_ts=parent.ts if parent else None,
            files=list(files or []),
            subtype="thread_broadcast" if parent and reply_broadcast else subtype,
            extra=dict(extra or {}),
        )
        if parent:
            self._note_reply(parent, message)
        self.history.setdefault(conversation.id, []).append(message)
        self._note_mentions(message, "posted", link_names=link_names)
        self.emit(
            {"type": "message", "channel": conversation.id, "ts": message.ts, "message": message.to_api()}
        )
        return message

    def _note_mentions(self, message: Message, change: str, *, link_names: bool) -> None:
        """Record who the message would notify, as Slack would parse it."""
        found = mentions(message.text, message.blocks, message.attachments, linked=link_names)
        if found:
            self.notifications.append(
                Notification(
                    message.channel, message.ts, message.user or "", change, tuple(found), message.text
                )
            )

    def broadcasts(self, *, user: str = BOT_USER_ID) -> list[Notification]:
        """The messages `user` (the bot by default) posted or edited that would notify a whole channel or a
        user group: `<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^…>`."""
        return [n for n in self.notifications if n.user == user and n.broadcasts]

    def add_past_message(
        self,
        channel: str,
        *,
        at: float,
        user: str,
        text: str = "",
        thread_ts: str | None = None,
        reactions: Mapping[str, Sequence[str]] | None = None,
        subtype: str | None = None,
    ) -> Message:
        """Store a message (or thread reply) `user` posted at `at` (Unix seconds, in the past) with its
        reactions (emoji name -> who reacted), as if it had been in the channel all along: the history of
        tests and of the sample month. No events: it happened before anyone watched."""
        if at >= time.time():
            raise ValueError("a past message needs a time in the past")
        conversation = self.channel(channel)
        stored = self.history.setdefault(conversation.id, [])
        parent = self._thread_parent(conversation.id, thread_ts) if thread_ts else None
        ts = _free_ts(stored, at)
        if parent and ts_key(ts) <= ts_key(parent.ts):
            raise ValueError("a reply comes after the message it answers")
        author = self.user(user).id
        message = Message(
            channel=conversation.id,
            ts=ts,
            text=text,
            user=author,
            bot_id=self.users[author].bot_id,
            thread_ts=parent.ts if parent else None,
            subtype=subtype,
            reactions=[
                {"name": name.strip(":"), "users": list(users), "count": len(users)}
                for name, users in (reactions or {}).items()
                if users
            ],
        )
        if parent:
            self._note_reply(parent, message)
        bisect.insort(stored, message, key=lambda m: ts_key(m.ts))
        return message

    @staticmethod
    def _note_reply(parent: Message, reply: Message) -> None:
        parent.thread_ts = parent.ts
        parent.reply_count += 1
        if parent.latest_reply is None or ts_key(reply.ts) > ts_key(parent.latest_reply):
            parent.latest_reply = reply.ts
        if reply.user and reply.user not in parent.reply_users:
            parent.reply_users.append(reply.user)

    def _thread_parent(self, channel: str, thread_ts: str) -> Message:
        try:
            parent = self.message(channel, thread_ts)
        except SlackError:
            raise SlackError("thread_not_found") from None
        return self.message(channel, parent.thread_ts) if parent.is_reply and parent.thread_ts else parent

    def update_message(
        self,
        channel: str,
        ts: str,
        *,
        editor: str = BOT_USER_ID,
        text: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        link_names: bool = False,
    ) -> Message:
        """Edit a message; fields left as None keep their previous value, like chat.update."""
        message = self.message(channel, ts)
        previous = message.to_api()
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = normalize_blocks(blocks, self.new_token)
        if attachments is not None:
            message.attachments = list(attachments)
        message.edited = {"user": editor, "ts": self.next_ts()}
        self._note_mentions(message, "updated", link_names=link_names)
        self.emit(
            {
                "type": "message_changed",
                "channel": message.channel,
                "ts": message.ts,
                "message": message.to_api(),
                "previous_message": previous,
            }
        )
        return message

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message; a parent with replies becomes a tombstone, as in Slack."""
        message = self.message(channel, ts)
        stored = self.history[message.channel]
        if message.reply_count and not message.is_reply:
            message.subtype, message.text, message.blocks, message.attachments = "tombstone", "", [], []
            message.extra["hidden"] = True
        else:
            stored.remove(message)
        if message.is_reply and message.thread_ts:
            parent = self.message(message.channel, message.thread_ts)
            parent.reply_count -= 1
            replies = [m for m in stored if m.thread_ts == parent.ts and m.ts != parent.ts]
            parent.latest_reply = replies[-1].ts if replies else None
            parent.reply_users = list(dict.fromkeys(m.user for m in replies if m.user))
        self.emit({"type": "message_deleted", "channel": message.channel, "ts": ts})

    def add_ephemeral(
        self,
        channel: str,
        user: str,
        *,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        source: str = "postEphemeral",
        thread_ts: str | None = None,
        from_bot: bool = True,
    ) -> Ephemeral:
        """Show an ephemeral message to one user in a channel."""
        ephemeral = Ephemeral(
            channel=self.channel(channel).id,
            user=self.user(user).id,
            ts=self.next_ts(),
            text=text,
            blocks=normalize_blocks(blocks or [], self.new_token),
            attachments=list(attachments or []),
            source=source,
            thread_ts=thread_ts,
            bot_id=BOT_ID if from_bot else None,
        )
        self.ephemerals.append(ephemeral)
        self.emit(self._ephemeral_event("ephemeral", ephemeral))
        return ephemeral

    def replace_ephemeral(
        self, ts: str, *, text: str, blocks: list[dict[str, Any]] | None, source: str = "response_url"
    ) -> Ephemeral:
        """Replace an ephemeral message's content in place (response_url replace_original)."""
        ephemeral = self.ephemeral(ts)
        ephemeral.text = text
        ephemeral.blocks = normalize_blocks(blocks or [], self.new_token)
        ephemeral.source = source
        self.emit(self._ephemeral_event("ephemeral_changed", ephemeral))
        return ephemeral

    def delete_ephemeral(self, ts: str) -> None:
        """Make an ephemeral message disappear (response_url delete_original)."""
        ephemeral = self.ephemeral(ts)
        ephemeral.deleted = True
        self.emit(self._ephemeral_event("ephemeral_deleted", ephemeral))

    @staticmethod
    def _ephemeral_event(kind: str, ephemeral: Ephemeral) -> dict[str, Any]:
        return {
            "type": kind,
            "channel": ephemeral.channel,
            "user": ephemeral.user,
            "ts": ephemeral.ts,
            "source": ephemeral.source,
            "message": ephemeral.to_api(),
        }

    def add_reaction(self, channel: str, ts: str, name: str, *, user: str) -> Message:
        """Add `user`'s reaction `name` to a message; raise `already_reacted`."""
        message = self.message(channel, ts)
        name = name.strip(":")
        reaction = next((r for r in message.reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            message.reactions.append(reaction)
        if user in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(user)
        reaction["count"] = len(reaction["users"])
        self.emit(
            {"type": "reaction_added", "channel": message.channel, "ts": ts, "reaction": name, "user": user}
        )
        return message

    def remove_reaction(self, channel: str, ts: str, name: str, *, user: str) -> Message:
        """Remove `user`'s reaction `name` from a message; raise `no_reaction`."""
        message = self.message(channel, ts)
        name = name.strip(":")
        reaction = next((r for r in message.reactions if r["name"] == name), None)
        if reaction is None or user not in reaction["users"]:
            raise SlackError("no_reaction")
        reaction["users"].remove(user)
        reaction["count"] = len(reaction["users"])
        if not reaction["users"]:
            message.reactions.remove(reaction)
        self.emit(
            {"type": "reaction_removed", "channel": message.channel, "ts": ts, "reaction": name, "user": user}
        )
        return message

    def add_pin(self, channel: str, ts: str, *, user: str) -> Message:
        """Pin a message to its channel; raise `already_pinned`."""
        message = self.message(channel, ts)
        if message.channel in message.pinned_to:
            raise SlackError("already_pinned")
        message.pinned_to.append(message.channel)
        item = {
            "type": "message",
            "channel": message.channel,
            "created": int(time.time()),
            "created_by": user,
        }
        self.pins.setdefault(message.channel, []).append({**item, "ts": ts})
        self.emit({"type": "pin_added", "channel": message.channel, "ts": ts, "user": user})
        return message

    def remove_pin(self, channel: str, ts: str, *, user: str) -> None:
        """Unpin a message; raise `no_pin`."""
        message = self.message(channel, ts)
        if message.channel not in message.pinned_to:
            raise SlackError("no_pin")
        message.pinned_to.remove(message.channel)
        self.pins[message.channel] = [p for p in self.pins.get(message.channel, []) if p["ts"] != ts]
        self.emit({"type": "pin_removed", "channel": message.channel, "ts": ts, "user": user})

    def add_bookmark(
        self, channel: str, *, title: str, link: str, emoji: str = "", user: str = BOT_USER_ID
    ) -> dict[str, Any]:
        """Add a link bookmark to a channel's header."""
        conversation = self.channel(channel)
        bookmark = {
            "id": self.new_id("Bk"),
            "channel_id": conversation.id,
            "title": title,
            "link": link,
            "emoji": emoji,
            "icon_url": None,
            "type": "link",
            "entity_id": None,
            "date_created": int(time.time()),
            "date_updated": 0,
            "rank": f"{len(self.bookmarks.get(conversation.id, [])):03d}",
            "last_updated_by_user_id": user,
            "app_id": None,
        }
        self.bookmarks.setdefault(conversation.id, []).append(bookmark)
        self.emit({"type": "bookmark_added", "channel": conversation.id, "bookmark": bookmark})
        return bookmark


def _free_ts(stored: list[Message], at: float) -> str:
    """The ts of an instant, a microsecond later while another message of the channel has it."""
    taken = {ts_key(m.ts) for m in stored}
    micros = round(at * 1_000_000)
    while micros in taken:
        micros += 1
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{seconds}.{fraction:06d}"
