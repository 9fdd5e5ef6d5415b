"""/oncall: who is on call now and next, and temporary hand-overs."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.oncall import render_handover, render_oncall
from bot.domain.durations import parse_duration
from bot.domain.usage import ONCALL as USAGE
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import oncall
from handlers.common import parse, reply_help, reply_unknown


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(guarded(handle))


async def handle(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
    """Acknowledge at once, then answer through response_url."""
    await ack()
    parsed = parse(command)
    if await reply_help(respond, USAGE, parsed):
        return
    deps = context["deps"]
    if parsed.subcommand == "":
        current, following = await oncall.who_is_on_call(deps)
        await respond(response_type="ephemeral", **render_oncall(current, following, now=deps.clock()))
    elif parsed.subcommand == "override":
        user, duration = _override_args(parsed.args)
        override = await oncall.hand_over(deps, to_user=user, duration=duration, by_user=command["user_id"])
        await respond(response_type="in_channel", **render_handover(override, by_user=command["user_id"]))
    else:
        await reply_unknown(respond, USAGE, parsed)


def _override_args(args: tuple[str, ...]) -> tuple[str, Any]:
    if len(args) != 2 or not args[0].startswith("<@"):
        raise UsageError("Use `/oncall override @user <duration>`, e.g. `/oncall override @bob 4h`.")
    try:
        duration = parse_duration(args[1])
    except ValueError as error:
        raise UsageError(str(error)) from None
    return args[0][2:-1].split("|")[0], duration
