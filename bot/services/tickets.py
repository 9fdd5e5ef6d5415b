"""Ticket use cases: create, assign, start, finish, drop, move to another team; lists, the matrix and the
optimization registry, of every team or one.

Every change queues its webhook event in the same transaction; `start` and `done` queue the measurements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.tickets import TicketView
from bot.config import Settings, Team
from bot.deps import Deps
from bot.domain.tickets import (
    ACTIVE,
    NewTicket,
    Quadrant,
    RegistryEntry,
    SourceKind,
    TicketFilter,
    TicketStatus,
)
from bot.errors import NotFound, UsageError
from bot.services import review_checklist, ticket_measure
from bot.services.jobs import MeasureBaseline
from bot.services.permissions import ensure_allowed
from bot.services.teams import named, rotation_teams, rows_of
from bot.services.ticket_measure import queue_event, queue_measurement
from storage import tickets as store
from storage.tickets import Ticket


def to_view(deps: Deps, ticket: Ticket) -> TicketView:
    """The view model of a stored ticket, with its measured impact."""
    assert ticket.id is not None
    return TicketView(
        number=ticket.id,
        title=ticket.title,
        description=ticket.description,
        area=ticket.area,
        team=shown_team(deps.settings, ticket.team),
        impact=ticket.impact,
        effort=ticket.effort,
        quadrant=ticket.quadrant,
        status=ticket.status,
        owner=ticket.owner,
        created_by=ticket.created_by,
        source_kind=ticket.source_kind,
        source_link=ticket.source_link,
        metric=ticket.metric,
        measured=ticket_measure.impact_of(deps, ticket),
        measure_error=ticket.measure_error,
        note=ticket.note,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


def shown_team(settings: Settings, stored: str | None) -> str | None:
    """The team a ticket shows: its handle when several teams are configured (one team goes unnamed)."""
    return settings.team_of(stored).handle if len(settings.teams) > 1 else None


def team_for_new(settings: Settings, typed: str | None, *, user_id: str) -> Team:
    """The team of a new ticket: the one named; else the team whose rotation has the person, when exactly
    one has; else the default team. UsageError (listing the teams) for a team that does not exist."""
    if typed:
        return named(settings, typed)
    theirs = rotation_teams(settings, user_id)
    return theirs[0] if len(theirs) == 1 else settings.default_team


def _rows(deps: Deps, team: Team | None) -> ColumnElement[bool] | None:
    return None if team is None else rows_of(deps.settings, Ticket.team, team)


async def create(
    deps: Deps,
    new: NewTicket,
    *,
    user_id: str,
    channel_id: str | None = None,
    source_kind: str = SourceKind.MANUAL.value,
    source_ref: str | None = None,
    source_link: str | None = None,
    request_key: str | None = None,
) -> tuple[TicketView, bool]:
    """Create a ticket (once per request key) for its team (see team_for_new); return it and whether this
    call created it."""
    if request_key is not None and (found := await store.by_request_key(deps.db, request_key)):
        return to_view(deps, found), False
    team = team_for_new(deps.settings, new.team, user_id=user_id)
    await ticket_measure.check_metric(deps, new.metric, user_id=user_id)
    now = deps.clock()
    row = Ticket(
        request_key=request_key,
        title=new.title[:255],
        description=new.description,
        area=new.area.value,
        team=team.handle,
        impact=new.impact,
        effort=new.effort,
        quadrant=new.quadrant.value,
        created_by=user_id,
        source_kind=source_kind,
        source_ref=source_ref,
        source_link=source_link,
        channel_id=channel_id,
        metric=new.metric,
        created_at=now,
        updated_at=now,
    )
    try:
        async with deps.db.transaction() as session:
            ticket = await store.insert(session, row)
            await queue_event(deps, session, ticket, "created", actor=user_id)
            await review_checklist.ticket_opened(deps, session, source_ref)
    except IntegrityError:  # the same form submitted twice at once: the other request created it
        found = await store.by_request_key(deps.db, request_key) if request_key else None
        if found is None:
            raise
        return to_view(deps, found), False
    deps.wake_outbox()
    return to_view(deps, ticket), True


async def get(deps: Deps, number: int) -> TicketView:
    """One ticket with its measured impact."""
    ticket = await store.get(deps.db, number)
    if ticket is None:
        raise NotFound(f"There is no ticket TKT-{number}.")
    return to_view(deps, ticket)


async def listing(deps: Deps, wanted: TicketFilter, *, limit: int = 50) -> list[TicketView]:
    """Tickets matching the filter (its team: UsageError listing the teams if there is none), newest first."""
    team = named(deps.settings, wanted.team) if wanted.team else None
    found = await store.listing(
        deps.db,
        statuses=[s.value for s in wanted.statuses],
        quadrant=wanted.quadrant.value if wanted.quadrant else None,
        owner=wanted.owner,
        area=wanted.area.value if wanted.area else None,
        team=_rows(deps, team),
        limit=limit,
    )
    return [to_view(deps, t) for t in found]


async def assign(deps: Deps, number: int, *, user_id: str, assignee: str) -> TicketView:
    """Give the ticket an owner."""
    checked = await _may_change(deps, number, user_id=user_id, doing="assign")
    async with deps.db.transaction() as session:
        ticket = await _changing(session, number, allowed=ACTIVE, doing="assign", checked=checked)
        ticket.owner = assignee
        ticket.updated_at = deps.clock()
        await queue_event(deps, session, ticket, "assigned", actor=user_id)
    deps.wake_outbox()
    return to_view(deps, ticket)


async def start(deps: Deps, number: int, *, user_id: str) -> TicketView:
    """Start work: in progress, owned by whoever starts it unless owned; the baseline is measured."""
    now = deps.clock()
    checked = await _may_change(deps, number, user_id=user_id, doing="start")
    async with deps.db.transaction() as session:
        ticket = await _changing(
            session, number, allowed=(TicketStatus.OPEN,), doing="start", checked=checked
        )
        ticket.status, ticket.started_at, ticket.updated_at = TicketStatus.IN_PROGRESS.value, now, now
        ticket.owner = ticket.owner or user_id
        await queue_event(deps, session, ticket, "started", actor=user_id)
        if ticket.metric:
            await queue_measurement(session, ticket, MeasureBaseline, at=now, due_at=now)
    deps.wake_outbox()
    return to_view(deps, ticket)


async def finish(deps: Deps, number: int, *, user_id: str, note: str = "") -> TicketView:
    """Mark done; the after-measurement runs on schedule until the after window has passed."""
    now = deps.clock()
    checked = await _may_change(deps, number, user_id=user_id, doing="finish")
    async with deps.db.transaction() as session:
        ticket = await _changing(session, number, allowed=ACTIVE, doing="finish", checked=checked)
        if ticket.metric and ticket.started_at is None:
            await queue_measurement(session, ticket, MeasureBaseline, at=now, due_at=now)
        ticket.status, ticket.done_at, ticket.updated_at = TicketStatus.DONE.value, now, now
        ticket.owner = ticket.owner or user_id
        ticket.note = note or ticket.note
        await queue_event(deps, session, ticket, "done", actor=user_id)
        if ticket.metric:
            await ticket_measure.queue_after(deps, session, ticket, now=now)
    deps.wake_outbox()
    return to_view(deps, ticket)


async def drop(deps: Deps, number: int, *, user_id: str, reason: str) -> TicketView:
    """Drop the ticket, keeping the reason."""
    now = deps.clock()
    checked = await _may_change(deps, number, user_id=user_id, doing="drop")
    async with deps.db.transaction() as session:
        ticket = await _changing(session, number, allowed=ACTIVE, doing="drop", checked=checked)
        ticket.status, ticket.dropped_at, ticket.updated_at = TicketStatus.DROPPED.value, now, now
        ticket.note = f"Dropped: {reason}"
        await queue_event(deps, session, ticket, "dropped", actor=user_id)
    deps.wake_outbox()
    return to_view(deps, ticket)


async def move(deps: Deps, number: int, *, user_id: str, team: str) -> TicketView:
    """Give the ticket to another team; the right to is its current team's right to change it."""
    target = named(deps.settings, team)
    checked = await _may_change(deps, number, user_id=user_id, doing="move")
    async with deps.db.transaction() as session:
        ticket = await _changing(session, number, allowed=tuple(TicketStatus), doing="move", checked=checked)
        if deps.settings.team_of(ticket.team).handle == target.handle:
            raise UsageError(f"TKT-{number} is already team {target.handle}'s.")
        ticket.team, ticket.updated_at = target.handle, deps.clock()
        await queue_event(deps, session, ticket, "moved", actor=user_id)
    deps.wake_outbox()
    return to_view(deps, ticket)


@dataclass(frozen=True)
class Checked:
    """What a right to change a ticket was checked against: who holds it and which team it is."""

    holders: frozenset[str]
    team: str | None


async def _may_change(deps: Deps, number: int, *, user_id: str, doing: str) -> Checked:
    """Raise Forbidden unless `user_id` may change the ticket: its reporter and owner always may, others
    need its team's `ticket_permissions.change`. Checked before the write transaction (a user group lookup
    asks Slack); returns what it was checked against, which the transaction checks is still the same."""
    ticket = await store.get(deps.db, number)
    if ticket is None:
        raise NotFound(f"There is no ticket TKT-{number}.")
    checked = _checked(ticket)
    team = deps.settings.team_of(ticket.team)
    await ensure_allowed(
        deps,
        user_id=user_id,
        allowed=team.ticket_permissions.change,
        doing=f"{doing} TKT-{number}, someone else's ticket",
        key=team.permission_key("tickets", "change"),
        holders=checked.holders,
        holders_named="its reporter or owner",
    )
    return checked


def _checked(ticket: Ticket) -> Checked:
    holders = frozenset({ticket.created_by, *([ticket.owner] if ticket.owner else [])})
    return Checked(holders=holders, team=ticket.team)


async def _changing(
    session: AsyncSession,
    number: int,
    *,
    allowed: Sequence[TicketStatus],
    doing: str,
    checked: Checked,
) -> Ticket:
    """Lock the ticket for a change whose right was checked against `checked`."""
    ticket = await store.lock(session, number)
    if ticket is None:
        raise NotFound(f"There is no ticket TKT-{number}.")
    if _checked(ticket) != checked:
        raise UsageError(f"TKT-{number} changed hands just now; look at it again and retry.")
    if ticket.status not in {s.value for s in allowed}:
        raise UsageError(f"TKT-{number} is {ticket.status}; it cannot {doing} now.")
    return ticket


async def matrix(
    deps: Deps, *, top: int = 3, team: Team | None = None
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Counts of active tickets (of every team, or `team`'s) per quadrant and the newest titles of each."""
    statuses, rows = [s.value for s in ACTIVE], _rows(deps, team)
    counts = await store.quadrant_counts(deps.db, statuses=statuses, team=rows)
    tops: dict[str, list[str]] = {}
    for quadrant in Quadrant:
        found = await store.listing(deps.db, statuses=statuses, quadrant=quadrant.value, team=rows, limit=top)
        tops[quadrant.value] = [t.title for t in found]
    return counts, tops


async def registry(
    deps: Deps, since: datetime, until: datetime, *, team: Team | None = None
) -> list[RegistryEntry]:
    """Tickets done in [since, until) (of every team, or `team`'s), newest first, with before / after /
    change (digests call this)."""
    found = await store.done_between(deps.db, start=since, end=until, team=_rows(deps, team))
    entries = []
    for ticket in found:
        assert ticket.id is not None and ticket.done_at is not None
        entries.append(
            RegistryEntry(
                number=ticket.id,
                title=ticket.title,
                area=ticket.area,
                quadrant=ticket.quadrant,
                owner=ticket.owner,
                done_at=ticket.done_at,
                impact=ticket_measure.impact_of(deps, ticket),
            )
        )
    return entries


async def for_home(deps: Deps, *, user_id: str) -> tuple[list[TicketView], list[TicketView]]:
    """The user's active tickets, and the Quick Wins nobody has started."""
    mine = await listing(deps, TicketFilter(owner=user_id), limit=10)
    quick = await listing(
        deps, TicketFilter(quadrant=Quadrant.QUICK_WIN, statuses=(TicketStatus.OPEN,)), limit=10
    )
    return mine, quick
