"""Run one parsed `/ticket` subcommand; the new-ticket form from a command or any "Open ticket" button."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import ticket_chart
from bot.blocks.ids import BlockId
from bot.blocks.limits import section
from bot.blocks.tickets import render_list, render_matrix, render_registry, render_ticket, ticket_modal
from bot.deps import Deps
from bot.domain.incident_report import read_action_item_ref
from bot.domain.tickets import NewTicket, SourceKind, TicketCommand, parse_area, parse_level
from bot.services import tickets
from bot.services.metrics import share_chart
from storage import alert_groups
from storage import incidents as incident_store

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Reply:
    """What to answer: the message, and whether the channel sees it."""

    payload: dict[str, Any]
    in_channel: bool = False


async def run(deps: Deps, command: TicketCommand, *, user_id: str, channel_id: str) -> Reply:
    """Do what `command` asks and return the reply."""
    if command.action == "new":
        assert command.new is not None
        view, _ = await tickets.create(deps, command.new, user_id=user_id, channel_id=channel_id)
        headline = f"<@{user_id}> opened {_name(view.number)}, a *{view.quadrant}*."
        return Reply(render_ticket(view, headline=headline), in_channel=True)
    if command.action == "list":
        assert command.filter is not None
        found = await tickets.listing(deps, command.filter)
        return Reply(render_list(found, label=command.filter.label))
    if command.action == "matrix":
        return Reply(await _matrix(deps, channel_id=channel_id))
    if command.action == "registry":
        entries = await tickets.registry(deps, EPOCH, deps.clock() + timedelta(seconds=1))
        return Reply(render_registry(entries))
    assert command.number is not None
    if command.action == "show":
        return Reply(render_ticket(await tickets.get(deps, command.number)))
    return await _lifecycle(deps, command, command.number, user_id=user_id)


async def _lifecycle(deps: Deps, command: TicketCommand, number: int, *, user_id: str) -> Reply:
    name = _name(number)
    if command.action == "assign":
        assert command.user is not None
        view = await tickets.assign(deps, number, user_id=user_id, assignee=command.user)
        headline = f"<@{user_id}> gave {name} to <@{command.user}>."
    elif command.action == "start":
        view = await tickets.start(deps, number, user_id=user_id)
        measured = " Measuring the baseline of its metric." if view.metric else ""
        headline = f"<@{user_id}> started {name}.{measured}"
    elif command.action == "team":
        view = await tickets.move(deps, number, user_id=user_id, team=command.text)
        headline = f"<@{user_id}> moved {name} to team {view.team}."
    elif command.action == "done":
        view = await tickets.finish(deps, number, user_id=user_id, note=command.text)
        measured = " Its metric will be measured over the coming days." if view.metric else ""
        headline = f"🎉 <@{user_id}> finished {name}.{measured}"
    else:
        view = await tickets.drop(deps, number, user_id=user_id, reason=command.text)
        headline = f"<@{user_id}> dropped {name}."
    return Reply(render_ticket(view, headline=headline), in_channel=True)


async def _matrix(deps: Deps, *, channel_id: str) -> dict[str, Any]:
    counts, tops = await tickets.matrix(deps)
    reply = render_matrix(counts, tops)
    png = await asyncio.to_thread(ticket_chart.matrix_chart, counts, tops, subtitle="active tickets")
    problem = await share_chart(
        deps, channel_id=channel_id, png=png, title="Impact × effort matrix", at=deps.clock()
    )
    if problem:
        reply["blocks"].append(section(f"_No chart here: {problem}._"))
    return reply


def _name(number: int) -> str:
    return f"TKT-{number}"


async def open_form(deps: Deps, *, trigger_id: str, view: dict[str, Any]) -> None:
    """Open a modal for the person behind `trigger_id`."""
    await deps.slack.views_open(trigger_id=trigger_id, view=view)


def new_form(deps: Deps, *, user_id: str, channel_id: str) -> dict[str, Any]:
    """The empty new-ticket form `/ticket` opens."""
    teams, team = _team_choice(deps, user_id)
    return ticket_modal(metadata={"channel": channel_id}, teams=teams, team=team)


async def form_for_source(
    deps: Deps,
    *,
    kind: str,
    ref: str,
    title: str,
    channel_id: str,
    user_id: str,
    clicked_ts: str | None = None,
) -> dict[str, Any]:
    """The new-ticket form pre-filled from where the button was (alert group, incident, digest)."""
    clicked = (channel_id, clicked_ts) if channel_id and clicked_ts else None
    link = await source_link(deps, kind=kind, ref=ref, clicked=clicked)
    metadata = {"channel": channel_id, "source_kind": kind, "source_ref": ref, "source_link": link}
    description = f"From {link}" if link else ""
    teams, team = _team_choice(deps, user_id)
    return ticket_modal(
        title=title,
        description=description,
        source_kind=kind,
        source_link=link,
        metadata=metadata,
        teams=teams,
        team=team,
    )


def _team_choice(deps: Deps, user_id: str) -> tuple[list[str], str]:
    """The form's team select: every team, and the one a new ticket of this person gets by default."""
    settings = deps.settings
    chosen = tickets.team_for_new(settings, None, user_id=user_id)
    return [team.handle for team in settings.teams], chosen.handle


async def source_link(
    deps: Deps, *, kind: str, ref: str, clicked: tuple[str, str] | None = None
) -> str | None:
    """A link back to the source: the alert group's or incident's message, or the digest's URL.

    `clicked` is the message the button was on: an alert group's own message, whose ts opsbot may not
    have stored yet when a quick click follows its first post.
    """
    if ref.startswith(("http://", "https://")):
        return ref
    place: tuple[str | None, str | None] = (None, None)
    if kind == SourceKind.ALERT and ref.isdigit():
        async with deps.db.sessions() as session:
            snapshot = await alert_groups.load_group(session, int(ref), sample=0)
        if snapshot is not None:
            place = (snapshot.group.slack_channel_id, snapshot.group.slack_ts)
        if place[1] is None and clicked is not None:
            place = clicked
    elif kind == SourceKind.INCIDENT and (read := read_action_item_ref(ref)) is not None:
        incident = await incident_store.get(deps.db, read[0])  # the incident, also for one of its items
        if incident is not None:
            place = (incident.header_channel_id, incident.header_ts)
    if place[0] is None or place[1] is None:
        return None
    try:
        found = await deps.slack.chat_getPermalink(channel=place[0], message_ts=place[1])
    except SlackApiError:
        return None
    return str(found["permalink"])


def new_from_form(values: dict[str, str]) -> NewTicket:
    """The ticket a submitted form describes; ValueError names the problem."""
    title = values.get(BlockId.TICKET_TITLE, "").strip()
    if not title:
        raise ValueError("Give the ticket a title.")
    return NewTicket(
        title=title,
        description=values.get(BlockId.TICKET_DESCRIPTION, ""),
        impact=parse_level(values.get(BlockId.TICKET_IMPACT) or "high", name="impact"),
        effort=parse_level(values.get(BlockId.TICKET_EFFORT) or "low", name="effort"),
        area=parse_area(values.get(BlockId.TICKET_AREA) or "other"),
        metric=values.get(BlockId.TICKET_METRIC) or None,
        team=values.get(BlockId.TICKET_TEAM) or None,
    )


async def create_from_form(
    deps: Deps, new: NewTicket, *, user_id: str, metadata: dict[str, Any], view_id: str
) -> None:
    """Create the ticket once per form and show it where the form was opened (or in a DM)."""
    channel = str(metadata.get("channel") or "") or None
    view, created = await tickets.create(
        deps,
        new,
        user_id=user_id,
        channel_id=channel,
        source_kind=str(metadata.get("source_kind") or SourceKind.MANUAL.value),
        source_ref=str(metadata["source_ref"]) if metadata.get("source_ref") else None,
        source_link=str(metadata["source_link"]) if metadata.get("source_link") else None,
        request_key=f"view:{view_id}",
    )
    if not created:
        return
    payload = render_ticket(view, headline=f"<@{user_id}> opened {_name(view.number)}, a *{view.quadrant}*.")
    if channel is None:
        await deps.gateway.direct_message(user_id=user_id, text=payload["text"])
        return
    try:
        await deps.gateway.post(channel_id=channel, **payload)
    except SlackApiError:  # e.g. a DM the bot cannot post in: tell the person instead
        await deps.gateway.direct_message(user_id=user_id, text=payload["text"])
