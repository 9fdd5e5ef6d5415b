"""Postmortem action items: recorded with `/incident action`, listed in the postmortem draft, and each
offered as an optimization ticket (with a link back) until one is opened from it."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain.incident_report import ActionItem
from bot.errors import NotFound
from bot.services.incident_policy import ACTION_ITEM, to_facts
from storage import incidents as store
from storage import tickets as ticket_store


async def add(deps: Deps, number: int, *, user_id: str, text: str) -> int:
    """Record an action item on the incident's timeline (resolved incidents too); return how many it has."""
    async with deps.db.transaction() as session:
        incident = await store.lock(session, number)
        if incident is None:
            raise NotFound(f"There is no incident INC-{number}.")
        await store.add_event(
            session, number, ACTION_ITEM, at=deps.clock(), actor=user_id, text=f"Action item: {text}",
            detail={"item": text},
        )  # fmt: skip
    return len(await listing(deps, number))


async def listing(deps: Deps, number: int) -> list[ActionItem]:
    """The incident's action items in the order they were added, with the ticket opened from each."""
    incident = await store.get(deps.db, number)
    if incident is None:
        raise NotFound(f"There is no incident INC-{number}.")
    events = await store.events(deps.db, number)
    tickets = await ticket_store.for_action_items(deps.db, number)
    return list(to_facts(deps.settings, incident, events, tickets=tickets).action_items)
