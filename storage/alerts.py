"""Alert queries: store a batch of alerts with their firing episodes, then move their groups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.alerts import AlertStatus, Severity
from bot.domain.episodes import STALE_ANNOTATION, EndReason
from bot.domain.incoming import IncomingAlert
from bot.domain.storms import STORM_WINDOW, groups_to_open
from bot.domain.threshold_proposals import value_of
from storage import alert_episodes as episodes
from storage.group_transitions import (
    GroupActivity,
    GroupChange,
    GroupPolicy,
    GroupSeed,
    channel_list,
    existing_groups,
    groups_created_since,
    upsert_group,
)
from storage.models import Alert

FIRING, RESOLVED = AlertStatus.FIRING.value, AlertStatus.RESOLVED.value


@dataclass(frozen=True)
class PlannedAlert:
    """An incoming alert with what the routing rules decided for it."""

    alert: IncomingAlert
    severity: str
    severity_label: str | None
    group_key: str
    channels: tuple[str, ...]
    team: str | None = None  # the owning team's handle (None: the default team)


@dataclass(frozen=True)
class StoredBatch:
    """What a stored batch did: the groups to sync, and the alerts stored without a group (by alertname)
    because their source was over its cap on new groups per minute."""

    changes: list[GroupChange]
    held: Counter[str] = field(default_factory=Counter)


GroupRef = tuple[str, str]  # (group key, channel)


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
) -> StoredBatch:
    """Upsert the source's alerts, their firing episodes and their groups in the caller's transaction;
    return the groups to sync and the alerts held back from new groups over the source's cap.

    An alert is (source, fingerprint): another source's alert with the same fingerprint is another alert."""
    latest = {p.alert.fingerprint: p for p in planned}
    existing = await _alerts_by_fingerprint(session, source, list(latest))
    activity: dict[tuple[str, str], GroupActivity] = {}
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
            _note(activity.setdefault((plan.group_key, channel), GroupActivity()), plan, previous=previous)
    table = Alert.__table__  # type: ignore[attr-defined]
    if inserts:
        # A plain executemany (pipelined by psycopg; INSERT … RETURNING of a batch is one huge statement
        # psycopg parses anew each time), then the new alerts' episodes in one INSERT … SELECT.
        await session.execute(table.insert(), inserts)
        new_firing = [row["fingerprint"] for row in inserts if row["status"] == FIRING]
        await episodes.open_first_episodes(session, source, new_firing, now=now)
        new_resolved = [row["fingerprint"] for row in inserts if row["status"] != FIRING]
        created = await _alerts_by_fingerprint(session, source, new_resolved) if new_resolved else {}
        opens += [_new_episode(latest[fp], stored.alert_id, now=now) for fp, stored in created.items()]
    if updates:
        statement = table.update().where(table.c.id == bindparam("alert_id"))
        await session.execute(statement, updates)
    await episodes.close_alert_episodes(session, ends)
    await episodes.open_alert_episodes(session, opens)
    plans = _group_plans(latest.values())
    held = await _over_the_cap(session, plans, source=source, now=now, policy=policy)
    changes = []
    for plan in plans:
        key = (plan.group_key, plan.channels[0])
        if key in held:
            continue
        seed = GroupSeed(
            source, plan.group_key, plan.channels[0], plan.alert.alertname, plan.severity,
            plan.severity_label, plan.alert.starts_at, plan.team,
        )  # fmt: skip
        changes.append(await upsert_group(session, seed, activity[key], now=now, policy=policy))
    return StoredBatch(changes, _held_names(latest.values(), held))


async def _over_the_cap(
    session: AsyncSession, plans: list[PlannedAlert], *, source: str, now: datetime, policy: GroupPolicy
) -> set[GroupRef]:
    """The new groups the batch would open beyond the source's cap for the last minute: they stay unopened."""
    wanted = {(p.group_key, p.channels[0]): Severity(p.severity) for p in plans}
    new = wanted.keys() - await existing_groups(session, set(wanted))
    if not new:
        return set()
    opened = await groups_created_since(session, source, since=now - STORM_WINDOW)
    candidates = [(key, severity) for key, severity in wanted.items() if key in new]
    allowed = groups_to_open(candidates, opened=opened, cap=policy.max_new_groups_per_minute)
    return new - set(allowed)


def _held_names(plans: Iterable[PlannedAlert], held: set[GroupRef]) -> Counter[str]:
    """The alerts (by alertname) that are left out of at least one of their groups."""
    if not held:
        return Counter()
    return Counter(
        p.alert.alertname for p in plans if any((p.group_key, channel) in held for channel in p.channels)
    )


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
        "value": _stated(plan.alert),
    }


def _stated(alert: IncomingAlert) -> float | None:
    return value_of(alert.annotations, alert.labels)


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
        "team": plan.team,
        "value": _stated(alert),
    }


def _note(activity: GroupActivity, plan: PlannedAlert, *, previous: _Stored | None) -> None:
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
        PlannedAlert(p.alert, p.severity, p.severity_label, p.group_key, (c,), p.team)
        for (_, c), p in seen.items()
    ]


async def _alerts_by_fingerprint(
    session: AsyncSession, source: str, fingerprints: list[str]
) -> dict[str, _Stored]:
    """The source's stored alerts, row-locked (PostgreSQL) so that two replicas taking the same resolve one
    after the other see it once; locked in fingerprint order, so two batches never wait on each other in a
    circle."""
    found: dict[str, _Stored] = {}
    columns = (
        col(Alert.fingerprint),
        col(Alert.id),
        col(Alert.status),
        col(Alert.starts_at),
        col(Alert.updated_at),
    )
    ordered = sorted(fingerprints)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        statement = (
            select(*columns)
            .where(col(Alert.source) == source, col(Alert.fingerprint).in_(chunk))
            .order_by(col(Alert.fingerprint))
            .with_for_update()
        )
        rows = await session.execute(statement)
        found.update({str(fp): _Stored(int(i or 0), str(s), at, seen) for fp, i, s, at, seen in rows.all()})
    return found


async def any_stored(session: AsyncSession) -> bool:
    """Whether any alert was ever stored (a database in use, as opposed to a fresh one)."""
    return (await session.execute(select(col(Alert.id)).limit(1))).first() is not None
