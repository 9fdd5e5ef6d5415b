"""PagerDuty Events API v2: queue a group's trigger, acknowledge and resolve in the transaction of the change
that causes it, and send each one through the outbox, in the order they were queued.

Never twice: each is queued once, by the one transaction that makes the change (a resent alert opens no new
episode; an acknowledged group is not acknowledged again); a retried send repeats an event PagerDuty
deduplicates by dedup_key. A 429, a 5xx or a network error is retried with backoff; any other refusal fails
the job for good at once (logged, counted in opsbot_outbox_jobs_failed, shown by /healthz)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain.delivery import Priority
from bot.domain.pagerduty import EventAction, PageFacts, dedup_key, follow_up_event, trigger_event
from bot.services.jobs import SendPagerDutyEvent, queue
from bot.services.outbox import GiveUp, RetryLater
from storage import alert_groups
from storage import outbox as jobs
from storage.models import AlertGroup

log = logging.getLogger(__name__)
ORDER_POLL = timedelta(seconds=1)  # the shortest wait for the group's earlier events to be sent
LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))


class PagerDutyRefused(GiveUp):
    """PagerDuty refused the event itself (a 4xx other than 429): sending it again cannot succeed."""


class PagerDutyUnavailable(Exception):
    """PagerDuty did not take the event now (429, 5xx): the outbox retries it with backoff."""


def key_prefix(group_id: int) -> str:
    """The start of every outbox key of one group's PagerDuty events."""
    return f"pagerduty:{group_id}:"


async def queue_trigger(session: AsyncSession, group: AlertGroup, episode_id: int, *, now: datetime) -> None:
    """Page PagerDuty for the group's firing episode, once: a group that turned critical after paging as a
    warning has paged this episode already."""
    if group.pagerduty_episode_id == episode_id:
        return
    group.pagerduty_key = group.pagerduty_key or dedup_key(group.group_key, group.channel)
    group.pagerduty_episode_id = episode_id
    await _queue(session, group, episode_id, EventAction.TRIGGER, now=now)


async def queue_follow_up(
    session: AsyncSession, group: AlertGroup, action: EventAction, *, now: datetime
) -> None:
    """Tell PagerDuty the group's episode was acknowledged or resolved, if that episode paged it."""
    if paged_current_episode(group):
        assert group.episode_id is not None
        await _queue(session, group, group.episode_id, action, now=now)


async def queue_reopened(session: AsyncSession, group: AlertGroup, *, now: datetime) -> None:
    """A resolve undone by the source (it still reports the alert firing): PagerDuty's incident is resolved,
    so trigger a new one, acknowledged at once when the group is."""
    if paged_current_episode(group):
        assert group.episode_id is not None
        await _queue(session, group, group.episode_id, EventAction.TRIGGER, now=now)
        if group.acked_at is not None:
            await _queue(session, group, group.episode_id, EventAction.ACKNOWLEDGE, now=now)


def paged_current_episode(group: AlertGroup) -> bool:
    """True when PagerDuty was paged for the group's current (or last) firing episode."""
    return group.episode_id is not None and group.pagerduty_episode_id == group.episode_id


async def _queue(
    session: AsyncSession, group: AlertGroup, episode_id: int, action: EventAction, *, now: datetime
) -> None:
    assert group.id is not None and group.pagerduty_key is not None
    key = f"{key_prefix(group.id)}{episode_id}:{action.value}"
    if await jobs.has_pending(session, key):  # the same action again after an opposite one (a reopen):
        key = f"{key}:{now.isoformat()}"  # a key of its own, or the pending one would absorb it out of order
    job = SendPagerDutyEvent(
        group_id=group.id, episode_id=episode_id, action=action.value, dedup_key=group.pagerduty_key, key=key
    )
    await queue(session, job, now=now, priority=Priority.PAGE, key=key)


async def send_event(deps: Deps, job: SendPagerDutyEvent) -> None:
    """POST one event to the Events API, after the group's events queued before it."""
    async with deps.db.sessions() as session:
        due = await jobs.queued_earlier(session, key=job.key, key_prefix=key_prefix(job.group_id))
        if due is not None:  # look again when the earlier one is due (it may be waiting out a backoff)
            wait = max(ORDER_POLL, due - deps.clock())
            raise RetryLater(wait, "an earlier PagerDuty event of this group is not sent yet")
        snapshot = await alert_groups.load_group(session, job.group_id, sample=1)
    if snapshot is None:
        raise GiveUp(f"alert group {job.group_id} does not exist any more")
    routing_key = deps.settings.pagerduty_routing_key(snapshot.group.team)
    if routing_key is None:
        log.warning("PagerDuty event not sent: the group's team has no PagerDuty routing key any more",
                    extra={"group": job.group_id, "action": job.action})  # fmt: skip
        return
    await _post(deps, _event(snapshot, job, routing_key.get_secret_value()), action=job.action)


def _event(snapshot: alert_groups.GroupSnapshot, job: SendPagerDutyEvent, routing_key: str) -> dict[str, Any]:
    action = EventAction(job.action)
    if action != EventAction.TRIGGER:
        return follow_up_event(action, routing_key=routing_key, dedup=job.dedup_key)
    return trigger_event(page_facts(snapshot), routing_key=routing_key, dedup=job.dedup_key)


def page_facts(snapshot: alert_groups.GroupSnapshot) -> PageFacts:
    """What the trigger tells about the group: its first firing alert, its counts and its links."""
    group = snapshot.group
    first = snapshot.alerts[0] if snapshot.alerts else None
    annotations = first.annotations if first else {}
    links = [(text, annotations[name]) for name, text in LINK_ANNOTATIONS if annotations.get(name)]
    if first is not None and first.generator_url:
        links.append(("Source", first.generator_url))
    return PageFacts(
        alertname=group.alertname,
        severity=group.severity,
        labels=first.labels if first else {"alertname": group.alertname},
        annotations=annotations,
        firing=group.firing_count,
        alerts=group.alert_count,
        channel=group.channel,
        team=group.team,
        fired_at=group.first_fired_at,
        links=links,
    )


async def _post(deps: Deps, body: dict[str, Any], *, action: str) -> None:
    config = deps.settings.file.paging.pagerduty
    timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
    async with (
        deps.outbound_http() as http,
        http.post(config.events_url, json=body, timeout=timeout) as response,
    ):
        status, answer = response.status, (await response.text())[:300]
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500:
        raise PagerDutyUnavailable(f"PagerDuty answered {status} to the {action} event; retrying")
    raise PagerDutyRefused(f"PagerDuty refused the {action} event with {status}: {answer}")
