"""Seed a large firing history quickly (bulk inserts) for the digest benchmark.

Alerts (ten per group), groups, one group episode per firing period of a group with one to five of its alerts'
episodes inside it, incidents and host samples. Tests seed history through the webhook instead
(tests/support/alert_history.py); this is for sizes no test could send.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection

from storage.db import sync_url
from tests.support.bulk_insert import bulk_insert, stamps

NAMES = [f"Rule{i:02d}" for i in range(40)]
TEAMS = ("payments", "search", "platform")
SEVERITIES = ("critical", "warning", "info")
CHANNELS = ("critical-alerts", "ops-alerts", "ops-info")
ALERTS_PER_GROUP = 10
EPISODE_COLUMNS = (
    "alert_id", "group_key", "alertname", "severity", "started_at", "received_at", "ended_at", "end_reason",
)  # fmt: skip
GROUP_EPISODE_COLUMNS = (
    "group_id", "number", "group_key", "channel", "alertname", "severity", "started_at", "opened_at",
    "posted_at", "acked_at", "acked_by", "ended_at", "end_reason", "noise_by", "escalation_level",
    "review_due_at", "reviewed_at",
)  # fmt: skip


@dataclass(frozen=True)
class History:
    episodes: int
    group_episodes: int
    alerts: int
    groups: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Groups:
    keys: list[str]
    names: list[str]
    severities: list[str]
    noisy: numpy.ndarray[Any, Any]  # whose firings are often marked as noise


def seed_history(
    url: str,
    *,
    episodes: int,
    groups: int = 200,
    incidents: int = 0,
    samples: int = 0,
    sample_host: str | None = None,
    end: datetime,
    days: int = 365,
    seed: int = 7,
) -> History:
    """Insert `episodes` alert firings over `days` days before `end` in `groups` groups, with their alerts,
    group firings, `incidents` incidents and `samples` host samples (of `sample_host`, by default this
    machine, as opsbot's own host checks here would name them)."""
    rng, np_rng = random.Random(seed), numpy.random.default_rng(seed)
    start = end - timedelta(days=days)
    engine = create_engine(sync_url(url))
    sqlite = engine.dialect.name == "sqlite"
    chosen = _groups(rng, groups)
    with engine.begin() as connection:
        ids = _insert_groups(connection, chosen, start=start)
        plan = _plan(np_rng, episodes, groups, start=start, end=end)
        bulk_insert(connection, "alerts", _alert_rows(chosen, plan))
        alert_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM alerts ORDER BY id")]
        bulk_insert(
            connection,
            "alert_group_episodes",
            _group_episode_rows(chosen, ids, plan, sqlite=sqlite),
            columns=GROUP_EPISODE_COLUMNS,
        )
        bulk_insert(
            connection,
            "alert_episodes",
            _episode_rows(chosen, alert_ids, plan, sqlite=sqlite),
            columns=EPISODE_COLUMNS,
        )
        if incidents and inspect(connection).has_table("incidents"):
            _seed_incidents(connection, rng, incidents, start=start, span=(end - start).total_seconds())
        host = sample_host or socket.gethostname()
        bulk_insert(connection, "host_samples", _sample_rows(rng, samples, host=host, start=start, end=end))
    engine.dispose()
    return History(episodes, len(plan["group_start"]), groups * ALERTS_PER_GROUP, groups, start, end)


def _groups(rng: random.Random, count: int) -> _Groups:
    names = [NAMES[g % len(NAMES)] for g in range(count)]
    severities = [rng.choices(SEVERITIES, weights=(1, 5, 4))[0] for _ in range(count)]
    keys = [f"alertname={name},service=svc{g}" for g, name in enumerate(names)]
    return _Groups(keys, names, severities, numpy.array([g % 7 == 0 for g in range(count)]))


def _insert_groups(connection: Connection, chosen: _Groups, *, start: datetime) -> list[int]:
    def row(key: str, name: str, severity: str) -> dict[str, Any]:
        channel = CHANNELS[SEVERITIES.index(severity)]
        times = {"first_fired_at": start, "last_change_at": start, "resolved_at": start, "created_at": start}
        counts = {"firing_count": 0, "alert_count": ALERTS_PER_GROUP, "escalation_level": 0}
        state = {"status": "resolved", "flapping": False, "changes": [], "announced_firing": 0}
        return {"group_key": key, "channel": channel, "alertname": name, "severity": severity, **times,
                **counts, **state}  # fmt: skip

    groups = zip(chosen.keys, chosen.names, chosen.severities, strict=True)
    bulk_insert(connection, "alert_groups", (row(*group) for group in groups))
    return [found[0] for found in connection.exec_driver_sql("SELECT id FROM alert_groups ORDER BY id")]


def _plan(
    rng: numpy.random.Generator, episodes: int, groups: int, *, start: datetime, end: datetime
) -> dict[str, Any]:
    """Group firings spread over the span (sorted by start), each holding 1–5 alert firings, as arrays."""
    span_us = int((end - start).total_seconds() * 1e6)
    per_group = rng.integers(1, 6, episodes)  # at most `episodes` group firings
    count = int(numpy.searchsorted(numpy.cumsum(per_group), episodes)) + 1
    per_group = per_group[:count]
    per_group[-1] -= int(per_group.sum()) - episodes  # exactly `episodes` alert firings
    origin = numpy.datetime64(start.replace(tzinfo=None), "us")
    group_start = origin + numpy.sort(rng.integers(0, span_us, count)).astype("timedelta64[us]")
    lasted = rng.choice([2, 3, 4, 10, 30, 90, 180, 600], count).astype("timedelta64[m]")
    owner = rng.integers(0, groups, count)
    # each alert firing: one of its group's alerts (distinct within a firing), starting up to a minute later
    parent = numpy.repeat(numpy.arange(count), per_group)
    rank = numpy.arange(episodes) - numpy.repeat(numpy.cumsum(per_group) - per_group, per_group)
    first = rng.integers(0, ALERTS_PER_GROUP, count)
    alert = owner[parent] * ALERTS_PER_GROUP + (first[parent] + rank) % ALERTS_PER_GROUP
    delay = rng.integers(0, 60_000_000, episodes).astype("timedelta64[us]")
    started = group_start[parent] + delay
    ended = started + ((group_start[parent] + lasted[parent] - started) * rng.uniform(0.3, 1.0, episodes))
    ended = ended.astype("datetime64[us]")
    acked = rng.random(count) < 0.6
    return {
        "group_start": group_start, "group_end": group_start + lasted, "owner": owner, "acked": acked,
        "ack_after": rng.integers(30, 1800, count).astype("timedelta64[s]"),
        "noise": rng.random(count) < 0.5, "parent": parent, "alert": alert, "started": started,
        "ended": ended, "end": numpy.datetime64(end.replace(tzinfo=None), "us"),
    }  # fmt: skip


def _alert_rows(chosen: _Groups, plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each alert as its last firing left it (firing when that runs past the end of the history)."""
    last_start: dict[int, Any] = {}
    last_end: dict[int, Any] = {}
    for index in numpy.argsort(plan["started"], kind="stable").tolist():  # later firings overwrite
        alert = int(plan["alert"][index])
        last_start[alert], last_end[alert] = plan["started"][index], plan["ended"][index]
    for alert in range(len(chosen.keys) * ALERTS_PER_GROUP):
        g = alert // ALERTS_PER_GROUP
        started = last_start.get(alert, plan["end"])
        ended = last_end.get(alert)
        firing = ended is None or ended >= plan["end"]
        labels = {
            "alertname": chosen.names[g], "severity": chosen.severities[g], "team": TEAMS[g % 3],
            "service": f"svc{g}", "instance": f"host-{alert % ALERTS_PER_GROUP}",
        }  # fmt: skip
        yield {
            "fingerprint": f"fp-{alert:08d}", "source": "alertmanager", "alertname": chosen.names[g],
            "severity": chosen.severities[g], "status": "firing" if firing else "resolved",
            "group_key": chosen.keys[g], "labels": labels, "annotations": {},
            # as ingest stores it with a payments team (bench/digest.py); the rest: the default team's
            "team": "payments" if TEAMS[g % 3] == "payments" else None,
            "starts_at": _instant(started), "ends_at": None if firing else _instant(ended),
            "received_at": _instant(started), "updated_at": _instant(ended if not firing else started),
            "channels": f",{CHANNELS[SEVERITIES.index(chosen.severities[g])]},",
        }  # fmt: skip


def _episode_rows(
    chosen: _Groups, alert_ids: Sequence[int], plan: dict[str, Any], *, sqlite: bool
) -> Iterator[tuple[Any, ...]]:
    """Alert firings in start order (as ingest appends them), as tuples in EPISODE_COLUMNS order."""
    order = numpy.argsort(plan["started"], kind="stable")
    started, ended = plan["started"][order], plan["ended"][order]
    still = ended >= plan["end"]
    starts, ends = stamps(started, sqlite=sqlite), stamps(ended, sqlite=sqlite)
    alerts = plan["alert"][order].tolist()
    for i, alert in enumerate(alerts):
        g = alert // ALERTS_PER_GROUP
        done = not still[i]
        yield (
            alert_ids[alert], chosen.keys[g], chosen.names[g], chosen.severities[g], starts[i], starts[i],
            ends[i] if done else None, "resolved" if done else None,
        )  # fmt: skip


def _group_episode_rows(
    chosen: _Groups, group_ids: Sequence[int], plan: dict[str, Any], *, sqlite: bool
) -> Iterator[tuple[Any, ...]]:
    """Group firings (already in start order), opened a second after they start, as tuples."""
    opened = plan["group_start"] + numpy.timedelta64(1, "s")
    opens, posts = stamps(opened, sqlite=sqlite), stamps(opened + numpy.timedelta64(1, "s"), sqlite=sqlite)
    acks, ends = stamps(opened + plan["ack_after"], sqlite=sqlite), stamps(plan["group_end"], sqlite=sqlite)
    dues = stamps(opened + numpy.timedelta64(60, "m"), sqlite=sqlite)  # warnings: reviewed within the hour?
    starts = stamps(plan["group_start"], sqlite=sqlite)
    numbers: dict[int, int] = {}
    for i, g in enumerate(plan["owner"].tolist()):
        numbers[g] = numbers.get(g, 0) + 1
        acked = bool(plan["acked"][i]) and plan["ack_after"][i] < plan["group_end"][i] - opened[i]
        done = plan["group_end"][i] < plan["end"]
        noise = "U0BOB" if chosen.noisy[g] and plan["noise"][i] and not acked else None
        warning = chosen.severities[g] == "warning"
        yield (
            group_ids[g], numbers[g], chosen.keys[g], CHANNELS[SEVERITIES.index(chosen.severities[g])],
            chosen.names[g], chosen.severities[g], starts[i], opens[i], posts[i],
            acks[i] if acked else None, "U0ALICE" if acked else None, ends[i] if done else None,
            "resolved" if done else None, noise, 0, dues[i] if warning else None,
            acks[i] if acked and warning else None,
        )  # fmt: skip


def _instant(moment: Any) -> datetime:
    return datetime.fromisoformat(str(numpy.datetime_as_string(moment, unit="us"))).replace(tzinfo=UTC)


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
