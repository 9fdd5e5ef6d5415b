"""Storm roll-ups: decide at ingest which new groups join their channel's roll-up, and keep its message.

A storm of new groups in one channel would be a message each, paced at Slack's one per second: minutes of
scrolling noise. Past `alerts.rollup_after_new_groups_per_minute`, new groups are listed in one message per
channel and storm instead, updated in place through one coalesced outbox job. Critical groups never join
(see bot.domain.storms.rolls_up): their own message and escalation stay as they are.

The same roll-up carries a source's overflow: past `alerts.max_new_groups_per_source_per_minute`, a source's
alerts are stored without opening groups (bot.domain.storms.groups_to_open), and one roll-up per source and
storm window counts them by name, posted, updated and retried exactly like a storm's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.alert_rollup import (
    SHOWN_GROUPS,
    OverflowView,
    RollupLine,
    RollupView,
    render_overflow,
    render_rollup,
    rollup_marker,
)
from bot.config import AlertsConfig
from bot.deps import Deps
from bot.domain.alerts import Severity, key_labels
from bot.domain.delivery import Priority
from bot.domain.storms import STORM_WINDOW, rolls_up
from bot.services.jobs import SyncRollup, queue
from storage import alert_rollups as rollups
from storage.group_transitions import GroupChange
from storage.models import AlertRollup


async def place(session: AsyncSession, change: GroupChange, *, threshold: int, now: datetime) -> int | None:
    """Where the group's change shows: the roll-up's id, or None for its own message.

    Decided when a group starts firing (new, or again after resolving); a listed group stays in its roll-up
    until then, unless it turns critical: it then leaves for a message of its own, with its buttons.
    """
    if change.fired:
        return await _decide(session, change, threshold=threshold, now=now)
    if change.rollup_id is not None and change.severity == Severity.CRITICAL:
        await rollups.place_group(session, change.group_id, rollup=None, now=now)
        await queue_rollup_sync(session, rollup_id=change.rollup_id, channel=change.channel, now=now)
        return None
    return change.rollup_id


async def _decide(session: AsyncSession, change: GroupChange, *, threshold: int, now: datetime) -> int | None:
    since = now - STORM_WINDOW
    storm = await rollups.open_rollup(session, change.channel, since=since) if threshold else None
    recent = 0
    if threshold and storm is None:
        recent = await rollups.groups_opened_since(session, change.channel, since=since)
    joins = rolls_up(
        severity=Severity(change.severity),
        new_groups_last_minute=recent,
        threshold=threshold,
        storm_open=storm is not None,
    )
    if not joins:
        if change.rollup_id is not None:  # firing again after an earlier storm: on its own now
            await rollups.place_group(session, change.group_id, rollup=None, now=now)
        return None
    rollup: AlertRollup = storm or await rollups.start_rollup(session, change.channel, now=now)
    await rollups.place_group(session, change.group_id, rollup=rollup, now=now)
    assert rollup.id is not None
    return rollup.id


async def hold(
    session: AsyncSession, source: str, held: Mapping[str, int], *, channel: str, now: datetime
) -> None:
    """Count alerts the source sent over its new-group cap in its overflow roll-up and queue its message.

    Queued as a page, ahead of the groups the same write opened: the held alerts may be critical ones that
    page nobody, so the channel learns of them before it reads the cap's worth of single messages."""
    overflow = await rollups.hold_in_overflow(
        session, source, held, channel=channel, now=now, since=now - STORM_WINDOW
    )
    assert overflow.id is not None
    await queue_rollup_sync(session, rollup_id=overflow.id, channel=channel, now=now, priority=Priority.PAGE)


async def queue_rollup_sync(
    session: AsyncSession,
    *,
    rollup_id: int,
    channel: str,
    now: datetime,
    priority: Priority = Priority.WARNING,  # a storm of warnings and info; critical groups never join one
) -> None:
    """Queue the roll-up's message update; every change of its groups coalesces into one pending job."""
    await queue(
        session,
        SyncRollup(rollup_id=rollup_id),
        now=now,
        lane=channel,
        priority=priority,
        key=f"rollup:{rollup_id}",
    )


async def sync_rollup(deps: Deps, rollup_id: int) -> None:
    """Post or update the roll-up's message with its groups' current state."""
    async with deps.db.sessions() as session:
        snapshot = await rollups.load_rollup(session, rollup_id, limit=SHOWN_GROUPS)
    if snapshot is None:
        return
    rollup = snapshot.rollup
    # As for a group's message: an attempt to post is recorded first, and a retry looks before posting again.
    was_posted = rollup.slack_ts is not None
    maybe_posted = not was_posted and rollup.post_attempted_at is not None
    if not was_posted and not maybe_posted:
        await rollups.record_post_attempt(deps.db, rollup_id, at=deps.clock())
    channel_id, ts = await deps.gateway.post_or_update(
        channel=rollup.channel,
        channel_id=rollup.slack_channel_id,
        ts=rollup.slack_ts,
        payload=_render(snapshot, deps.settings.file.alerts),
        marker=rollup_marker(rollup_id) if maybe_posted else None,
    )
    deps.telemetry.alerts_posted.inc()
    async with deps.db.transaction() as session:
        await rollups.save_message(session, rollup_id, channel_id=channel_id, ts=ts)


def _render(snapshot: rollups.RollupSnapshot, config: AlertsConfig) -> dict[str, Any]:
    """A storm lists its groups; a source's overflow counts the alerts it held back."""
    rollup = snapshot.rollup
    if rollup.source is None:
        return render_rollup(_view(snapshot, threshold=config.rollup_after_new_groups_per_minute))
    assert rollup.id is not None
    return render_overflow(
        OverflowView(
            rollup_id=rollup.id,
            source=rollup.source,
            held=rollup.held,
            cap=config.max_new_groups_per_source_per_minute,
            opened_at=rollup.opened_at,
        )
    )


def _view(snapshot: rollups.RollupSnapshot, *, threshold: int) -> RollupView:
    assert snapshot.rollup.id is not None
    lines = [
        RollupLine(
            alertname=g.alertname,
            labels=key_labels(g.group_key),
            severity=g.severity,
            status=g.status,
            firing_count=g.firing_count,
            alert_count=g.alert_count,
        )
        for g in snapshot.groups
    ]
    return RollupView(
        rollup_id=snapshot.rollup.id,
        groups=lines,
        total=snapshot.total,
        firing=snapshot.firing,
        threshold=threshold,
        opened_at=snapshot.rollup.opened_at,
    )
