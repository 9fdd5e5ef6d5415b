"""Run one parsed `/incident` subcommand and return the ephemeral reply for the person who ran it."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.blocks.ids import BlockId
from bot.blocks.incident import LevelChoice, declare_modal, render_list, render_status, text_modal
from bot.blocks.limits import message, section
from bot.config import Team
from bot.deps import Deps
from bot.domain.incident_commands import IncidentCommand
from bot.domain.incidents import Status
from bot.errors import NotFound, UsageError
from bot.services import incident_action_items, incident_reports, incidents
from bot.services.alert_permissions import authorize
from bot.services.incident_permissions import ensure_clicked_at_incident
from bot.services.incident_policy import policies
from bot.services.teams import named
from storage import alert_groups

RETRY_WINDOW_SECONDS = 120


def _reply(text: str) -> dict[str, Any]:
    return message(text, [section(text)])


def slash_request_keys(*, user_id: str, channel_id: str, text: str, at: float) -> tuple[str, str]:
    """Keys of this declaration for the current and the previous two-minute window.

    The same declaration by the same person in the same place within the window is one request (a retry);
    the previous window's key catches a retry that crossed the window's boundary.
    """
    digest = hashlib.sha256(f"{user_id}|{channel_id}|{' '.join(text.split())}".encode()).hexdigest()[:24]
    window = int(at // RETRY_WINDOW_SECONDS)
    return f"slash:{digest}:{window}", f"slash:{digest}:{window - 1}"


async def run(deps: Deps, command: IncidentCommand, *, user_id: str, channel_id: str) -> dict[str, Any]:
    """Do what `command` asks; return the reply."""
    if command.action == "declare":
        return await _declare(deps, command, user_id=user_id, channel_id=channel_id)
    if command.action == "list":
        team = named(deps.settings, command.team) if command.team else None
        found = await incident_reports.listing(deps, scope=command.scope, team=team)
        return render_list(found, scope=command.scope, now=deps.clock(), team=team.handle if team else None)
    incident = await incident_reports.find(deps, number=command.number, channel_id=channel_id)
    assert incident.id is not None
    number = incident.id
    if command.action == "status":
        return render_status(await incident_reports.facts(deps, number), now=deps.clock())
    if command.action == "ack":
        done = await incidents.acknowledge(deps, number, user_id=user_id)
        return _reply(f"Acknowledged INC-{number}." if done else f"INC-{number} was acknowledged already.")
    if command.action == "update":
        await incidents.post_update(deps, number, user_id=user_id, text=command.text)
        return _reply(f"Update posted on INC-{number}.")
    if command.action == "action":
        count = await incident_action_items.add(deps, number, user_id=user_id, text=command.text)
        return _reply(
            f"Action item {count} of INC-{number} recorded. `/incident postmortem {number}` lists them, "
            "each with an Open ticket button."
        )
    if command.action == "sev":
        assert command.level is not None
        await incidents.regrade(deps, number, user_id=user_id, level=command.level, reason=command.text)
        return _reply(f"INC-{number} is now SEV{command.level}.")
    if command.action == "assign":
        assert command.role is not None and command.user is not None
        await incidents.assign(deps, number, user_id=user_id, role=command.role, assignee=command.user)
        return _reply(f"<@{command.user}> is the {command.role.value} of INC-{number}.")
    return await _lifecycle(deps, command.action, number, user_id=user_id, text=command.text)


async def _lifecycle(deps: Deps, action: str, number: int, *, user_id: str, text: str) -> dict[str, Any]:
    if action == "resolve":
        done = await incidents.resolve(deps, number, user_id=user_id, summary=text)
        return _reply(f"Resolved INC-{number}." if done else f"INC-{number} was resolved already.")
    if action == "reopen":
        await incidents.reopen(deps, number, user_id=user_id)
        return _reply(f"Reopened INC-{number}.")
    await incidents.request_postmortem(deps, number, user_id=user_id)
    return _reply(f"The postmortem draft of INC-{number} is on its way.")


async def _declare(deps: Deps, command: IncidentCommand, *, user_id: str, channel_id: str) -> dict[str, Any]:
    assert command.level is not None
    team = named(deps.settings, command.team)
    key, earlier = slash_request_keys(
        user_id=user_id,
        channel_id=channel_id,
        text=f"{command.level} {command.text}" + (f" team={team.handle}" if command.team else ""),
        at=deps.clock().timestamp(),
    )
    declared = await incidents.declare(
        deps,
        user_id=user_id,
        level=command.level,
        title=command.text,
        team=team,
        request_key=key,
        earlier_keys=(earlier,),
    )
    if not declared.created:
        return _reply(f"INC-{declared.number} was declared already; opsbot is setting it up.")
    name = policies(deps.settings)[declared.level].name
    return _reply(f"Declared INC-{declared.number} (SEV{declared.level} {name}); opsbot is setting it up.")


def declaration_form(
    deps: Deps,
    *,
    title: str = "",
    level: int | None = None,
    service: str = "",
    description: str = "",
    team: Team | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The declaration modal with the configured levels and teams (optionally pre-filled; the team
    chosen at first is `team`, else the default one)."""
    choices = [LevelChoice(p.level, p.name, p.description) for p in policies(deps.settings).values()]
    teams = [
        (t.handle, t.title if t.title == t.handle else f"{t.title} ({t.handle})") for t in deps.settings.teams
    ]
    return declare_modal(
        choices,
        title=title,
        level=level,
        service=service,
        description=description,
        teams=teams,
        team=(team or deps.settings.default_team).handle,
        metadata=metadata,
    )


async def open_form(deps: Deps, *, trigger_id: str, view: dict[str, Any]) -> None:
    """Open a modal for the person behind `trigger_id`."""
    await deps.slack.views_open(trigger_id=trigger_id, view=view)


async def clicked_incident(deps: Deps, number: int, *, clicked_channel: str) -> int:
    """The incident a header button names, once the click is known to come from that incident's place."""
    incident = await incident_reports.find(deps, number=number, channel_id=None)
    ensure_clicked_at_incident(deps, incident, clicked_channel=clicked_channel)
    return number


async def alert_form(deps: Deps, group_id: int, *, user_id: str, channel_id: str) -> dict[str, Any]:
    """The declaration modal pre-filled from an alert group: alertname + summary, SEV1 when critical.

    Only from the group's own message, and (with `alerts.permissions.channel_members_only`) only for
    members of its channel; the level's declare right is checked when the form is submitted."""
    doing = "declare an incident from this alert"
    await authorize(deps, group_id, user_id=user_id, clicked_channel=channel_id, right=None, doing=doing)
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=1)
    if snapshot is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    group = snapshot.group
    first = snapshot.alerts[0] if snapshot.alerts else None
    summary = first.annotations.get("summary", "") if first else ""
    service = (first.labels.get("service") or first.labels.get("job") or "") if first else ""
    description = first.annotations.get("description", "") if first else ""
    return declaration_form(
        deps,
        title=f"{group.alertname}: {summary}" if summary else group.alertname,
        level=1 if group.severity == "critical" else 2,
        service=service,
        description=description,
        team=deps.settings.team_of(group.team),
        metadata={"alert_group_id": group_id, "channel": channel_id},
    )


def update_form(number: int, *, resolve: bool) -> dict[str, Any]:
    return text_modal(number, resolve=resolve)


async def command_form(
    deps: Deps, command: IncidentCommand, *, user_id: str, channel_id: str
) -> dict[str, Any]:
    """The form a command without its text opens: the declaration form (with the level and team it named),
    or the update / resolution form of the incident the text version would act on.

    A resolved incident, or a resolver without the right, hears so now rather than after typing the text.
    """
    if command.action == "declare":
        team = named(deps.settings, command.team) if command.team else None
        return declaration_form(deps, level=command.level, team=team, metadata={"channel": channel_id})
    incident = await incident_reports.find(deps, number=command.number, channel_id=channel_id)
    assert incident.id is not None
    if incident.status == Status.RESOLVED:
        raise UsageError(f"INC-{incident.id} is resolved already; `/incident reopen {incident.id}` first.")
    resolve = command.action == "resolve"
    if resolve:
        await incidents.ensure_may_resolve(deps, incident.id, user_id=user_id)
    return update_form(incident.id, resolve=resolve)


async def form_team(deps: Deps, *, values: dict[str, str], metadata: dict[str, Any]) -> Team:
    """The team a submitted declaration form names: the one chosen in it, else (one team, no choice shown)
    the alert group's it was opened from, else the default team."""
    if values.get(BlockId.INCIDENT_TEAM):
        return named(deps.settings, values[BlockId.INCIDENT_TEAM])
    group = metadata.get("alert_group_id")
    if group is None:
        return deps.settings.default_team
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, int(group), sample=0)
    return deps.settings.team_of(snapshot.group.team if snapshot else None)


async def declare_from_form(
    deps: Deps,
    *,
    user_id: str,
    user_name: str,
    level: int,
    team: Team,
    values: dict[str, str],
    metadata: dict[str, Any],
    view_id: str,
) -> None:
    """Declare from the submitted modal (once per view) and tell the person where it lives."""
    group = metadata.get("alert_group_id")
    declared = await incidents.declare(
        deps,
        user_id=user_id,
        user_name=user_name,
        level=level,
        title=values.get(BlockId.INCIDENT_TITLE, ""),
        service=values.get(BlockId.INCIDENT_SERVICE, ""),
        description=values.get(BlockId.INCIDENT_DESCRIPTION, ""),
        alert_group_id=int(group) if group is not None else None,
        team=team,
        request_key=f"view:{view_id}",
    )
    channel = metadata.get("channel")
    if declared.created and channel:
        text = f"Declared INC-{declared.number} (SEV{declared.level}); opsbot is setting it up."
        await deps.slack.chat_postEphemeral(channel=str(channel), user=user_id, text=text)
