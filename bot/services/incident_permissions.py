"""Who may run the sensitive incident actions, per the owning team's lists (`incidents.permissions`, or a
team's `permissions.incidents`): declare, raise to or lower from SEV1/SEV2, resolve and reopen, give roles;
and where an incident's buttons may be clicked."""

from __future__ import annotations

from bot.config import Team
from bot.deps import Deps
from bot.domain.permissions import regrade_right
from bot.services.permissions import ensure_allowed, ensure_clicked_in
from storage.incidents import Incident


async def may_declare(deps: Deps, team: Team, *, user_id: str, level: int, doing: str | None = None) -> None:
    """Raise Forbidden unless `user_id` holds the declare right of `level` (SEV1 and SEV2 have one)."""
    permissions = team.incident_permissions
    allowed = {1: permissions.declare_sev1, 2: permissions.declare_sev2}.get(level)
    if allowed is not None:
        await ensure_allowed(
            deps,
            user_id=user_id,
            allowed=allowed,
            doing=doing or f"declare SEV{level} incidents",
            key=team.permission_key("incidents", f"declare_sev{level}"),
        )


async def may_regrade(deps: Deps, team: Team, *, user_id: str, old: int, new: int) -> None:
    """Raise Forbidden unless `user_id` may change an incident from `old` to `new`: raising needs the new
    level's declare right (as before), lowering from SEV1/SEV2 the old level's."""
    level = regrade_right(old, new)
    doing = f"declare SEV{level} incidents" if new < old else f"lower an incident from SEV{level}"
    await may_declare(deps, team, user_id=user_id, level=level, doing=doing)


async def may_resolve(deps: Deps, team: Team, *, user_id: str, doing: str = "resolve incidents") -> None:
    """Raise Forbidden unless `user_id` may resolve the team's incidents."""
    allowed = team.incident_permissions.resolve
    await ensure_allowed(
        deps, user_id=user_id, allowed=allowed, doing=doing, key=team.permission_key("incidents", "resolve")
    )


async def may_reopen(deps: Deps, team: Team, *, user_id: str, level: int) -> None:
    """Reopening re-arms the clocks and pages like a declaration: it needs the resolve right and the
    level's declare right."""
    doing = f"reopen SEV{level} incidents"
    await may_resolve(deps, team, user_id=user_id, doing=doing)
    await may_declare(deps, team, user_id=user_id, level=level, doing=doing)


async def may_assign(deps: Deps, team: Team, incident: Incident, *, user_id: str) -> None:
    """Raise Forbidden unless `user_id` may give roles: the declarer and the commander always may."""
    holders = {incident.declared_by, *([incident.commander] if incident.commander else [])}
    await ensure_allowed(
        deps,
        user_id=user_id,
        allowed=team.incident_permissions.assign,
        doing=f"give roles on INC-{incident.id}",
        key=team.permission_key("incidents", "assign"),
        holders=holders,
        holders_named="its declarer or commander",
    )


def rights_basis(incident: Incident) -> tuple[int, str, str | None]:
    """What these rights depend on (level, declarer, commander): a change under way re-checks it."""
    return incident.level, incident.declared_by, incident.commander


def ensure_clicked_at_incident(deps: Deps, incident: Incident, *, clicked_channel: str) -> None:
    """A header button acts only when clicked in the incident's own channel or its message in its team's
    incidents channel."""
    incidents = deps.settings.team_of(incident.team).channels.incidents
    in_incidents = [a.get("channel_id") for a in incident.announcements if a.get("channel") == incidents]
    places = (incident.channel_id, incident.header_channel_id, *in_incidents)
    ensure_clicked_in(clicked_channel, places, what=f"INC-{incident.id}")
