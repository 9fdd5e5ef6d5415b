"""/metrics: Live metrics against the team's KPI targets, with charts."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.domain.usage import METRICS as USAGE
from handlers.common import not_built, parse, reply_help, reply_unknown


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(handle)


async def handle(ack: Any, command: dict[str, Any], respond: Any) -> None:
    """Acknowledge at once, then answer through response_url."""
    await ack()
    parsed = parse(command)
    if await reply_help(respond, USAGE, parsed):
        return
    if not USAGE.knows(parsed.subcommand) and parsed.subcommand:
        await reply_unknown(respond, USAGE, parsed)
        return
    raise not_built(USAGE, parsed)
