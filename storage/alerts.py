"""Alert queries: store a batch with its group transitions, load a group for rendering, record actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.alerts import AlertStatus, Severity, is_flapping, recent_changes, worst
from bot.domain.episodes import STALE_ANNOTATION, EndReason, ordinal, reuses_message
from bot.domain.incoming import IncomingAlert
from storage import alert_episodes as episodes
from storage.models import Alert, AlertEvent, AlertGroup

FIRING, RESOLVED = AlertStatus.FIRING.value, AlertStatus.RESOLVED.value


def worst_of(severities: set[str]) -> str:
    """The most severe of stored severity names."""
    return worst(Severity(s) for s in severities).value


@dataclass(frozen=True)
class PlannedAlert:
    """An incoming alert with what the routing rules decided for it."""

    alert: IncomingAlert
    severity: str
    severity_label: str | None
    group_key: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class GroupPolicy:
    """How a batch moves groups: flapping, and where a re-fire is told (`day_start` counts "today")."""

    flapping_changes: int
    flapping_window: timedelta
    refire_window: timedelta
    day_start: datetime


@dataclass
class GroupChange:
    """A group touched by a batch; `fired` when a new firing episode began, `reopened` when a by-hand resolve
    was undone by its source; `rollup_id` when a storm's roll-up lists it."""

    group_id: int
    channel: str
    severity: str
    fired: bool
    first_fired_at: datetime
    rollup_id: int | None = None
    episode_id: int | None = None
    reopened: bool = False
    flapping: bool = False


@dataclass
class _KeyActivity:
    """What a batch did to one group (key and channel); the deltas keep group counters without recounting."""

    fired: bool = False
    reported_firing: bool = False
    resolved: bool = False
    stale: bool = True  # every resolve in the batch said its source stopped reporting
    severities: set[str] = field(default_factory=set)
    earliest: datetime | None = None
    total_delta: int = 0
    firing_delta: int = 0


@dataclass(frozen=True)
class _Stored:
    alert_id: int
    status: str
    starts_at: datetime
    updated_at: datetime


async def store_batch(
    session: AsyncSession,
    planned: Sequence[PlannedAlert],
    *,
    source: str,
    now: datetime,
    policy: GroupPolicy,
) -> list[GroupChange]:
    """Upsert the alerts, their firing episodes and their groups in the caller's transaction; return the
    groups to sync."""
    latest = {p.alert.fingerprint: p for p in planned}
    existing = await _alerts_by_fingerprint(session, list(latest))
    activity: dict[tuple[str, str], _KeyActivity] = {}
    inserts, updates, opens, ends = [], [], [], []
    for fingerprint, plan in latest.items():
        previous = existing.get(fingerprint)
        row = _alert_row(plan, source=source, now=now)
        if previous is None:
            inserts.append(row)
        else:
            updates.append(
                {"alert_id": previous.alert_id, **{k: v for k, v in row.items() if k != "received_at"}}
            )
            opened, ended = _episode_moves(plan, previous, now=now)
            opens += opened
            ends += ended
        for channel in plan.channels:
            _note(activity.setdefault((plan.group_key, channel), _KeyActivity()), plan, previous=previous)
    table = Alert.__table__  # type: ignore[attr-defined]
    if inserts:
        found = await session.execute(table.insert().returning(table.c.id, table.c.fingerprint), inserts)
        for alert_id, fingerprint in found.all():
            opens.append(_new_episode(latest[fingerprint], int(alert_id), now=now))
    if updates:
        statement = table.update().where(table.c.id == bindparam("alert_id"))
        await session.execute(statement, updates)
    await episodes.close_alert_episodes(session, ends)
    await episodes.open_alert_episodes(session, opens)
    changes = []
    for plan in _group_plans(latest.values()):
        key = (plan.group_key, plan.channels[0])
        changes.append(await _upsert_group(session, plan, activity[key], now=now, policy=policy))
    return changes


def _new_episode(plan: PlannedAlert, alert_id: int, *, now: datetime) -> dict[str, Any]:
    """The first episode of an alert opsbot has not seen before (over already when it arrives resolved)."""
    row = _episode_start(plan, alert_id, now=now)
    if plan.alert.status == AlertStatus.RESOLVED:
        row["ended_at"] = _ended_at(plan.alert, row["started_at"], now=now)
        row["end_reason"] = _end_reason(plan.alert).value
    return row


def _episode_start(plan: PlannedAlert, alert_id: int, *, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "group_key": plan.group_key[:512],
        "alertname": plan.alert.alertname[:255],
        "severity": plan.severity,
        "started_at": min(plan.alert.starts_at, now),
        "received_at": now,
    }


def _episode_moves(
    plan: PlannedAlert, previous: _Stored, *, now: datetime
) -> tuple[list[dict[str, Any]], list[episodes.EpisodeEnd]]:
    """The episodes an update of a known alert opens and ends.

    A firing alert whose start moved past the last report fired again after a resolve opsbot never heard:
    its old episode ends where the new one starts."""
    alert, was_firing = plan.alert, previous.status == FIRING
    if alert.status == AlertStatus.RESOLVED:
        if not was_firing:
            return [], []
        ended = _ended_at(alert, previous.starts_at, now=now)
        return [], [episodes.EpisodeEnd(previous.alert_id, ended, _end_reason(alert))]
    if not was_firing:
        return [_episode_start(plan, previous.alert_id, now=now)], []
    restarted = alert.starts_at > previous.updated_at and alert.starts_at > previous.starts_at
    if not restarted:
        return [], []
    missed = episodes.EpisodeEnd(previous.alert_id, min(alert.starts_at, now), EndReason.RESOLVED)
    return [_episode_start(plan, previous.alert_id, now=now)], [missed]


def _ended_at(alert: IncomingAlert, started_at: datetime, *, now: datetime) -> datetime:
    """When a resolved alert stopped firing: its endsAt, kept between its start and now."""
    return max(started_at, min(alert.ends_at or now, now))


def _end_reason(alert: IncomingAlert) -> EndReason:
    return EndReason.EXPIRED if alert.annotations.get(STALE_ANNOTATION) else EndReason.RESOLVED


def _alert_row(plan: PlannedAlert, *, source: str, now: datetime) -> dict[str, Any]:
    alert = plan.alert
    return {
        "fingerprint": alert.fingerprint,
        "source": source,
        "alertname": alert.alertname[:255],
        "severity": plan.severity,
        "status": alert.status.value,
        "group_key": plan.group_key[:512],
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "generator_url": (alert.generator_url or "")[:2000] or None,
        "received_at": now,
        "updated_at": now,
        "channels": channel_list(plan.channels),
    }


def channel_list(channels: Sequence[str]) -> str:
    """An alert's channels as stored: `,a,b,`, so a group's membership is one LIKE on `,name,`."""
    return "," + ",".join(channels) + ","


def in_channel(channel: str) -> ColumnElement[bool]:
    """The alerts routed to `channel` (LIKE with `_` and `%` escaped: Slack names may hold `_`)."""
    return col(Alert.channels).contains(f",{channel},", autoescape=True)


def _note(activity: _KeyActivity, plan: PlannedAlert, *, previous: _Stored | None) -> None:
    status = plan.alert.status.value
    previous_status = previous.status if previous else None
    activity.total_delta += previous is None
    activity.firing_delta += (status == FIRING) - (previous_status == FIRING)
    if status == FIRING:
        activity.reported_firing = True
        activity.severities.add(plan.severity)
        if previous_status != FIRING:
            activity.fired = True
            starts = plan.alert.starts_at
            activity.earliest = starts if activity.earliest is None else min(activity.earliest, starts)
    elif previous_status == FIRING:
        activity.resolved = True
        activity.stale = activity.stale and _end_reason(plan.alert) == EndReason.EXPIRED


def _group_plans(plans: Any) -> list[PlannedAlert]:
    """One representative plan per (group key, channel), so each group is upserted once."""
    seen: dict[tuple[str, str], PlannedAlert] = {}
    for plan in plans:
        for channel in plan.channels:
            key = (plan.group_key, channel)
            if key not in seen or plan.alert.status == AlertStatus.FIRING:
                seen[key] = plan
    return [
        PlannedAlert(p.alert, p.severity, p.severity_label, p.group_key, (c,)) for (_, c), p in seen.items()
    ]


async def _alerts_by_fingerprint(session: AsyncSession, fingerprints: list[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    columns = (
        col(Alert.fingerprint),
        col(Alert.id),
        col(Alert.status),
        col(Alert.starts_at),
        col(Alert.updated_at),
    )
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start : start + 500]
        rows = await session.execute(select(*columns).where(col(Alert.fingerprint).in_(chunk)))
        found.update({str(fp): _Stored(int(i or 0), str(s), at, seen) for fp, i, s, at, seen in rows.all()})
    return found


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


async def _upsert_group(
    session: AsyncSession, plan: PlannedAlert, activity: _KeyActivity, *, now: datetime, policy: GroupPolicy
) -> GroupChange:
    channel = plan.channels[0]
    group = (
        await session.execute(
            select(AlertGroup)
            .where(col(AlertGroup.group_key) == plan.group_key, col(AlertGroup.channel) == channel)
            .with_for_update()
        )
    ).scalar_one_or_none()
    started = activity.earliest or plan.alert.starts_at
    if group is None:
        return await _new_group(session, plan, started=started, now=now)
    firing = max(0, group.firing_count + activity.firing_delta)
    was_firing = group.status == FIRING
    change = await _transition(
        session, group, activity, firing=firing, started=started, now=now, policy=policy
    )
    group.firing_count, group.alert_count = firing, group.alert_count + activity.total_delta
    kept = {group.severity} if was_firing and not change.fired else set()
    if activity.severities:
        group.severity = worst_of(kept | activity.severities)
    change.severity = group.severity
    return change


async def _new_group(
    session: AsyncSession, plan: PlannedAlert, *, started: datetime, now: datetime
) -> GroupChange:
    """A new group may gather alerts stored before (a new route): count them once, then go by deltas."""
    channel = plan.channels[0]
    total, firing, worst = await _counts(session, plan.group_key, channel)
    group = AlertGroup(
        group_key=plan.group_key,
        channel=channel,
        alertname=plan.alert.alertname[:255],
        severity=worst or plan.severity,
        severity_label=plan.severity_label,
        status=FIRING if firing else RESOLVED,
        first_fired_at=min(started, now),
        last_change_at=now,
        resolved_at=None if firing else now,
        changes=[now.isoformat()],
        opened_at=now if firing else None,
        firing_count=firing,
        alert_count=total,
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
    )


async def _transition(
    session: AsyncSession,
    group: AlertGroup,
    activity: _KeyActivity,
    *,
    firing: int,
    started: datetime,
    now: datetime,
    policy: GroupPolicy,
) -> GroupChange:
    """Move an existing group between firing and resolved, with its episodes; note flapping."""
    assert group.id is not None
    change = GroupChange(
        group.id, group.channel, group.severity, False, group.first_fired_at, group.rollup_id
    )
    kind: str | None = None
    detail: dict[str, Any] = {}
    if group.status == RESOLVED and firing and group.firing_count == 0 and activity.fired:
        kind = "refired"
        nth = await _refire(session, group, started=started, now=now, policy=policy)
        detail = {"nth": ordinal(nth), "new_message": group.slack_ts is None}
        change.fired = True
    elif group.status == RESOLVED and firing and activity.reported_firing:
        # resolved by hand while its alerts still fired, and the source still reports them firing
        await _reopen(session, group, now=now)
        change.reopened = True
    elif group.status == FIRING and firing == 0:
        kind = "resolved"
        group.status, group.resolved_at, group.resolved_by = RESOLVED, now, "source"
        reason = EndReason.EXPIRED if activity.stale else EndReason.RESOLVED
        episodes.end(await episodes.current_episode(session, group), at=now, reason=reason)
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
    episodes.reopen(await episodes.current_episode(session, group))
    session.add(
        AlertEvent(
            group_id=group.id, kind="reopened", at=now, detail={"who": f"<@{who}>" if who else "someone"}
        )
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
