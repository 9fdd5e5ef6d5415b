"""The embedded default: with no Slack token, opsbot brings its own Slack sandbox."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from pydantic import SecretStr

from bot.config import Settings
from sandbox import start_sandbox


async def start_embedded_sandbox(
    settings: Settings, *, host: str, bot_port: int
) -> tuple[Settings, Callable[[], Awaitable[None]], str]:
    """Start the sandbox next to the bot and return settings that point the bot at it."""
    signing_secret = secrets.token_hex(16)
    bot_token = "xoxb-sandbox-" + secrets.token_hex(8)
    sandbox = await start_sandbox(host=host, port=bot_port + 1 if bot_port else 0, bot_token=bot_token)
    updated = settings.secrets.model_copy(
        update={
            "slack_bot_token": SecretStr(bot_token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_api_url": sandbox.api_url,
        }
    )
    message = f"Slack sandbox (no Slack workspace needed): {sandbox.url}/"
    return settings.model_copy(update={"secrets": updated}), sandbox.close, message
