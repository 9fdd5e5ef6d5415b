"""The "Open ticket" button (on alerts, incident postmortems, digests) and the submitted new-ticket form."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.blocks.incident import modal_values
from bot.blocks.tickets import read_open_ticket_value
from bot.errors import BotError
from bot.listeners import guarded
from bot.services import ticket_commands, ticket_measure


def register(app: AsyncApp) -> None:
    app.action(ActionId.TICKET_OPEN)(guarded(on_open_ticket))
    app.view(CallbackId.TICKET_NEW)(guarded(on_ticket_submitted))


async def on_open_ticket(
    ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Open the new-ticket form pre-filled with the source this button belongs to."""
    await ack()
    deps = context["deps"]
    kind, ref, title = read_open_ticket_value(str(action.get("value", "")))
    channel_id = str(
        (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    )
    clicked_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    form = await ticket_commands.form_for_source(
        deps,
        kind=kind,
        ref=ref,
        title=title,
        channel_id=channel_id,
        user_id=str(body["user"]["id"]),
        clicked_ts=clicked_ts,
    )
    await ticket_commands.open_form(deps, trigger_id=str(body["trigger_id"]), view=form)


async def on_ticket_submitted(
    ack: Any, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Create the ticket once per form, or show what is wrong next to the title."""
    values = modal_values(view)
    try:
        new = ticket_commands.new_from_form(values)
    except ValueError as error:
        await ack(response_action="errors", errors={BlockId.TICKET_TITLE: str(error)})
        return
    try:  # a form has no reply to carry an error after ack: say it next to the metric
        await ticket_measure.check_metric(context["deps"], new.metric, user_id=str(body["user"]["id"]))
    except BotError as error:
        await ack(response_action="errors", errors={BlockId.TICKET_METRIC: str(error)[:300]})
        return
    await ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    await ticket_commands.create_from_form(
        context["deps"], new, user_id=str(body["user"]["id"]), metadata=metadata, view_id=str(view["id"])
    )
