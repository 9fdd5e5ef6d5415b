"""Alert group queries: load a group for its message, record what happens to it, lock it to change it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.group_transitions import in_channel
from storage.models import Alert, AlertEvent, AlertGroup, AlertGroupEpisode

FIRING = "firing"


@dataclass(frozen=True)
class GroupSnapshot:
    """What rendering a group's message needs: the group, a sample of its alerts, unannounced events."""

    group: AlertGroup
    alerts: list[Alert]
    events: list[AlertEvent]
    episode: AlertGroupEpisode | None = None


async def load_group(session: AsyncSession, group_id: int, *, sample: int = 10) -> GroupSnapshot | None:
    """Load a group with its firing alerts first (at most `sample`) and its unannounced events."""
    group = await session.get(AlertGroup, group_id)
    if group is None:
        return None
    order = case((col(Alert.status) == FIRING, 0), else_=1)
    alerts = (
        await session.execute(
            select(Alert)
            .where(col(Alert.group_key) == group.group_key, in_channel(group.channel))
            .order_by(order, col(Alert.starts_at))
            .limit(sample)
        )
    ).scalars()
    events = (
        await session.execute(
            select(AlertEvent)
            .where(col(AlertEvent.group_id) == group_id, col(AlertEvent.announced).is_(False))
            .order_by(col(AlertEvent.id))
        )
    ).scalars()
    episode = await session.get(AlertGroupEpisode, group.episode_id) if group.episode_id else None
    return GroupSnapshot(group, list(alerts), list(events), episode)


async def mark_announced(session: AsyncSession, event_ids: Sequence[int]) -> None:
    if event_ids:
        await session.execute(
            update(AlertEvent).where(col(AlertEvent.id).in_(event_ids)).values(announced=True)
        )


async def add_event(
    session: AsyncSession,
    group_id: int,
    kind: str,
    *,
    now: datetime,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
    announced: bool = False,
) -> None:
    session.add(
        AlertEvent(
            group_id=group_id, kind=kind, actor=actor, detail=detail or {}, at=now, announced=announced
        )
    )


async def record_post_attempt(session: AsyncSession, group_id: int, *, at: datetime) -> None:
    """Note, before the group's first post is sent, that it may be out there from now on."""
    await session.execute(
        update(AlertGroup).where(col(AlertGroup.id) == group_id).values(post_attempted_at=at)
    )


async def record_episode_posted(session: AsyncSession, episode_id: int, *, at: datetime) -> bool:
    """Note when the episode's message was first posted (or tried): its escalation counts from here.
    True when this call set it."""
    done = await session.execute(
        update(AlertGroupEpisode)
        .where(col(AlertGroupEpisode.id) == episode_id, col(AlertGroupEpisode.posted_at).is_(None))
        .values(posted_at=at)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def has_message(group: AlertGroup) -> bool:
    """Whether the group has a Slack message (or may have: an answer was lost), or a roll-up lists it."""
    return group.slack_ts is not None or group.post_attempted_at is not None or group.rollup_id is not None


async def get_group(session: AsyncSession, group_id: int) -> AlertGroup | None:
    """The group as this transaction holds it (no query when it loaded the row already)."""
    return await session.get(AlertGroup, group_id)


async def id_in_channel(session: AsyncSession, *, group_key: str, channel: str) -> int | None:
    """The id of the group with this key in this channel (None: not stored yet)."""
    statement = select(col(AlertGroup.id)).where(
        col(AlertGroup.group_key) == group_key, col(AlertGroup.channel) == channel
    )
    found: int | None = (await session.execute(statement.limit(1))).scalar()
    return found


async def lock_group(session: AsyncSession, group_id: int) -> AlertGroup | None:
    """Load a group for changing it (row-locked on PostgreSQL)."""
    return (
        await session.execute(select(AlertGroup).where(col(AlertGroup.id) == group_id).with_for_update())
    ).scalar_one_or_none()


async def lock_by_pagerduty_key(session: AsyncSession, key: str) -> AlertGroup | None:
    """The group whose PagerDuty incidents carry this dedup_key, for changing it (locked on PostgreSQL)."""
    statement = select(AlertGroup).where(col(AlertGroup.pagerduty_key) == key).with_for_update()
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


async def unacknowledged_critical(session: AsyncSession, *, limit: int = 20) -> list[AlertGroup]:
    """Firing critical groups nobody acknowledged yet (App Home, digests)."""
    rows = await session.execute(
        select(AlertGroup)
        .where(col(AlertGroup.status) == FIRING, col(AlertGroup.acked_at).is_(None))
        .order_by(col(AlertGroup.first_fired_at).desc())
        .limit(limit)
    )
    return list(rows.scalars())
