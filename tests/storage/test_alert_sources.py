"""An alert is (source, fingerprint), and each source opens at most its cap of new groups a minute; the rest
are stored and counted, never dropped (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.domain.alerts import AlertStatus
from bot.domain.incoming import IncomingAlert
from storage import alerts as store
from storage.db import Database
from storage.group_transitions import GroupPolicy
from storage.models import Alert, AlertGroup

pytestmark = pytest.mark.calendar_free

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a fixed instant: storage reads no clock
CAP = 3
POLICY = GroupPolicy(
    3,
    timedelta(hours=1),
    timedelta(hours=1),
    day_start=T0 - timedelta(hours=1),
    max_new_groups_per_minute=CAP,
)


def planned(
    name: str, *, status: str = "firing", fingerprint: str | None = None, job: str = "api"
) -> store.PlannedAlert:
    incoming = IncomingAlert(
        fingerprint=fingerprint or f"fp-{name}-{job}",
        status=AlertStatus(status),
        labels={"alertname": name, "job": job},
        starts_at=T0,
    )
    return store.PlannedAlert(
        incoming, "critical", "critical", f"alertname={name},job={job}", ("critical-alerts",)
    )


async def store_as(
    db: Database, source: str, *alerts: store.PlannedAlert, at: float = 0
) -> store.StoredBatch:
    async with db.transaction() as session:
        now = T0 + timedelta(seconds=at)
        return await store.store_batch(session, list(alerts), source=source, now=now, policy=POLICY)


async def statuses(db: Database) -> dict[tuple[str, str], str]:
    async with db.sessions() as session:
        rows = await session.execute(select(Alert.source, Alert.fingerprint, Alert.status))
        return {(source, fp): status for source, fp, status in rows.all()}


async def group_status(db: Database) -> tuple[str, int]:
    async with db.sessions() as session:
        group = (await session.execute(select(AlertGroup))).scalar_one()
        return group.status, group.firing_count


async def test_one_source_cannot_resolve_another_sources_alert_with_its_fingerprint(db: Database) -> None:
    await store_as(db, "host", planned("DiskFull", fingerprint="same"))
    await store_as(db, "alertmanager", planned("DiskFull", fingerprint="same", status="resolved"), at=1)
    assert await statuses(db) == {("host", "same"): "firing", ("alertmanager", "same"): "resolved"}
    assert await group_status(db) == ("firing", 1)


async def test_and_the_other_way_round(db: Database) -> None:
    await store_as(db, "alertmanager", planned("DiskFull", fingerprint="same"))
    await store_as(db, "host", planned("DiskFull", fingerprint="same", status="resolved"), at=1)
    assert await statuses(db) == {("alertmanager", "same"): "firing", ("host", "same"): "resolved"}
    assert await group_status(db) == ("firing", 1)
    await store_as(db, "alertmanager", planned("DiskFull", fingerprint="same", status="resolved"), at=2)
    assert await group_status(db) == ("resolved", 0)  # its own source still resolves it


async def count(db: Database, model: type[Alert] | type[AlertGroup]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_past_the_cap_alerts_are_stored_without_groups_and_counted_by_name(db: Database) -> None:
    batch = [planned("Flood", job=f"j{i}") for i in range(5)] + [planned("Other", job="x")]
    stored = await store_as(db, "alertmanager", *batch)
    assert len(stored.changes) == CAP
    assert stored.held == {"Flood": 2, "Other": 1}
    assert await count(db, Alert) == 6 and await count(db, AlertGroup) == CAP

    again = await store_as(db, "alertmanager", planned("Late", job="y"), at=30)  # same minute: still full
    assert again.held == {"Late": 1} and not again.changes
    other_source = await store_as(db, "host", planned("HostDown", job="z"), at=30)  # a cap of its own
    assert len(other_source.changes) == 1 and not other_source.held


async def test_a_held_group_opens_with_its_stored_alerts_when_the_source_reports_it_after_the_minute(
    db: Database,
) -> None:
    await store_as(db, "alertmanager", *[planned("Flood", job=f"j{i}") for i in range(CAP + 1)])
    later = await store_as(db, "alertmanager", planned("Flood", job=f"j{CAP}"), at=61)
    (change,) = later.changes
    assert not later.held and change.fired
    async with db.sessions() as session:
        group = await session.get(AlertGroup, change.group_id)
    assert group is not None and (group.firing_count, group.alert_count) == (1, 1)
