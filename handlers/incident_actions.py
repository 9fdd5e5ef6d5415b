"""Incident buttons and modals: Acknowledge / Post update / Resolve on the header, "Declare incident" on
critical alerts, and the submitted forms."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.blocks.incident import modal_values
from bot.errors import Forbidden, UsageError
from bot.listeners import guarded
from bot.services import incident_commands, incident_permissions, incidents
from handlers.common import clicked_channel, who


def register(app: AsyncApp) -> None:
    app.action(ActionId.INCIDENT_ACK)(guarded(on_acknowledge))
    app.action(ActionId.INCIDENT_UPDATE)(guarded(_form_button(resolve=False)))
    app.action(ActionId.INCIDENT_RESOLVE)(guarded(_form_button(resolve=True)))
    app.action(ActionId.ALERT_DECLARE_INCIDENT)(guarded(on_declare_from_alert))
    app.view(CallbackId.INCIDENT_DECLARE)(guarded(on_declare_submitted))
    app.view(CallbackId.INCIDENT_UPDATE)(guarded(on_update_submitted))
    app.view(CallbackId.INCIDENT_RESOLVE)(guarded(on_resolve_submitted))


def _number(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    if not value.isdigit():
        raise UsageError("That button is not understood; the message may be outdated.")
    return int(value)


async def on_acknowledge(
    ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    deps = context["deps"]
    number = await incident_commands.clicked_incident(
        deps, _number(action), clicked_channel=clicked_channel(body)
    )
    await incidents.acknowledge(deps, number, user_id=str(body["user"]["id"]))


def _form_button(*, resolve: bool) -> Callable[..., Awaitable[None]]:
    """A header button opening the update form (or, with `resolve`, the resolution form)."""

    async def on_click(
        ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        deps = context["deps"]
        number = await incident_commands.clicked_incident(
            deps, _number(action), clicked_channel=clicked_channel(body)
        )
        form = incident_commands.update_form(number, resolve=resolve)
        await incident_commands.open_form(deps, trigger_id=str(body["trigger_id"]), view=form)

    return on_click


async def on_declare_from_alert(
    ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    deps = context["deps"]
    user_id, channel_id = str(body["user"]["id"]), clicked_channel(body)
    form = await incident_commands.alert_form(deps, _number(action), user_id=user_id, channel_id=channel_id)
    await incident_commands.open_form(deps, trigger_id=str(body["trigger_id"]), view=form)


async def on_declare_submitted(
    ack: Any, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Declare once per form (the view id is the request key), or show why not next to the severity (or
    the team)."""
    deps, values = context["deps"], modal_values(view)
    metadata = json.loads(view.get("private_metadata") or "{}")
    (user_id, user_name), level = who(body), int(values.get(BlockId.INCIDENT_SEVERITY) or 3)
    try:
        team = await incident_commands.form_team(deps, values=values, metadata=metadata)
        await incident_permissions.may_declare(deps, team, user_id=user_id, level=level)
    except (Forbidden, UsageError) as error:
        where = BlockId.INCIDENT_SEVERITY if isinstance(error, Forbidden) else BlockId.INCIDENT_TEAM
        await ack(response_action="errors", errors={where: str(error)})
        return
    await ack()
    await incident_commands.declare_from_form(
        deps,
        user_id=user_id,
        user_name=user_name,
        level=level,
        team=team,
        values=values,
        metadata=metadata,
        view_id=str(view["id"]),
    )


async def on_update_submitted(
    ack: Any, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    number = int(json.loads(view.get("private_metadata") or "{}").get("incident", 0))
    text = modal_values(view).get(BlockId.INCIDENT_TEXT, "")
    await incidents.post_update(
        context["deps"], number, user_id=str(body["user"]["id"]), text=text, request_key=f"view:{view['id']}"
    )


async def on_resolve_submitted(
    ack: Any, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Resolve from the form; a person who may not resolve sees why in the form."""
    deps, user_id = context["deps"], str(body["user"]["id"])
    number = int(json.loads(view.get("private_metadata") or "{}").get("incident", 0))
    try:
        await incidents.ensure_may_resolve(deps, number, user_id=user_id)
    except Forbidden as error:
        await ack(response_action="errors", errors={BlockId.INCIDENT_TEXT: str(error)})
        return
    await ack()
    summary = modal_values(view).get(BlockId.INCIDENT_TEXT, "")
    await incidents.resolve(deps, number, user_id=user_id, summary=summary)
