"""Shared plumbing for the sandbox's HTTP handlers: app keys and typed access to call arguments."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.errors import SlackError, invalid_arguments

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

WORKSPACE_KEY: web.AppKey[Workspace] = web.AppKey("sandbox_workspace")
CLOSING_KEY: web.AppKey[asyncio.Event] = web.AppKey("sandbox_closing")
_TRUE = {"1", "true", "yes", "on"}


class Args:
    """The parsed arguments of one Web API call, with Slack's coercions."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        """Return a string argument; a missing required one is `invalid_arguments`."""
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                raise invalid_arguments(f"missing required field: {name}")
            return default
        return value if isinstance(value, str) else str(value)

    def optional(self, name: str) -> str | None:
        """Return a string argument or None when absent or empty."""
        return self.text(name) if name in self else None

    def flag(self, name: str, *, default: bool = False) -> bool:
        """Return a boolean argument sent as JSON bool, "true"/"false" or "1"/"0"."""
        value = self.data.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in _TRUE

    def number(self, name: str, *, default: int, low: int = 1, high: int = 1000) -> int:
        """Return an integer argument clamped to Slack's range for it."""
        value = self.data.get(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid_arguments(f"invalid value for {name}: expected an integer") from None
        return max(low, min(high, number)) if number > 0 else default

    def structure(self, name: str) -> Any:
        """Return an already JSON-decoded argument (blocks, view, files...) or None."""
        return self.data.get(name)

    def listing(self, name: str, *, required: bool = False) -> list[str]:
        """Return a comma-separated (or JSON list) argument as a list of strings."""
        value = self.data.get(name)
        if isinstance(value, list):
            return [str(v) for v in value]
        return [part.strip() for part in self.text(name, required=required).split(",") if part.strip()]


Handler = Callable[["Workspace", Args], dict[str, Any]]


def require_member(channel_members: list[str], user: str, *, error: str = "not_in_channel") -> None:
    """Raise Slack's membership error when `user` is not in the conversation."""
    if user not in channel_members:
        raise SlackError(error)


def page(items: list[Any], *, cursor: str, limit: int) -> tuple[list[Any], str]:
    """Slice `items` by an opaque offset cursor; return the page and the next cursor ("" at the end)."""
    offset = 0
    if cursor:
        try:
            offset = int(base64.b64decode(cursor.encode()).decode().removeprefix("offset:"))
        except ValueError:
            raise SlackError("invalid_cursor") from None
    chunk = items[offset : offset + limit]
    more = offset + limit < len(items)
    next_cursor = base64.b64encode(f"offset:{offset + limit}".encode()).decode() if more else ""
    return chunk, next_cursor
