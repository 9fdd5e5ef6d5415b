"""Seed alert / group / event / incident / host-sample history quickly (bulk inserts) for digests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, inspect

from storage.db import sync_url
from storage.host_samples import HostSample
from storage.models import Alert, AlertEvent, AlertGroup

NAMES = [f"Rule{i:02d}" for i in range(40)]
TEAMS = ("payments", "search", "platform")
CHUNK = 20_000


@dataclass(frozen=True)
class History:
    alerts: int
    groups: int
    incidents: int
    start: datetime
    end: datetime


def _severity(rng: random.Random) -> str:
    roll = rng.random()
    return "critical" if roll < 0.1 else "warning" if roll < 0.6 else "info"


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_history(
    url: str,
    *,
    alerts: int,
    groups: int = 200,
    incidents: int = 0,
    samples: int = 0,
    end: datetime,
    days: int = 365,
    seed: int = 7,
) -> History:
    """Insert `alerts` alerts over `days` days before `end`, spread over `groups` groups (and events)."""
    rng = random.Random(seed)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    engine = create_engine(sync_url(url))
    group_rows = []
    for g in range(groups):
        name, severity = NAMES[g % len(NAMES)], _severity(rng)
        fired = start + timedelta(seconds=rng.random() * span)
        acked = fired + timedelta(minutes=rng.uniform(1, 30)) if rng.random() < 0.6 else None
        group_rows.append(
            {
                "group_key": f"alertname={name},service=svc{g}",
                "channel": {"critical": "critical-alerts", "warning": "ops-alerts"}.get(severity, "ops-info"),
                "alertname": name,
                "severity": severity,
                "status": "resolved",
                "firing_count": 0,
                "alert_count": 0,
                "first_fired_at": fired,
                "last_change_at": fired,
                "resolved_at": fired + timedelta(minutes=rng.uniform(2, 240)),
                "acked_at": acked,
                "acked_by": "U0ALICE" if acked else None,
                "noise_by": "U0BOB" if g % 7 == 0 else None,
                "flapping": False,
                "changes": [],
                "escalation_level": 0,
                "announced_firing": 0,
                "created_at": fired,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(AlertGroup), group_rows)
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM alert_groups ORDER BY id")]

    def alert_rows() -> Iterator[dict[str, Any]]:
        for i in range(alerts):
            g = rng.randrange(groups)
            group = group_rows[g]
            at = start + timedelta(seconds=rng.random() * span)
            lasted = timedelta(minutes=rng.choice((1, 2, 3, 10, 30, 90, 180)))
            yield {
                "fingerprint": f"seed{seed}-{i:08d}",
                "source": "alertmanager",
                "alertname": group["alertname"],
                "severity": group["severity"],
                "status": "resolved",
                "group_key": group["group_key"],
                "labels": {"alertname": group["alertname"], "team": TEAMS[g % 3], "service": f"svc{g}"},
                "annotations": {},
                "starts_at": at,
                "ends_at": at + lasted,
                "generator_url": None,
                "received_at": at,
                "updated_at": at,
            }

    def event_rows() -> Iterator[dict[str, Any]]:
        for _ in range(alerts // 5):
            yield {
                "group_id": ids[rng.randrange(groups)],
                "kind": "fired",
                "actor": None,
                "detail": {},
                "at": start + timedelta(seconds=rng.random() * span),
                "announced": True,
            }

    with engine.begin() as connection:
        for batch in _chunks(alert_rows()):
            connection.execute(insert(Alert), batch)
        for batch in _chunks(event_rows()):
            connection.execute(insert(AlertEvent), batch)
        if incidents and inspect(connection).has_table("incidents"):
            _seed_incidents(connection, rng, incidents, start=start, span=span)
        for batch in _chunks(_sample_rows(rng, samples, start=start, end=end)):
            connection.execute(insert(HostSample), batch)
    engine.dispose()
    return History(alerts, groups, incidents, start, end)


def _seed_incidents(connection: Any, rng: random.Random, count: int, *, start: datetime, span: float) -> None:
    from storage.incidents import Incident

    respond = {1: 5, 2: 30, 3: 240, 4: 2880}
    resolve = {1: 60, 2: 240, 3: 1440, 4: 20160}

    def rows() -> Iterator[dict[str, Any]]:
        for i in range(count):
            level = rng.choice((1, 2, 2, 3, 3, 3, 4))
            at = start + timedelta(seconds=rng.random() * span)
            return_row = {
                "title": f"Seeded incident {i}",
                "level": level,
                "status": "resolved",
                "service": f"svc{i % 20}",
                "description": "",
                "summary": "",
                "declared_by": "U0ALICE",
                "declared_at": at,
                "acked_by": "U0BOB",
                "acked_at": at + timedelta(minutes=rng.uniform(0.5, 2) * respond[level]),
                "resolved_by": "U0BOB",
                "resolved_at": at + timedelta(minutes=rng.uniform(0.3, 1.5) * resolve[level]),
                "respond_due_at": at + timedelta(minutes=respond[level]),
                "resolve_due_at": at + timedelta(minutes=resolve[level]),
                "announcements": [],
                "invited": [],
                "created_at": at,
            }
            yield return_row

    for batch in _chunks(rows()):
        connection.execute(insert(Incident), batch)


def _sample_rows(rng: random.Random, count: int, *, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """Disk on / growing ~0.5 %/day from 60 %, memory flat around 50 %, evenly over the last 35 days."""
    first = max(start, end - timedelta(days=35))
    step = (end - first) / max(1, count // 2)
    for i in range(count // 2):
        at = first + step * i
        days = (at - first).total_seconds() / 86400
        yield {"metric": "disk", "key": "/", "value": 60 + 0.5 * days + rng.uniform(-0.3, 0.3), "at": at}
        yield {"metric": "memory", "key": "", "value": 50 + rng.uniform(-2, 2), "at": at}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
