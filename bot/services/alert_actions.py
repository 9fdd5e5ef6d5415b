"""What people and timers do to an alert group: acknowledge, resolve, snooze, mark as noise, escalate."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.alerts import broken_route_page
from bot.deps import Deps
from bot.domain.delivery import alert_priority
from bot.domain.durations import parse_duration
from bot.domain.oncall import EscalationStep, EscalationTarget, step_due_at
from bot.errors import NotFound, UpstreamError, UsageError
from bot.services.alerts import queue_escalation, queue_sync
from bot.services.jobs import EndSnooze, queue
from bot.services.oncall import escalation_chain, who_is_on_call
from bot.services.outbox import RetryLater
from bot.services.permissions import ensure_allowed
from storage import alert_groups
from storage.models import AlertGroup
from storage.outbox import cancel

log = logging.getLogger(__name__)


async def acknowledge(deps: Deps, group_id: int, *, user_id: str, user_name: str) -> None:
    """Record who acknowledged and when; stops the escalation."""
    allowed = deps.settings.file.alerts.permissions.acknowledge
    await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing="acknowledge alerts")
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        if group.acked_at is not None:
            return
        now = deps.clock()
        group.acked_by, group.acked_at = user_id, now
        await alert_groups.add_event(
            session, group_id, "acked", now=now, actor=user_id, detail={"name": user_name}
        )
        await cancel(session, dedupe_key=f"escalate:{group_id}")
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def resolve(deps: Deps, group_id: int, *, user_id: str, user_name: str) -> None:
    """Resolve by hand (the source's own resolve still counts when it comes)."""
    allowed = deps.settings.file.alerts.permissions.resolve
    await ensure_allowed(deps, user_id=user_id, allowed=allowed, doing="resolve alerts")
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        if group.status == "resolved":
            return
        now = deps.clock()
        group.status, group.resolved_at, group.resolved_by = "resolved", now, user_id
        await alert_groups.add_event(
            session, group_id, "resolved_by_hand", now=now, actor=user_id, detail={"name": user_name}
        )
        await cancel(session, dedupe_key=f"escalate:{group_id}")
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def snooze(deps: Deps, group_id: int, *, user_id: str, user_name: str, choice: str) -> None:
    """Mute the group for a while; with Alertmanager configured, also create a real silence."""
    try:
        duration = parse_duration(choice)
    except ValueError as error:
        raise UsageError(str(error)) from None
    await ensure_allowed(
        deps,
        user_id=user_id,
        allowed=deps.settings.file.alerts.permissions.acknowledge,
        doing="snooze alerts",
    )
    now = deps.clock()
    silence_id = await _silence(deps, group_id, until=now + duration, user_name=user_name)
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        group.snoozed_until, group.snoozed_by, group.silence_id = now + duration, user_id, silence_id
        detail = {"name": user_name, "duration": choice}
        await alert_groups.add_event(session, group_id, "snoozed", now=now, actor=user_id, detail=detail)
        await cancel(session, dedupe_key=f"escalate:{group_id}")
        await cancel(session, dedupe_key=f"snooze_end:{group_id}")
        await queue(
            session,
            EndSnooze(group_id=group_id),
            now=now,
            lane=group.channel,
            priority=alert_priority(group.severity),
            key=f"snooze_end:{group_id}",
            due_at=now + duration,
        )
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def mark_noise(deps: Deps, group_id: int, *, user_id: str, user_name: str) -> None:
    """Record a false positive for the threshold review in the digests."""
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        now = deps.clock()
        group.noise_by = user_id
        await alert_groups.add_event(
            session, group_id, "noise", now=now, actor=user_id, detail={"name": user_name}
        )
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def end_snooze(deps: Deps, group_id: int) -> None:
    """When a snooze ends while the group still fires, say so once in the thread."""
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        now = deps.clock()
        if group.snoozed_until is None or group.snoozed_until > now:
            return
        group.snoozed_until = None
        if group.status == "firing":
            await alert_groups.add_event(session, group_id, "snooze_ended", now=now)
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def escalate(deps: Deps, group_id: int, *, level: int, episode: str, retried: bool = False) -> None:
    """Page the next step of the chain for an unacknowledged critical group; schedule the one after.

    The page and the DMs carry a marker, so a retried job (a DM failed, or Slack answered too late) finds
    what it already sent instead of paging twice."""
    chain = escalation_chain(deps.settings)
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, group_id)
    if group is None or not _still_unattended(group, episode, deps.clock()) or level >= len(chain):
        return
    posted = group.slack_ts is not None and group.slack_channel_id is not None
    if not posted and group.post_error is None:
        raise RetryLater(timedelta(seconds=2), "the alert message is not posted yet")
    users = await _targets(deps, chain[level])
    marker = f"alert-group-{group_id}-page-{level}-{datetime.fromisoformat(episode).timestamp():.0f}"
    if posted:
        dm_text = await _page_in_thread(deps, group, users=users, marker=marker, retried=retried)
    else:  # the channel cannot take the message: the DM is the page (see alerts._report_broken_route)
        assert group.post_error is not None
        dm_text = broken_route_page(
            group.alertname, channel=group.channel, reason=group.post_error, firing=group.firing_count
        )
    for user in users:
        await deps.gateway.direct_message(user_id=user, text=dm_text, marker=marker, look_first=retried)
    await _record_escalation(deps, group, level=level, users=users, episode=episode, chain=chain)


async def _page_in_thread(
    deps: Deps, group: AlertGroup, *, users: list[str], marker: str, retried: bool
) -> str:
    """Mention the step's people in the alert's thread; return the DM that links them to it."""
    assert group.slack_channel_id is not None and group.slack_ts is not None
    mentions = " ".join(f"<@{u}>" for u in users) or "nobody is on call"
    minutes = int((deps.clock() - group.first_fired_at).total_seconds() // 60)
    text = (
        f":rotating_light: {mentions} — *{group.alertname}* is critical and unacknowledged for {minutes} min."
    )
    await deps.gateway.post_once(
        channel_id=group.slack_channel_id,
        thread_ts=group.slack_ts,
        text=text,
        marker=marker,
        look_first=retried,
    )
    link = await deps.slack.chat_getPermalink(channel=group.slack_channel_id, message_ts=group.slack_ts)
    return f":rotating_light: Critical alert *{group.alertname}* needs you: {link['permalink']}"


async def _record_escalation(
    deps: Deps, group: AlertGroup, *, level: int, users: list[str], episode: str, chain: list[EscalationStep]
) -> None:
    assert group.id is not None
    now = deps.clock()
    async with deps.db.transaction() as session:
        locked = await _locked(session, group.id)
        locked.escalation_level = level + 1
        await alert_groups.add_event(
            session,
            group.id,
            "escalated",
            now=now,
            detail={"level": level + 1, "users": users},
            announced=True,
        )
        due = step_due_at(chain, level + 1, group.first_fired_at)
        if due is not None:
            await queue_escalation(
                session, group_id=group.id, channel=group.channel, level=level + 1, episode=episode, due=due,
                now=now,
            )  # fmt: skip


def _still_unattended(group: AlertGroup, episode: str, now: datetime) -> bool:
    snoozed = group.snoozed_until is not None and group.snoozed_until > now
    same_episode = group.first_fired_at.isoformat() == episode
    return group.status == "firing" and group.acked_at is None and not snoozed and same_episode


async def _targets(deps: Deps, step: EscalationStep) -> list[str]:
    if step.target in (EscalationTarget.ONCALL, EscalationTarget.NEXT_ONCALL):
        now_shift, next_shift = await who_is_on_call(deps)
        return [(now_shift if step.target == EscalationTarget.ONCALL else next_shift).user]
    if step.target == EscalationTarget.USERS:
        return list(step.ids)
    members: list[str] = []
    for usergroup in step.ids:
        members += (await deps.slack.usergroups_users_list(usergroup=usergroup)).get("users", [])
    return members


async def _silence(deps: Deps, group_id: int, *, until: datetime, user_name: str) -> str | None:
    url = deps.settings.secrets.alertmanager_url
    if not url:
        return None
    from bot.clients.alertmanager import AlertmanagerClient

    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=1)
    if snapshot is None or not snapshot.alerts or snapshot.alerts[0].source != "alertmanager":
        return None
    labels = snapshot.alerts[0].labels
    matchers = {k: labels[k] for k in ("alertname", *deps.settings.file.alerts.group_by) if labels.get(k)}
    client = AlertmanagerClient(base_url=url)
    try:
        return await client.create_silence(
            matchers=matchers,
            ends_at=until,
            created_by=user_name,
            comment=f"Snoozed from Slack by {user_name} via opsbot",
        )
    except UpstreamError as error:
        log.warning("could not create an Alertmanager silence", extra={"error": str(error)})
        return None
    finally:
        await client.close()


async def _locked(session: AsyncSession, group_id: int) -> AlertGroup:
    group = await alert_groups.lock_group(session, group_id)
    if group is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    return group


async def _queue_sync(session: AsyncSession, group: AlertGroup, *, now: datetime) -> None:
    assert group.id is not None
    await queue_sync(session, group_id=group.id, channel=group.channel, severity=group.severity, now=now)


async def details(deps: Deps, group_id: int) -> dict[str, object]:
    """The group's alerts with their labels, for the person who asked."""
    from bot.blocks.alerts import AlertLine, render_details

    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=20)
    if snapshot is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    lines = [
        AlertLine(a.labels, a.annotations, a.status, a.starts_at, a.generator_url) for a in snapshot.alerts
    ]
    return render_details(snapshot.group.alertname, lines, total=snapshot.group.alert_count)
