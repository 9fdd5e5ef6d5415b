"""Waiting for an incident's place in the sandbox workspace."""

from __future__ import annotations

from typing import Any

from sandbox.model import Channel, Message


async def header_in(ws: Any, channel: str) -> Message:
    """The incident's pinned header in `channel`."""
    found: Message = await ws.wait_for_message(
        channel, contains="Declared by", predicate=lambda m: bool(m.pinned_to)
    )
    return found


async def incident_channel(ws: Any, number: int) -> Channel:
    """The incident's channel, once its header is pinned there (opsbot has stored the channel by then)."""
    channel: Channel = await ws.wait_until(
        lambda: next((c for c in ws.channels.values() if c.name.startswith(f"inc-{number}-")), None),
        timeout=10,
        describe=lambda: f"no channel for INC-{number}",
    )
    await header_in(ws, channel.name)
    return channel
