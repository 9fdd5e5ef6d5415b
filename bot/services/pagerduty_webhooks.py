"""PagerDuty v3 webhooks: an incident acknowledged or resolved in PagerDuty acknowledges or resolves its
alert group as if done in Slack (message, thread, escalation), without telling PagerDuty back.

Harmless to replay: an event is applied once (its id is claimed in the transaction that applies it), a
group already acknowledged or resolved stays as it is, and an incident older than the group's current
firing (the last firing's, arriving late) changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain.pagerduty import IncidentChange, IncidentEvent
from bot.domain.paging import Destination, outside_actor
from bot.services.alert_actions import acknowledge_in, resolve_in
from bot.services.pagerduty import paged_current_episode
from storage import alert_groups
from storage.claims import claim_in
from storage.models import AlertGroup, AlertGroupEpisode

log = logging.getLogger(__name__)
CLAIM_SCOPE = "pagerduty-webhook"  # PagerDuty retries a delivery for about 20 minutes: prunable
CLOCK_SKEW = timedelta(minutes=1)  # PagerDuty's clock against opsbot's, when telling incidents apart


class Outcome(StrEnum):
    """What a webhook did, as answered to PagerDuty (and kept in the log)."""

    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    UNCHANGED = "unchanged"  # the group was acknowledged / resolved already (or the event was replayed)
    UNKNOWN = "unknown incident"  # no group pages with this incident's dedup key
    STALE = "stale incident"  # an incident of an earlier firing


async def apply(deps: Deps, event: IncidentEvent) -> Outcome:
    """Acknowledge or resolve the group the incident belongs to; say what happened."""
    now = deps.clock()
    async with deps.db.transaction() as session:
        if not await claim_in(session, scope=CLAIM_SCOPE, key=event.event_id, now=now):
            return Outcome.UNCHANGED
        group = await alert_groups.lock_by_pagerduty_key(session, event.incident_key)
        if group is None:
            outcome = Outcome.UNKNOWN
        elif not await _current(session, group, event):
            outcome = Outcome.STALE
        else:
            outcome = await _change(session, group, event, now=now)
    log.info("PagerDuty webhook", extra={"event": event.change.value, "outcome": outcome.value})
    if outcome in (Outcome.ACKNOWLEDGED, Outcome.RESOLVED):
        deps.wake_outbox()
    return outcome


async def _current(session: AsyncSession, group: AlertGroup, event: IncidentEvent) -> bool:
    """The incident is about the group's current firing: that firing paged, and began before the incident."""
    if not paged_current_episode(group):
        return False
    episode = await session.get(AlertGroupEpisode, group.episode_id)
    if episode is None or event.created_at is None:
        return episode is not None
    return event.created_at >= episode.opened_at - CLOCK_SKEW


async def _change(
    session: AsyncSession, group: AlertGroup, event: IncidentEvent, *, now: datetime
) -> Outcome:
    if group.status != "firing":
        return Outcome.UNCHANGED
    actor = outside_actor(Destination.PAGERDUTY, event.agent)
    detail: dict[str, object] = {"name": event.agent, "via": Destination.PAGERDUTY.value}
    origin = Destination.PAGERDUTY
    if event.change == IncidentChange.RESOLVED:
        await resolve_in(session, group, user_id=actor, detail=detail, now=now, origin=origin)
        return Outcome.RESOLVED
    if group.acked_at is not None:
        return Outcome.UNCHANGED
    await acknowledge_in(session, group, user_id=actor, detail=detail, now=now, origin=origin)
    return Outcome.ACKNOWLEDGED
