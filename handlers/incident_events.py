"""Events for incidents: a :pushpin: reaction puts a channel message on the incident's timeline."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.listeners import guarded
from bot.services import incident_slack

TIMELINE_REACTION = "pushpin"


def register(app: AsyncApp) -> None:
    app.event("reaction_added", matchers=[_is_pushpin_on_message])(guarded(on_pushpin))


async def _is_pushpin_on_message(body: dict[str, Any]) -> bool:
    event = body.get("event") or {}
    return event.get("reaction") == TIMELINE_REACTION and (event.get("item") or {}).get("type") == "message"


async def on_pushpin(event: dict[str, Any], context: AsyncBoltContext) -> None:
    item = event["item"]
    await incident_slack.record_pin(
        context["deps"],
        channel_id=str(item["channel"]),
        ts=str(item["ts"]),
        user_id=str(event.get("user", "")),
    )
