"""Paging beyond Slack: what each destination is told when a group opens, is acknowledged or resolves.

Everything here queues outbox jobs in the caller's transaction, so a destination hears of a change exactly
when, and only if, the change itself is stored. A destination is one entry of OPENERS (and, when it follows
a group's later life as PagerDuty does, a line in `on_acknowledged` / `on_resolved`)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.pagerduty import EventAction
from bot.domain.paging import Destination, destinations_for
from bot.services import pagerduty, sms
from storage.group_transitions import GroupChange
from storage.models import AlertGroup


class Opener(Protocol):
    """Pages one destination for a group's firing episode (queued in the session's transaction)."""

    def __call__(
        self, session: AsyncSession, group: AlertGroup, episode_id: int, *, now: datetime, settings: Settings
    ) -> Awaitable[None]: ...


async def _page_pagerduty(
    session: AsyncSession, group: AlertGroup, episode_id: int, *, now: datetime, settings: Settings
) -> None:
    await pagerduty.queue_trigger(session, group, episode_id, now=now)


async def _page_sms(
    session: AsyncSession, group: AlertGroup, episode_id: int, *, now: datetime, settings: Settings
) -> None:
    assert group.id is not None
    await sms.queue_open_page(session, group_id=group.id, episode_id=episode_id, now=now)


OPENERS: dict[Destination, Opener] = {Destination.PAGERDUTY: _page_pagerduty, Destination.SMS: _page_sms}


def configured(settings: Settings) -> frozenset[Destination]:
    """The destinations whose credentials are set; the others are optional and skipped without a fuss."""
    found = set()
    if settings.pagerduty_enabled:
        found.add(Destination.PAGERDUTY)
    if settings.sms_enabled:
        found.add(Destination.SMS)
    return frozenset(found & OPENERS.keys())


async def on_group_change(
    session: AsyncSession, change: GroupChange, *, settings: Settings, now: datetime
) -> None:
    """Page a group that opened, reopened or turned critical where paging.destinations sends its severity
    (PagerDuty is re-triggered on a reopen only if it was paged); tell PagerDuty when the group resolves."""
    active = configured(settings)
    if change.episode_id is None or not active:
        return  # no destination set up: nothing to page or to tell, so no look-up on the ingest path
    group = await session.get(AlertGroup, change.group_id)
    if group is None:
        return
    table = settings.file.paging.destinations.model_dump()
    if settings.pagerduty_routing_key(group.team) is None:  # only other teams have a PagerDuty service
        active -= {Destination.PAGERDUTY}
    chosen = destinations_for(change.severity, table, configured=active)
    if change.reopened and not (change.fired or change.turned_critical):
        await pagerduty.queue_reopened(session, group, now=now)
        chosen = [d for d in chosen if d != Destination.PAGERDUTY]  # re-triggered just above if it was paged
    if change.fired or change.turned_critical or change.reopened:
        for destination in chosen:
            await OPENERS[destination](session, group, change.episode_id, now=now, settings=settings)
    if change.resolved:
        await pagerduty.queue_follow_up(session, group, EventAction.RESOLVE, now=now)


async def on_acknowledged(
    session: AsyncSession, group: AlertGroup, *, now: datetime, origin: Destination | None = None
) -> None:
    """Someone acknowledged the group (in Slack, or in `origin`, which is not told back)."""
    if origin != Destination.PAGERDUTY:
        await pagerduty.queue_follow_up(session, group, EventAction.ACKNOWLEDGE, now=now)


async def on_resolved(
    session: AsyncSession, group: AlertGroup, *, now: datetime, origin: Destination | None = None
) -> None:
    """Someone resolved the group by hand (in Slack, or in `origin`, which is not told back)."""
    if origin != Destination.PAGERDUTY:
        await pagerduty.queue_follow_up(session, group, EventAction.RESOLVE, now=now)
