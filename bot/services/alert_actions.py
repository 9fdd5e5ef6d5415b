"""What people and timers do to an alert group: acknowledge, resolve, snooze, mark as noise, escalate."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain.delivery import alert_priority
from bot.domain.durations import parse_duration
from bot.domain.episodes import EndReason
from bot.domain.paging import Destination
from bot.errors import NotFound, UsageError
from bot.services import paging
from bot.services.alert_permissions import authorize, ensure_clicked_at_alert
from bot.services.alert_silences import snooze_silence
from bot.services.alerts import escalation_key, queue_escalation, queue_sync
from bot.services.jobs import EndSnooze, queue
from bot.services.oncall import escalation_chain
from bot.services.outbox import RetryLater
from bot.services.review_deadlines import mark_reviewed
from storage import alert_episodes, alert_groups
from storage.alert_episodes import end
from storage.models import AlertGroup
from storage.outbox import cancel


async def acknowledge(
    deps: Deps, group_id: int, *, user_id: str, user_name: str, clicked_channel: str | None
) -> None:
    """Record who acknowledged and when; stops the escalation."""
    await authorize(
        deps,
        group_id,
        user_id=user_id,
        clicked_channel=clicked_channel,
        right="acknowledge",
        doing="acknowledge alerts",
    )
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        if group.acked_at is not None:
            return
        await acknowledge_in(session, group, user_id=user_id, detail={"name": user_name}, now=deps.clock())
    deps.wake_outbox()


async def acknowledge_in(
    session: AsyncSession,
    group: AlertGroup,
    *,
    user_id: str,
    detail: dict[str, object],
    now: datetime,
    origin: Destination | None = None,
) -> None:
    """Acknowledge a locked group and its firing episode in the caller's transaction; stops escalation and
    tells the paging destinations (but `origin`, where it was acknowledged)."""
    assert group.id is not None
    group.acked_by, group.acked_at = user_id, now
    episode = await alert_episodes.lock_episode(session, group.episode_id)
    if episode is not None and episode.acked_at is None:
        episode.acked_by, episode.acked_at = user_id, now
    await mark_reviewed(session, group, episode, user_id=user_id, now=now)
    await alert_groups.add_event(session, group.id, "acked", now=now, actor=user_id, detail=detail)
    await _stop_escalation(session, group)
    await _queue_sync(session, group, now=now)
    await paging.on_acknowledged(session, group, now=now, origin=origin)


async def link_incident(
    session: AsyncSession, group_id: int, *, incident_id: int, user_id: str, user_name: str, now: datetime
) -> None:
    """An incident was declared from this alert: it is being handled, so acknowledge it (stopping its
    escalation) and record the incident on the firing episode; the message shows it."""
    group = await alert_groups.lock_group(session, group_id)
    if group is None:
        return
    episode = await alert_episodes.lock_episode(session, group.episode_id)
    if episode is not None:
        episode.incident_id = incident_id
    if group.acked_at is None and group.status == "firing":
        detail: dict[str, object] = {"incident": f"INC-{incident_id}", "name": user_name or user_id}
        await acknowledge_in(session, group, user_id=user_id, detail=detail, now=now)
    else:
        await _queue_sync(session, group, now=now)


async def resolve(
    deps: Deps, group_id: int, *, user_id: str, user_name: str, clicked_channel: str | None
) -> None:
    """Resolve by hand (the source's own resolve still counts when it comes)."""
    await authorize(
        deps,
        group_id,
        user_id=user_id,
        clicked_channel=clicked_channel,
        right="resolve",
        doing="resolve alerts",
    )
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        if group.status == "resolved":
            return
        await resolve_in(session, group, user_id=user_id, detail={"name": user_name}, now=deps.clock())
    deps.wake_outbox()


async def resolve_in(
    session: AsyncSession,
    group: AlertGroup,
    *,
    user_id: str,
    detail: dict[str, object],
    now: datetime,
    origin: Destination | None = None,
) -> None:
    """Resolve a locked firing group by hand in the caller's transaction: ends its episode, stops escalation
    and tells the paging destinations (but `origin`, where it was resolved)."""
    assert group.id is not None
    group.status, group.resolved_at, group.resolved_by = "resolved", now, user_id
    episode = await alert_episodes.lock_episode(session, group.episode_id)
    await mark_reviewed(session, group, episode, user_id=user_id, now=now)
    end(episode, at=now, reason=EndReason.BY_HAND, by=user_id)
    await alert_groups.add_event(session, group.id, "resolved_by_hand", now=now, actor=user_id, detail=detail)
    await _stop_escalation(session, group)
    await _queue_sync(session, group, now=now)
    await paging.on_resolved(session, group, now=now, origin=origin)


async def snooze(
    deps: Deps, group_id: int, *, user_id: str, user_name: str, choice: str, clicked_channel: str | None
) -> None:
    """Mute the group for a while; with Alertmanager configured, also create a real silence."""
    try:
        duration = parse_duration(choice)
    except ValueError as error:
        raise UsageError(str(error)) from None
    await authorize(
        deps,
        group_id,
        user_id=user_id,
        clicked_channel=clicked_channel,
        right="acknowledge",
        doing="snooze alerts",
    )
    now = deps.clock()
    silence_id = await snooze_silence(deps, group_id, until=now + duration, user_name=user_name)
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        group.snoozed_until, group.snoozed_by, group.silence_id = now + duration, user_id, silence_id
        episode = await alert_episodes.lock_episode(session, group.episode_id)
        await mark_reviewed(session, group, episode, user_id=user_id, now=now)
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


async def mark_noise(
    deps: Deps, group_id: int, *, user_id: str, user_name: str, clicked_channel: str | None
) -> None:
    """Record a false positive for the threshold review in the digests."""
    await authorize(
        deps,
        group_id,
        user_id=user_id,
        clicked_channel=clicked_channel,
        right="noise",
        doing="mark alerts as noise",
    )
    async with deps.db.transaction() as session:
        group = await _locked(session, group_id)
        now = deps.clock()
        group.noise_by = user_id
        episode = await alert_episodes.lock_episode(session, group.episode_id)
        if episode is not None:
            episode.noise_by = user_id
        await mark_reviewed(session, group, episode, user_id=user_id, now=now)
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
    chain = escalation_chain(deps.settings.team_of(group.team))
    episode = await alert_episodes.lock_episode(session, group.episode_id)
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


async def _stop_escalation(session: AsyncSession, group: AlertGroup) -> None:
    if group.id is not None and group.episode_id is not None:
        await cancel(session, dedupe_key=escalation_key(group.id, group.episode_id))


async def _locked(session: AsyncSession, group_id: int) -> AlertGroup:
    group = await alert_groups.lock_group(session, group_id)
    if group is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    return group


async def _queue_sync(session: AsyncSession, group: AlertGroup, *, now: datetime) -> None:
    assert group.id is not None
    await queue_sync(session, group_id=group.id, channel=group.channel, severity=group.severity, now=now)


async def details(deps: Deps, group_id: int, *, clicked_channel: str) -> dict[str, object]:
    """The group's alerts with their labels, for the person who asked (from the group's own message)."""
    from bot.blocks.alerts import AlertLine, render_details

    await ensure_clicked_at_alert(deps, group_id, clicked_channel=clicked_channel)
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=20)
    if snapshot is None:
        raise NotFound(f"alert group {group_id} does not exist (any more)")
    lines = [
        AlertLine(a.labels, a.annotations, a.status, a.starts_at, a.generator_url) for a in snapshot.alerts
    ]
    return render_details(snapshot.group.alertname, lines, total=snapshot.group.alert_count)
