"""The sandbox's sample history: a fresh database seeded at a fixed instant has something in every review."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, period_containing, period_reported_at
from bot.domain.digests import MonthlyDigest, WeeklyDigest
from bot.domain.sample_history import DISK_TO
from bot.services import digest_runs, digests, tickets
from bot.services.metrics import metric_source
from bot.services.sample_history import seed_once
from storage.migrate import upgrade
from storage.outbox import DONE, counts_by_status
from storage.tickets import Ticket

pytestmark = pytest.mark.own_clock

MONDAY_AFTER_MIDNIGHT = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)  # this week: ten minutes old
MIDWEEK = datetime(2026, 12, 3, 15, 40, tzinfo=UTC)  # a Thursday, three days into a month


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"digests": {"enabled": False}}


async def seeded(make_settings: Callable[..., Settings], url: str, now: datetime) -> Settings:
    await asyncio.to_thread(upgrade, url)
    settings = make_settings()
    result = await seed_once(settings, now=now)
    assert result is not None and result.firings > 50 and result.discarded_jobs > 0
    return settings


async def weekly(deps: Deps, day: datetime) -> WeeklyDigest:
    built = await digests.build(
        deps, digest_runs.team(deps, None), period_containing(DigestKind.WEEKLY, day.date(), "UTC")
    )
    assert isinstance(built, WeeklyDigest)
    return built


def assert_lively(digest: WeeklyDigest) -> None:
    assert sum(change.current for change in digest.alerts.by_severity.values()) > 0
    assert digest.incidents and digest.top_issues
    assert digest.response.acked > 0 and digest.response.resolved > 0
    assert digest.response.mean_ack_seconds and digest.response.mean_resolve_seconds


@pytest.mark.parametrize("now", [MONDAY_AFTER_MIDNIGHT, MIDWEEK], ids=["monday-00:10", "midweek"])
async def test_every_review_of_the_sample_month_has_something_to_show(
    now: datetime,
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    deps_at: Callable[[datetime], Deps],
) -> None:
    await seeded(make_settings, bot_database_url, now)
    deps = deps_at(now)
    last_week = period_reported_at(DigestKind.WEEKLY, now, "UTC")
    assert_lively(await weekly(deps, last_week.start))
    assert_lively(await weekly(deps, now))
    month = period_reported_at(DigestKind.MONTHLY, now, "UTC")
    monthly = await digests.build(deps, digest_runs.team(deps, None), month)
    assert isinstance(monthly, MonthlyDigest)
    assert sum(monthly.incidents.count_by_level.values()) >= 4 and set(monthly.incidents.count_by_level) >= {
        1,
        2,
        3,
        4,
    }
    assert sum(change.current for change in monthly.alerts.by_severity.values()) > 50
    assert monthly.alerts.top_names and monthly.recurring
    counts, _ = await tickets.matrix(deps)
    assert all(counts.get(q, 0) > 0 for q in ("Quick Win", "Major Project", "Fill-In", "Thankless Task"))
    measured = await _measured_tickets(deps)
    assert {"memory", "cpu"} <= {t.metric for t in measured}
    assert all(t.after_final and t.after_value < t.baseline_value for t in measured)  # type: ignore[operator]
    cpu = await metric_source(deps).series(
        "cpu", start=now - timedelta(days=7), end=now, step=timedelta(hours=1)
    )
    assert cpu and len(cpu[0].points) > 100
    disk = await metric_source(deps).series(
        "disk", start=now - timedelta(days=30), end=now, step=timedelta(hours=6)
    )
    first, last = disk[0].points[0][1], disk[0].points[-1][1]
    assert last == pytest.approx(DISK_TO, abs=1.5) and last > first + 10  # filling towards 95 %
    assert set(await counts_by_status(deps.db)) == {DONE}  # nothing of the past month is left to post


async def _measured_tickets(deps: Deps) -> list[Ticket]:
    from sqlmodel import col, select

    async with deps.db.sessions() as session:
        found = await session.execute(select(Ticket).where(col(Ticket.baseline_value).is_not(None)))
        return list(found.scalars())


async def test_a_database_is_seeded_once(
    make_settings: Callable[..., Settings], bot_database_url: str
) -> None:
    settings = await seeded(make_settings, bot_database_url, MIDWEEK)
    assert await seed_once(settings, now=MIDWEEK + timedelta(hours=1)) is None
