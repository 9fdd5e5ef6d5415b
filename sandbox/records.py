"""Dataclasses for views, files, recorded calls and the tokens the player hands out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.mentions import is_broadcast
from sandbox.model import APP_ID, BOT_ID, TEAM_ID


@dataclass
class View:
    """A modal or App Home view."""

    id: str
    type: str
    user: str
    hash: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    title: dict[str, Any] | None = None
    submit: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    callback_id: str = ""
    private_metadata: str = ""
    external_id: str = ""
    state: dict[str, Any] = field(default_factory=lambda: {"values": {}})
    root_view_id: str | None = None
    previous_view_id: str | None = None
    clear_on_close: bool = False
    notify_on_close: bool = False
    closed: bool = False

    def to_api(self) -> dict[str, Any]:
        """Render as the Slack view object returned by views.* and sent in payloads."""
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": self.state,
            "hash": self.hash,
            "title": self.title,
            "clear_on_close": self.clear_on_close,
            "notify_on_close": self.notify_on_close,
            "close": self.close,
            "submit": self.submit,
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": APP_ID,
            "external_id": self.external_id,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }


@dataclass
class File:
    """An uploaded file; `content` holds the bytes served at `url_private`."""

    id: str
    name: str
    title: str
    mimetype: str
    user: str
    url_private: str
    permalink: str
    content: bytes = b""
    size: int = 0
    uploaded: bool = False
    channels: list[str] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self) -> dict[str, Any]:
        """Render as a Slack file object (without the bytes)."""
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": self.user,
            "size": self.size,
            "mode": "hosted",
            "is_external": False,
            "is_public": bool(self.channels),
            "url_private": self.url_private,
            "url_private_download": self.url_private + "?download=1",
            "permalink": self.permalink,
            "channels": list(self.channels),
            "groups": [],
            "ims": [],
        }


@dataclass
class ApiCall:
    """One recorded Web API call: the parsed arguments (minus the token) and the answer."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.time)
    # The conversation kinds the call touched (see sandbox.scopes.call_context) and the caller's User-Agent.
    context: str = ""
    agent: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass(frozen=True)
class Notification:
    """Who a posted or edited message would notify (see sandbox.mentions): `here`, `subteam^S1`, `@U1`."""

    channel: str
    ts: str
    user: str
    change: str  # "posted" or "updated"
    mentions: tuple[str, ...]
    text: str

    @property
    def broadcasts(self) -> tuple[str, ...]:
        """The mentions that reach a whole channel or user group."""
        return tuple(m for m in self.mentions if is_broadcast(m))


@dataclass
class ResponseUrl:
    """A `response_url` handed to the bot with a slash command or interaction."""

    token: str
    channel: str
    user: str
    message_ts: str | None = None
    is_ephemeral: bool = False
    uses: int = 0
    created: float = field(default_factory=time.monotonic)


@dataclass
class Trigger:
    """A `trigger_id` the player issued; valid once, for a few seconds."""

    user: str
    issued: float = field(default_factory=time.monotonic)
    used: bool = False
