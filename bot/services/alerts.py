"""Alert use cases: ingest from any source, keep each group's Slack message in sync, act on buttons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.alerts import (
    AlertLine,
    GroupView,
    broken_route_page,
    group_marker,
    render_group,
    reply_marker,
    thread_reply,
)
from bot.config import AlertsConfig, Settings
from bot.deps import Deps
from bot.domain.alerts import (
    Route,
    Severity,
    group_key,
    parse_matcher,
    read_severity,
    route_channels,
)
from bot.domain.delivery import Priority, alert_priority, broken_route
from bot.domain.digest_periods import local_midnight
from bot.domain.durations import humanize_duration
from bot.domain.incoming import IncomingAlert
from bot.errors import NotFound
from bot.services import alert_storms
from bot.services.jobs import CheckFlapping, EscalateGroup, SyncGroup, queue
from bot.services.oncall import who_is_on_call
from bot.slack import error_code
from storage import alert_groups
from storage import alerts as store
from storage.db import is_write_conflict
from storage.models import AlertGroup

log = logging.getLogger(__name__)
INGEST_ATTEMPTS = 4


SourcedBatch = tuple[str, list[store.PlannedAlert]]


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    groups: int


def plan(alerts: Sequence[IncomingAlert], settings: Settings) -> list[store.PlannedAlert]:
    """Decide severity, group and channels for each alert (pure, from the config)."""
    config = settings.file.alerts
    channels = settings.file.channels
    defaults = {
        Severity.CRITICAL: channels.critical,
        Severity.WARNING: channels.warning,
        Severity.INFO: channels.info,
    }
    routes = _routes(config)
    planned = []
    for alert in alerts:
        reading = read_severity(alert.labels)
        planned.append(
            store.PlannedAlert(
                alert=alert,
                severity=reading.severity.value,
                severity_label=reading.label,
                group_key=group_key(alert.labels, config.group_by),
                channels=route_channels(alert.labels, reading.severity, routes, defaults),
            )
        )
    return planned


def _routes(config: AlertsConfig) -> list[Route]:
    return [Route(tuple(parse_matcher(m) for m in r.match), r.channel, r.continue_) for r in config.routes]


async def ingest(deps: Deps, alerts: Sequence[IncomingAlert], *, source: str) -> IngestResult:
    """Store alerts and queue their groups' Slack updates in one transaction (nothing is lost after it).

    Concurrent calls share a transaction (group commit); each returns once its own alerts are stored.
    """
    if not alerts:
        return IngestResult(0, 0)
    planned = plan(alerts, deps.settings)
    await deps.ingest_commits.submit((source, planned), partial(_store_with_retries, deps))
    deps.telemetry.alerts_received.labels(source).inc(len(alerts))
    deps.wake_outbox()
    groups = {(p.group_key, channel) for p in planned for channel in p.channels}
    return IngestResult(len(alerts), len(groups))


async def _store_with_retries(deps: Deps, batches: Sequence[SourcedBatch]) -> None:
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            await _store_and_queue(deps, batches)
            return
        except (IntegrityError, OperationalError) as error:
            # Another replica stored the same new alert or group first (or PostgreSQL broke a deadlock):
            # the next attempt sees its rows and updates them instead.
            if attempt == INGEST_ATTEMPTS or not is_write_conflict(error):
                raise
            log.info("ingest lost a write race; retrying", extra={"attempt": attempt})


def group_policy(settings: Settings, now: datetime) -> store.GroupPolicy:
    """The config's rules for moving groups, with "today" as the team's local day."""
    config = settings.file.alerts
    zone = settings.file.team.timezone
    return store.GroupPolicy(
        flapping_changes=config.flapping_changes,
        flapping_window=timedelta(minutes=config.flapping_window_minutes),
        refire_window=timedelta(minutes=config.refire_update_minutes),
        day_start=local_midnight(now.astimezone(ZoneInfo(zone)).date(), zone),
    )


async def _store_and_queue(deps: Deps, batches: Sequence[SourcedBatch]) -> None:
    config = deps.settings.file.alerts
    now = deps.clock()
    policy = group_policy(deps.settings, now)
    async with deps.db.transaction() as session:
        rollups: dict[int, str] = {}  # a storm's groups share one roll-up job: queue it once per write
        for source, planned in _by_source(batches):
            changes = await store.store_batch(session, planned, source=source, now=now, policy=policy)
            for change in changes:
                rollup_id = await _queue_change(session, change, config=config, now=now)
                if rollup_id is not None:
                    rollups[rollup_id] = change.channel
        for rollup_id, channel in rollups.items():
            await alert_storms.queue_rollup_sync(session, rollup_id=rollup_id, channel=channel, now=now)


def _by_source(batches: Sequence[SourcedBatch]) -> list[SourcedBatch]:
    """Merge batches per source, in arrival order: a later copy of an alert wins, so a group sees only the
    latest state of an alert sent twice within one write (as when Alertmanager re-sends it)."""
    merged: dict[str, list[store.PlannedAlert]] = {}
    for source, planned in batches:
        merged.setdefault(source, []).extend(planned)
    return list(merged.items())


async def _queue_change(
    session: AsyncSession, change: store.GroupChange, *, config: AlertsConfig, now: datetime
) -> int | None:
    """Queue the group's own message update and escalation; return its roll-up's id instead when a storm's
    roll-up lists it (the caller queues that once)."""
    threshold = config.rollup_after_new_groups_per_minute
    rollup_id = await alert_storms.place(session, change, threshold=threshold, now=now)
    if rollup_id is None:
        await queue_sync(
            session, group_id=change.group_id, channel=change.channel, severity=change.severity, now=now
        )
    armed = change.fired or change.reopened
    if armed and change.severity == Severity.CRITICAL and config.escalation and change.episode_id:
        first_delay = timedelta(minutes=config.escalation[0].after_minutes)
        await queue_escalation(
            session, group_id=change.group_id, channel=change.channel, episode_id=change.episode_id,
            due=now + first_delay, now=now,
        )  # fmt: skip
    if change.flapping:
        await queue(
            session,
            CheckFlapping(group_id=change.group_id),
            now=now,
            lane=change.channel,
            priority=Priority.BACKGROUND,
            key=f"flapping:{change.group_id}",
            due_at=now + timedelta(minutes=config.flapping_window_minutes),
        )
    return rollup_id


def escalation_key(group_id: int, episode_id: int) -> str:
    """One pending escalation job per group episode: an old episode's job never absorbs a new one's."""
    return f"escalate:{group_id}:{episode_id}"


async def queue_escalation(
    session: AsyncSession, *, group_id: int, channel: str, episode_id: int, due: datetime, now: datetime
) -> None:
    """Arm the next escalation step of a firing episode (the job checks, when it runs, that it is due)."""
    await queue(
        session,
        EscalateGroup(group_id=group_id, episode_id=episode_id),
        now=now,
        lane=channel,
        priority=Priority.PAGE,
        key=escalation_key(group_id, episode_id),
        due_at=max(due, now),
    )


async def queue_sync(
    session: AsyncSession, *, group_id: int, channel: str, severity: str, now: datetime
) -> None:
    """Queue the group's message update; pending updates of one group coalesce into one."""
    await queue(
        session,
        SyncGroup(group_id=group_id),
        now=now,
        lane=channel,
        priority=alert_priority(severity),
        key=f"sync:{group_id}",
    )


def group_view(
    snapshot: alert_groups.GroupSnapshot, *, deps: Deps, previous_url: str | None = None
) -> GroupView:
    """Build the message's view model from the stored group."""
    group = snapshot.group
    assert group.id is not None
    silence_url = None
    if group.silence_id and deps.settings.secrets.alertmanager_url:
        silence_url = f"{deps.settings.secrets.alertmanager_url.rstrip('/')}/#/silences/{group.silence_id}"
    return GroupView(
        group_id=group.id,
        alertname=group.alertname,
        severity=group.severity,
        severity_label=group.severity_label,
        status=group.status,
        firing_count=group.firing_count,
        alert_count=group.alert_count,
        first_fired_at=group.first_fired_at,
        resolved_at=group.resolved_at,
        resolved_by=group.resolved_by,
        acked_by=group.acked_by,
        acked_at=group.acked_at,
        snoozed_until=group.snoozed_until,
        silence_url=silence_url,
        noise_by=group.noise_by,
        flapping=group.flapping,
        alerts=[
            AlertLine(a.labels, a.annotations, a.status, a.starts_at, a.generator_url)
            for a in snapshot.alerts
        ],
        snooze_choices=deps.settings.file.alerts.snooze_choices,
        now=deps.clock(),
        episode_number=snapshot.episode.number if snapshot.episode else 1,
        previous_url=previous_url,
        incident_id=snapshot.episode.incident_id if snapshot.episode else None,
    )


async def sync_group(deps: Deps, group_id: int, *, attempt: int = 1) -> None:
    """Post or update the group's message, then tell the thread what changed (one reply at most)."""
    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id)
    if snapshot is None or (snapshot.group.rollup_id is not None and snapshot.group.slack_ts is None):
        return  # a storm's roll-up lists this group: it has no message of its own to post
    group = snapshot.group
    was_posted = group.slack_ts is not None
    # A crash (or a lost answer) between posting and storing the ts must not post twice. Whether an earlier
    # try may have posted is recorded before the first post, so any retry, on any replica, looks first.
    maybe_posted = not was_posted and group.post_attempted_at is not None
    await _record_attempt(deps, snapshot, first_post=not was_posted and not maybe_posted)
    previous_url = await _previous_message_url(deps, snapshot) if not was_posted else None
    payload = render_group(group_view(snapshot, deps=deps, previous_url=previous_url))
    try:
        channel_id, ts = await deps.gateway.post_or_update(
            channel=group.channel,
            channel_id=group.slack_channel_id,
            ts=group.slack_ts,
            payload=payload,
            marker=group_marker(group_id) if maybe_posted else None,
        )
    except (SlackApiError, NotFound) as error:
        code = error_code(error) if isinstance(error, SlackApiError) else "channel_not_found"
        broken = broken_route(str(code))
        if was_posted or broken is None:
            raise
        await _report_broken_route(deps, group, broken)
        return
    deps.telemetry.alerts_posted.inc()
    if was_posted:
        await _tell_thread(deps, snapshot, channel_id=channel_id, ts=ts, attempt=attempt)
    async with deps.db.transaction() as session:
        fresh = await alert_groups.lock_group(session, group_id)
        if fresh is not None:
            fresh.slack_channel_id, fresh.slack_ts = channel_id, ts
            fresh.announced_firing = group.firing_count
        episode = await alert_groups.lock_episode(session, group.episode_id)
        if episode is not None and episode.slack_ts is None:
            episode.slack_channel_id, episode.slack_ts = channel_id, ts
        await alert_groups.mark_announced(session, [e.id for e in snapshot.events if e.id is not None])


async def _record_attempt(deps: Deps, snapshot: alert_groups.GroupSnapshot, *, first_post: bool) -> None:
    """Before the message goes out: note a first post attempt, and when the episode's message was first
    posted or updated (its escalation counts from then)."""
    episode = snapshot.episode
    needs_episode = episode is not None and episode.posted_at is None and snapshot.group.status == "firing"
    if not first_post and not needs_episode:
        return
    now = deps.clock()
    async with deps.db.transaction() as session:
        if first_post:
            await alert_groups.record_post_attempt(session, snapshot.group.id or 0, at=now)
        if needs_episode and episode is not None and episode.id is not None:
            await alert_groups.record_episode_posted(session, episode.id, at=now)


async def _previous_message_url(deps: Deps, snapshot: alert_groups.GroupSnapshot) -> str | None:
    """The link to the last episode's message, for a new message of a group firing again."""
    episode, channel_id = snapshot.episode, snapshot.group.slack_channel_id
    if episode is None or episode.follows_ts is None or channel_id is None:
        return None
    try:
        found = await deps.slack.chat_getPermalink(channel=channel_id, message_ts=episode.follows_ts)
    except SlackApiError:
        return None  # the old message is gone: the new one simply does not link it
    return str(found["permalink"])


async def _tell_thread(
    deps: Deps, snapshot: alert_groups.GroupSnapshot, *, channel_id: str, ts: str, attempt: int
) -> None:
    """One quiet reply for what changed since the last sync (while flapping, only the flapping notice)."""
    group = snapshot.group
    events = [
        (e.kind, _detail(e.kind, e.detail, e.actor, group.first_fired_at, e.at)) for e in snapshot.events
    ]
    if group.flapping:
        reply = thread_reply(
            [(k, d) for k, d in events if k == "flapping"], joined=0, firing=group.firing_count
        )
    else:
        joined = group.firing_count - group.announced_firing
        reply = thread_reply(events, joined=joined, firing=group.firing_count)
    if reply:
        last_event = max((e.id or 0 for e in snapshot.events), default=0)
        await deps.gateway.post_once(
            channel_id=channel_id,
            thread_ts=ts,
            text=reply,
            marker=reply_marker(group.id or 0, last_event=last_event, firing=group.firing_count),
            look_first=attempt > 1,
        )


async def _report_broken_route(deps: Deps, group: AlertGroup, reason: str) -> None:
    """The group's channel cannot take its message (archived, renamed, opsbot not invited …): record why,
    count it on /metrics, and DM the on-call engineer so a critical alert still pages someone. Escalation
    then goes on by DM (see alert_actions.escalate)."""
    assert group.id is not None
    now = deps.clock()
    async with deps.db.transaction() as session:
        fresh = await alert_groups.lock_group(session, group.id)
        if fresh is not None:
            fresh.post_error = reason[:200]
        detail = {"channel": group.channel, "error": reason}
        await alert_groups.add_event(
            session, group.id, "route_broken", now=now, detail=detail, announced=True
        )
    deps.telemetry.alert_post_failures.labels(group.channel, reason).inc()
    log.error("an alert's channel cannot take its message", extra={"group": group.id, **detail})
    if group.severity != Severity.CRITICAL:
        return
    oncall = (await who_is_on_call(deps))[0].user
    text = broken_route_page(group.alertname, channel=group.channel, reason=reason, firing=group.firing_count)
    await deps.gateway.direct_message(
        user_id=oncall, text=text, marker=f"alert-group-{group.id}-route-broken", look_first=True
    )


def _detail(
    kind: str, detail: dict[str, object], actor: str | None, fired_at: object, at: object
) -> dict[str, object]:
    shown = dict(detail)
    if actor:
        shown.setdefault("who", detail.get("name") or actor)
    if kind in {"resolved", "resolved_by_hand", "acked"}:
        shown["after"] = f" after {humanize_duration(at - fired_at)}"  # type: ignore[operator]
    return shown
