"""The App Home use case: gather what the viewing user should see and publish it."""

from __future__ import annotations

from bot.blocks.home import AlertSummary, HomeView, render_home
from bot.deps import Deps
from bot.services import incident_reports, oncall, tickets
from storage import alert_groups


async def home_view(deps: Deps, *, user_id: str) -> HomeView:
    """Open incidents, unacknowledged alerts, who is on call, the user's tickets and open Quick Wins."""
    incidents = await incident_reports.listing(deps, scope="open")
    async with deps.db.sessions() as session:
        groups = await alert_groups.unacknowledged_critical(session, limit=10)
    current, following = await oncall.who_is_on_call(deps)
    mine, quick = await tickets.for_home(deps, user_id=user_id)
    return HomeView(
        user_id=user_id,
        incidents=incidents,
        alerts=[AlertSummary(g.alertname, g.severity, g.first_fired_at, g.slack_channel_id) for g in groups],
        on_call=current.user,
        next_on_call=following.user,
        next_starts_at=following.starts_at,
        my_tickets=mine,
        quick_wins=quick,
        now=deps.clock(),
    )


async def publish(deps: Deps, *, user_id: str) -> None:
    """Publish the user's App Home tab."""
    view = render_home(await home_view(deps, user_id=user_id))
    await deps.slack.views_publish(user_id=user_id, view=view)
