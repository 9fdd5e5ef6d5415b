"""Who may see what opsbot shows from a channel: everyone for a public channel, only its members for a
private one. App Home lists alerts and incidents from many channels to one person; a private channel's
must not reach people outside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import error_code

MEMBERS_PAGE = 1000
# Slack's answers when opsbot itself cannot see the channel (a private one it is not in, or deleted):
# then nobody is shown its items.
UNSEEN = frozenset({"channel_not_found", "not_in_channel"})


@dataclass(frozen=True)
class _Audience:
    everyone: bool
    members: frozenset[str]
    at: float

    def includes(self, user_id: str) -> bool:
        return self.everyone or user_id in self.members


class ChannelAudience:
    """Ask Slack who sees a channel (conversations.info, then conversations.members for a private one), and
    keep the answer `ttl_seconds`: someone who just left a private channel stops seeing it that soon."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client, self._ttl, self._clock = client, ttl_seconds, clock
        self._known: dict[str, _Audience] = {}

    async def can_see(self, *, user_id: str, channel_id: str) -> bool:
        """Tell whether `user_id` may see what opsbot shows from `channel_id`."""
        known = self._known.get(channel_id)
        if known is None or self._clock() - known.at >= self._ttl:
            known = self._known[channel_id] = await self._ask(channel_id)
        return known.includes(user_id)

    async def _ask(self, channel_id: str) -> _Audience:
        try:
            channel = (await self._client.conversations_info(channel=channel_id))["channel"]
            if not any(channel.get(k) for k in ("is_private", "is_im", "is_mpim")):
                return _Audience(everyone=True, members=frozenset(), at=self._clock())
            return _Audience(
                everyone=False, members=await channel_members(self._client, channel_id), at=self._clock()
            )
        except SlackApiError as error:
            if error_code(error) not in UNSEEN:
                raise
            return _Audience(everyone=False, members=frozenset(), at=self._clock())


async def channel_members(client: AsyncWebClient, channel_id: str) -> frozenset[str]:
    """Every member of a channel, all pages of conversations.members."""
    members: set[str] = set()
    cursor: str | None = None
    while True:
        page = await client.conversations_members(channel=channel_id, limit=MEMBERS_PAGE, cursor=cursor)
        members.update(page.get("members", []))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return frozenset(members)
