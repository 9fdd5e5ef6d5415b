"""The daily retention run with real storage: one replica prunes a day, and nothing pruned can post again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, period_reported_at
from bot.services import digest_runs, retention
from bot.services.pagerduty_webhooks import CLAIM_SCOPE as PAGERDUTY_SCOPE
from storage.claims import claim, is_claimed
from storage.digests import CLAIM_SCOPE as DIGEST_SCOPE
from storage.models import OutboxJob

NOW = datetime(2027, 3, 27, 20, 0, tzinfo=UTC)  # 09:00 on 28 March in Auckland; never the day tests run
LONG_AGO = NOW - timedelta(days=40)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"team": {"timezone": "Pacific/Auckland"}}


def pruned_rows(deps: Deps, table: str) -> float | None:
    return deps.telemetry.registry.get_sample_value("opsbot_pruned_rows_total", {"table": table})


async def test_the_day_is_the_teams_local_date(deps_at: Callable[[datetime], Deps]) -> None:
    assert retention.day_key(deps_at(NOW)) == "2027-03-28"
    assert retention.day_key(deps_at(NOW - timedelta(hours=10))) == "2027-03-27"


async def test_two_replicas_racing_prune_the_day_once(deps_at: Callable[[datetime], Deps]) -> None:
    first, second = deps_at(NOW), deps_at(NOW)
    async with first.db.transaction() as session:
        session.add(OutboxJob(kind="post", status="done", done_at=LONG_AGO, due_at=LONG_AGO))
        session.add(OutboxJob(kind="post", status="failed", done_at=LONG_AGO, due_at=LONG_AGO))
    await claim(first.db, scope="slack-event", key="Ev1", now=LONG_AGO)
    await claim(first.db, scope="incident-timer", key="7:respond:breach:x", now=LONG_AGO)

    runs = await asyncio.gather(retention.prune(first), retention.prune(second))

    assert sorted(run.claimed for run in runs) == [False, True]
    ran, skipped = runs if runs[0].claimed else runs[::-1]
    assert (ran.day, skipped.day, skipped.rows) == ("2027-03-28", "2027-03-28", {})
    assert ran.rows["outbox"] == 1 and ran.rows["claims"] == 1
    winner = first if runs[0].claimed else second
    assert pruned_rows(winner, "outbox") == 1 and pruned_rows(winner, "claims") == 1
    assert not await is_claimed(first.db, scope="slack-event", key="Ev1")
    assert await is_claimed(first.db, scope="incident-timer", key="7:respond:breach:x")
    assert not (await retention.prune(deps_at(NOW + timedelta(hours=6)))).claimed  # later the same day
    tomorrow = await retention.prune(deps_at(NOW + timedelta(days=1)))
    assert tomorrow.claimed and tomorrow.day == "2027-03-29" and sum(tomorrow.rows.values()) == 0


async def test_a_digest_period_whose_claim_was_pruned_is_not_posted_again(
    deps_at: Callable[[datetime], Deps],
) -> None:
    then = deps_at(LONG_AGO)
    team = digest_runs.team(then, None)
    period = period_reported_at(DigestKind.WEEKLY, LONG_AGO, "Pacific/Auckland")
    assert (await digest_runs.request(then, DigestKind.WEEKLY, team, period)).claimed

    now = deps_at(NOW)
    assert (await retention.prune(now)).rows["claims"] == 1
    again = await digest_runs.request(now, DigestKind.WEEKLY, team, period)
    assert not again.claimed  # its digest_runs row still holds the period


def test_each_prunable_claim_scope_is_one_opsbot_claims_under() -> None:
    """A misspelt scope would keep its claims for good without anyone noticing."""
    package = Path(retention.__file__).parents[1]
    source = "\n".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py"))
    by_reference = {DIGEST_SCOPE, retention.SCOPE, PAGERDUTY_SCOPE}  # constants: they cannot be misspelt
    for scope in set(retention.PRUNABLE_CLAIM_SCOPES) - by_reference:
        assert f'scope="{scope}"' in source, scope
