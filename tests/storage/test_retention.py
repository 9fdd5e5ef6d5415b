"""Retention deletes on SQLite and PostgreSQL: what is old and finished goes, anything still in use stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import SQLModel, col

from storage import retention
from storage.db import Database
from storage.models import Alert, AlertEpisode, AlertEvent, AlertGroup, AlertGroupEpisode, Claim, OutboxJob

NOW = datetime(2027, 3, 28, 3, 30, tzinfo=UTC)  # the clock of these tests, never the day they run
CUTOFF = NOW - timedelta(days=30)
OLD, RECENT = CUTOFF - timedelta(seconds=1), CUTOFF + timedelta(seconds=1)


async def add(db: Database, *rows: SQLModel) -> None:
    async with db.transaction() as session:
        session.add_all(rows)


async def names(db: Database, table: type[SQLModel], column: str) -> set[str]:
    async with db.sessions() as session:
        return {str(value) for value in (await session.execute(select(getattr(table, column)))).scalars()}


def job(name: str, status: str, *, done_at: datetime | None) -> OutboxJob:
    return OutboxJob(kind=name, status=status, due_at=OLD, created_at=OLD, done_at=done_at)


async def test_done_jobs_go_after_the_cutoff_while_failed_and_unfinished_ones_stay(db: Database) -> None:
    await add(
        db,
        job("old-done", "done", done_at=OLD),
        job("recent-done", "done", done_at=RECENT),
        job("old-failed", "failed", done_at=OLD),
        job("old-pending", "pending", done_at=None),
        job("old-sending", "sending", done_at=None),
    )
    assert await retention.prune_outbox(db, before=CUTOFF) == 1
    assert await names(db, OutboxJob, "kind") == {"recent-done", "old-failed", "old-pending", "old-sending"}
    assert await retention.prune_outbox(db, before=CUTOFF) == 0  # a second run finds nothing


async def test_claims_go_by_scope_and_age(db: Database) -> None:
    await add(
        db,
        Claim(scope="slack-event", key="old", claimed_at=OLD),
        Claim(scope="slack-event", key="recent", claimed_at=RECENT),
        Claim(scope="digest", key="old-digest", claimed_at=OLD),
        Claim(scope="incident-timer", key="old-timer", claimed_at=OLD),
    )
    removed = await retention.prune_claims(db, before=CUTOFF, scopes=("slack-event", "digest"))
    assert removed == 2
    assert await names(db, Claim, "key") == {"recent", "old-timer"}


async def alert_row(db: Database) -> int:
    alert = Alert(
        fingerprint="f1", source="alertmanager", alertname="DiskFull", severity="critical", status="resolved",
        group_key="k", starts_at=OLD,
    )  # fmt: skip
    await add(db, alert)
    assert alert.id is not None
    return alert.id


async def group_row(db: Database, key: str) -> int:
    group = AlertGroup(
        group_key=key, channel="ops-alerts", alertname="DiskFull", severity="critical", status="resolved",
        first_fired_at=OLD, last_change_at=OLD,
    )  # fmt: skip
    await add(db, group)
    assert group.id is not None
    return group.id


def episode(alert_id: int, name: str, *, ended_at: datetime | None) -> AlertEpisode:
    return AlertEpisode(
        alert_id=alert_id, group_key="k", alertname=name, severity="critical", started_at=OLD,
        received_at=OLD, ended_at=ended_at,
    )  # fmt: skip


async def test_ended_alert_episodes_go_and_open_ones_stay_however_old(db: Database) -> None:
    alert_id = await alert_row(db)
    await add(
        db,
        episode(alert_id, "ended-old", ended_at=OLD),
        episode(alert_id, "ended-recent", ended_at=RECENT),
        episode(alert_id, "open", ended_at=None),
    )
    assert await retention.prune_alert_episodes(db, before=CUTOFF) == 1
    assert await names(db, AlertEpisode, "alertname") == {"ended-recent", "open"}


def group_episode(group_id: int, number: int, *, ended_at: datetime | None) -> AlertGroupEpisode:
    return AlertGroupEpisode(
        group_id=group_id, number=number, group_key="k", channel="ops-alerts", alertname="DiskFull",
        severity="critical", started_at=OLD, opened_at=OLD, ended_at=ended_at,
    )  # fmt: skip


async def test_ended_group_episodes_go_except_the_one_the_group_points_at(db: Database) -> None:
    group_id, other_id = await group_row(db, "k"), await group_row(db, "k2")
    first, second, last = (group_episode(group_id, number, ended_at=OLD) for number in (1, 2, 3))
    recent, still_open = (
        group_episode(group_id, 4, ended_at=RECENT),
        group_episode(other_id, 1, ended_at=None),
    )
    await add(db, first, second, last, recent, still_open)
    async with db.transaction() as session:
        group = await session.get(AlertGroup, group_id)
        assert group is not None
        group.episode_id = last.id  # its last firing ended long ago, and it is still the group's current one
    assert await retention.prune_group_episodes(db, before=CUTOFF) == 2
    async with db.sessions() as session:
        kept = set((await session.execute(select(col(AlertGroupEpisode.id)))).scalars())
    assert kept == {last.id, recent.id, still_open.id}


async def test_announced_events_go_after_the_cutoff_and_unannounced_ones_stay(db: Database) -> None:
    group_id = await group_row(db, "k")
    await add(
        db,
        AlertEvent(group_id=group_id, kind="old-told", at=OLD, announced=True),
        AlertEvent(group_id=group_id, kind="recent-told", at=RECENT, announced=True),
        AlertEvent(group_id=group_id, kind="old-untold", at=OLD, announced=False),
    )
    assert await retention.prune_alert_events(db, before=CUTOFF) == 1
    assert await names(db, AlertEvent, "kind") == {"recent-told", "old-untold"}


async def test_a_backlog_goes_in_small_batches_past_the_rows_that_stay(db: Database) -> None:
    # every third job failed and stays, so each batch starts behind rows that are kept
    await add(db, *(job(str(i), "done" if i % 3 else "failed", done_at=OLD) for i in range(23)))
    assert await retention.prune_outbox(db, before=CUTOFF, batch=4) == 15
    assert await names(db, OutboxJob, "kind") == {str(i) for i in range(0, 23, 3)}
