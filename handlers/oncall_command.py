"""/oncall: who is on call now and next (per team), and temporary hand-overs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.oncall import render_handover, render_oncall, render_teams_oncall
from bot.config import Settings, Team
from bot.domain.durations import parse_duration
from bot.domain.usage import ONCALL as USAGE
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import oncall
from bot.services.teams import named
from handlers.common import parse, reply_help, reply_unknown

OVERRIDE_USAGE = (
    "Use `/oncall override @user <duration>`, then optionally the team and the layer, e.g. "
    "`/oncall override @bob 4h` or `/oncall override @bob 4h payments secondary`."
)


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(guarded(handle))


async def handle(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
    """Acknowledge at once, then answer through response_url."""
    await ack()
    parsed = parse(command)
    if await reply_help(respond, USAGE, parsed):
        return
    deps = context["deps"]
    several = len(deps.settings.teams) > 1
    if parsed.subcommand == "override":
        user, duration, team, layer = _override_args(deps.settings, parsed.args)
        by_user = command["user_id"]
        override = await oncall.hand_over(
            deps, to_user=user, duration=duration, by_user=by_user, team=team, layer=layer
        )
        where = ", ".join(filter(None, (team.handle if several else None, override.layer)))
        await respond(response_type="in_channel", **render_handover(override, by_user=by_user, where=where))
    elif parsed.subcommand == "" and several:
        shown = [await oncall.team_on_call(deps, team) for team in deps.settings.teams]
        await respond(response_type="ephemeral", **render_teams_oncall(shown, now=deps.clock()))
    elif not parsed.args and (several or deps.settings.team(parsed.subcommand or None)):
        team = named(deps.settings, parsed.subcommand or None)
        reply = render_oncall(await oncall.team_on_call(deps, team), now=deps.clock(), several_teams=several)
        await respond(response_type="ephemeral", **reply)
    else:
        await reply_unknown(respond, USAGE, parsed)


def _override_args(settings: Settings, args: tuple[str, ...]) -> tuple[str, timedelta, Team, str | None]:
    """@user, duration, then optionally the team (default: the default team) and the layer."""
    if not 2 <= len(args) <= 4 or not args[0].startswith("<@"):
        raise UsageError(OVERRIDE_USAGE)
    try:
        duration = parse_duration(args[1])
    except ValueError as error:
        raise UsageError(str(error)) from None
    team = named(settings, args[2] if len(args) > 2 else None)
    layer = args[3].lower() if len(args) > 3 else None
    return args[0][2:-1].split("|")[0], duration, team, layer
