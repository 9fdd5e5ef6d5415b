"""What every slash-command handler shares: ack at once, answer help, reject unknown subcommands."""

from __future__ import annotations

from typing import Any

from bot.blocks.usage import render_usage
from bot.domain.commands import CommandUsage, ParsedCommand, parse_command_text
from bot.errors import UsageError


async def reply_help(respond: Any, usage: CommandUsage, parsed: ParsedCommand) -> bool:
    """Answer `help` (True); for anything else return False so the handler goes on."""
    if not parsed.wants_help:
        return False
    await respond(response_type="ephemeral", **render_usage(usage))
    return True


async def reply_unknown(respond: Any, usage: CommandUsage, parsed: ParsedCommand) -> None:
    """Answer a subcommand the command does not have with the usage, naming what was not understood."""
    problem = f"`{usage.command} {parsed.subcommand}` is not a {usage.command} command."
    await respond(response_type="ephemeral", **render_usage(usage, problem=problem))


def parse(command: dict[str, Any]) -> ParsedCommand:
    """Parse the text of a slash command payload."""
    return parse_command_text(str(command.get("text", "")))


def not_built(usage: CommandUsage, parsed: ParsedCommand) -> UsageError:
    """The error for a documented subcommand this version cannot do yet."""
    return UsageError(
        f"`{usage.command} {parsed.subcommand}` is not available in this version of opsbot yet."
    )


def clicked_channel(body: dict[str, Any]) -> str:
    """The channel of the message whose button was clicked ("" when it was not in a channel, e.g. a view)."""
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


def who(body: dict[str, Any]) -> tuple[str, str]:
    """The acting user's ID and name (the name threads say; never a mention that would ping them)."""
    user = body.get("user", {})
    return str(user.get("id", "")), str(user.get("username") or user.get("name") or user.get("id", ""))
