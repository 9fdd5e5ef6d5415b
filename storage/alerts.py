"""Alert queries: store a batch with its group transitions, load a group for rendering, record actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.alerts import AlertStatus, Severity, is_flapping, recent_changes, worst
from bot.domain.incoming import IncomingAlert
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
class FlappingPolicy:
    changes: int
    window: timedelta


@dataclass
class GroupChange:
    """A group touched by a batch; `fired` when it started (or restarted) firing; `rollup_id` when a storm's
    roll-up lists it."""

    group_id: int
    channel: str
    severity: str
    fired: bool
    first_fired_at: datetime
    rollup_id: int | None = None


@dataclass
class _KeyActivity:
    """What a batch did to one group key; the deltas keep group counters without recounting."""

    fired: bool = False
    resolved: bool = False
    severities: set[str] = field(default_factory=set)
    earliest: datetime | None = None
    total_delta: int = 0
    firing_delta: int = 0


async def store_batch(
    session: AsyncSession,
    planned: Sequence[PlannedAlert],
    *,
    source: str,
    now: datetime,
    flapping: FlappingPolicy,
) -> list[GroupChange]:
    """Upsert the alerts and their groups in the caller's transaction; return the groups to sync."""
    latest = {p.alert.fingerprint: p for p in planned}
    existing = await _alerts_by_fingerprint(session, list(latest))
    activity: dict[str, _KeyActivity] = {}
    inserts, updates = [], []
    for fingerprint, plan in latest.items():
        previous = existing.get(fingerprint)
        row = _alert_row(plan, source=source, now=now)
        if previous is None:
            inserts.append(row)
        else:
            updates.append({"alert_id": previous[0], **{k: v for k, v in row.items() if k != "received_at"}})
        _note(
            activity.setdefault(plan.group_key, _KeyActivity()),
            plan,
            previous_status=previous and previous[1],
        )
    table = Alert.__table__  # type: ignore[attr-defined]
    if inserts:
        await session.execute(table.insert(), inserts)
    if updates:
        statement = table.update().where(table.c.id == bindparam("alert_id"))
        await session.execute(statement, updates)
    changes = []
    for plan in _group_plans(latest.values()):
        change = await _upsert_group(session, plan, activity[plan.group_key], now=now, flapping=flapping)
        changes.append(change)
    return changes


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
    }


def _note(activity: _KeyActivity, plan: PlannedAlert, *, previous_status: str | None) -> None:
    status = plan.alert.status.value
    activity.total_delta += previous_status is None
    activity.firing_delta += (status == FIRING) - (previous_status == FIRING)
    if status == FIRING:
        activity.severities.add(plan.severity)
        if previous_status != FIRING:
            activity.fired = True
            starts = plan.alert.starts_at
            activity.earliest = starts if activity.earliest is None else min(activity.earliest, starts)
    elif previous_status == FIRING:
        activity.resolved = True


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


async def _alerts_by_fingerprint(
    session: AsyncSession, fingerprints: list[str]
) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start : start + 500]
        rows = await session.execute(
            select(col(Alert.fingerprint), col(Alert.id), col(Alert.status)).where(
                col(Alert.fingerprint).in_(chunk)
            )
        )
        found.update({str(fp): (int(i or 0), str(s)) for fp, i, s in rows.all()})
    return found


async def _counts(session: AsyncSession, keys: list[str]) -> dict[str, tuple[int, int, str | None]]:
    """Per group key: (alerts, firing alerts, worst firing severity)."""
    firing = case((col(Alert.status) == FIRING, 1), else_=0)
    rank = case((col(Alert.severity) == "critical", 3), (col(Alert.severity) == "warning", 2), else_=1)
    worst = func.max(case((col(Alert.status) == FIRING, rank), else_=0))
    rows = await session.execute(
        select(col(Alert.group_key), func.count(), func.sum(firing), worst)
        .where(col(Alert.group_key).in_(keys))
        .group_by(col(Alert.group_key))
    )
    names = {3: "critical", 2: "warning", 1: "info"}
    return {str(k): (int(n), int(f or 0), names.get(int(w or 0))) for k, n, f, w in rows.all()}


async def _upsert_group(
    session: AsyncSession,
    plan: PlannedAlert,
    activity: _KeyActivity,
    *,
    now: datetime,
    flapping: FlappingPolicy,
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
        # A new group may gather alerts stored before (a new route): count them once, then go by deltas.
        total, firing, worst = (await _counts(session, [plan.group_key]))[plan.group_key]
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
        )
        session.add(group)
        fired = firing > 0
        await session.flush()
        assert group.id is not None
        session.add(AlertEvent(group_id=group.id, kind="fired" if fired else "resolved", at=now))
        group.firing_count, group.alert_count = firing, total
    else:
        firing = max(0, group.firing_count + activity.firing_delta)
        was_firing = group.status == FIRING
        fired = _transition(session, group, activity, firing=firing, now=now, flapping=flapping)
        group.firing_count, group.alert_count = firing, group.alert_count + activity.total_delta
        kept = {group.severity} if was_firing and not fired else set()
        if activity.severities:
            group.severity = worst_of(kept | activity.severities)
    assert group.id is not None
    return GroupChange(group.id, channel, group.severity, fired, group.first_fired_at, group.rollup_id)


def _transition(
    session: AsyncSession,
    group: AlertGroup,
    activity: _KeyActivity,
    *,
    firing: int,
    now: datetime,
    flapping: FlappingPolicy,
) -> bool:
    """Move an existing group between firing and resolved; note flapping. True when it (re)started firing."""
    assert group.id is not None
    kind: str | None = None
    if group.status == RESOLVED and activity.fired and firing:
        kind = "refired"
        group.status, group.first_fired_at, group.resolved_at, group.resolved_by = FIRING, now, None, None
        group.opened_at = now
        group.acked_by = group.acked_at = group.noise_by = None
        group.escalation_level = 0
    elif group.status == FIRING and firing == 0:
        kind = "resolved"
        group.status, group.resolved_at, group.resolved_by = RESOLVED, now, "source"
    elif group.status == RESOLVED and activity.resolved and firing == 0:
        session.add(AlertEvent(group_id=group.id, kind="source_resolved", at=now, announced=True))
    if kind is None:
        return False
    group.last_change_at = now
    stamps = [datetime.fromisoformat(s) for s in group.changes] + [now]
    kept = recent_changes(stamps, now=now, window=flapping.window)
    group.changes = [s.isoformat() for s in kept]
    was_flapping = group.flapping
    group.flapping = is_flapping(kept, now=now, window=flapping.window, threshold=flapping.changes)
    session.add(AlertEvent(group_id=group.id, kind=kind, at=now, announced=group.flapping and was_flapping))
    if group.flapping and not was_flapping:
        session.add(AlertEvent(group_id=group.id, kind="flapping", at=now, detail={"changes": len(kept)}))
    return kind == "refired"
