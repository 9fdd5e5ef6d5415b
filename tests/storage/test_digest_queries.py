"""Digest aggregations and once-only claims, on SQLite and PostgreSQL alike.

Firing history is told to a real opsbot (webhook payloads at instants set on its clock, clicks on its
messages); host samples and incidents, which the digests only read, are inserted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert

from bot.config import Settings
from bot.domain.capacity import capacity_trend
from bot.domain.digest_periods import month_period, week_period
from sandbox import RunningSandbox
from storage import digest_queries as q
from storage import digest_sections as sections
from storage import digests as store
from storage import outbox
from storage.db import Database
from storage.host_samples import HostSample
from storage.incidents import Incident
from storage.models import Alert
from storage.ownership import owned_by
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import recording, slack_without_limits

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

BERLIN = "Europe/Berlin"
# The week of Monday 23 March 2026 in Berlin: clocks go forward on Sunday the 29th.
WEEK = week_period(date(2026, 3, 25), BERLIN)
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))  # Berlin's offsets, as payloads say
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with slack_without_limits(BOT_TOKEN) as running:
        yield running


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "digests": {"enabled": False},
        "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02},
        "teams": [{"name": team, "match": [f"team={team}"]} for team in TEAMS[1:]],
    }


TEAMS = ("ops", "payments", "search")  # ops, the default team, owns what the others' matchers leave


def team_scope(team: str, start: datetime, end: datetime) -> q.Scope:
    """The digests' scope of one team's alerts (as bot.services.teams.rows_of builds it)."""
    return q.Scope(start, end, owned_by(Alert.team, team, default=team == "ops", configured=TEAMS))


@pytest.fixture
def record(make_settings: Callable[..., Settings], sandbox: Any) -> Callable[[datetime], Any]:
    """Tell history to an opsbot on this test's database, its clock starting at the given instant."""
    return lambda start: recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=start)


def at(day: int, hour: int, minute: int = 0, *, zone: timezone = CET) -> datetime:
    """An instant of March 2026 in Berlin's offset of the time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=zone)


async def test_each_firing_counts_in_its_day_across_dst_with_offsets_and_per_team(
    db: Database, record: Callable[[datetime], Any]
) -> None:
    async with record(WEEK.previous_start) as history:
        before = await history.fire("DiskFull", at=at(22, 23, 59), team="payments")  # Sunday, last week
        await history.resolve(before, at=at(23, 0, 1))
        disk = await history.fire("DiskFull", at=at(23, 10), team="payments")  # Monday
        await history.resolve(disk, at=at(23, 10, 20))
        checkout = await history.fire("Checkout", at=at(24, 0, 30), severity="critical", team="search")
        await history.resolve(checkout, at=at(24, 1, 30))  # Tuesday in Berlin, Monday in UTC
        for day, hour in ((25, 10), (27, 9)):  # Wednesday, Friday: the same alert fires again
            disk = await history.fire("DiskFull", at=at(day, hour), team="payments")
            await history.resolve(disk, at=at(day, hour, 5))
        # Sunday in summer time; then 00:30 on Monday, 22:30 UTC on Sunday: next week in Berlin
        late = await history.fire("Late", at=at(29, 23, 59, zone=CEST), team="platform")
        await history.fire("NextWeek", at=at(30, 0, 30, zone=CEST))
        await history.resolve(late, at=at(30, 0, 40, zone=CEST))
    everything = q.Scope(WEEK.start, WEEK.end)
    days = await q.bucket_counts(db, everything, WEEK.day_boundaries())
    assert sorted(days) == [(0, "warning", 1), (1, "critical", 1), (2, "warning", 1), (4, "warning", 1),
                            (6, "warning", 1)]  # fmt: skip
    both = await q.bucket_counts(db, everything, [WEEK.previous_start, WEEK.start, WEEK.end])
    assert sorted(both) == [(0, "warning", 1), (1, "critical", 1), (1, "warning", 4)]
    assert await q.top_names(db, everything) == [("DiskFull", 3), ("Checkout", 1), ("Late", 1)]
    for team, names in (
        ("payments", [("DiskFull", 3)]),
        ("search", [("Checkout", 1)]),
        ("ops", [("Late", 1)]),  # the platform alert: no team matches it
    ):
        scope = team_scope(team, WEEK.start, WEEK.end)
        assert await q.top_names(db, scope) == names, team


async def test_groups_rank_by_firings_and_time_firing_clipped_at_the_period_end(
    db: Database, record: Callable[[datetime], Any]
) -> None:
    async with record(WEEK.start) as history:
        for hour in (10, 11):
            noisy = await history.fire("Noisy", at=at(24, hour))
            await history.resolve(noisy, at=at(24, hour, 30))
        bad = await history.fire("Bad", at=at(24, 12), severity="critical")
        await history.resolve(bad, at=at(24, 13, 30))
        await history.fire("StillFiring", at=at(29, 23, zone=CEST), severity="info")  # an hour before the end
    scope = q.Scope(WEEK.start, WEEK.end)
    ranks = await q.group_ranks(db, scope)
    assert [(g.alertname, g.count) for g in ranks.noisiest] == [("Noisy", 2), ("Bad", 1), ("StillFiring", 1)]
    assert [g.firing_seconds for g in ranks.noisiest] == pytest.approx([3600, 5400, 3600], abs=5)
    assert [(g.alertname, g.severity) for g in ranks.worst] == [
        ("Bad", "critical"), ("Noisy", "warning"), ("StillFiring", "info"),
    ]  # fmt: skip
    assert ranks.recurring == []  # no week cuts given


async def test_response_times_and_the_threshold_review_count_group_firings(
    db: Database, record: Callable[[datetime], Any]
) -> None:
    async with record(WEEK.start) as history:
        for n in range(4):  # resolved within two minutes, nobody looked: a false positive each time
            flappy = await history.fire("Flappy", at=at(24, 3 * n))
            await history.resolve(flappy, at=at(24, 3 * n, 2))
        for n in range(3):  # acknowledged after four minutes, fixed after thirty: real
            real = await history.fire("Real", at=at(25, 3 * n), team="payments")
            await history.acknowledge(real, at=at(25, 3 * n, 4))
            await history.resolve(real, at=at(25, 3 * n, 30))
        for n in range(3):  # marked as noise (and quick, but counted once, as noise)
            ignored = await history.fire("Ignored", at=at(26, 3 * n))
            await history.mark_noise(ignored, at=at(26, 3 * n, 1))
            await history.resolve(ignored, at=at(26, 3 * n, 3))
        slow = await history.fire("Slow", at=at(27, 9))  # open past the week: counted, not ended
        await history.resolve(slow, at=at(31, 9, zone=CEST))
    scope = q.Scope(WEEK.start, WEEK.end)
    response = await q.response(db, scope)
    assert (response.groups, response.acked, response.resolved) == (11, 3, 11)
    assert response.mean_ack_seconds == pytest.approx(240, abs=5)
    ended = (
        [2 * 60] * 4 + [30 * 60] * 3 + [3 * 60] * 3 + [(4 * 24 - 1) * 3600]
    )  # Slow: 4 days less DST's hour
    assert response.mean_resolve_seconds == pytest.approx(sum(ended) / len(ended), abs=5)
    rules = {r.alertname: (r.total, r.noise, r.quick_unacked) for r in await q.rule_noise(db, scope)}
    assert rules == {"Flappy": (4, 0, 4), "Real": (3, 0, 0), "Ignored": (3, 3, 0)}  # Slow: under 3 firings
    payments = team_scope("payments", WEEK.start, WEEK.end)
    mine = await q.response(db, payments)  # the groups holding the team's alerts
    assert (mine.groups, mine.acked, mine.resolved) == (3, 3, 3)
    assert [(r.alertname, r.total) for r in await q.rule_noise(db, payments)] == [("Real", 3)]


async def test_a_group_firing_in_three_distinct_weeks_of_the_month_recurs(
    db: Database, record: Callable[[datetime], Any]
) -> None:
    month = month_period(date(2026, 10, 1), "UTC")  # weeks cut on Mondays 5, 12, 19 and 26 October
    weeks = month.week_boundaries()
    async with record(month.start) as history:
        for day in (2, 6, 7, 21):  # WeeklyBackup in weeks 1, 2 and 4; Burst six times in week 2
            if day == 7:
                for hour in range(6):
                    burst = await history.fire("Burst", at=datetime(2026, 10, 7, 2 * hour, tzinfo=UTC))
                    await history.resolve(burst, at=datetime(2026, 10, 7, 2 * hour + 1, tzinfo=UTC))
                continue
            weekly = await history.fire("WeeklyBackup", at=datetime(2026, 10, day, 2, tzinfo=UTC))
            await history.resolve(weekly, at=datetime(2026, 10, day, 3, tzinfo=UTC))
    scope = q.Scope(month.start, month.end)
    ranks = await q.group_ranks(db, scope, weeks=weeks)
    assert [(r.alertname, r.weeks, r.count) for r in ranks.recurring] == [("WeeklyBackup", 3, 3)]
    assert [(g.alertname, g.count) for g in ranks.noisiest] == [("Burst", 6), ("WeeklyBackup", 3)]


async def add(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await session.execute(insert(model), rows)


async def test_usage_sums_give_the_same_fit_as_the_samples_per_host(db: Database) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    rows = [
        {
            "host": "web-1",
            "metric": "disk",
            "key": "/",
            "value": 60 + 0.5 * h / 24,
            "at": start + timedelta(hours=h),
        }
        for h in range(0, 24 * 30, 3)
    ]
    # a second replica's flat, fuller disk interleaved: its own series, not a blend
    flat = [{**row, "host": "web-2", "value": 85.0} for row in rows]
    await add(db, HostSample, rows + flat)
    found = await sections.usage_sums(
        db, metrics=("disk", "memory"), start=start, end=start + timedelta(days=31)
    )
    [(host, metric, key, sums, _mean), (other, *_rest, _other_sums, other_mean)] = found
    assert (host, metric, key, sums.n) == ("web-1", "disk", "/", len(rows))
    assert (other, other_mean) == ("web-2", pytest.approx(85.0))
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
    stats, per_week = await sections.incident_summary(db, weeks[0], weeks[-1], weeks=weeks)
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
