"""/ticket: Optimization tickets, prioritised by impact × effort, with measured impact."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.domain.tickets import parse_ticket_command
from bot.domain.usage import TICKET as USAGE
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import ticket_commands
from handlers.common import parse, reply_help, reply_unknown


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(guarded(handle))


async def handle(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
    """Acknowledge at once; open the new-ticket form (`/ticket`, `/ticket new`), or run the subcommand and
    answer through response_url."""
    await ack()
    deps, parsed = context["deps"], parse(command)
    channel_id, user_id = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    if await reply_help(respond, USAGE, parsed):
        return
    if parsed.subcommand and not USAGE.knows(parsed.subcommand):
        await reply_unknown(respond, USAGE, parsed)
        return
    try:
        wanted = parse_ticket_command(parsed.subcommand or "new", parsed.args, user_id=user_id)  # alone: form
    except ValueError as error:
        raise UsageError(str(error)) from None
    if wanted.form:
        form = ticket_commands.new_form(deps, user_id=user_id, channel_id=channel_id)
        await ticket_commands.open_form(deps, trigger_id=str(command["trigger_id"]), view=form)
        return
    reply = await ticket_commands.run(deps, wanted, user_id=user_id, channel_id=channel_id)
    await respond(response_type="in_channel" if reply.in_channel else "ephemeral", **reply.payload)
