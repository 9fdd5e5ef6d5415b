"""The review items opsbot answers from its own records, on real storage (SQLite and PostgreSQL): history is
told through the webhook and opsbot's own host check, as it happens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, period_containing
from bot.services import digest_runs, review_opsbot
from sandbox import RunningSandbox
from storage.incidents import Incident
from storage.models import AlertGroup
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import recording, slack_without_limits

pytestmark = pytest.mark.own_clock

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the Monday the weekly review runs
WEEK = period_containing(DigestKind.WEEKLY, NOW.date() - timedelta(days=5), "UTC")
HOST = "review-host"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "digests": {"enabled": False},
        "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02},
        # each sample is read by a fresh checker (tests/support/alert_history.py): no `for:` to hold across
        "host_checks": {"host": HOST, "rules": [{"name": "HostHighCpu", "metric": "cpu", "threshold": 80}]},
    }


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with slack_without_limits(BOT_TOKEN) as running:
        yield running


@pytest.fixture
def deps(deps_at: Callable[[datetime], Deps]) -> Deps:
    return deps_at(NOW)


def incident(title: str, declared: datetime, *, group: int | None = None) -> Incident:
    return Incident(
        title=title, level=2, status="resolved", declared_by="U1", declared_at=declared,
        acked_at=declared + timedelta(minutes=3), resolved_at=declared + timedelta(minutes=50),
        respond_due_at=declared + timedelta(minutes=15), resolve_due_at=declared + timedelta(hours=4),
        created_at=declared, alert_group_id=group,
    )  # fmt: skip


async def test_degradations_are_told_by_title_or_by_the_alert_declared_from(
    deps: Deps, make_settings: Callable[..., Settings], sandbox: RunningSandbox
) -> None:
    async with recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=WEEK.start) as h:
        latency = await h.fire("ApiLatencyHigh", at=at(17, 10), service="checkout")
        await h.resolve(latency, at=at(17, 11))
    async with deps.db.transaction() as session:
        group = (await session.execute(AlertGroup.__table__.select())).first()
        assert group is not None
        session.add(incident("Slow reports", at(12, 9)))  # the week before
        session.add(incident("Checkout broken", at(17, 10, 5), group=group.id))  # its alert names latency
        session.add(incident("Search is <slow>", at(18, 9)))
        session.add(incident("Payments down", at(19, 9)))
    found = await review_opsbot.degradation_finding(deps, digest_runs.team(deps, None), WEEK)
    assert found.has_data and found.summary == "2 performance degradation incidents"
    assert found.lines[0] == "*Total* 2 (▲ 100 % vs 1 last week)"
    assert (
        "INC-2 Checkout broken · 50 min" in found.lines[1]
        and "INC-3 Search is &lt;slow&gt;" in found.lines[2]
    )
    assert len(found.lines) == 3  # "Payments down" is no degradation


async def test_a_week_without_degradations_says_so(deps: Deps) -> None:
    found = await review_opsbot.degradation_finding(deps, digest_runs.team(deps, None), WEEK)
    assert found.has_data and found.lines == ("No performance degradation incidents.",)


async def test_noisy_rules_get_thresholds_from_the_values_seen_while_they_fired(
    deps: Deps, make_settings: Callable[..., Settings], sandbox: RunningSandbox
) -> None:
    async with recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=WEEK.start) as h:
        # opsbot's own CPU check (above 80 %): two short blips peaking at 87 and 89, one real run
        # at 98 lasting half an hour; an Alertmanager rule stating its value (annotation) on one instance, so
        # each firing's own value counts, not the alert's latest: two quick false firings, one real; a rule
        # stating no value (its summary names the threshold), marked as noise each time
        days = ((16, 87.0, "0.61", 2), (17, 89.0, "0.64", 3), (18, 98.0, "2.4", 45))
        for day, peak, seconds, minutes in days:
            await h.sample_host(at=at(day, 10), disk=40, cpu=85)
            await h.sample_host(at=at(day, 10, 2), disk=40, cpu=peak)
            await h.sample_host(at=at(day, 10, 4 if peak < 90 else 40), disk=40, cpu=20)
            summary = "p95 latency is above 0.5s"
            firing = await h.fire(
                "ApiLatencyHigh", at=at(day, 12), instance="api-1", summary=summary, value=f"{seconds}s"
            )
            await h.resolve(firing, at=at(day, 12, minutes))
            flaky = await h.fire("FlakyProbe", at=at(day, 14), probe="p")
            await h.mark_noise(flaky, at=at(day, 14, 1))
            await h.resolve(flaky, at=at(day, 14, 30))
    found = await review_opsbot.threshold_finding(deps, digest_runs.team(deps, None), WEEK)
    lines = "\n".join(found.lines)
    assert found.has_data and found.summary == "2 threshold changes proposed"
    assert (
        "↳ *HostHighCpu*: raise from 80 to fire above 89 — 2 of 2 false firings gone, 0 real ones lost"
        in lines
    )
    assert (
        "↳ *ApiLatencyHigh*: raise to fire above 0.64 — 2 of 2 false firings gone, 0 real ones lost" in lines
    )
    assert "↳ *FlakyProbe*: no values observed — add a `value` annotation to the rule" in lines
    assert len(found.lines) == 3


async def test_no_noisy_rule_leaves_the_digest_its_own_line(deps: Deps) -> None:
    found = await review_opsbot.threshold_finding(deps, digest_runs.team(deps, None), WEEK)
    assert not found.has_data and found.lines == ()


async def test_the_monthly_deep_dive_asks_opsbot_nothing(deps: Deps) -> None:
    month = period_containing(DigestKind.MONTHLY, datetime(2026, 10, 15).date(), "UTC")
    assert await review_opsbot.findings(deps, digest_runs.team(deps, None), month) == {}
