"""Dataclasses for the sandbox workspace, each able to render itself as Slack's wire JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "opsbot-sandbox"
TEAM_NAME = "opsbot sandbox"
BOT_USER_ID = "U0OPSBOT"
BOT_ID = "B0OPSBOT"
APP_ID = "A0OPSBOT"


@dataclass
class User:
    """A workspace member (human or the bot user)."""

    id: str
    name: str
    real_name: str
    email: str | None = None
    display_name: str = ""
    tz: str = "Europe/Berlin"
    is_bot: bool = False
    bot_id: str | None = None
    phone: str = ""  # free text, as people type it into their profile

    def profile(self) -> dict[str, Any]:
        """The profile object (users.profile.get; users.info nests it)."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "phone": self.phone,
            "title": "",
            "skype": "",
            "team": TEAM_ID,
        }
        if self.email:
            profile["email"] = self.email
        if self.bot_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = APP_ID
        return profile

    def to_api(self) -> dict[str, Any]:
        """Render as a Slack user object."""
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "profile": self.profile(),
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Usergroup:
    """A user group (`@oncall`)."""

    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)

    def to_api(self, *, include_users: bool = True) -> dict[str, Any]:
        """Render as a Slack usergroup object."""
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "name": self.name,
            "handle": self.handle,
            "description": "",
            "user_count": len(self.users),
        }
        if include_users:
            data["users"] = list(self.users)
        return data


@dataclass
class Channel:
    """A conversation: public/private channel, IM (`D...`) or MPIM."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_general: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    creator: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    im_user: str | None = None

    def to_api(self, *, viewer: str = BOT_USER_ID) -> dict[str, Any]:
        """Render as a Slack conversation object as seen by `viewer`."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private,
            "is_general": self.is_general,
            "is_archived": self.is_archived,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": viewer in self.members,
            "created": self.created,
            "creator": self.creator,
            "context_team_id": TEAM_ID,
            "topic": {"value": self.topic, "creator": self.creator, "last_set": 0},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": 0},
            "num_members": len(self.members),
        }


@dataclass
class Message:
    """A channel message or thread reply, as stored in history."""

    channel: str
    ts: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    edited: dict[str, str] | None = None
    reactions: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    subtype: str | None = None
    pinned_to: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        """Tell whether this message lives inside another message's thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self) -> dict[str, Any]:
        """Render as a Slack message object."""
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text, "team": TEAM_ID}
        if self.subtype:
            data["subtype"] = self.subtype
        if self.user:
            data["user"] = self.user
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = APP_ID
            data["bot_profile"] = {"id": self.bot_id, "app_id": APP_ID, "name": "opsbot", "team_id": TEAM_ID}
        optional = {
            "blocks": self.blocks,
            "attachments": self.attachments,
            "thread_ts": self.thread_ts,
            "edited": self.edited,
            "reactions": self.reactions,
            "files": self.files,
            "pinned_to": self.pinned_to,
        }
        data.update({key: value for key, value in optional.items() if value})
        if self.files:
            data["upload"] = True
        if self.reply_count:
            data.update(
                reply_count=self.reply_count,
                reply_users=list(self.reply_users),
                reply_users_count=len(self.reply_users),
                latest_reply=self.latest_reply,
            )
        data.update(self.extra)
        return data


@dataclass
class Ephemeral:
    """An ephemeral message: only `user` sees it, it never enters history."""

    channel: str
    user: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    source: str = "postEphemeral"
    thread_ts: str | None = None
    bot_id: str | None = BOT_ID
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        """Render like the message object Slack shows the user."""
        data: dict[str, Any] = {"type": "message", "subtype": "ephemeral", "ts": self.ts, "text": self.text}
        if self.bot_id:
            data["bot_id"] = self.bot_id
        if self.blocks:
            data["blocks"] = self.blocks
        if self.attachments:
            data["attachments"] = self.attachments
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        return data


def ts_key(ts: str) -> int:
    """Turn a Slack ts ("1700000000.000100") into exact microseconds for ordering."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds or 0) * 1_000_000 + int((fraction or "0")[:6].ljust(6, "0"))
