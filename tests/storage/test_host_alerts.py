"""The host checks' stored alerts, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.host_alerts import FiringAlert, firing_alerts
from storage.models import Alert

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def stored(fingerprint: str, *, source: str = "host", status: str = "firing", minutes: int = 0) -> Alert:
    labels = {"alertname": "HostHighMemory", "instance": fingerprint, "job": "opsbot-host"}
    return Alert(
        fingerprint=fingerprint,
        source=source,
        alertname="HostHighMemory",
        severity="warning",
        status=status,
        group_key="HostHighMemory",
        labels=labels,
        starts_at=T0 + timedelta(minutes=minutes),
    )


async def test_only_firing_alerts_of_the_source_come_back_oldest_first(db: Database) -> None:
    async with db.transaction() as session:
        session.add(stored("web-2", minutes=5))
        session.add(stored("web-1"))
        session.add(stored("web-3", status="resolved"))
        session.add(stored("node-1", source="alertmanager"))
    found = await firing_alerts(db, source="host")
    assert [a.fingerprint for a in found] == ["web-1", "web-2"]
    assert found[0] == FiringAlert(
        "web-1", {"alertname": "HostHighMemory", "instance": "web-1", "job": "opsbot-host"}, T0
    )
    assert await firing_alerts(db, source="nobody") == []
