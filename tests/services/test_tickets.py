"""Tickets of several teams: which team a new ticket gets, lists and the registry of one team, moving a
ticket, each team's right to change its tickets, and the team in the webhook event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.deps import Deps
from bot.domain.tickets import NewTicket, TicketFilter, TicketStatus
from bot.errors import Forbidden, UsageError
from bot.services import tickets
from storage import tickets as store
from storage.models import OutboxJob
from storage.tickets import Ticket

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EVERY = tuple(TicketStatus)


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": ["U0ALICE"]},
        "tickets": {"webhook_url": "http://127.0.0.1:9/tickets"},
        "teams": [
            {
                "name": "payments",
                "oncall": {"members": ["U0BOB", "U0CAROL"]},
                "permissions": {"tickets": {"change": ["U0DAVE"]}},
            },
            {"name": "search", "oncall": {"members": ["U0CAROL", "U0DAVE"]}},
        ],
    }


@pytest.fixture
def deps(deps_at: Callable[[datetime], Deps]) -> Deps:
    return deps_at(NOW)


async def new(deps: Deps, title: str, *, user: str, team: str | None = None) -> tickets.TicketView:
    view, created = await tickets.create(deps, NewTicket(title, team=team), user_id=user)
    assert created
    return view


async def titles(deps: Deps, team: str | None, *, statuses: tuple[TicketStatus, ...] = EVERY) -> list[str]:
    found = await tickets.listing(deps, TicketFilter(team=team, statuses=statuses))
    return sorted(view.title for view in found)


async def test_a_new_ticket_is_of_the_team_named_else_of_the_one_rotation_its_reporter_is_on(
    deps: Deps,
) -> None:
    assert (await new(deps, "Named", user="U0ALICE", team="search")).team == "search"
    assert (await new(deps, "Typed as an option", user="U0ALICE", team="team=Payments")).team == "payments"
    assert (await new(deps, "Bob's", user="U0BOB")).team == "payments"  # on payments' rotation only
    assert (await new(deps, "Dave's", user="U0DAVE")).team == "search"
    assert (await new(deps, "Carol's", user="U0CAROL")).team == "ops"  # on two rotations: the default
    assert (await new(deps, "Alice's", user="U0ALICE")).team == "ops"
    assert (await new(deps, "Eve's", user="U0EVE")).team == "ops"  # on none
    with pytest.raises(UsageError, match="There is no team 'billing'; teams: ops, payments, search"):
        await tickets.create(deps, NewTicket("Lost", team="billing"), user_id="U0ALICE")
    assert "Lost" not in await titles(deps, None)


async def test_a_list_of_one_team_and_the_default_team_keeps_rows_from_before_teams(deps: Deps) -> None:
    await new(deps, "Index orders", user="U0BOB")
    await new(deps, "Shard sessions", user="U0ALICE", team="payments")
    await new(deps, "Tune the ranker", user="U0DAVE")
    await new(deps, "Rotate logs", user="U0ALICE")
    async with deps.db.transaction() as session:
        for stored, title in ((None, "From before teams"), ("billing", "Of a team removed since")):
            row = Ticket(
                title=title,
                area="other",
                team=stored,
                impact="low",
                effort="low",
                quadrant="Fill-In",
                created_by="U0ALICE",
                created_at=NOW,
                updated_at=NOW,
            )
            await store.insert(session, row)
    assert await titles(deps, "payments") == ["Index orders", "Shard sessions"]
    assert await titles(deps, "search") == ["Tune the ranker"]
    assert await titles(deps, "ops") == ["From before teams", "Of a team removed since", "Rotate logs"]
    assert len(await titles(deps, None)) == 6
    with pytest.raises(UsageError, match="teams: ops, payments, search"):
        await titles(deps, "billing")
    shown = await tickets.get(deps, 5)
    assert shown.title == "From before teams" and shown.team == "ops"


async def test_the_registry_and_matrix_of_one_team(deps: Deps) -> None:
    ours = await new(deps, "Cache renders", user="U0BOB")
    theirs = await new(deps, "Cache queries", user="U0DAVE")
    for view, user in ((ours, "U0BOB"), (theirs, "U0DAVE")):
        await tickets.finish(deps, view.number, user_id=user)
    await new(deps, "Still open", user="U0BOB")
    payments = deps.settings.team("payments")
    assert payments is not None
    done = await tickets.registry(deps, NOW, NOW.replace(hour=10), team=payments)
    assert [entry.title for entry in done] == ["Cache renders"]
    assert len(await tickets.registry(deps, NOW, NOW.replace(hour=10))) == 2
    counts, tops = await tickets.matrix(deps, team=payments)
    assert sum(counts.values()) == 1 and ["Still open"] in tops.values()


async def test_changing_someone_elses_ticket_needs_its_teams_right(deps: Deps) -> None:
    bobs = await new(deps, "Index orders", user="U0BOB")
    alices = await new(deps, "Rotate logs", user="U0ALICE")
    started = await tickets.start(
        deps, bobs.number, user_id="U0DAVE"
    )  # payments lets dave change its tickets
    assert started.status == "in progress"
    with pytest.raises(Forbidden, match=r"the right is `tickets\.permissions\.change`"):
        await tickets.start(deps, alices.number, user_id="U0DAVE")
    with pytest.raises(Forbidden, match=r"the right is `teams\.payments\.permissions\.tickets\.change`"):
        await tickets.drop(deps, bobs.number, user_id="U0CAROL", reason="not mine to drop")


async def test_a_ticket_moves_to_another_team_with_the_right_to_change_it(deps: Deps) -> None:
    bobs = await new(deps, "Index orders", user="U0BOB")
    with pytest.raises(Forbidden, match=r"teams\.payments\.permissions\.tickets\.change"):
        await tickets.move(deps, bobs.number, user_id="U0CAROL", team="search")
    with pytest.raises(UsageError, match="There is no team 'billing'"):
        await tickets.move(deps, bobs.number, user_id="U0BOB", team="billing")
    with pytest.raises(UsageError, match="TKT-1 is already team payments's"):
        await tickets.move(deps, bobs.number, user_id="U0BOB", team="payments")
    moved = await tickets.move(deps, bobs.number, user_id="U0BOB", team="search")
    assert moved.team == "search"
    assert await titles(deps, "payments") == [] and await titles(deps, "search") == ["Index orders"]
    with pytest.raises(Forbidden, match=r"`teams\.search\.permissions\.tickets\.change`"):  # search's now
        await tickets.start(deps, bobs.number, user_id="U0DAVE")


async def test_the_webhook_event_names_the_team(deps: Deps) -> None:
    view = await new(deps, "Index orders", user="U0BOB")
    await tickets.move(deps, view.number, user_id="U0BOB", team="search")
    async with deps.db.sessions() as session:
        jobs = (await session.execute(select(OutboxJob).order_by(OutboxJob.id))).scalars().all()  # type: ignore[arg-type]
    events = [job.payload["body"] for job in jobs if job.kind == "ticket_webhook"]
    assert [(event["event"], event["team"]) for event in events] == [
        ("created", "payments"),
        ("moved", "search"),
    ]
    assert events[1]["ticket"]["team"] == "search"
