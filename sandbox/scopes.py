"""What each Web API method needs: its OAuth scopes (by conversation type where Slack says so) and rate tier.

The one table for both the sandbox (which answers `missing_scope` from it) and the manifest test (which maps
every call opsbot makes through it). Source: each method's page at https://docs.slack.dev/reference/methods/
(e.g. https://docs.slack.dev/reference/methods/conversations.history: "Bot token: channels:history
groups:history im:history mpim:history", "Rate Limits: Tier 3: 50+ per minute"), read 2026-11-30, and
https://docs.slack.dev/apis/web-api/rate-limits for what the tiers mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from sandbox.errors import SlackError
from sandbox.model import BOT_USER_ID, Channel

if TYPE_CHECKING:
    from sandbox.common import Args
    from sandbox.workspace import Workspace

# sandbox/manifest.yml links to the top-level manifest.yml, so an installed package carries the same file.
MANIFEST = Path(__file__).resolve().parent / "manifest.yml"
KINDS = ("public_channel", "private_channel", "im", "mpim")
# A public channel the bot is not a member of: chat.postMessage needs chat:write.public there.
OUTSIDER = "public_channel:outsider"

# Methods that post into a public channel the bot is not in only with chat:write.public.
_POSTS = ("chat.postMessage", "chat.postEphemeral")

# Conversation type -> scope, for the Conversations API methods whose scope depends on the type.
READ = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "im": "im:read",
    "mpim": "mpim:read",
}
HISTORY = {
    "public_channel": "channels:history",
    "private_channel": "groups:history",
    "im": "im:history",
    "mpim": "mpim:history",
}
WRITE = {
    "public_channel": "channels:manage",
    "private_channel": "groups:write",
    "im": "im:write",
    "mpim": "mpim:write",
}

# Requests per minute Slack guarantees at least ("N+ per minute"); Special-tier methods have their own rules.
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}


@dataclass(frozen=True)
class Need:
    """A method's scopes: `fixed` always, `by_kind` by conversation type; its rate tier (0 = special)."""

    tier: int
    fixed: tuple[str, ...] = ()
    by_kind: dict[str, str] | None = None


# method -> Need, as docs.slack.dev/reference/methods/<method> lists them for bot tokens.
METHODS: dict[str, Need] = {
    "auth.test": Need(tier=0),  # no scope; Special tier (thousands per minute)
    "team.info": Need(tier=3, fixed=("team:read",)),
    "chat.postMessage": Need(tier=0, fixed=("chat:write",)),  # Special: ~1 message/s per channel
    "chat.postEphemeral": Need(tier=4, fixed=("chat:write",)),
    "chat.update": Need(tier=3, fixed=("chat:write",)),
    "chat.delete": Need(tier=3, fixed=("chat:write",)),
    "chat.getPermalink": Need(tier=0),  # no scope; Special ("hundreds of requests per minute")
    "conversations.list": Need(tier=2, by_kind=READ),
    "conversations.info": Need(tier=3, by_kind=READ),
    "conversations.members": Need(tier=4, by_kind=READ),
    "conversations.history": Need(tier=3, by_kind=HISTORY),
    "conversations.replies": Need(tier=3, by_kind=HISTORY),
    "conversations.create": Need(tier=2, by_kind=WRITE),
    "conversations.invite": Need(tier=3, by_kind=WRITE),
    "conversations.open": Need(tier=3, by_kind=WRITE),
    "conversations.setTopic": Need(tier=2, by_kind=WRITE),
    "conversations.join": Need(tier=3, fixed=("channels:join",)),
    "users.info": Need(tier=4, fixed=("users:read",)),
    "users.list": Need(tier=2, fixed=("users:read",)),
    "users.profile.get": Need(tier=4, fixed=("users.profile:read",)),
    "users.lookupByEmail": Need(tier=3, fixed=("users:read.email",)),
    "usergroups.list": Need(tier=2, fixed=("usergroups:read",)),
    "usergroups.users.list": Need(tier=2, fixed=("usergroups:read",)),
    "reactions.add": Need(tier=3, fixed=("reactions:write",)),
    "reactions.remove": Need(tier=2, fixed=("reactions:write",)),
    "pins.add": Need(tier=2, fixed=("pins:write",)),
    "pins.remove": Need(tier=2, fixed=("pins:write",)),
    "pins.list": Need(tier=2, fixed=("pins:read",)),
    "bookmarks.add": Need(tier=2, fixed=("bookmarks:write",)),
    "bookmarks.list": Need(tier=3, fixed=("bookmarks:read",)),
    "files.getUploadURLExternal": Need(tier=4, fixed=("files:write",)),
    "files.completeUploadExternal": Need(tier=4, fixed=("files:write",)),
    "files.info": Need(tier=4, fixed=("files:read",)),
    "views.open": Need(tier=4),  # views.*: no scope (a trigger_id or the user's Home tab is the permission)
    "views.push": Need(tier=4),
    "views.update": Need(tier=4),
    "views.publish": Need(tier=4),
}

ALL_SCOPES = frozenset(
    {s for need in METHODS.values() for s in (*need.fixed, *(need.by_kind or {}).values())}
    | {"chat:write.public"}
)

# Events opsbot subscribes to -> the scopes Slack requires to deliver them (docs.slack.dev/reference/events/).
EVENTS: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "reaction_added": ("reactions:read",),
    "member_joined_channel": ("channels:read", "groups:read"),  # one per channel type it watches
}
# Slash commands need `commands`.
COMMANDS_SCOPE = "commands"


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """Read the bot scopes manifest.yml asks for."""
    manifest = yaml.safe_load(path.read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def scopes_for(method: str, context: str) -> tuple[str, ...]:
    """The scopes a call of `method` needs in `context` (comma-joined conversation kinds, or OUTSIDER)."""
    need = METHODS[method]
    scopes = list(need.fixed)
    kinds = [k for k in context.split(",") if k]
    if need.by_kind is not None:
        scopes += [need.by_kind[k.split(":")[0]] for k in kinds]
    if method in _POSTS and OUTSIDER in kinds:
        scopes.append("chat:write.public")
    return tuple(dict.fromkeys(scopes))


def kind_of(channel: Channel) -> str:
    """The Conversations API type of a channel."""
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


def call_context(ws: Workspace, method: str, args: Args) -> str | None:
    """The conversation kinds a call touches ("" when none matter); None when its channel cannot be found."""
    if method == "conversations.list":
        return ",".join(sorted(set(args.listing("types") or ["public_channel"]) & set(KINDS)))
    if method == "conversations.create":
        return "private_channel" if args.flag("is_private") else "public_channel"
    if method == "conversations.open" and "channel" not in args:
        return "im" if len(set(args.listing("users")) - {BOT_USER_ID}) <= 1 else "mpim"
    if method in _POSTS:
        return _post_context(ws, args.text("channel"))
    if METHODS[method].by_kind is None:
        return ""
    channel = ws.channels.get(args.text("channel"))
    return kind_of(channel) if channel is not None else None


def _post_context(ws: Workspace, ref: str) -> str:
    try:
        channel = ws.channel(ref)
    except SlackError:
        return ""
    outsider = kind_of(channel) == "public_channel" and BOT_USER_ID not in channel.members
    return OUTSIDER if outsider else ""


def check_scopes(ws: Workspace, method: str, args: Args) -> str:
    """Raise Slack's `missing_scope` when the granted scopes lack what this call needs; return its context."""
    need = METHODS[method]
    context = call_context(ws, method, args)
    if context is None:  # unknown conversation: any one of the type scopes lets Slack look and say not found
        assert need.by_kind is not None
        if not set(need.by_kind.values()) & ws.scopes:
            _refuse(ws, tuple(need.by_kind.values()))
        return ""
    needed = scopes_for(method, context)
    missing = tuple(s for s in needed if s not in ws.scopes)
    if missing == ("chat:write.public",):
        raise SlackError("not_in_channel")  # without chat:write.public the bot must join first
    if missing:
        _refuse(ws, missing)
    return context


def _refuse(ws: Workspace, needed: tuple[str, ...]) -> None:
    raise SlackError("missing_scope", needed=",".join(needed), provided=",".join(sorted(ws.scopes)))
