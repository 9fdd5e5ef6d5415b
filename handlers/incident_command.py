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
    """Acknowledge at once; open the form a command without its text asks for, or run the subcommand and
    answer through response_url."""
    await ack()
    deps, parsed = context["deps"], parse(command)
    channel_id, user_id = str(command.get("channel_id", "")), str(command.get("user_id", ""))
    if await reply_help(respond, USAGE, parsed):
        return
    if parsed.subcommand and not USAGE.knows(parsed.subcommand):
        await reply_unknown(respond, USAGE, parsed)
        return
    in_incident = await incident_reports.in_incident_channel(deps, channel_id)
    subcommand = parsed.subcommand or "declare"  # `/incident` alone: the declaration form
    try:
        wanted = parse_incident_command(subcommand, parsed.args, parsed.rest, in_incident=in_incident)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if wanted.form:
        form = await incident_commands.command_form(deps, wanted, user_id=user_id, channel_id=channel_id)
        await incident_commands.open_form(deps, trigger_id=str(command["trigger_id"]), view=form)
        return
    reply = await incident_commands.run(deps, wanted, user_id=user_id, channel_id=channel_id)
    await respond(response_type="ephemeral", **reply)
