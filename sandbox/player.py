"""SlackPlayer: plays Slack toward the bot with correctly signed slash commands, clicks and events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, TypedDict, Unpack
from urllib.parse import urlencode

import aiohttp

from sandbox import payloads
from sandbox.acks import BotResponse, apply_slash_ack, apply_view_response
from sandbox.model import BOT_USER_ID, Channel, Ephemeral, Message
from sandbox.records import View

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

FORM = "application/x-www-form-urlencoded"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class SignOverrides(TypedDict, total=False):
    """Knobs for negative tests: a stale timestamp, a forged signature, no headers, a retry."""

    timestamp: int | None
    signature: str | None
    omit_headers: bool
    retry_num: int | None


class SlackPlayer:
    """Act as Slack toward the bot at `bot_url`, keeping the sandbox workspace in step."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        bot_url: str,
        signing_secret: str,
        sandbox_url: str,
        session: aiohttp.ClientSession | None = None,
        ack_timeout: float = 3.0,
    ) -> None:
        self.ws = workspace
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.sandbox_url = sandbox_url.rstrip("/")
        self.ack_timeout = ack_timeout
        self.last_response_url: str | None = None
        self.last_trigger_id: str | None = None
        self.responses: list[BotResponse] = []
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> SlackPlayer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if the player created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def sign(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """Return Slack's signature headers for `body`."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + stamp.encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    async def raw(
        self,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        **overrides: Unpack[SignOverrides],
    ) -> BotResponse:
        """POST exactly `body` to the bot, signed unless overridden."""
        sent = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        if not overrides.get("omit_headers"):
            sent.update(self.sign(body, timestamp=overrides.get("timestamp")))
            if overrides.get("signature") is not None:
                sent["X-Slack-Signature"] = str(overrides["signature"])
        if overrides.get("retry_num") is not None:
            sent.update(
                {"X-Slack-Retry-Num": str(overrides["retry_num"]), "X-Slack-Retry-Reason": "http_timeout"}
            )
        sent.update(headers or {})
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        started = time.monotonic()
        async with self._session.post(self.bot_url, data=body, headers=sent) as reply:
            text = await reply.text()
        response = BotResponse.parse(reply.status, text, reply.headers, elapsed=time.monotonic() - started)
        self.responses.append(response)
        return response

    async def _post_form(self, fields: dict[str, str], **overrides: Unpack[SignOverrides]) -> BotResponse:
        return await self.raw(urlencode(fields).encode(), content_type=FORM, **overrides)

    async def _post_json(self, data: dict[str, Any], **overrides: Unpack[SignOverrides]) -> BotResponse:
        return await self.raw(json.dumps(data).encode(), content_type="application/json", **overrides)

    def _fresh_tokens(self, channel: Channel, user: str, **target: Any) -> tuple[str, str]:
        response_url = self.ws.issue_response_url(channel.id, user, base_url=self.sandbox_url, **target)
        trigger_id = self.ws.issue_trigger(user)
        self.last_response_url, self.last_trigger_id = response_url, trigger_id
        return response_url, trigger_id

    async def slash(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "alice",
        channel: str = "general",
        **overrides: Unpack[SignOverrides],
    ) -> BotResponse:
        """Run a slash command as `user` in `channel` (names or ids); show the ack like Slack."""
        who, where = self.ws.user(user), self.ws.channel(channel)
        response_url, trigger_id = self._fresh_tokens(where, who.id)
        form = payloads.slash_form(
            self.ws, command=command, text=text, user=who, channel=where, response_url=response_url,
            trigger_id=trigger_id,
        )  # fmt: skip
        self.ws.emit(
            {"type": "slash_command", "command": command, "text": text, "user": who.id, "channel": where.id}
        )
        response = await self._post_form(form, **overrides)
        if _forged(overrides):
            return response  # not from Slack, so Slack shows nothing
        token = response_url.split("/response/", 1)[1]
        apply_slash_ack(
            self.ws, response, command=command, channel=where, user=who,
            response_url=self.ws.response_urls[token], ack_timeout=self.ack_timeout,
        )  # fmt: skip
        return response

    async def click(
        self,
        message: Message | Ephemeral | str,
        action_id: str,
        *,
        user: str = "alice",
        value: str | None = None,
        selected_option_value: str | None = None,
        channel: str | None = None,
        block_id: str | None = None,
        **overrides: Unpack[SignOverrides],
    ) -> BotResponse:
        """Click (or choose in) element `action_id` of a stored message (or of ts `message` in `channel`);
        `block_id` picks one of several elements with the same action_id, as Slack allows across blocks."""
        if isinstance(message, str):
            if channel is None:
                raise ValueError("click(ts, ...) needs channel=...")
            message = self.ws.message(channel, message)
        who = self.ws.user(user)
        block, element = payloads.find_element(message.blocks, action_id, block_id=block_id)
        act = payloads.action(self.ws, block, element, value=value, selected=selected_option_value)
        is_ephemeral = isinstance(message, Ephemeral)
        response_url, trigger_id = self._fresh_tokens(
            self.ws.channels[message.channel], who.id, message_ts=message.ts, is_ephemeral=is_ephemeral
        )
        payload = payloads.block_actions(
            self.ws, target=message, user=who, act=act, response_url=response_url, trigger_id=trigger_id
        )
        self.ws.emit({"type": "block_action", "user": who.id, "channel": message.channel, "action": act})
        return await self._post_form({"payload": json.dumps(payload)}, **overrides)

    async def submit_view(
        self,
        view_id_or_view: str | View,
        values: dict[str, Any],
        *,
        user: str | None = None,
        **overrides: Unpack[SignOverrides],
    ) -> BotResponse:
        """Submit an open modal with plain `values` keyed by block_id or action_id."""
        view = self.ws.view(view_id_or_view if isinstance(view_id_or_view, str) else view_id_or_view.id)
        if view.closed:
            raise ValueError(f"view {view.id} is closed; Slack cannot submit it")
        who = self.ws.user(user or view.user)
        view.state = payloads.view_state(self.ws, view, values)
        trigger_id = self.ws.issue_trigger(who.id)
        self.last_trigger_id = trigger_id
        payload = payloads.view_submission(self.ws, view=view, user=who, trigger_id=trigger_id)
        self.ws.emit({"type": "view_submitted", "user": who.id, "view_id": view.id, "state": view.state})
        response = await self._post_form({"payload": json.dumps(payload)}, **overrides)
        if not _forged(overrides):
            apply_view_response(self.ws, view, response, ack_timeout=self.ack_timeout)
        return response

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **overrides: Unpack[SignOverrides]
    ) -> BotResponse:
        """Deliver one Events API event in its `event_callback` envelope."""
        envelope = payloads.event_envelope(self.ws, event, event_id=event_id or self.ws.new_id("Ev"))
        return await self._post_json(envelope, **overrides)

    async def url_verification(self, challenge: str, **overrides: Unpack[SignOverrides]) -> BotResponse:
        """Send the Events API URL verification handshake."""
        body = {"token": payloads.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return await self._post_json(body, **overrides)

    async def message(
        self, channel: str, text: str, *, user: str = "alice", thread_ts: str | None = None
    ) -> Message:
        """Post a human message ("@opsbot" = the user's DM with the bot) and send the bot its events."""
        who = self.ws.user(user)
        where = (
            self.ws.open_conversation([who.id])[0] if channel.startswith("@") else self.ws.channel(channel)
        )
        stored = self.ws.add_message(where.id, user=who.id, text=text, thread_ts=thread_ts)
        base = {
            "user": who.id,
            "text": text,
            "ts": stored.ts,
            "channel": where.id,
            "team": self.ws.team["id"],
        }
        if stored.thread_ts:
            base["thread_ts"] = stored.thread_ts
        if BOT_USER_ID in where.members:
            await self.event({"type": "message", "channel_type": _channel_type(where), **base})
        if f"<@{BOT_USER_ID}>" in text:
            await self.event({"type": "app_mention", **base})
        return stored

    async def reaction_added(
        self, channel: str, ts: str, reaction: str, *, user: str = "alice"
    ) -> BotResponse:
        """Add `user`'s reaction to a message and tell the bot."""
        who = self.ws.user(user)
        message = self.ws.add_reaction(channel, ts, reaction, user=who.id)
        event = {
            "type": "reaction_added",
            "user": who.id,
            "reaction": reaction.strip(":"),
            "item": {"type": "message", "channel": message.channel, "ts": ts},
            "item_user": message.user,
        }
        return await self.event(event)

    async def app_home_opened(self, user: str) -> BotResponse:
        """Open the App Home tab as `user`."""
        who = self.ws.user(user)
        dm, _ = self.ws.open_conversation([who.id])
        event: dict[str, Any] = {"type": "app_home_opened", "user": who.id, "channel": dm.id, "tab": "home"}
        if who.id in self.ws.home_views:
            event["view"] = self.ws.views[self.ws.home_views[who.id]].to_api()
        return await self.event(event)

    async def member_joined_channel(
        self, channel: str, user: str, *, inviter: str | None = None
    ) -> BotResponse:
        """Make `user` join a channel and tell the bot."""
        who, where = self.ws.user(user), self.ws.channel(channel)
        self.ws.join_channel(where.id, who.id, inviter=inviter)
        event = {
            "type": "member_joined_channel",
            "user": who.id,
            "channel": where.id,
            "channel_type": "G" if where.is_private else "C",
            "team": self.ws.team["id"],
        }
        if inviter:
            event["inviter"] = self.ws.user(inviter).id
        return await self.event(event)


def _forged(overrides: SignOverrides) -> bool:
    """Tell whether a request was tampered with, so Slack itself would never have sent it."""
    return bool(overrides.get("omit_headers")) or any(
        overrides.get(key) is not None for key in ("signature", "timestamp")
    )


def _channel_type(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "group" if channel.is_private else "channel"
