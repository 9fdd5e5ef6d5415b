"""The buttons on alert messages: Acknowledge, Resolve, Snooze, and the overflow (noise, details)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.ids import ActionId
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import alert_actions
from handlers.common import clicked_channel, who


def register(app: AsyncApp) -> None:
    app.action(ActionId.ALERT_ACK)(guarded(_button(alert_actions.acknowledge)))
    app.action(ActionId.ALERT_RESOLVE)(guarded(_button(alert_actions.resolve)))
    app.action(ActionId.ALERT_SNOOZE)(guarded(on_snooze))
    app.action(ActionId.ALERT_MORE)(guarded(on_more))


def _selected(action: dict[str, Any]) -> tuple[str, int]:
    """Split an option value `choice:group_id`."""
    choice, _, group = str(action.get("selected_option", {}).get("value", "")).rpartition(":")
    if not group.isdigit():
        raise UsageError("That choice is not understood; the message may be outdated.")
    return choice, int(group)


def _button(act: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A listener for a button whose value is the group id: acknowledge at once, then act as the clicker."""

    async def on_click(
        ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        user_id, name = who(body)
        value = str(action.get("value", ""))
        if not value.isdigit():
            raise UsageError("That button is not understood; the message may be outdated.")
        await act(
            context["deps"],
            int(value),
            user_id=user_id,
            user_name=name,
            clicked_channel=clicked_channel(body),
        )

    return on_click


async def on_snooze(
    ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    user_id, name = who(body)
    choice, group_id = _selected(action)
    await alert_actions.snooze(
        context["deps"], group_id, user_id=user_id, user_name=name, choice=choice,
        clicked_channel=clicked_channel(body),
    )  # fmt: skip


async def on_more(
    ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext, respond: Any
) -> None:
    await ack()
    user_id, name = who(body)
    choice, group_id = _selected(action)
    deps, channel = context["deps"], clicked_channel(body)
    if choice == "noise":
        await alert_actions.mark_noise(
            deps, group_id, user_id=user_id, user_name=name, clicked_channel=channel
        )
    elif choice == "details":
        shown = await alert_actions.details(deps, group_id, clicked_channel=channel)
        await respond(response_type="ephemeral", replace_original=False, **shown)
    else:
        raise UsageError(f"Unknown choice {choice!r}.")
