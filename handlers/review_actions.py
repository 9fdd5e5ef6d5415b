"""A posted review's checklist: ticking items (one, or several carried ones) and choosing an owner."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.digests import run_key_of
from bot.blocks.ids import ActionId
from bot.blocks.review_checklist import read_owner, read_ticks
from bot.listeners import guarded
from bot.services import review_checklist
from handlers.common import clicked_channel, who


def register(app: AsyncApp) -> None:
    app.action(ActionId.REVIEW_TICK)(guarded(on_tick))
    app.action(ActionId.REVIEW_OWNER)(guarded(on_owner))


def _message_ts(body: dict[str, Any]) -> str:
    return str((body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts") or "")


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list((body.get("message") or {}).get("blocks") or [])


async def on_tick(ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext) -> None:
    """Store what the click ticked or unticked; the message is re-rendered for everyone."""
    await ack()
    user_id, name = who(body)
    changes = read_ticks(action, _blocks(body))
    await review_checklist.tick(
        context["deps"],
        channel_id=clicked_channel(body),
        ts=_message_ts(body),
        run_key=run_key_of(_blocks(body)),
        changes=changes,
        user_id=user_id,
        name=name,
    )


async def on_owner(ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext) -> None:
    """Store the owner chosen for a planning item."""
    await ack()
    item_key, owner = read_owner(action)
    await review_checklist.assign(
        context["deps"],
        channel_id=clicked_channel(body),
        ts=_message_ts(body),
        run_key=run_key_of(_blocks(body)),
        item_key=item_key,
        owner=owner,
    )
