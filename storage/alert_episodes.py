"""Episode queries: open and close the firing periods of alerts and groups; they are never overwritten."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.episodes import EndReason
from storage.models import Alert, AlertEpisode, AlertGroup, AlertGroupEpisode
from storage.types import UTCDateTime


@dataclass(frozen=True)
class EpisodeEnd:
    """An alert's firing period ends: when, and how."""

    alert_id: int
    ended_at: datetime
    reason: EndReason


async def open_alert_episodes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert firing periods (rows with alert_id, group_key, alertname, severity, started_at, received_at,
    and ended_at / end_reason for one that is over already)."""
    if rows:
        await session.execute(AlertEpisode.__table__.insert(), [_episode_row(r) for r in rows])  # type: ignore[attr-defined]


def _episode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"ended_at": None, "end_reason": None, "value": None, **row}


async def open_first_episodes(
    session: AsyncSession, source: str, fingerprints: Sequence[str], *, now: datetime
) -> None:
    """Start the first firing period of the source's alerts just stored, in the database (no ids travel back
    and forth)."""
    at = literal(now, UTCDateTime())
    started = case((col(Alert.starts_at) < at, col(Alert.starts_at)), else_=at)
    columns = ["alert_id", "group_key", "alertname", "severity", "started_at", "received_at", "value"]
    for start in range(0, len(fingerprints), 500):
        batch = fingerprints[start : start + 500]
        chosen = select(
            col(Alert.id), col(Alert.group_key), col(Alert.alertname), col(Alert.severity), started, at,
            col(Alert.value),
        ).where(col(Alert.source) == source, col(Alert.fingerprint).in_(batch))  # fmt: skip
        await session.execute(insert(AlertEpisode).from_select(columns, chosen))


async def close_alert_episodes(session: AsyncSession, ends: Sequence[EpisodeEnd]) -> None:
    """End each alert's open firing period (one UPDATE for the batch)."""
    if not ends:
        return
    table = AlertEpisode.__table__  # type: ignore[attr-defined]
    statement = (
        table.update()
        .where(table.c.alert_id == bindparam("the_alert"), table.c.ended_at.is_(None))
        .values(ended_at=bindparam("the_end"), end_reason=bindparam("the_reason"))
    )
    await session.execute(
        statement,
        [{"the_alert": e.alert_id, "the_end": e.ended_at, "the_reason": e.reason.value} for e in ends],
    )


async def open_group_episode(
    session: AsyncSession, group: AlertGroup, *, started_at: datetime, now: datetime, follows_ts: str | None
) -> AlertGroupEpisode:
    """Start the group's next firing period and point the group at it."""
    assert group.id is not None
    previous = await lock_episode(session, group.episode_id)
    episode = AlertGroupEpisode(
        group_id=group.id,
        number=(previous.number + 1) if previous else 1,
        group_key=group.group_key,
        channel=group.channel,
        alertname=group.alertname,
        severity=group.severity,
        started_at=min(started_at, now),
        opened_at=now,
        follows_ts=follows_ts,
    )
    session.add(episode)
    await session.flush()
    group.episode_id = episode.id
    return episode


async def lock_episode(session: AsyncSession, episode_id: int | None) -> AlertGroupEpisode | None:
    """Load a group's firing period for changing it (row-locked on PostgreSQL)."""
    if episode_id is None:
        return None
    return await session.get(AlertGroupEpisode, episode_id, with_for_update=True)


async def episodes_opened_since(session: AsyncSession, group_id: int, *, since: datetime) -> int:
    """How many firing periods of the group began at or after `since` (e.g. local midnight)."""
    found = await session.execute(
        select(func.count()).where(
            col(AlertGroupEpisode.group_id) == group_id, col(AlertGroupEpisode.opened_at) >= since
        )
    )
    return int(found.scalar_one())


def end(episode: AlertGroupEpisode | None, *, at: datetime, reason: EndReason, by: str | None = None) -> None:
    """End a group's firing period (no-op when it has ended already)."""
    if episode is not None and episode.ended_at is None:
        episode.ended_at, episode.end_reason, episode.ended_by = at, reason.value, by


def reopen(episode: AlertGroupEpisode | None) -> None:
    """Undo a by-hand end: the source says it is still firing."""
    if episode is not None:
        episode.ended_at = episode.end_reason = episode.ended_by = None


def mark_reviewed(episode: AlertGroupEpisode | None, *, at: datetime, by: str) -> None:
    """Record the first person to act on a firing while it fires (acknowledge, resolve, snooze, mark as
    noise): its review. Later actions, or a by-hand resolve undone by its source, leave it as it was; a
    look at one that had already ended is no review of it."""
    if episode is not None and episode.reviewed_at is None and episode.ended_at is None:
        episode.reviewed_at, episode.reviewed_by = at, by


def unattended(group: AlertGroup, episode: AlertGroupEpisode, *, now: datetime) -> bool:
    """True while the episode is the group's current firing and nobody acknowledged or snoozed it: it
    still wants paging (escalation steps, SMS pages)."""
    snoozed = group.snoozed_until is not None and group.snoozed_until > now
    current = group.episode_id == episode.id and episode.ended_at is None
    return group.status == "firing" and current and episode.acked_at is None and not snoozed
