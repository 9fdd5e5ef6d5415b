"""Event-driven waits for tests: block until the bot has done something, or explain what it did."""

# ruff: noqa: ASYNC109  (a per-call `timeout=` is the documented interface of these test helpers)

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sandbox.errors import SlackError
from sandbox.model import Ephemeral, Message, ts_key
from sandbox.records import ApiCall, View
from sandbox.state import WorkspaceState

T = TypeVar("T")
_SHOWN = 12


def flatten_text(value: Any) -> list[str]:
    """Collect every `text` string nested anywhere in blocks or text objects."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(flatten_text(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(flatten_text(item))
    return found


def attachment_text(attachment: dict[str, Any]) -> list[str]:
    """Collect the visible strings of a legacy attachment."""
    parts = [str(attachment[k]) for k in ("pretext", "title", "text", "footer") if attachment.get(k)]
    for item in attachment.get("fields") or []:
        parts.extend(str(item[k]) for k in ("title", "value") if isinstance(item, dict) and item.get(k))
    return parts + flatten_text(attachment.get("blocks") or [])


def message_text(message: Message | Ephemeral | dict[str, Any]) -> str:
    """Flatten a message's text, block texts and attachment texts into one searchable string."""
    data = message if isinstance(message, dict) else message.to_api()
    parts = [str(data.get("text") or ""), *flatten_text(data.get("blocks") or [])]
    for attachment in data.get("attachments") or []:
        parts.extend(attachment_text(attachment))
    return "\n".join(p for p in parts if p)


def _short(text: str, limit: int = 100) -> str:
    text = text.replace("\n", " | ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class WaitsMixin(WorkspaceState):
    """Awaitable look-ups that wake on workspace events and time out with a useful report."""

    def message_text(self, message: Message | Ephemeral | dict[str, Any]) -> str:
        """Flatten a message's text and every nested block/attachment text."""
        return message_text(message)

    async def wait_until(
        self, check: Callable[[], T | None], *, timeout: float, describe: Callable[[], str]
    ) -> T:
        """Return `check()`'s first non-None result, re-checking after every event."""
        queue = self.subscribe()
        try:
            async with asyncio.timeout(timeout):
                while (found := check()) is None:
                    await queue.get()
                return found
        except TimeoutError:
            raise TimeoutError(f"after {timeout}s: {describe()}") from None
        finally:
            self.unsubscribe(queue)

    async def wait_for_message(
        self,
        channel_name: str,
        *,
        contains: str | None = None,
        predicate: Callable[[Message], bool] | None = None,
        since: str | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """Wait for a message (thread replies included) in a channel; return the newest match."""

        def check() -> Message | None:
            try:
                stored = self.messages(channel_name, include_replies=True)
            except SlackError:
                return None
            for message in reversed(stored):
                if since is not None and ts_key(message.ts) <= ts_key(since):
                    continue
                if contains is not None and contains not in message_text(message):
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        def describe() -> str:
            wanted = f"no message in #{channel_name.lstrip('#')}" + (
                f" containing {contains!r}" if contains else ""
            )
            try:
                stored = self.messages(channel_name, include_replies=True)
            except SlackError:
                names = sorted(c.name for c in self.channels.values())
                return f"{wanted}: channel does not exist; channels: {names}"
            lines = [f"  {m.ts} {'(reply) ' if m.is_reply else ''}{_short(message_text(m))}" for m in stored]
            return f"{wanted}; it has {len(stored)} message(s):\n" + "\n".join(lines[-_SHOWN:])

        return await self.wait_until(check, timeout=timeout, describe=describe)

    async def wait_for_ephemeral(
        self,
        *,
        user: str | None = None,
        contains: str | None = None,
        channel: str | None = None,
        predicate: Callable[[Ephemeral], bool] | None = None,
        timeout: float = 5.0,
    ) -> Ephemeral:
        """Wait for an ephemeral message for `user` (name or id); return the newest match."""
        user_id = self.user(user).id if user else None
        channel_id = self.channel(channel).id if channel else None

        def check() -> Ephemeral | None:
            for ephemeral in reversed(self.ephemerals):
                if ephemeral.deleted or (user_id and ephemeral.user != user_id):
                    continue
                if channel_id and ephemeral.channel != channel_id:
                    continue
                if contains is not None and contains not in message_text(ephemeral):
                    continue
                if predicate is None or predicate(ephemeral):
                    return ephemeral
            return None

        def describe() -> str:
            lines = [
                f"  to {e.user} in {e.channel} via {e.source}{' (deleted)' if e.deleted else ''}: "
                f"{_short(message_text(e))}"
                for e in self.ephemerals
            ]
            wanted = f"no ephemeral for {user or 'anyone'}" + (
                f" containing {contains!r}" if contains else ""
            )
            return f"{wanted}; ephemerals so far ({len(lines)}):\n" + "\n".join(lines[-_SHOWN:])

        return await self.wait_until(check, timeout=timeout, describe=describe)

    async def wait_for_call(
        self, method: str, *, predicate: Callable[[ApiCall], bool] | None = None, timeout: float = 5.0
    ) -> ApiCall:
        """Wait for a recorded Web API call of `method`; return the first match."""

        def check() -> ApiCall | None:
            return next(
                (c for c in self.calls if c.method == method and (predicate is None or predicate(c))), None
            )

        def describe() -> str:
            lines = [f"  {c.method} -> {c.status} {c.response.get('error', 'ok')}" for c in self.calls]
            return f"no {method} call matched; calls so far ({len(lines)}):\n" + "\n".join(lines[-_SHOWN:])

        return await self.wait_until(check, timeout=timeout, describe=describe)

    async def wait_for_update(
        self, channel_name: str, ts: str, *, contains: str | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait until message `ts` has been edited (and, if given, contains `contains`)."""

        def check() -> Message | None:
            try:
                message = self.message(channel_name, ts)
            except SlackError:
                return None
            if message.edited is None or (contains is not None and contains not in message_text(message)):
                return None
            return message

        def describe() -> str:
            try:
                message = self.message(channel_name, ts)
            except SlackError:
                return f"message {ts} not found in #{channel_name.lstrip('#')}"
            state = "edited" if message.edited else "never edited"
            return f"message {ts} ({state}) still reads: {_short(message_text(message), 400)}"

        return await self.wait_until(check, timeout=timeout, describe=describe)

    async def wait_for_view(
        self, *, user: str, callback_id: str | None = None, kind: str = "modal", timeout: float = 5.0
    ) -> View:
        """Wait for an open modal (or published home view) for `user`; return the newest match."""
        user_id = self.user(user).id

        def check() -> View | None:
            for view in reversed(list(self.views.values())):
                if view.user != user_id or view.type != kind or view.closed:
                    continue
                if callback_id is None or view.callback_id == callback_id:
                    return view
            return None

        def describe() -> str:
            lines = [
                f"  {v.id} {v.type} callback_id={v.callback_id!r} closed={v.closed}"
                for v in self.views.values()
            ]
            return f"no open {kind} for {user} (callback_id={callback_id!r}); views:\n" + "\n".join(lines)

        return await self.wait_until(check, timeout=timeout, describe=describe)

    async def wait_for_event(
        self, kind: str, *, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait for a workspace event of type `kind`; return the first match."""

        def check() -> dict[str, Any] | None:
            return next(
                (e for e in self.events if e["type"] == kind and (predicate is None or predicate(e))), None
            )

        def describe() -> str:
            return f"no {kind!r} event; events so far: {[e['type'] for e in self.events][-30:]}"

        return await self.wait_until(check, timeout=timeout, describe=describe)
