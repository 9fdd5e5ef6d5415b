"""Which groups join a storm's roll-up, decided in the ingest transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.domain.alerts import AlertStatus
from bot.domain.delivery import Priority
from bot.domain.incoming import IncomingAlert
from bot.domain.storms import STORM_WINDOW
from bot.services.alert_storms import hold, place
from storage import alert_rollups
from storage import alerts as store
from storage.db import Database
from storage.group_transitions import GroupPolicy
from storage.models import AlertRollup, OutboxJob

pytestmark = pytest.mark.calendar_free

T0 = datetime.now(UTC)
THRESHOLD = 3
POLICY = GroupPolicy(
    3,
    timedelta(hours=1),
    timedelta(hours=1),
    day_start=T0 - timedelta(hours=1),
    max_new_groups_per_minute=100,
)


def planned(name: str, *, severity: str = "warning", status: str = "firing") -> store.PlannedAlert:
    incoming = IncomingAlert(
        fingerprint=f"fp-{name}", status=AlertStatus(status), labels={"alertname": name}, starts_at=T0
    )
    return store.PlannedAlert(incoming, severity, severity, f"alertname={name}", ("ops-alerts",))


async def ingest(db: Database, *alerts: store.PlannedAlert, at: float) -> list[int | None]:
    """Store a batch `at` seconds after T0 and place each touched group, as ingest does."""
    now = T0 + timedelta(seconds=at)
    async with db.transaction() as session:
        stored = await store.store_batch(session, list(alerts), source="test", now=now, policy=POLICY)
        return [await place(session, change, threshold=THRESHOLD, now=now) for change in stored.changes]


async def test_groups_past_the_threshold_in_a_minute_join_one_rollup(db: Database) -> None:
    placed = [(await ingest(db, planned(f"G{i}"), at=i))[0] for i in range(6)]
    assert placed[:3] == [None, None, None]
    assert placed[3] is not None and placed[3:] == [placed[3]] * 3


async def test_a_storm_in_one_write_is_rolled_up_whole_but_its_critical_group(db: Database) -> None:
    placed = await ingest(
        db, *[planned(f"G{i}") for i in range(5)], planned("Page", severity="critical"), at=0
    )
    assert placed[-1] is None
    assert len(set(placed[:-1])) == 1 and placed[0] is not None


async def test_the_storm_stays_open_while_groups_keep_coming_then_a_quiet_minute_ends_it(
    db: Database,
) -> None:
    first = (await ingest(db, *[planned(f"G{i}") for i in range(4)], at=0))[0]
    assert first is not None
    assert await ingest(db, planned("Slow1"), at=50) == [first]  # 1 new group in its minute, storm open
    assert await ingest(db, planned("Slow2"), at=100) == [first]
    assert await ingest(db, planned("After"), at=161) == [None]  # a minute without a new group: over
    again = await ingest(db, *[planned(f"H{i}") for i in range(4)], at=300)
    assert again[0] is not None and again[0] != first


async def test_listed_groups_stay_listed_as_they_change_and_leave_when_they_turn_critical(
    db: Database,
) -> None:
    rollup = (await ingest(db, *[planned(f"G{i}") for i in range(4)], at=0))[0]
    assert await ingest(db, planned("G0", status="resolved"), at=5) == [rollup]
    second = IncomingAlert(
        fingerprint="fp-G1b", status=AlertStatus.FIRING, labels={"alertname": "G1"}, starts_at=T0
    )
    worse = store.PlannedAlert(second, "critical", "critical", "alertname=G1", ("ops-alerts",))
    assert await ingest(db, worse, at=6) == [None]  # its own message (with buttons) from now on
    async with db.sessions() as session:
        assert rollup is not None
        snapshot = await alert_rollups.load_rollup(session, rollup, limit=10)
        jobs = (await session.execute(select(col(OutboxJob.dedupe_key)))).scalars().all()
    assert snapshot is not None
    assert [g.alertname for g in snapshot.groups] == ["G2", "G3", "G0"]  # firing first, resolved last
    assert (snapshot.total, snapshot.firing) == (3, 2)
    assert f"rollup:{rollup}" in jobs  # the roll-up drops G1 in its next update


async def overflows(db: Database) -> list[tuple[str | None, dict[str, int]]]:
    async with db.sessions() as session:
        rows = await session.execute(select(AlertRollup).order_by(col(AlertRollup.id)))
        return [(r.source, dict(r.held)) for r in rows.scalars()]


async def test_a_sources_overflow_is_one_rollup_per_window_queued_as_a_page(db: Database) -> None:
    async with db.transaction() as session:
        await hold(session, "alertmanager", {"Flood": 5}, channel="critical-alerts", now=T0)
    async with db.transaction() as session:
        later = T0 + timedelta(seconds=50)
        await hold(session, "alertmanager", {"Flood": 2, "Other": 1}, channel="critical-alerts", now=later)
    assert await overflows(db) == [("alertmanager", {"Flood": 7, "Other": 1})]
    async with db.transaction() as session:  # a quiet minute later: a new overflow, and a storm is its own
        await hold(
            session, "alertmanager", {"Flood": 1}, channel="critical-alerts", now=later + STORM_WINDOW * 2
        )
    placed = await ingest(db, *[planned(f"S{i}") for i in range(THRESHOLD + 1)], at=200)
    assert placed[-1] is not None
    assert await overflows(db) == [
        ("alertmanager", {"Flood": 7, "Other": 1}),
        ("alertmanager", {"Flood": 1}),
        (None, {}),
    ]
    async with db.sessions() as session:
        jobs = (
            await session.execute(select(OutboxJob).where(col(OutboxJob.kind) == "alert_rollup.sync"))
        ).scalars()
        priorities = sorted(job.priority for job in jobs)
    assert priorities[:2] == [Priority.PAGE, Priority.PAGE]
