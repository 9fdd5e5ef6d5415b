"""What people and timers do to an alert group: acknowledge, resolve, snooze, mark as noise, escalate."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.alerts import broken_route_page
from bot.deps import Deps
from bot.domain.delivery import alert_priority
from bot.domain.durations import parse_duration
from bot.domain.episodes import EndReason, escalation_due
from bot.domain.oncall import EscalationStep, EscalationTarget
from bot.errors import NotFound, UpstreamError, UsageError
from bot.services.alerts import escalation_key, queue_escalation, queue_sync
from bot.services.jobs import EndSnooze, queue
from bot.services.oncall import escalation_chain, who_is_on_call
from bot.services.outbox import RetryLater
from bot.services.permissions import ensure_allowed
from storage import alert_groups
from storage.alert_episodes import end
from storage.models import AlertGroup, AlertGroupEpisode
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
        await acknowledge_in(session, group, user_id=user_id, detail={"name": user_name}, now=deps.clock())
    deps.wake_outbox()


async def acknowledge_in(
    session: AsyncSession, group: AlertGroup, *, user_id: str, detail: dict[str, object], now: datetime
) -> None:
    """Acknowledge a locked group and its firing episode in the caller's transaction; stops escalation."""
    assert group.id is not None
    group.acked_by, group.acked_at = user_id, now
    episode = await alert_groups.lock_episode(session, group.episode_id)
    if episode is not None and episode.acked_at is None:
        episode.acked_by, episode.acked_at = user_id, now
    await alert_groups.add_event(session, group.id, "acked", now=now, actor=user_id, detail=detail)
    await _stop_escalation(session, group)
    await _queue_sync(session, group, now=now)


async def link_incident(
    session: AsyncSession, group_id: int, *, incident_id: int, user_id: str, now: datetime
) -> None:
    """An incident was declared from this alert: it is being handled, so acknowledge it (stopping its
    escalation) and record the incident on the firing episode; the message shows it."""
    group = await alert_groups.lock_group(session, group_id)
    if group is None:
        return
    episode = await alert_groups.lock_episode(session, group.episode_id)
    if episode is not None:
        episode.incident_id = incident_id
    if group.acked_at is None and group.status == "firing":
        detail: dict[str, object] = {"incident": f"INC-{incident_id}"}
        await acknowledge_in(session, group, user_id=user_id, detail=detail, now=now)
    else:
        await _queue_sync(session, group, now=now)


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
        episode = await alert_groups.lock_episode(session, group.episode_id)
        end(episode, at=now, reason=EndReason.BY_HAND, by=user_id)
        await alert_groups.add_event(
            session, group_id, "resolved_by_hand", now=now, actor=user_id, detail={"name": user_name}
        )
        await _stop_escalation(session, group)
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
        await _stop_escalation(session, group)
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
        episode = await alert_groups.lock_episode(session, group.episode_id)
        if episode is not None:
            episode.noise_by = user_id
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
            await _rearm_escalation(deps, session, group, now=now)
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def _rearm_escalation(deps: Deps, session: AsyncSession, group: AlertGroup, *, now: datetime) -> None:
    """A snooze ended while the group still fires and nobody acknowledged it: the chain goes on from the
    step it had reached, that step's delay from now."""
    chain = escalation_chain(deps.settings)
    episode = await alert_groups.lock_episode(session, group.episode_id)
    if group.severity != "critical" or group.acked_at is not None or episode is None or episode.id is None:
        return
    if episode.escalation_level >= len(chain):
        return
    episode.last_escalation_at = now
    await queue_escalation(
        session, group_id=group.id or 0, channel=group.channel, episode_id=episode.id,
        due=now + chain[episode.escalation_level].after, now=now,
    )  # fmt: skip


async def check_flapping(deps: Deps, group_id: int) -> None:
    """Clear the flapping mark of a group stable for the whole window (and say so); look again later if
    it changed since."""
    window = timedelta(minutes=deps.settings.file.alerts.flapping_window_minutes)
    async with deps.db.transaction() as session:
        group = await alert_groups.lock_group(session, group_id)
        if group is None or not group.flapping:
            return
        now = deps.clock()
        stable_at = group.last_change_at + window
        if stable_at > now:
            raise RetryLater(stable_at - now, "changed within the flapping window")
        group.flapping, group.changes = False, []
        minutes = f"{window.total_seconds() / 60:g}"
        await alert_groups.add_event(session, group_id, "stable", now=now, detail={"minutes": minutes})
        await _queue_sync(session, group, now=now)
    deps.wake_outbox()


async def escalate(deps: Deps, group_id: int, *, episode_id: int, retried: bool = False) -> None:
    """Page the next step of the chain for an unacknowledged critical episode once it is due; arm the next.

    Steps count from when the episode's message was first posted (or tried), one step per delay at most.
    The page and the DMs carry a marker, so a retried job (a DM failed, or Slack answered too late) finds
    what it already sent instead of paging twice."""
    chain = escalation_chain(deps.settings)
    async with deps.db.sessions() as session:
        group = await session.get(AlertGroup, group_id)
        episode = await session.get(AlertGroupEpisode, episode_id)
    now = deps.clock()
    if group is None or episode is None or not _still_unattended(group, episode, now):
        return
    level = episode.escalation_level
    if episode.posted_at is None:
        raise RetryLater(timedelta(seconds=2), "the alert message is not posted yet")
    due = escalation_due(
        [step.after for step in chain],
        level,
        posted_at=episode.posted_at,
        last_step_at=episode.last_escalation_at,
    )
    if due is None:
        return
    if due > now:
        raise RetryLater(due - now, f"escalation step {level + 1} is due at {due.isoformat()}")
    users = await _targets(deps, chain[level])
    marker = f"alert-group-{group_id}-page-{level}-episode-{episode_id}"
    if group.slack_ts is not None and group.slack_channel_id is not None:
        dm_text = await _page_in_thread(deps, group, users=users, marker=marker, retried=retried)
    elif group.post_error is not None:  # the channel cannot take the message: the DM is the page
        dm_text = broken_route_page(
            group.alertname, channel=group.channel, reason=group.post_error, firing=group.firing_count
        )
    else:
        raise RetryLater(timedelta(seconds=2), "the alert message is not posted yet")
    for user in users:
        await deps.gateway.direct_message(user_id=user, text=dm_text, marker=marker, look_first=retried)
    await _record_escalation(deps, group, episode_id=episode_id, level=level, users=users, chain=chain)


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
    deps: Deps,
    group: AlertGroup,
    *,
    episode_id: int,
    level: int,
    users: list[str],
    chain: list[EscalationStep],
) -> None:
    assert group.id is not None
    now = deps.clock()
    async with deps.db.transaction() as session:
        locked = await _locked(session, group.id)
        episode = await alert_groups.lock_episode(session, episode_id)
        if episode is None or episode.escalation_level != level:
            return  # a retry of a step recorded already
        episode.escalation_level = locked.escalation_level = level + 1
        episode.last_escalation_at = now
        await alert_groups.add_event(
            session,
            group.id,
            "escalated",
            now=now,
            detail={"level": level + 1, "users": users},
            announced=True,
        )
        if level + 1 < len(chain):
            await queue_escalation(
                session, group_id=group.id, channel=group.channel, episode_id=episode_id,
                due=now + chain[level + 1].after, now=now,
            )  # fmt: skip


def _still_unattended(group: AlertGroup, episode: AlertGroupEpisode, now: datetime) -> bool:
    snoozed = group.snoozed_until is not None and group.snoozed_until > now
    current = group.episode_id == episode.id and episode.ended_at is None
    return group.status == "firing" and current and episode.acked_at is None and not snoozed


async def _stop_escalation(session: AsyncSession, group: AlertGroup) -> None:
    if group.id is not None and group.episode_id is not None:
        await cancel(session, dedupe_key=escalation_key(group.id, group.episode_id))


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
