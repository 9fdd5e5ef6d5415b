"""Digest aggregations and once-only claims, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from bot.domain.alerts import parse_matcher
from bot.domain.digest_periods import week_period
from bot.domain.digests import capacity_trend
from storage import digest_queries as q
from storage import digests as store
from storage import outbox
from storage.db import Database
from storage.host_samples import HostSample
from storage.incidents import Incident
from storage.models import Alert, AlertGroup

BERLIN = "Europe/Berlin"
# The week of Monday 23 March 2026 in Berlin: clocks go forward on Sunday the 29th.
WEEK = week_period(date(2026, 3, 25), BERLIN)


def alert(n: int, at: datetime, *, minutes: float, name: str = "DiskFull", severity: str = "warning",
          group: str = "g1", team: str = "payments") -> dict[str, Any]:  # fmt: skip
    return {
        "fingerprint": f"fp{n}",
        "source": "alertmanager",
        "alertname": name,
        "severity": severity,
        "status": "resolved",
        "group_key": group,
        "labels": {"alertname": name, "team": team},
        "annotations": {},
        "starts_at": at,
        "ends_at": at + timedelta(minutes=minutes),
        "received_at": at,
        "updated_at": at,
    }


def group(key: str, fired: datetime, *, acked_after: float | None, resolved_after: float,
          noise: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "group_key": key,
        "channel": "ops-alerts",
        "alertname": key,
        "severity": "warning",
        "status": "resolved",
        "firing_count": 0,
        "alert_count": 1,
        "first_fired_at": fired,
        "last_change_at": fired,
        "resolved_at": fired + timedelta(minutes=resolved_after),
        "acked_at": None if acked_after is None else fired + timedelta(minutes=acked_after),
        "noise_by": "U0BOB" if noise else None,
        "flapping": False,
        "changes": [],
        "escalation_level": 0,
        "announced_firing": 0,
        "created_at": fired,
    }


async def add(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await session.execute(insert(model), rows)


async def test_counts_by_severity_day_buckets_across_dst_and_label_filters(db: Database) -> None:
    monday = WEEK.start  # Sunday 23:00 UTC is Monday 00:00 in Berlin (CET)
    await add(db, Alert, [
        alert(1, monday + timedelta(minutes=5), minutes=2, severity="critical"),
        alert(2, monday + timedelta(hours=24, minutes=30), minutes=60, team="search"),  # Tuesday 00:30
        alert(3, monday - timedelta(minutes=1), minutes=1),  # the week before
        alert(4, WEEK.end - timedelta(minutes=1), minutes=3, name="Late", group="g2"),  # Sunday 23:59 CEST
        alert(5, WEEK.end, minutes=3),  # next week
    ])  # fmt: skip
    everything = await q.scope_for(db, [], start=WEEK.start, end=WEEK.end)
    assert await q.severity_counts(db, everything) == {"critical": 1, "warning": 2}
    previous = everything.shifted(WEEK.previous_start, WEEK.start)
    assert await q.severity_counts(db, previous) == {"warning": 1}
    buckets = await q.bucket_counts(db, everything, WEEK.day_boundaries())
    assert sorted(buckets) == [(0, "critical", 1), (1, "warning", 1), (6, "warning", 1)]
    payments = await q.scope_for(db, [parse_matcher("team=payments")], start=WEEK.start, end=WEEK.end)
    assert await q.severity_counts(db, payments) == {"critical": 1, "warning": 1}
    not_payments = await q.scope_for(db, [parse_matcher("team!=payments")], start=WEEK.start, end=WEEK.end)
    assert await q.severity_counts(db, not_payments) == {"warning": 1}
    regex = await q.scope_for(db, [parse_matcher('team=~"sea.*"')], start=WEEK.start, end=WEEK.end)
    assert await q.severity_counts(db, regex) == {"warning": 1}
    assert await q.top_names(db, everything) == [("DiskFull", 2), ("Late", 1)]


async def test_groups_rank_with_firing_time_in_seconds_on_both_databases(db: Database) -> None:
    at = WEEK.start + timedelta(days=2)
    await add(db, Alert, [
        alert(1, at, minutes=30, group="noisy"),
        alert(2, at + timedelta(hours=1), minutes=30, group="noisy"),
        alert(3, at, minutes=90, group="bad", severity="critical"),
    ])  # fmt: skip
    scope = await q.scope_for(db, [], start=WEEK.start, end=WEEK.end)
    noisiest = await q.group_stats(db, scope, by_severity=False, limit=5)
    assert [(g.key, g.count) for g in noisiest] == [("noisy", 2), ("bad", 1)]
    assert noisiest[0].firing_seconds == pytest.approx(3600, abs=0.5)
    worst = await q.group_stats(db, scope, by_severity=True, limit=5)
    assert worst[0].key == "bad" and worst[0].severity == "critical"
    assert worst[0].firing_seconds == pytest.approx(5400, abs=0.5)


async def test_response_times_and_rules_with_false_positives(db: Database) -> None:
    at = WEEK.start + timedelta(days=1)
    await add(db, AlertGroup, [
        group("flappy", at, acked_after=None, resolved_after=2),
        group("real", at, acked_after=4, resolved_after=30),
        group("ignored", at, acked_after=None, resolved_after=60, noise=True),
    ])  # fmt: skip
    await add(db, Alert, [
        *(alert(i, at + timedelta(hours=i), minutes=2, name="Flappy", group="flappy") for i in range(4)),
        *(alert(10 + i, at + timedelta(hours=i), minutes=2, name="Real", group="real") for i in range(3)),
        *(alert(20 + i, at, minutes=50, name="Ignored", group="ignored") for i in range(3)),
    ])  # fmt: skip
    scope = await q.scope_for(db, [], start=WEEK.start, end=WEEK.end)
    response = await q.response(db, scope)
    assert (response.groups, response.acked, response.resolved) == (3, 1, 3)
    assert response.mean_ack_seconds == pytest.approx(240, abs=0.5)
    assert response.mean_resolve_seconds == pytest.approx((2 + 30 + 60) * 60 / 3, abs=0.5)
    rules = {r.alertname: r for r in await q.rule_noise(db, scope)}
    assert (rules["Flappy"].quick_unacked, rules["Flappy"].noise) == (4, 0)
    assert (rules["Real"].quick_unacked, rules["Real"].noise) == (0, 0)  # acknowledged: real
    assert (rules["Ignored"].quick_unacked, rules["Ignored"].noise) == (0, 3)


async def test_recurring_groups_fire_in_three_distinct_weeks(db: Database) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    weeks = [
        start,
        *(datetime(2026, 10, d, tzinfo=UTC) for d in (5, 12, 19, 26)),
        datetime(2026, 11, 1, tzinfo=UTC),
    ]
    days = (2, 6, 20)
    await add(db, Alert, [
        *(alert(i, datetime(2026, 10, d, tzinfo=UTC), minutes=5, group="weekly") for i, d in enumerate(days)),
        *(alert(10 + i, datetime(2026, 10, 6, i, tzinfo=UTC), minutes=5, group="burst") for i in range(9)),
    ])  # fmt: skip
    scope = await q.scope_for(db, [], start=weeks[0], end=weeks[-1])
    found = await q.recurring(db, scope, weeks)
    assert [(r.key, r.weeks, r.count) for r in found] == [("weekly", 3, 3)]


async def test_usage_sums_give_the_same_fit_as_the_samples(db: Database) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    rows = [
        {"metric": "disk", "key": "/", "value": 60 + 0.5 * h / 24, "at": start + timedelta(hours=h)}
        for h in range(0, 24 * 30, 3)
    ]
    await add(db, HostSample, rows)
    [(metric, key, sums, _mean)] = await q.usage_sums(
        db, metrics=("disk", "memory"), start=start, end=start + timedelta(days=31)
    )
    assert (metric, key, sums.n) == ("disk", "/", len(rows))
    trend = capacity_trend("disk /", sums, origin=start, now=start + timedelta(days=30), threshold=90)
    assert trend is not None and trend.per_day == pytest.approx(0.5, rel=1e-6)
    assert trend.reaches_at == pytest.approx(start + timedelta(days=60), abs=timedelta(minutes=1))


async def test_incident_summary_counts_levels_targets_and_weeks(db: Database) -> None:
    at = datetime(2026, 10, 6, 12, tzinfo=UTC)

    def incident(level: int, *, acked: float, resolved: float | None, day: int = 0) -> dict[str, Any]:
        declared = at + timedelta(days=day)
        return {
            "title": "x", "level": level, "status": "resolved", "service": "", "description": "",
            "summary": "", "declared_by": "U1", "declared_at": declared,
            "acked_at": declared + timedelta(minutes=acked),
            "resolved_at": None if resolved is None else declared + timedelta(minutes=resolved),
            "respond_due_at": declared + timedelta(minutes=5),
            "resolve_due_at": declared + timedelta(minutes=60),
            "announcements": [], "invited": [], "created_at": declared,
        }  # fmt: skip

    await add(db, Incident, [
        incident(1, acked=3, resolved=30),
        incident(1, acked=9, resolved=90, day=7),
        incident(2, acked=1, resolved=None),
    ])  # fmt: skip
    weeks = [datetime(2026, 10, d, tzinfo=UTC) for d in (5, 12, 19)]
    stats, per_week = await q.incident_summary(db, weeks[0], weeks[-1], weeks=weeks)
    assert stats.count_by_level == {1: 2, 2: 1, 3: 0, 4: 0}
    assert (stats.respond_met, stats.respond_judged) == (2, 3)
    assert (stats.resolve_met, stats.resolve_judged) == (1, 2)
    assert per_week == (2, 1)


def run(key: str) -> store.DigestRun:
    return store.DigestRun(
        key=key, kind="weekly", team="ops", period="2026-W47", day="2026-11-16", channel="ops-review",
        claimed_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
    )  # fmt: skip


async def test_a_period_is_claimed_once_with_its_job_even_when_racing(db: Database) -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    results = await asyncio.gather(
        *(store.claim_and_enqueue(db, run("weekly:ops:2026-W47"), now=now) for _ in range(5))
    )
    assert sorted(results) == [False, False, False, False, True]
    assert await outbox.counts_by_status(db) == {"pending": 1}
    assert not await store.claim_and_enqueue(db, run("weekly:ops:2026-W47"), now=now)
    assert await store.claim_and_enqueue(db, run("weekly:ops:2026-W47"), now=now, force=True)
    assert await outbox.counts_by_status(db) == {"pending": 1}  # the forced job joins the pending one
    found = await store.get_run(db, "weekly:ops:2026-W47")
    assert found is not None and found.runs == 2 and found.ts is None
