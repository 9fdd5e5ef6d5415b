"""Alert use cases: ingest from any source, keep each group's Slack message in sync, act on buttons."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import AlertsConfig, Settings, Team
from bot.deps import Deps
from bot.domain.alerts import (
    Route,
    Severity,
    group_key,
    parse_matcher,
    read_severity,
    route_channels,
)
from bot.domain.delivery import Priority, alert_priority
from bot.domain.digest_periods import local_midnight
from bot.domain.incoming import IncomingAlert
from bot.domain.info_review import told_in_review
from bot.domain.teams import owning_team
from bot.services import alert_storms, paging, review_deadlines
from bot.services.info_reviews import reviews_info
from bot.services.jobs import CheckFlapping, EscalateGroup, SyncGroup, queue
from storage import alert_groups
from storage import alerts as store
from storage.db import is_write_conflict
from storage.group_transitions import GroupChange, GroupPolicy

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
    routes = _routes(config)
    planned = []
    for alert in alerts:
        reading = read_severity(alert.labels)
        team = owning_team(alert.labels, settings.teams)
        planned.append(
            store.PlannedAlert(
                alert=alert,
                severity=reading.severity.value,
                severity_label=reading.label,
                group_key=group_key(
                    alert.labels, config.group_by, team=None if team.is_default else team.handle
                ),
                channels=route_channels(alert.labels, reading.severity, routes, _severity_channels(team)),
                team=team.handle,
            )
        )
    return planned


def _severity_channels(team: Team) -> dict[Severity, str]:
    """Where a team's alerts go when no route picks a channel."""
    channels = team.channels
    return {
        Severity.CRITICAL: channels.critical,
        Severity.WARNING: channels.warning,
        Severity.INFO: channels.info,
    }


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


def group_policy(settings: Settings, now: datetime) -> GroupPolicy:
    """The config's rules for moving groups, with "today" as the team's local day."""
    config = settings.file.alerts
    zone = settings.file.team.timezone
    return GroupPolicy(
        flapping_changes=config.flapping_changes,
        flapping_window=timedelta(minutes=config.flapping_window_minutes),
        refire_window=timedelta(minutes=config.refire_update_minutes),
        day_start=local_midnight(now.astimezone(ZoneInfo(zone)).date(), zone),
        max_new_groups_per_minute=config.max_new_groups_per_source_per_minute,
    )


async def _store_and_queue(deps: Deps, batches: Sequence[SourcedBatch]) -> None:
    now = deps.clock()
    policy = group_policy(deps.settings, now)
    reviews_on = reviews_info(deps.settings)
    async with deps.db.transaction() as session:
        rollups: dict[int, str] = {}  # a storm's groups share one roll-up job: queue it once per write
        for source, planned in _by_source(batches):
            stored = await store.store_batch(session, planned, source=source, now=now, policy=policy)
            if stored.held:
                await _hold(deps, session, source, stored.held, now=now)
            for change in stored.changes:
                rollup_id = await _queue_change(
                    session, change, settings=deps.settings, now=now, reviews_on=reviews_on
                )
                if rollup_id is not None:
                    rollups[rollup_id] = change.channel
                await paging.on_group_change(session, change, settings=deps.settings, now=now)
        for rollup_id, channel in rollups.items():
            await alert_storms.queue_rollup_sync(session, rollup_id=rollup_id, channel=channel, now=now)


async def _hold(deps: Deps, session: AsyncSession, source: str, held: Counter[str], *, now: datetime) -> None:
    """Tell alerts stored without a group (over the source's cap) in its overflow roll-up, in the critical
    channel: held alerts may be pages."""
    channel = deps.settings.file.channels.critical
    await alert_storms.hold(session, source, held, channel=channel, now=now)
    log.warning("alerts held back over the new-group cap", extra={"source": source, "held": held.total()})


def _by_source(batches: Sequence[SourcedBatch]) -> list[SourcedBatch]:
    """Merge batches per source, in arrival order: a later copy of an alert wins, so a group sees only the
    latest state of an alert sent twice within one write (as when Alertmanager re-sends it)."""
    merged: dict[str, list[store.PlannedAlert]] = {}
    for source, planned in batches:
        merged.setdefault(source, []).extend(planned)
    return list(merged.items())


async def _queue_change(
    session: AsyncSession, change: GroupChange, *, settings: Settings, now: datetime, reviews_on: bool
) -> int | None:
    """Queue the group's own message update, escalation and review reminder; return its roll-up's id
    instead when a storm's roll-up lists it (the caller queues that once). An info group the daily review
    tells gets no message."""
    config = settings.file.alerts
    threshold = config.rollup_after_new_groups_per_minute
    rollup_id = None
    if not await _waits_for_review(session, change, reviews_on=reviews_on):
        rollup_id = await alert_storms.place(session, change, threshold=threshold, now=now)
        if rollup_id is None:
            await queue_sync(
                session, group_id=change.group_id, channel=change.channel, severity=change.severity, now=now
            )
    armed = change.fired or change.reopened or change.turned_critical
    escalation = settings.team_of(change.team).escalation
    if armed and change.severity == Severity.CRITICAL and escalation and change.episode_id:
        first_delay = timedelta(minutes=escalation[0].after_minutes)
        await queue_escalation(
            session, group_id=change.group_id, channel=change.channel, episode_id=change.episode_id,
            due=now + first_delay, now=now,
        )  # fmt: skip
    minutes = config.warning_review_minutes
    await review_deadlines.arm(session, change, minutes=minutes, rollup_id=rollup_id, now=now)
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


async def _waits_for_review(session: AsyncSession, change: GroupChange, *, reviews_on: bool) -> bool:
    """Tell whether the daily info review tells this change instead of a message (see told_in_review)."""
    if not reviews_on or change.severity != Severity.INFO:
        return False
    group = await alert_groups.get_group(session, change.group_id)
    has_message = group is None or alert_groups.has_message(group)
    return told_in_review(severity=change.severity, has_message=has_message, reviews_on=reviews_on)


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
