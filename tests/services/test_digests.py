"""Building digests with real storage: firings told through the webhook, and the tickets feature."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.blocks.digests import render_text
from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind, period_containing
from bot.domain.digests import WeeklyDigest
from bot.services import digest_runs, digests
from sandbox import RunningSandbox
from storage.incidents import Incident
from storage.migrate import upgrade
from storage.tickets import Ticket
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import recording, slack_without_limits

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the clock of these tests: the Monday the weekly review runs
WEEK = period_containing(DigestKind.WEEKLY, NOW.date() - timedelta(days=5), "UTC")  # the week before


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"digests": {"enabled": False}, "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02}}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with slack_without_limits(BOT_TOKEN) as running:
        yield running


@pytest.fixture
def record(make_settings: Callable[..., Settings], sandbox: RunningSandbox) -> Callable[[datetime], Any]:
    """Tell history to an opsbot on this test's database, its clock starting at the given instant."""
    return lambda start: recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=start)


@pytest.fixture
async def deps(make_settings: Callable[..., Settings], database_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    built = build_deps(make_settings(), clock=lambda: NOW)
    yield built
    await built.close()


def ticket(title: str, *, quadrant: str, status: str, at: datetime, done: bool = False) -> Ticket:
    return Ticket(
        title=title, area="database", impact="high", effort="low", quadrant=quadrant, status=status,
        created_by="U0ALICE", metric="latency_p95", baseline_value=900.0 if done else None,
        after_value=600.0 if done else None, done_at=at if done else None, created_at=at, updated_at=at,
    )  # fmt: skip


async def test_the_weekly_review_lists_tickets_done_and_quick_wins_waiting(deps: Deps) -> None:
    at = WEEK.start + timedelta(days=2)
    async with deps.db.transaction() as session:
        session.add(
            ticket("Add index on orders.user_id", quadrant="Quick Win", status="done", at=at, done=True)
        )
        session.add(ticket("Cache the price list", quadrant="Quick Win", status="open", at=at))
        session.add(ticket("Old idea", quadrant="Fill-In", status="open", at=WEEK.start - timedelta(days=30)))
    digest = await digests.build(deps, digest_runs.team(deps, None), WEEK)
    text = render_text(digest)
    tickets = text.split("Create optimization tickets")[1]
    assert "2 opened · 1 done in this period" in tickets
    assert "Add index on orders.user_id" in tickets
    assert "Quick Wins waiting: Cache the price list" in tickets


def day(n: int, hour: int = 0, minute: int = 0, *, month: int = 11) -> datetime:
    """An instant of 2026 as a team two hours east of UTC writes it (its Alertmanager's offset)."""
    return datetime(2026, month, n, hour, minute, tzinfo=timezone(timedelta(hours=2)))


async def test_an_alert_firing_three_times_in_a_week_counts_three_firings(
    deps: Deps, record: Callable[[datetime], Any]
) -> None:
    async with record(WEEK.previous_start) as history:
        disk = await history.fire("DiskFull", at=day(11, 14), instance="db-1")  # the week before
        await history.resolve(disk, at=day(11, 15))
        for n, date_ in enumerate((16, 18, 20)):  # Monday, Wednesday, Friday
            disk = await history.fire("DiskFull", at=day(date_, 10), instance="db-1")
            if n == 0:
                await history.acknowledge(disk, at=day(date_, 10, 4))
            await history.resolve(disk, at=day(date_, 10, 20))
    digest = await digests.build(deps, digest_runs.team(deps, None), WEEK)
    text = render_text(digest)
    firings = text.split("🚨 Firings")[1].split("📈")[0]
    assert "Total 3 (▲ 200 % vs 1 last week)" in firings and "🟠 warning: 3" in firings
    assert "Fired most: DiskFull (3)" in firings and "— 3 firings, firing 1 h" in firings
    assert "3 group firings · 1 acknowledged · 3 resolved" in text.split("⏱️ Response")[1]
    assert "1. 🟠 DiskFull — 3 firings, firing 1 h" in text.split("Identify the top 3 issues")[1]
    assert isinstance(digest, WeeklyDigest)  # opsbot saw each start a few ms after it: times are ± 1 s
    assert digest.response.mean_ack_seconds == pytest.approx(4 * 60, abs=1)
    assert digest.response.mean_resolve_seconds == pytest.approx(20 * 60, abs=1)


async def test_a_group_firing_in_weeks_one_two_and_four_is_a_recurring_problem(
    deps: Deps, record: Callable[[datetime], Any]
) -> None:
    october = period_containing(DigestKind.MONTHLY, datetime(2026, 10, 15).date(), "UTC")
    async with record(october.start) as history:
        for date_ in (2, 6, 20):  # weeks 1, 2 and 4 (cut on Mondays 5, 12, 19 and 26 October)
            backup = await history.fire("BackupLate", at=day(date_, 3, month=10), job="backup")
            await history.resolve(backup, at=day(date_, 4, month=10))
        once = await history.fire("Once", at=day(21, 3, month=10))
        await history.resolve(once, at=day(21, 4, month=10))
    text = render_text(await digests.build(deps, digest_runs.team(deps, None), october))
    recurring = text.split("🔁 Recurring problems")[1].split("💾")[0]
    assert "BackupLate alertname=BackupLate" in recurring and "fired in 3 weeks (3 firings)" in recurring
    assert "Once" not in recurring
    assert "Total 4 (none last month)" in text.split("🚨 Firings")[1]


KPI = {"promql": "up", "target": 1, "comparison": ">"}
TWO_TEAMS: dict[str, Any] = {
    "digests": {"enabled": False},
    "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02},
    "kpis": [{"name": "uptime", "title": "Uptime", **KPI},
             {"name": "checkout", "title": "Checkout OK", **KPI}],
    "teams": [
        {"name": "payments", "match": ["team=payments"], "channels": {"review": "pay-review"},
         "kpis": ["checkout", {"name": "refunds", "title": "Refunds settled", **KPI}]},
    ],
}  # fmt: skip


def incident(title: str, *, team: str | None, at: datetime) -> Incident:
    return Incident(
        title=title, level=2, status="resolved", service="", description="", summary="", declared_by="U1",
        declared_at=at, acked_at=at + timedelta(minutes=3), resolved_at=at + timedelta(minutes=30),
        respond_due_at=at + timedelta(minutes=15), resolve_due_at=at + timedelta(hours=4), announcements=[],
        invited=[], created_at=at, team=team,
    )  # fmt: skip


@pytest.mark.parametrize("bot_config", [TWO_TEAMS])
async def test_each_teams_weekly_review_holds_only_its_own_alerts_incidents_tickets_and_kpis(
    deps: Deps, record: Callable[[datetime], Any]
) -> None:
    async with record(WEEK.start) as history:
        await history.fire("CardDeclines", at=day(17, 10), team="payments")
        await history.fire("SearchSlow", at=day(17, 11), team="search")  # no team matches: the default's
    at = WEEK.start + timedelta(days=2)
    async with deps.db.transaction() as session:
        session.add(incident("Card payments failing", team="payments", at=at))
        session.add(incident("Index stale", team=None, at=at))
        session.add(incident("Retired team's outage", team="billing", at=at))  # no longer configured
        paid = ticket("Retry declined cards", quadrant="Quick Win", status="done", at=at, done=True)
        paid.team = "payments"
        session.add(paid)
        session.add(ticket("Shard the index", quadrant="Quick Win", status="open", at=at))
    payments = await digests.build_weekly(deps, digest_runs.team(deps, "payments"), WEEK)
    ops = await digests.build_weekly(deps, digest_runs.team(deps, None), WEEK)

    assert (payments.team, ops.team) == ("payments", "ops")
    assert payments.alerts.top_names == (("CardDeclines", 1),)
    assert ops.alerts.top_names == (("SearchSlow", 1),)
    assert [i.title for i in payments.incidents] == ["Card payments failing"]
    assert sorted(i.title for i in ops.incidents) == ["Index stale", "Retired team's outage"]
    assert (payments.tickets.opened, payments.tickets.active, ops.tickets.opened) == (1, 0, 1)
    assert len(payments.tickets.done) == 1 and "Retry declined cards" in payments.tickets.done[0]
    assert (payments.tickets.quick_wins_waiting, ops.tickets.done) == ((), ())
    assert ops.tickets.quick_wins_waiting == ("Shard the index",)
    assert [k.kpi.name for k in payments.kpis] == ["checkout", "refunds"]
    assert [k.kpi.name for k in ops.kpis] == ["uptime", "checkout"]
