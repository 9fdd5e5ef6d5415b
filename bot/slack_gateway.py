"""The Slack gateway: the one way opsbot's jobs post to Slack. It resolves channel names, joins a channel it
is not in, and posts idempotently (a message carries a marker, so a retry finds it instead of posting twice).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.limits import text_sections
from bot.slack import ChannelDirectory, error_code


class SlackGateway:
    """Posting, joining and lookups on one Web API client, with the process's channel directory."""

    def __init__(self, client: AsyncWebClient, channels: ChannelDirectory) -> None:
        self._client = client
        self.channels = channels

    async def post_or_update(
        self,
        *,
        channel: str,
        channel_id: str | None,
        ts: str | None,
        payload: dict[str, Any],
        marker: str | None = None,
    ) -> tuple[str, str]:
        """Update the message at `ts`, or post a new one; return (channel id, ts).

        With `marker` (a block_id), a message an earlier attempt already posted is found and updated instead.
        """
        channel_id = channel_id or await self.channels.id_for(channel)
        if ts is None and marker is not None:
            ts = await self.find_by_block_id(channel_id=channel_id, block_id=marker)
        if ts is not None:
            try:
                await self._client.chat_update(channel=channel_id, ts=ts, **payload)
                return channel_id, ts
            except SlackApiError as error:
                if error_code(error) != "message_not_found":
                    raise
        response = await self._post_joining(channel_id=channel_id, payload=payload)
        return channel_id, str(response["ts"])

    async def post(self, *, channel_id: str, text: str, thread_ts: str | None = None, **extra: Any) -> str:
        """Post a message (optionally in a thread); return its ts."""
        payload = {"text": text, **extra}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        response = await self._post_joining(channel_id=channel_id, payload=payload)
        return str(response["ts"])

    async def post_once(
        self,
        *,
        channel_id: str,
        text: str,
        marker: str | None,
        look_first: bool,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Post a message (or thread reply) that carries `marker` as its first block's block_id; with
        `look_first` (a retry, when an earlier try may have posted it and lost Slack's answer or died before
        saving it) an existing one is found instead. Without `blocks` the text becomes the blocks. Without a
        marker (a job queued before posts carried one) it simply posts."""
        if marker is None:
            extra = {"blocks": blocks} if blocks else {}
            return await self.post(channel_id=channel_id, text=text, thread_ts=thread_ts, **extra)
        if look_first:
            found = await self.find_by_block_id(channel_id=channel_id, block_id=marker, thread_ts=thread_ts)
            if found is not None:
                return found
        if blocks:
            blocks = [{**blocks[0], "block_id": marker}, *blocks[1:]]
        else:
            blocks = text_sections(text, block_id=marker)
        return await self.post(channel_id=channel_id, text=text, thread_ts=thread_ts, blocks=blocks)

    async def _post_joining(self, *, channel_id: str, payload: dict[str, Any]) -> Any:
        try:
            return await self._client.chat_postMessage(channel=channel_id, **payload)
        except SlackApiError as error:
            if error_code(error) != "not_in_channel":
                raise
        await self._client.conversations_join(channel=channel_id)
        return await self._client.chat_postMessage(channel=channel_id, **payload)

    async def direct_message(
        self, *, user_id: str, text: str, marker: str | None = None, look_first: bool = False
    ) -> None:
        """Send a DM to a user (opens the conversation first, as Slack requires); with `marker`, only once
        (see post_once)."""
        opened = await self._client.conversations_open(users=user_id)
        channel_id = str(opened["channel"]["id"])
        await self.post_once(channel_id=channel_id, text=text, marker=marker, look_first=look_first)

    async def profile_phone(self, user_id: str) -> str:
        """The phone number a person entered in their Slack profile, as written ("" when none, or when
        Slack knows no such user); needs users.profile:read."""
        try:
            response = await self._client.users_profile_get(user=user_id)
        except SlackApiError as error:
            if error_code(error) != "user_not_found":
                raise
            return ""
        profile = response.get("profile") or {}
        return str(profile.get("phone") or "")

    async def find_by_block_id(
        self, *, channel_id: str, block_id: str, thread_ts: str | None = None, recent: int = 200
    ) -> str | None:
        """The ts of a recent message in the channel (or the thread) carrying a block with `block_id`."""
        try:
            if thread_ts:
                response = await self._client.conversations_replies(
                    channel=channel_id, ts=thread_ts, limit=recent
                )
            else:
                response = await self._client.conversations_history(channel=channel_id, limit=recent)
        except SlackApiError as error:
            # Not (or no longer) a member: opsbot cannot read the channel, and the post that follows joins it
            # first. Raising here would fail every retry of the job the same way, forever.
            if error_code(error) != "not_in_channel":
                raise
            return None
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            if any(block.get("block_id") == block_id for block in message.get("blocks") or []):
                return str(message["ts"])
        return None
