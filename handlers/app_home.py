"""The App Home tab: published for the viewing user whenever they open it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.ids import ActionId
from bot.listeners import guarded
from bot.services import home


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(guarded(on_home_opened))
    app.action(ActionId.HOME_REFRESH)(guarded(on_refresh))


async def on_home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    await home.publish(context["deps"], user_id=str(event["user"]))


async def on_refresh(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await home.publish(context["deps"], user_id=str(body["user"]["id"]))
