"""Seed alert / group / event / incident / host-sample history quickly (bulk inserts) for digests."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy
import orjson
from sqlalchemy import create_engine, insert, inspect
from sqlalchemy.engine import Connection

from storage.db import sync_url
from storage.models import AlertGroup

NAMES = [f"Rule{i:02d}" for i in range(40)]
TEAMS = ("payments", "search", "platform")
CHUNK = 50_000
ALERT_COLUMNS = (
    "fingerprint", "source", "alertname", "severity", "status", "group_key", "labels", "annotations",
    "starts_at", "ends_at", "received_at", "updated_at",
)  # fmt: skip


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


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
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
    sample_host: str | None = None,
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
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        connection.execute(insert(AlertGroup), group_rows)
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM alert_groups ORDER BY id")]

    def alert_rows() -> Iterator[tuple[Any, ...]]:
        # numpy makes a million timestamps (as text) in a blink; rows are tuples in ALERT_COLUMNS order
        np_rng = numpy.random.default_rng(seed)
        picks = np_rng.integers(0, groups, alerts)
        offsets = numpy.sort((np_rng.random(alerts) * span * 1e6).astype("timedelta64[us]"))  # index-friendly
        starts = numpy.datetime64(start.replace(tzinfo=None), "us") + offsets
        lasted = np_rng.choice([1, 2, 3, 10, 30, 90, 180], alerts).astype("timedelta64[m]")
        starts_text, ends_text = _stamps(starts, sqlite=sqlite), _stamps(starts + lasted, sqlite=sqlite)
        labels = [
            orjson.dumps({"alertname": g["alertname"], "team": TEAMS[i % 3], "service": f"svc{i}"}).decode()
            for i, g in enumerate(group_rows)
        ]
        for i in range(alerts):
            g = int(picks[i])
            group, at = group_rows[g], starts_text[i]
            yield (
                f"seed{seed}-{i:08d}", "alertmanager", group["alertname"], group["severity"], "resolved",
                group["group_key"], labels[g], "{}", at, ends_text[i], at, at,
            )  # fmt: skip

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
        bulk_insert(connection, "alerts", alert_rows(), columns=ALERT_COLUMNS)
        bulk_insert(connection, "alert_events", event_rows())
        if incidents and inspect(connection).has_table("incidents"):
            _seed_incidents(connection, rng, incidents, start=start, span=span)
        # this machine's samples by default, as opsbot's own host checks here would name them
        host = sample_host or socket.gethostname()
        bulk_insert(connection, "host_samples", _sample_rows(rng, samples, host=host, start=start, end=end))
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

    del Incident
    bulk_insert(connection, "incidents", rows())


def _sample_rows(
    rng: random.Random, count: int, *, host: str, start: datetime, end: datetime
) -> Iterator[dict[str, Any]]:
    """Disk on / growing ~0.5 %/day from 60 %, memory flat around 50 %, evenly over the last 35 days."""
    first = max(start, end - timedelta(days=35))
    step = (end - first) / max(1, count // 2)
    for i in range(count // 2):
        at = first + step * i
        days = (at - first).total_seconds() / 86400
        disk = 60 + 0.5 * days + rng.uniform(-0.3, 0.3)
        yield {"host": host, "metric": "disk", "key": "/", "value": disk, "at": at}
        yield {"host": host, "metric": "memory", "key": "", "value": 50 + rng.uniform(-2, 2), "at": at}


def _stamps(moments: Any, *, sqlite: bool) -> list[str]:
    """UTC timestamps as the database stores them (SQLite compares text: 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    text = numpy.datetime_as_string(moments, unit="us")
    return [t.replace("T", " ") for t in text.tolist()] if sqlite else [t + "+00:00" for t in text.tolist()]


def _value(value: Any, *, sqlite: bool) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(sep=" ") if sqlite else value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def bulk_insert(
    connection: Connection, table: str, rows: Iterator[Any], *, columns: Sequence[str] | None = None
) -> int:
    """Insert rows fast: executemany on the raw SQLite connection, COPY on PostgreSQL.

    Rows are dicts, or ready tuples (SQL values) in the order of `columns`.
    """
    raw: Any = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        raw.execute("PRAGMA cache_size=-262144")  # 256 MB: index pages stay in memory while loading
    total = 0
    for batch in _chunks(rows):
        if columns is None:
            names_of = list(batch[0])
            values = [tuple(_value(row[c], sqlite=sqlite) for c in names_of) for row in batch]
        else:
            names_of, values = list(columns), batch
        names = ", ".join(names_of)
        if sqlite:
            marks = ", ".join("?" for _ in names_of)
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        else:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        total += len(values)
    return total


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
