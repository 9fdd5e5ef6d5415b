"""Reading incidents: find one by number or channel, its facts and timeline, lists, and incidents per
period with their respond/resolve times against the targets (what the digests report)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col

from bot.config import Team
from bot.deps import Deps
from bot.domain.incident_report import IncidentFacts
from bot.errors import NotFound, UsageError
from bot.services.incident_policy import to_facts
from bot.services.teams import rows_of
from storage import incidents as store
from storage.incidents import Incident


async def find(deps: Deps, *, number: int | None, channel_id: str | None) -> Incident:
    """The incident by number, or the one whose channel this is."""
    if number is not None:
        incident = await store.get(deps.db, number)
        if incident is None:
            raise NotFound(f"There is no incident INC-{number}.")
        return incident
    incident = await store.by_slack_place(deps.db, channel_id=channel_id) if channel_id else None
    if incident is None:
        raise UsageError(
            "Run this in an incident channel, or give the incident number (e.g. `/incident status 12`)."
        )
    return incident


async def in_incident_channel(deps: Deps, channel_id: str) -> bool:
    """Tell whether `channel_id` is an incident's own channel."""
    return await store.by_slack_place(deps.db, channel_id=channel_id) is not None


async def facts(deps: Deps, number: int) -> IncidentFacts:
    """One incident with its severity history and timeline."""
    incident = await store.get(deps.db, number)
    if incident is None:
        raise NotFound(f"There is no incident INC-{number}.")
    return to_facts(deps.settings, incident, await store.events(deps.db, number))


async def listing(deps: Deps, *, scope: str, team: Team | None = None) -> list[IncidentFacts]:
    """Incidents newest first: unresolved ones (`open`) or all; only `team`'s when given."""
    where = rows_of(deps.settings, col(Incident.team), team) if team else None
    found = await store.listing(deps.db, open_only=scope == "open", where=where)
    return [to_facts(deps.settings, incident) for incident in found]


async def incidents_between(
    deps: Deps, *, start: datetime, end: datetime, team: Team | None = None
) -> list[IncidentFacts]:
    """Incidents declared in [start, end) with respond/resolve times and targets (for digests); only
    `team`'s when given (None: every team's)."""
    where = rows_of(deps.settings, col(Incident.team), team) if team else None
    found = await store.declared_between(deps.db, start=start, end=end, where=where)
    return [to_facts(deps.settings, incident) for incident in found]
