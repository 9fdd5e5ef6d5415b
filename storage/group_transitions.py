"""Group transitions: a batch's effect on each group (key and channel) — counts, firing episodes, re-fires,
by-hand resolves undone, flapping. Called by storage/alerts.py inside the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.alerts import AlertStatus, Severity, is_flapping, recent_changes, worst
from bot.domain.episodes import EndReason, ordinal, reuses_message
from bot.domain.storms import OpenedGroups
from storage import alert_episodes as episodes
from storage.models import Alert, AlertEvent, AlertGroup

FIRING, RESOLVED = AlertStatus.FIRING.value, AlertStatus.RESOLVED.value


@dataclass(frozen=True)
class GroupSeed:
    """What a new group takes from the alert that creates it (and the source that sent it)."""

    source: str
    group_key: str
    channel: str
    alertname: str
    severity: str
    severity_label: str | None
    starts_at: datetime
    team: str | None = None


def worst_of(severities: set[str]) -> str:
    """The most severe of stored severity names."""
    return worst(Severity(s) for s in severities).value


@dataclass(frozen=True)
class GroupPolicy:
    """How a batch moves groups: flapping, where a re-fire is told (`day_start` counts "today"), and how
    many new groups one source may open per minute."""

    flapping_changes: int
    flapping_window: timedelta
    refire_window: timedelta
    day_start: datetime
    max_new_groups_per_minute: int  # per source (alerts.max_new_groups_per_source_per_minute)


@dataclass
class GroupChange:
    """A group touched by a batch; `fired` when a new firing episode began, `reopened` when a by-hand resolve
    was undone by its source, `resolved` when its source ended the episode; `rollup_id` when a storm's
    roll-up lists it."""

    group_id: int
    channel: str
    severity: str
    fired: bool
    first_fired_at: datetime
    rollup_id: int | None = None
    episode_id: int | None = None
    reopened: bool = False
    flapping: bool = False
    turned_critical: bool = False  # a firing group a critical alert joined: its escalation starts now
    resolved: bool = False  # its firing episode ended: every alert of it resolved (or went stale)
    team: str | None = None  # the owning team's handle (None: the default team)


@dataclass
class GroupActivity:
    """What a batch did to one group (key and channel); the deltas keep group counters without recounting."""

    fired: bool = False
    reported_firing: bool = False
    resolved: bool = False
    stale: bool = True  # every resolve in the batch said its source stopped reporting
    severities: set[str] = field(default_factory=set)
    earliest: datetime | None = None
    total_delta: int = 0
    firing_delta: int = 0


def channel_list(channels: Sequence[str]) -> str:
    """An alert's channels as stored: `,a,b,`, so a group's membership is one LIKE on `,name,`."""
    return "," + ",".join(channels) + ","


def in_channel(channel: str) -> ColumnElement[bool]:
    """The alerts routed to `channel` (LIKE with `_` and `%` escaped: Slack names may hold `_`)."""
    return col(Alert.channels).contains(f",{channel},", autoescape=True)


async def _counts(session: AsyncSession, key: str, channel: str) -> tuple[int, int, str | None]:
    """The group's (alerts, firing alerts, worst firing severity): the key's alerts routed to its channel."""
    firing = case((col(Alert.status) == FIRING, 1), else_=0)
    rank = case((col(Alert.severity) == "critical", 3), (col(Alert.severity) == "warning", 2), else_=1)
    worst = func.max(case((col(Alert.status) == FIRING, rank), else_=0))
    rows = await session.execute(
        select(func.count(), func.sum(firing), worst).where(col(Alert.group_key) == key, in_channel(channel))
    )
    names = {3: "critical", 2: "warning", 1: "info"}
    total, firing_count, worst_rank = rows.one()
    return int(total), int(firing_count or 0), names.get(int(worst_rank or 0))


async def existing_groups(session: AsyncSession, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (group key, channel) pairs have a group already (one query per 500 keys)."""
    found: set[tuple[str, str]] = set()
    names = sorted({key for key, _ in keys})
    for start in range(0, len(names), 500):
        rows = await session.execute(
            select(col(AlertGroup.group_key), col(AlertGroup.channel)).where(
                col(AlertGroup.group_key).in_(names[start : start + 500])
            )
        )
        found.update((str(key), str(channel)) for key, channel in rows.all())
    return found & keys


async def groups_created_since(session: AsyncSession, source: str, *, since: datetime) -> OpenedGroups:
    """How many groups the source's alerts opened since `since` (this transaction's own included), and how
    many of them are not critical."""
    lesser = case((col(AlertGroup.severity) == Severity.CRITICAL.value, 0), else_=1)
    total, lesser_count = (
        await session.execute(
            select(func.count(), func.sum(lesser)).where(
                col(AlertGroup.source) == source, col(AlertGroup.created_at) >= since
            )
        )
    ).one()
    return OpenedGroups(int(total or 0), int(lesser_count or 0))


async def upsert_group(
    session: AsyncSession, seed: GroupSeed, activity: GroupActivity, *, now: datetime, policy: GroupPolicy
) -> GroupChange:
    """Create or move the group (key, channel) a batch touched, with its episodes; return what changed."""
    group = (
        await session.execute(
            select(AlertGroup)
            .where(col(AlertGroup.group_key) == seed.group_key, col(AlertGroup.channel) == seed.channel)
            .with_for_update()
        )
    ).scalar_one_or_none()
    started = activity.earliest or seed.starts_at
    if group is None:
        return await _new_group(session, seed, started=started, now=now)
    firing = max(0, group.firing_count + activity.firing_delta)
    was_firing = group.status == FIRING
    change = await _transition(
        session, group, activity, firing=firing, started=started, now=now, policy=policy
    )
    group.firing_count, group.alert_count = firing, group.alert_count + activity.total_delta
    kept = {group.severity} if was_firing and not change.fired else set()
    before = group.severity
    if activity.severities:
        group.severity = worst_of(kept | activity.severities)
    change.severity = group.severity
    change.turned_critical = was_firing and before != group.severity == Severity.CRITICAL.value
    return change


async def _new_group(
    session: AsyncSession, seed: GroupSeed, *, started: datetime, now: datetime
) -> GroupChange:
    """A new group may gather alerts stored before (a new route): count them once, then go by deltas."""
    channel = seed.channel
    total, firing, worst = await _counts(session, seed.group_key, channel)
    group = AlertGroup(
        source=seed.source,
        created_at=now,
        group_key=seed.group_key,
        channel=channel,
        alertname=seed.alertname[:255],
        severity=worst or seed.severity,
        severity_label=seed.severity_label,
        status=FIRING if firing else RESOLVED,
        first_fired_at=min(started, now),
        last_change_at=now,
        resolved_at=None if firing else now,
        changes=[now.isoformat()],
        opened_at=now if firing else None,
        firing_count=firing,
        alert_count=total,
        team=seed.team,
    )
    session.add(group)
    await session.flush()
    assert group.id is not None
    session.add(AlertEvent(group_id=group.id, kind="fired" if firing else "resolved", at=now))
    episode = None
    if firing:  # a group opsbot only ever saw resolved has no firing period of its own to tell
        episode = await episodes.open_group_episode(
            session, group, started_at=started, now=now, follows_ts=None
        )
    return GroupChange(
        group.id,
        channel,
        group.severity,
        firing > 0,
        group.first_fired_at,
        None,
        episode.id if episode else None,
        team=group.team,
    )


async def _transition(
    session: AsyncSession,
    group: AlertGroup,
    activity: GroupActivity,
    *,
    firing: int,
    started: datetime,
    now: datetime,
    policy: GroupPolicy,
) -> GroupChange:
    """Move an existing group between firing and resolved, with its episodes; note flapping."""
    assert group.id is not None
    change = GroupChange(
        group.id, group.channel, group.severity, False, group.first_fired_at, group.rollup_id, team=group.team
    )
    kind: str | None = None
    detail: dict[str, Any] = {}
    if group.status == RESOLVED and firing and group.firing_count == 0 and activity.fired:
        kind = "refired"
        nth = await _refire(session, group, started=started, now=now, policy=policy)
        detail = {"nth": ordinal(nth)}
        change.fired = True
    elif group.status == RESOLVED and firing and activity.reported_firing:
        # resolved by hand while its alerts still fired, and the source still reports them firing
        await _reopen(session, group, now=now)
        change.reopened = True
    elif group.status == FIRING and firing == 0:
        kind = "resolved"
        change.resolved = True
        group.status, group.resolved_at, group.resolved_by = RESOLVED, now, "source"
        reason = EndReason.EXPIRED if activity.stale else EndReason.RESOLVED
        episodes.end(await episodes.lock_episode(session, group.episode_id), at=now, reason=reason)
    elif group.status == RESOLVED and activity.resolved and firing == 0:
        session.add(AlertEvent(group_id=group.id, kind="source_resolved", at=now, announced=True))
    change.episode_id, change.first_fired_at = group.episode_id, group.first_fired_at
    if kind is not None:
        change.flapping = _note_change(session, group, kind, detail, now=now, policy=policy)
    return change


async def _refire(
    session: AsyncSession, group: AlertGroup, *, started: datetime, now: datetime, policy: GroupPolicy
) -> int:
    """Start a new firing episode; return which one of today it is. Within the re-fire window the message
    is updated and its thread told; later a new message (linking the last one) tells it."""
    assert group.id is not None
    reuse = reuses_message(group.resolved_at, now, window=policy.refire_window) and group.slack_ts is not None
    follows = None if reuse else group.slack_ts
    await episodes.open_group_episode(session, group, started_at=started, now=now, follows_ts=follows)
    nth = await episodes.episodes_opened_since(session, group.id, since=policy.day_start)
    group.status, group.first_fired_at, group.resolved_at, group.resolved_by = (
        FIRING,
        min(started, now),
        None,
        None,
    )
    group.opened_at = now
    group.acked_by = group.acked_at = group.noise_by = None
    group.escalation_level = 0
    if not reuse:  # the new message tells it; the old one stays as it was, resolved
        group.slack_ts = group.post_attempted_at = group.post_error = None
    return nth


async def _reopen(session: AsyncSession, group: AlertGroup, *, now: datetime) -> None:
    """Undo a by-hand resolve: the source reports the alert firing after it. Said so in the thread."""
    assert group.id is not None
    who = group.resolved_by
    group.status, group.resolved_at, group.resolved_by = FIRING, None, None
    group.last_change_at = now
    episodes.reopen(await episodes.lock_episode(session, group.episode_id))
    session.add(
        AlertEvent(group_id=group.id, kind="reopened", at=now, detail={"user_id": who} if who else {})
    )


def _note_change(
    session: AsyncSession,
    group: AlertGroup,
    kind: str,
    detail: dict[str, Any],
    *,
    now: datetime,
    policy: GroupPolicy,
) -> bool:
    """Record the change in the thread's events and the flapping window; True while the group flaps."""
    assert group.id is not None
    group.last_change_at = now
    stamps = [datetime.fromisoformat(s) for s in group.changes] + [now]
    kept = recent_changes(stamps, now=now, window=policy.flapping_window)
    group.changes = [s.isoformat() for s in kept]
    was_flapping = group.flapping
    group.flapping = is_flapping(
        kept, now=now, window=policy.flapping_window, threshold=policy.flapping_changes
    )
    quiet = (group.flapping and was_flapping) or (kind == "refired" and group.slack_ts is None)
    session.add(AlertEvent(group_id=group.id, kind=kind, at=now, detail=detail, announced=quiet))
    if group.flapping and not was_flapping:
        session.add(AlertEvent(group_id=group.id, kind="flapping", at=now, detail={"changes": len(kept)}))
    return group.flapping
