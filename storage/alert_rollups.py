"""Storm roll-up queries: count a channel's new groups, find or open its storm, count a source's overflow,
load a roll-up to render."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.models import AlertEvent, AlertGroup, AlertRollup

FIRING = "firing"


@dataclass(frozen=True)
class RollupSnapshot:
    """What rendering a roll-up needs: the record, its first groups (firing and worst first), and totals."""

    rollup: AlertRollup
    groups: list[AlertGroup]
    total: int
    firing: int


async def groups_opened_since(session: AsyncSession, channel: str, *, since: datetime) -> int:
    """How many groups started firing in `channel` since `since` (this transaction's own included)."""
    count = await session.scalar(
        select(func.count())
        .select_from(AlertGroup)
        .where(col(AlertGroup.channel) == channel, col(AlertGroup.opened_at) >= since)
    )
    return int(count or 0)


async def open_rollup(session: AsyncSession, channel: str, *, since: datetime) -> AlertRollup | None:
    """The channel's storm still open (a group joined it since `since`), locked to join it."""
    return (
        await session.execute(
            select(AlertRollup)
            .where(
                col(AlertRollup.channel) == channel,
                col(AlertRollup.source).is_(None),
                col(AlertRollup.last_joined_at) >= since,
            )
            .order_by(col(AlertRollup.id).desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def start_rollup(session: AsyncSession, channel: str, *, now: datetime) -> AlertRollup:
    """Open a new storm in `channel`."""
    rollup = AlertRollup(channel=channel, opened_at=now, last_joined_at=now)
    session.add(rollup)
    await session.flush()
    return rollup


async def hold_in_overflow(
    session: AsyncSession,
    source: str,
    held: Mapping[str, int],
    *,
    channel: str,
    now: datetime,
    since: datetime,
) -> AlertRollup:
    """Count alerts held back from new groups in the source's open overflow (joined since `since`), or in a
    new one in `channel`."""
    overflow = (
        await session.execute(
            select(AlertRollup)
            .where(col(AlertRollup.source) == source, col(AlertRollup.last_joined_at) >= since)
            .order_by(col(AlertRollup.id).desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if overflow is None:
        overflow = AlertRollup(channel=channel, source=source, opened_at=now, last_joined_at=now)
        session.add(overflow)
    counts = Counter(overflow.held)
    counts.update(held)
    overflow.held = dict(counts)  # a new dict: the JSON column notices only assignment
    overflow.last_joined_at = max(overflow.last_joined_at, now)
    await session.flush()
    return overflow


async def place_group(
    session: AsyncSession, group_id: int, *, rollup: AlertRollup | None, now: datetime
) -> None:
    """List the group in `rollup` (which stays open a while longer), or take it out of any (None)."""
    if rollup is not None:
        rollup.last_joined_at = max(rollup.last_joined_at, now)
    rollup_id = rollup.id if rollup is not None else None
    await session.execute(
        update(AlertGroup).where(col(AlertGroup.id) == group_id).values(rollup_id=rollup_id)
    )


async def load_rollup(session: AsyncSession, rollup_id: int, *, limit: int) -> RollupSnapshot | None:
    """Load a roll-up with at most `limit` of its groups: firing before resolved, worst severity first."""
    rollup = await session.get(AlertRollup, rollup_id)
    if rollup is None:
        return None
    member = col(AlertGroup.rollup_id) == rollup_id
    firing = col(AlertGroup.status) == FIRING
    rank = case(
        (col(AlertGroup.severity) == "critical", 0), (col(AlertGroup.severity) == "warning", 1), else_=2
    )
    groups = (
        await session.execute(
            select(AlertGroup)
            .where(member)
            .order_by(case((firing, 0), else_=1), rank, col(AlertGroup.alertname), col(AlertGroup.id))
            .limit(limit)
        )
    ).scalars()
    total, firing_count = (
        await session.execute(select(func.count(), func.sum(case((firing, 1), else_=0))).where(member))
    ).one()
    return RollupSnapshot(rollup, list(groups), int(total or 0), int(firing_count or 0))


async def record_post_attempt(db: Database, rollup_id: int, *, at: datetime) -> None:
    """Note, before the roll-up's first post is sent, that it may be out there from now on."""
    async with db.transaction() as session:
        await session.execute(
            update(AlertRollup).where(col(AlertRollup.id) == rollup_id).values(post_attempted_at=at)
        )


async def save_message(session: AsyncSession, rollup_id: int, *, channel_id: str, ts: str) -> None:
    """Keep the roll-up's message, and count its groups' news as told (the roll-up shows their state), so a
    group posted on its own later does not replay the storm in its thread."""
    await session.execute(
        update(AlertRollup)
        .where(col(AlertRollup.id) == rollup_id)
        .values(slack_channel_id=channel_id, slack_ts=ts)
    )
    members = select(col(AlertGroup.id)).where(col(AlertGroup.rollup_id) == rollup_id)
    await session.execute(
        update(AlertGroup)
        .where(col(AlertGroup.rollup_id) == rollup_id)
        .values(announced_firing=AlertGroup.firing_count)
    )
    await session.execute(
        update(AlertEvent)
        .where(col(AlertEvent.group_id).in_(members.scalar_subquery()), col(AlertEvent.announced).is_(False))
        .values(announced=True)
    )
