"""Warnings against their review deadline, told through the webhook and clicks on a test clock: who was
reminded, what each firing recorded, and the digests' share of warnings reviewed in time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.blocks.digests import render_text
from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.domain.digest_periods import DigestKind, period_containing
from bot.services import digest_runs, digests
from sandbox import RunningSandbox
from storage.migrate import upgrade
from storage.models import AlertGroupEpisode
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import AlertHistory, recording, slack_without_limits

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the Monday the weekly review of 16–22 November runs
WEEK = period_containing(DigestKind.WEEKLY, date(2026, 11, 18), "UTC")
MONTH = period_containing(DigestKind.MONTHLY, date(2026, 11, 18), "UTC")
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def near(found: datetime | None, expected: datetime) -> bool:
    """The test clock runs on between two instants of the story: a click lands a moment after its own."""
    return found is not None and timedelta(0) <= found - expected < timedelta(seconds=5)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    alerts = {"warning_review_minutes": 60, "escalation": [], "pace_per_channel_seconds": 0.02}
    return {"digests": {"enabled": False}, "alerts": alerts}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with slack_without_limits(BOT_TOKEN) as running:
        yield running


@pytest.fixture
async def deps(make_settings: Callable[..., Settings], database_url: str) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, database_url)
    built = build_deps(make_settings(), clock=lambda: NOW)
    yield built
    await built.close()


async def tell(history: AlertHistory) -> None:
    """The week before: one warning nobody looked at. This week: one acknowledged in 10 minutes, one after
    70, one never (resolved after two hours), one marked as noise in 20 minutes, one gone in 3 minutes by
    itself, and a critical alert (critical alerts escalate instead: not counted)."""
    ignored = await history.fire("BackupLate", at=at(10, 10), job="backup")
    await history.advance(at(10, 11, 30))  # past its deadline: the reminder goes out
    await history.resolve(ignored, at=at(10, 12))
    quick = await history.fire("QueueBacklog", at=at(16, 10), job="queue")
    await history.acknowledge(quick, at=at(16, 10, 10))
    late = await history.fire("CacheMisses", at=at(17, 10), job="cache")
    await history.advance(at(17, 11, 5))
    await history.acknowledge(late, at=at(17, 11, 10))
    never = await history.fire("SlowQueries", at=at(18, 10), job="db")
    await history.advance(at(18, 11, 30))
    await history.resolve(never, at=at(18, 12))
    noise = await history.fire("DiskNoise", at=at(19, 10), job="disk")
    await history.mark_noise(noise, at=at(19, 10, 20))
    blip = await history.fire("Blip", at=at(20, 10), job="edge")
    await history.resolve(blip, at=at(20, 10, 3))
    await history.fire("ApiDown", at=at(21, 10), severity="critical", job="api")
    await history.advance(at(21, 12))


async def test_the_digests_report_the_share_of_warnings_reviewed_by_their_deadline(
    deps: Deps, make_settings: Callable[..., Settings], sandbox: RunningSandbox
) -> None:
    async with recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=at(9, 9)) as history:
        await tell(history)
    ws = sandbox.workspace
    reminded = [m for m in ws.messages("ops-alerts", include_replies=True) if ":hourglass:" in m.text]
    assert [m.text.split("*")[1] for m in reminded] == ["BackupLate", "CacheMisses", "SlowQueries"]

    async with deps.db.sessions() as session:
        rows = (await session.execute(select(AlertGroupEpisode))).scalars().all()
    firings = {e.alertname: e for e in rows}
    assert near(firings["QueueBacklog"].reviewed_at, at(16, 10, 10)) and firings["QueueBacklog"].reviewed_by
    assert near(firings["DiskNoise"].reviewed_at, at(19, 10, 20)) and firings["DiskNoise"].reminded_at is None
    assert firings["CacheMisses"].reminded_at is not None and firings["Blip"].reviewed_at is None
    assert firings["ApiDown"].review_due_at is None  # critical: escalation's, no review deadline

    team = digest_runs.team(deps, None)
    weekly = render_text(await digests.build(deps, team, WEEK)).split("⏱️ Response")[1]
    assert "Warnings reviewed within 1 h: 50 % (2 of 4 · 1 late · 1 not reviewed) · last week: 0 %" in weekly
    assert "Not counted: 1 resolved on their own before their deadline." in weekly
    monthly = render_text(await digests.build(deps, team, MONTH)).split("⏱️ Warning reviews")[1]
    assert "Warnings reviewed within 1 h: 40 % (2 of 5 · 1 late · 2 not reviewed) · last month: –" in monthly
