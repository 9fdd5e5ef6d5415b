"""/metrics: Live metrics against the team's KPI targets, with charts."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.blocks.metrics import render_overview, render_query, render_report
from bot.config import Team
from bot.domain.commands import parse_command_text
from bot.domain.kpis import describe_range, parse_query_text
from bot.domain.usage import METRICS as USAGE
from bot.errors import UsageError
from bot.listeners import guarded
from bot.services import metrics
from handlers.common import parse, reply_help


def register(app: AsyncApp) -> None:
    app.command(USAGE.command)(guarded(handle))


async def handle(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
    """Acknowledge at once, query the source, then answer through response_url (charts into the channel)."""
    await ack()
    parsed = parse(command)
    deps = context["deps"]
    team = metrics.team_in(deps.settings, parsed.subcommand)  # `/metrics payments [<kpi> [range]]`
    if team is not None:
        parsed = parse_command_text(parsed.rest)
    if await reply_help(respond, USAGE, parsed):
        return
    if parsed.subcommand == "":
        await respond(response_type="ephemeral", **render_overview(await metrics.overview(deps, team)))
        return
    if parsed.subcommand == "query":
        await _query(deps, command, respond, parsed.rest)
    else:
        await _report(deps, command, respond, parsed.subcommand, parsed.args, team)


async def _query(deps: Any, command: dict[str, Any], respond: Any, text: str) -> None:
    promql, range_word = parse_query_text(text)
    found = await metrics.run_query(deps, promql, range_word, user_id=command["user_id"])
    png = await metrics.draw_query_chart(found)
    missing = await _share(deps, command, png, title=f"PromQL: {promql}")
    await respond(response_type=_visibility(png, missing), **render_query(found, chart_missing=missing))


async def _report(
    deps: Any, command: dict[str, Any], respond: Any, name: str, args: tuple[str, ...], team: Team | None
) -> None:
    if len(args) > 1:
        raise UsageError("Use `/metrics [team] <name> [range]`, e.g. `/metrics latency 24h`.")
    report = await metrics.report(deps, name, args[0] if args else None, team)
    png = await metrics.draw_report_chart(report)
    title = f"{report.kpi.title} (last {describe_range(report.span)})"
    missing = await _share(deps, command, png, title=title)
    await respond(response_type=_visibility(png, missing), **render_report(report, chart_missing=missing))


async def _share(deps: Any, command: dict[str, Any], png: bytes | None, *, title: str) -> str | None:
    """Upload the chart into the command's channel; say why not when opsbot may not post there."""
    if png is None:
        return None
    return await metrics.share_chart(
        deps, channel_id=command["channel_id"], png=png, title=title[:200], at=deps.clock()
    )


def _visibility(png: bytes | None, missing: str | None) -> str:
    """Numbers go with the chart for everyone; without a chart in the channel, only to the asker."""
    return "in_channel" if png is not None and missing is None else "ephemeral"
