"""The App Home use case: gather what the viewing user should see and publish it."""

from __future__ import annotations

from bot.blocks.home import AlertSummary, HomeView, OnCallSpot, render_home
from bot.deps import Deps
from bot.errors import NotFound
from bot.services import incident_reports, oncall, tickets
from storage import alert_groups

SHOWN = 10  # alerts listed, after leaving out those the user may not see
CANDIDATES = 50  # alerts read to find them


async def home_view(deps: Deps, *, user_id: str) -> HomeView:
    """Open incidents, unacknowledged alerts, who is on call, the user's tickets and open Quick Wins — only
    those from channels the user can see (a private channel's, only to its members)."""
    incidents = [
        facts
        for facts in await incident_reports.listing(deps, scope="open")
        if await _may_see(deps, user_id, facts.channel_id or await _incidents_channel(deps))
    ]
    async with deps.db.sessions() as session:
        groups = await alert_groups.unacknowledged_critical(session, limit=CANDIDATES)
    # A group not posted yet has no channel to ask about: it shows once it is posted.
    alerts = [
        AlertSummary(g.alertname, g.severity, g.first_fired_at, g.slack_channel_id)
        for g in groups
        if await _may_see(deps, user_id, g.slack_channel_id)
    ]
    team = oncall.home_team(deps.settings, user_id)
    current, following = await oncall.who_is_on_call(deps, team)
    on_call_now, next_shift = await oncall.shifts_of(deps, user_id)
    mine, quick = await tickets.for_home(deps, user_id=user_id)
    return HomeView(
        user_id=user_id,
        incidents=incidents,
        alerts=alerts[:SHOWN],
        on_call_team=team.title if len(deps.settings.teams) > 1 else None,
        on_call=current.user,
        next_on_call=following.user,
        next_starts_at=following.starts_at,
        my_on_call=[_spot(found) for found in on_call_now],
        my_next_shift=_spot(next_shift) if next_shift else None,
        my_tickets=mine,
        quick_wins=quick,
        now=deps.clock(),
    )


def _spot(found: oncall.MyShift) -> OnCallSpot:
    shift = found.shift
    return OnCallSpot(found.team.title, found.layer, shift.starts_at, shift.ends_at)


async def _may_see(deps: Deps, user_id: str, channel_id: str | None) -> bool:
    return channel_id is not None and await deps.audience.can_see(user_id=user_id, channel_id=channel_id)


async def _incidents_channel(deps: Deps) -> str | None:
    """Where an incident without its own channel lives: its thread in #incidents."""
    try:
        return await deps.channels.id_for(deps.settings.file.channels.incidents)
    except NotFound:
        return None


async def publish(deps: Deps, *, user_id: str) -> None:
    """Publish the user's App Home tab."""
    view = render_home(await home_view(deps, user_id=user_id))
    await deps.slack.views_publish(user_id=user_id, view=view)
