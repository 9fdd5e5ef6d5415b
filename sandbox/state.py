"""The workspace's containers, id/ts generation, event fan-out and lookups."""

from __future__ import annotations

import asyncio
import random
import string
import time
from typing import Any

from sandbox.errors import SlackError
from sandbox.faults import ChannelRateLimiter, Fault, TierRateLimiter
from sandbox.model import (
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Channel,
    Ephemeral,
    Message,
    User,
    Usergroup,
)
from sandbox.records import ApiCall, File, Notification, ResponseUrl, Trigger, View
from sandbox.scopes import manifest_scopes

DEFAULT_BOT_TOKEN = "xoxb-sandbox-token"
_ID_CHARS = string.ascii_uppercase + string.digits


class WorkspaceState:
    """Hold every piece of sandbox state and tell subscribers about each change."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        base_url: str = "http://127.0.0.1",
        seed: int | None = None,
        scopes: frozenset[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        # What the bot token was granted: exactly what manifest.yml asks for, unless a test says otherwise.
        self.scopes = manifest_scopes() if scopes is None else frozenset(scopes)
        self.base_url = base_url.rstrip("/")
        self.team: dict[str, str] = {"id": TEAM_ID, "domain": TEAM_DOMAIN, "name": TEAM_NAME}
        self.bot_user_id = BOT_USER_ID
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.channels: dict[str, Channel] = {}
        self.history: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.home_views: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.files: dict[str, File] = {}
        self.pins: dict[str, list[dict[str, Any]]] = {}
        self.bookmarks: dict[str, list[dict[str, Any]]] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.calls: list[ApiCall] = []
        self.notifications: list[Notification] = []
        self.events: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.rate_limiter: ChannelRateLimiter | None = None
        self.tier_limiter: TierRateLimiter | None = None
        self._subscribers: list[asyncio.Queue[dict[str, Any]]] = []
        self._rng = random.Random(seed)
        self._last_ts_us = 0

    # ids and timestamps

    def new_id(self, prefix: str, length: int = 10) -> str:
        """Make a Slack-looking id such as `C0123ABCDEF`."""
        return prefix + "".join(self._rng.choice(_ID_CHARS) for _ in range(length))

    def new_token(self, length: int = 24) -> str:
        """Make an opaque random token for URLs and hashes."""
        return "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(length))

    def next_ts(self) -> str:
        """Return a message ts that is unique and strictly increasing across the workspace."""
        self._last_ts_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    # events

    def emit(self, event: dict[str, Any]) -> None:
        """Record a state change and hand it to every subscriber."""
        event = {"seq": len(self.events) + 1, **event}
        self.events.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """Return a queue that receives every event from now on."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop delivering events to `queue`."""
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def record_call(self, call: ApiCall) -> None:
        """Keep a Web API call for assertions and announce it."""
        self.calls.append(call)
        self.emit({"type": "api_call", "method": call.method, "status": call.status, "ok": call.ok})

    # lookups

    def user(self, ref: str) -> User:
        """Find a user by id, name or `@name`; raise `user_not_found`."""
        ref = ref.removeprefix("@")
        if ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if user.name == ref:
                return user
        raise SlackError("user_not_found")

    def channel(self, ref: str) -> Channel:
        """Find a conversation by id, name, `#name` or `@user` (the bot's DM); raise `channel_not_found`."""
        if ref.startswith("@"):
            user_id = self.user(ref).id
            for channel in self.channels.values():
                if channel.is_im and channel.im_user == user_id:
                    return channel
            raise SlackError("channel_not_found")
        ref = ref.removeprefix("#")
        if ref in self.channels:
            return self.channels[ref]
        for channel in self.channels.values():
            if channel.name == ref and not channel.is_im:
                return channel
        raise SlackError("channel_not_found")

    def conversation(self, channel_id: str) -> Channel:
        """Find a conversation by its ID only, as Web API methods taking a conversation ID do."""
        if channel_id not in self.channels:
            raise SlackError("channel_not_found")
        return self.channels[channel_id]

    def channel_by_name(self, name: str) -> Channel:
        """Find a channel by name (or id); raise `SlackError` when it does not exist."""
        return self.channel(name)

    def messages(self, channel: str, *, include_replies: bool = False) -> list[Message]:
        """List a channel's messages oldest first; thread replies only on request (broadcasts always)."""
        stored = self.history.get(self.channel(channel).id, [])
        if include_replies:
            return list(stored)
        return [m for m in stored if not m.is_reply or m.subtype == "thread_broadcast"]

    def message(self, channel: str, ts: str) -> Message:
        """Find one message (parent or reply) by channel and ts; raise `message_not_found`."""
        for message in self.history.get(self.channel(channel).id, []):
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Return a thread: its parent first, then the replies oldest first."""
        parent = self.message(channel, ts)
        root = parent.thread_ts or parent.ts
        return [m for m in self.history.get(parent.channel, []) if m.ts == root or m.thread_ts == root]

    def ephemeral(self, ts: str) -> Ephemeral:
        """Find an ephemeral message by its ts; raise `message_not_found`."""
        for ephemeral in self.ephemerals:
            if ephemeral.ts == ts and not ephemeral.deleted:
                return ephemeral
        raise SlackError("message_not_found")

    def view(self, view_id: str) -> View:
        """Find a view by id; raise `not_found`."""
        if view_id not in self.views:
            raise SlackError("not_found")
        return self.views[view_id]
