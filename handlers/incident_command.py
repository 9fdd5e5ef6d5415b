"""/incident: Run an incident from declaration to postmortem, following its SEV level's playbook."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.domain.incident_commands import parse_incident_command
from bot.domain.usage import INCIDENT as USAGE
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import incident_commands, incident_reports
from handlers.common import parse, reply_help, reply_unknown


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(guarded(handle))


async def handle(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
    """Acknowledge at once; open the form, or run the subcommand and answer through response_url."""
    await ack()
    deps, parsed = context["deps"], parse(command)
    channel_id, user_id = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    if not parsed.subcommand:
        form = incident_commands.declaration_form(deps, metadata={"channel": channel_id})
        await incident_commands.open_form(deps, trigger_id=str(command["trigger_id"]), view=form)
        return
    if await reply_help(respond, USAGE, parsed):
        return
    if not USAGE.knows(parsed.subcommand):
        await reply_unknown(respond, USAGE, parsed)
        return
    in_incident = await incident_reports.in_incident_channel(deps, channel_id)
    try:
        wanted = parse_incident_command(parsed.subcommand, parsed.args, parsed.rest, in_incident=in_incident)
    except ValueError as error:
        raise UsageError(str(error)) from None
    reply = await incident_commands.run(deps, wanted, user_id=user_id, channel_id=channel_id)
    await respond(response_type="ephemeral", **reply)
