"""The usage of every slash command opsbot registers (shown by `help` and on unknown subcommands)."""

from __future__ import annotations

from bot.domain.commands import CommandUsage, Subcommand

METRICS = CommandUsage(
    command="/metrics",
    summary="Live metrics against the team's KPI targets, with charts.",
    subcommands=(
        Subcommand("", "KPI overview: every KPI with its current value, target and status"),
        Subcommand("<team>", "a team's KPI overview (a team's name wins over a KPI of the same name)"),
        Subcommand(
            "[team] <kpi> [range]",
            "one KPI (cpu, memory, disk, load, latency, errors, payments, uptime…) over 15m, 1h (default), "
            "24h or 7d: min / avg / max / p95, trend and a chart; without a team, any team's KPI "
            "(the default team's first), with one, that team's",
        ),
        Subcommand("query <promql> [range]", "run raw PromQL: the top series now; with a range, a chart"),
        Subcommand("help", "this message"),
    ),
    examples=(
        "/metrics",
        "/metrics cpu 15m",
        "/metrics latency 24h",
        "/metrics query sum by (job) (rate(http_requests_total[5m]))",
        "/metrics query up 7d",
    ),
)

INCIDENT = CommandUsage(
    command="/incident",
    summary="Run an incident from declaration to postmortem, following its SEV level's playbook.",
    subcommands=(
        Subcommand("", "open the declaration form"),
        Subcommand(
            "declare <sev1-4> [team=<team>] <title>",
            "declare an incident directly (for a team); without a title, the form (level and team filled in)",
        ),
        Subcommand("status [n]", "show an incident's state"),
        Subcommand("update [n] <text>", "post a status update; without the text, the update form"),
        Subcommand("sev [n] <1-4> [reason]", "re-grade the severity"),
        Subcommand("assign [n] commander|comms|scribe @user", "give someone a role"),
        Subcommand("ack [n]", "record the first response"),
        Subcommand("resolve [n] <summary>", "resolve the incident; without a summary, the resolution form"),
        Subcommand("reopen [n]", "reopen a resolved incident"),
        Subcommand("action [n] <text>", "add a postmortem action item (each gets an Open ticket button)"),
        Subcommand("postmortem [n]", "draft the postmortem"),
        Subcommand("list [open|all] [team]", "list incidents (of one team)"),
        Subcommand("help", "this message"),
    ),
    examples=("/incident declare sev2 Checkout is slow", "/incident update 12 Rolled back the deploy"),
)

TICKET = CommandUsage(
    command="/ticket",
    summary="Optimization tickets, prioritised by impact × effort, with measured impact.",
    subcommands=(
        Subcommand("", "open the new-ticket form"),
        Subcommand(
            "new <title> [impact=high] [effort=low] [area=api] [metric=latency] [team=<t>]",
            "create a ticket (its team: team=, else the team whose rotation you are on); "
            "`new` alone opens the form",
        ),
        Subcommand("list [quickwins|major|fillins|thankless|open|mine|area=<a>] [team=<t>]", "list tickets"),
        Subcommand("show <n>", "show one ticket with its measured impact"),
        Subcommand("assign <n> @user", "give a ticket an owner"),
        Subcommand("start <n>", "start work (records the metric's baseline)"),
        Subcommand("done <n> [note]", "finish a ticket"),
        Subcommand("drop <n> <reason>", "drop a ticket"),
        Subcommand("team <n> <team>", "move a ticket to another team"),
        Subcommand("matrix", "the impact × effort matrix"),
        Subcommand("registry", "done tickets with their measured impact"),
        Subcommand("help", "this message"),
    ),
    examples=('/ticket new "Add index on orders.user_id" impact=high effort=low area=database',),
)

ONCALL = CommandUsage(
    command="/oncall",
    summary="Who is on call now and next, and temporary hand-overs.",
    subcommands=(
        Subcommand("", "who is on call now in each team (one team: now and next)"),
        Subcommand("<team>", "a team's layers (primary, secondary …) now and next, overrides marked"),
        Subcommand(
            "override @user <duration> [team] [layer]",
            "hand on-call to someone for a while (e.g. 4h); default: the default team's first layer",
        ),
        Subcommand("help", "this message"),
    ),
    examples=(
        "/oncall",
        "/oncall payments",
        "/oncall override @bob 4h",
        "/oncall override @bob 4h payments secondary",
    ),
)

ALL_COMMANDS: tuple[CommandUsage, ...] = (METRICS, INCIDENT, TICKET, ONCALL)
