"""The sandbox workspace: all Slack-side state, its events, and the knobs tests turn."""

from __future__ import annotations

import re
import time
from typing import Any

from sandbox.errors import SlackError
from sandbox.faults import ChannelRateLimiter, Fault, FaultKind, LostAnswer, TierRateLimiter
from sandbox.messaging import MessagingMixin
from sandbox.model import BOT_USER_ID, Channel, Message
from sandbox.records import ResponseUrl, Trigger
from sandbox.scopes import TIER_PER_MINUTE
from sandbox.seed import seed_workspace
from sandbox.state import DEFAULT_BOT_TOKEN
from sandbox.viewstate import ViewsMixin
from sandbox.waits import WaitsMixin

TRIGGER_TTL = 3.0
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_MAX_USES = 5
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


class Workspace(MessagingMixin, ViewsMixin, WaitsMixin):
    """An in-memory Slack workspace seeded with people and ops channels."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        base_url: str = "http://127.0.0.1",
        seed: int | None = None,
        trigger_ttl: float = TRIGGER_TTL,
        scopes: frozenset[str] | None = None,
    ) -> None:
        super().__init__(bot_token=bot_token, base_url=base_url, seed=seed, scopes=scopes)
        self.trigger_ttl = trigger_ttl
        seed_workspace(self)

    # conversations

    def create_channel(self, name: str, *, is_private: bool = False, creator: str = BOT_USER_ID) -> Channel:
        """Create a channel the way conversations.create validates names."""
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.channels.values() if not c.is_im):
            raise SlackError("name_taken")
        channel = Channel(
            id=self.new_id("C"), name=name, is_private=is_private, members=[creator], creator=creator
        )
        self.channels[channel.id] = channel
        self.history[channel.id] = []
        self.emit({"type": "channel_created", "channel": channel.to_api(viewer=creator)})
        return channel

    def join_channel(self, channel: str, user: str, *, inviter: str | None = None) -> bool:
        """Add `user` to a channel; return False when they were already a member."""
        conversation = self.channel(channel)
        user_id = self.user(user).id
        if user_id in conversation.members:
            return False
        conversation.members.append(user_id)
        event = {"type": "member_joined", "channel": conversation.id, "user": user_id, "inviter": inviter}
        self.emit(event)
        return True

    def open_conversation(self, users: list[str], *, create: bool = True) -> tuple[Channel, bool]:
        """Return the bot's DM (one user) or group DM (several); True when it already existed."""
        user_ids = sorted({self.user(u).id for u in users} - {BOT_USER_ID})
        if not user_ids:
            raise SlackError("user_not_found")
        members = sorted([BOT_USER_ID, *user_ids])
        for channel in self.channels.values():
            if (channel.is_im or channel.is_mpim) and sorted(channel.members) == members:
                return channel, True
        if not create:
            raise SlackError("channel_not_found")
        if len(user_ids) == 1:
            channel = Channel(id=self.new_id("D"), name=user_ids[0], is_im=True, im_user=user_ids[0])
        else:
            names = "--".join(self.users[u].name for u in user_ids)
            channel = Channel(
                id=self.new_id("C"), name=f"mpdm-opsbot--{names}-1", is_private=True, is_mpim=True
            )
        channel.members = members
        self.channels[channel.id] = channel
        self.history[channel.id] = []
        self.emit({"type": "channel_created", "channel": channel.to_api()})
        return channel, False

    def set_topic(self, channel: str, topic: str, *, user: str = BOT_USER_ID) -> Message:
        """Change a channel topic and post the `channel_topic` system message Slack shows."""
        conversation = self.channel(channel)
        conversation.topic = topic
        self.emit({"type": "topic_changed", "channel": conversation.id, "topic": topic, "user": user})
        text = f"<@{user}> set the channel topic: {topic}"
        return self.add_message(
            conversation.id, user=user, text=text, subtype="channel_topic", extra={"topic": topic}
        )

    def permalink(self, channel: str, ts: str) -> str:
        """Build the message permalink Slack's chat.getPermalink returns."""
        message = self.message(channel, ts)
        link = f"{self.base_url}/archives/{message.channel}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return link

    # tokens the player hands to the bot

    def issue_trigger(self, user: str) -> str:
        """Create a fresh trigger_id for `user`, valid once for `trigger_ttl` seconds."""
        trigger_id = (
            f"{self._rng.randrange(10**10, 10**11)}.{self._rng.randrange(10**8, 10**9)}.{self.new_token(32)}"
        )
        self.triggers[trigger_id] = Trigger(user=self.user(user).id)
        return trigger_id

    def consume_trigger(self, trigger_id: str) -> Trigger:
        """Use up a trigger_id; raise `invalid_trigger_id`, `expired_trigger_id` or `exchanged_trigger_id`."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def issue_response_url(
        self,
        channel: str,
        user: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        base_url: str | None = None,
    ) -> str:
        """Create a response_url tied to a channel, user and (for clicks) the original message."""
        token = f"{self.team['id']}/{self.new_id('', 13)}/{self.new_token(24)}"
        self.response_urls[token] = ResponseUrl(
            token=token,
            channel=self.channel(channel).id,
            user=self.user(user).id,
            message_ts=message_ts,
            is_ephemeral=is_ephemeral,
        )
        return f"{(base_url or self.base_url).rstrip('/')}/response/{token}"

    def use_response_url(self, token: str) -> ResponseUrl:
        """Count one use of a response_url; raise `expired_url` (HTTP 404) past 5 uses or 30 minutes."""
        response_url = self.response_urls.get(token)
        if response_url is None or time.monotonic() - response_url.created > RESPONSE_URL_TTL:
            raise SlackError("expired_url", status=404)
        if response_url.uses >= RESPONSE_URL_MAX_USES:
            raise SlackError("used_url", status=404)
        response_url.uses += 1
        return response_url

    # failure knobs

    def inject_faults(
        self,
        count: int,
        *,
        kind: FaultKind,
        methods: set[str] | None = None,
        retry_after: int = 1,
        delay: float = 10.0,
        answer: LostAnswer = "drop",
    ) -> None:
        """Make the next `count` Web API calls (of `methods`, or any) fail as `kind`."""
        if kind not in ("500", "429", "timeout", "slow", "lost_answer"):
            raise ValueError(f"unknown fault kind {kind!r}")
        chosen = frozenset(methods) if methods is not None else None
        self.faults.append(Fault(count, kind, chosen, retry_after=retry_after, delay=delay, answer=answer))

    def take_fault(self, method: str) -> Fault | None:
        """Consume one pending fault that applies to `method`, if any."""
        for fault in self.faults:
            if fault.matches(method):
                fault.remaining -= 1
                return fault
        return None

    def set_rate_limit(self, rate_per_channel: float | None = 1.0, *, burst: int = 2) -> None:
        """Turn Slack's per-channel chat.postMessage limit on (messages/s) or off (None)."""
        self.rate_limiter = None if rate_per_channel is None else ChannelRateLimiter(rate_per_channel, burst)

    def set_rate_limits(self, on: bool = True) -> None:
        """Turn all of Slack's rate limits on or off: method tiers, and chat.postMessage ~1/s per channel.

        Slack: "Posting messages: 1 per second. Short bursts >1 allowed" -- a burst of 3 here.
        """
        self.tier_limiter = TierRateLimiter(TIER_PER_MINUTE) if on else None
        self.set_rate_limit(1.0 if on else None, burst=3)

    def snapshot(self) -> dict[str, Any]:
        """Summarise the workspace as JSON-friendly data (for debugging and the web page)."""
        return {
            "team": self.team,
            "users": [u.to_api() for u in self.users.values()],
            "channels": [c.to_api() for c in self.channels.values()],
            "messages": {cid: [m.to_api() for m in msgs] for cid, msgs in self.history.items()},
            "ephemerals": [{**e.to_api(), "channel": e.channel, "user": e.user} for e in self.ephemerals],
            "views": [v.to_api() | {"user": v.user, "closed": v.closed} for v in self.views.values()],
        }
