"""The daily info review on SQLite and PostgreSQL: info alerts are stored and grouped but post nothing, each
review is claimed once with the window since the team's last one, lists them by name with trends, and
goes to each team's info channel; an info group raised to critical still gets its message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.config import Settings
from bot.services import digest_runs, info_reviews
from sandbox import RunningSandbox
from storage import info_reviews as store
from storage.models import AlertGroup, OutboxJob
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import AlertHistory, recording, slack_without_limits

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

BERLIN = ZoneInfo("Europe/Berlin")
NEVER = {"year": 2099}  # the tests ask for each review themselves
CONFIG: dict[str, Any] = {
    "team": {"timezone": "Europe/Berlin"},
    "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02},
    "digests": {"enabled": True, "cron": {"weekly": NEVER, "monthly": NEVER, "info_review": NEVER}},
}


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in Berlin."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with slack_without_limits(BOT_TOKEN) as running:
        yield running


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return CONFIG


@pytest.fixture
def record(make_settings: Callable[..., Settings], sandbox: Any) -> Callable[[datetime], Any]:
    return lambda start: recording(make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=start)


def texts(sandbox: Any, channel: str) -> list[str]:
    ws = sandbox.workspace
    return [ws.message_text(m) for m in ws.messages(channel)]


async def review(history: AlertHistory, team: str, *, end: datetime) -> info_reviews.Requested:
    """The team's review ending at `end`, asked for a minute after it and posted."""
    if history.clock() < end + timedelta(minutes=1):
        history.clock.set(end + timedelta(minutes=1))
    deps = history.server.deps
    found = await info_reviews.request(deps, digest_runs.team(deps, team), end=end)
    await history.settled()
    return found


async def test_info_alerts_post_nothing_and_each_days_review_tells_them_by_name_once(
    record: Callable[[datetime], Any], sandbox: Any
) -> None:
    async with record(berlin(16, 9)) as history:
        signups = await history.fire("SignupsLow", at=berlin(16, 10), severity="info", job="signups")
        await history.fire("DauTrendDown", at=berlin(16, 11), severity="info", job="dau")
        await history.resolve(signups, at=berlin(16, 12))
        await history.fire("ApiSlow", at=berlin(16, 13), severity="warning", job="api")
        assert texts(sandbox, "ops-info") == []
        assert any("ApiSlow" in text for text in texts(sandbox, "ops-alerts"))
        async with history.server.deps.db.sessions() as session:
            groups = (await session.execute(select(AlertGroup.alertname, AlertGroup.severity))).all()
            syncs = await session.execute(select(OutboxJob).where(col(OutboxJob.channel) == "ops-info"))
        assert sorted(groups) == [("ApiSlow", "warning"), ("DauTrendDown", "info"), ("SignupsLow", "info")]
        assert syncs.first() is None  # grouped as ever, but no message job queued for them

        first = await review(history, "ops", end=berlin(17, 9, 30))
        deps = history.server.deps
        again = await info_reviews.request(deps, digest_runs.team(deps, "ops"), end=berlin(17, 9, 30))
        assert (first.claimed, again.claimed) == (True, False)
        assert first.key == "info:ops:2026-11-17T09:30:00"
        [day_one] = texts(sandbox, "ops-info")
        assert "Since the last review: 16 Nov 09:30 – 17 Nov 09:30 (Europe/Berlin)" in day_one
        assert "• *DauTrendDown* — fired 1 (new) · 1 still firing" in day_one
        assert "• *SignupsLow* — fired 1 (new) · resolved 1" in day_one
        assert "*Fired* 2 (none the review before) · *resolved* 1 · *still firing* 1" in day_one
        assert "ApiSlow" not in day_one

        signups = await history.fire("SignupsLow", at=berlin(17, 14), severity="info", job="signups")
        await history.resolve(signups, at=berlin(17, 14, 30))
        await history.fire("SignupsLow", at=berlin(17, 15), severity="info", job="signups")
        await review(history, "ops", end=berlin(18, 9, 30))
        day_two = texts(sandbox, "ops-info")[1]
        assert "Since the last review: 17 Nov 09:30 – 18 Nov 09:30 (Europe/Berlin)" in day_two
        assert "• *SignupsLow* — fired 2 (▲ from 1) · resolved 1 · 1 still firing" in day_two
        assert "• *DauTrendDown* — still firing 1" in day_two
        run = await store.get_run(deps.db, "info:ops:2026-11-18T09:30:00")
        assert run is not None and run.window_start == berlin(17, 9, 30) and run.ts is not None


@pytest.mark.parametrize(
    "bot_config",
    [
        {
            **CONFIG,
            "teams": [
                {"name": "payments", "match": ["team=payments"], "timezone": "UTC",
                 "channels": {"info": "payments-oncall"}},
            ],
        },
        {  # the older form: digests.teams, whose first entry is the default team
            **CONFIG,
            "digests": {
                **CONFIG["digests"],
                "teams": [
                    {"name": "ops", "match": ["team=ops"]},
                    {"name": "payments", "match": ["team=payments"], "timezone": "UTC",
                     "info_channel": "payments-oncall"},
                ],
            },
        },
    ],
    ids=["teams", "digests.teams"],
)  # fmt: skip
async def test_each_team_reviews_its_own_info_alerts_and_the_default_team_those_no_team_picks(
    record: Callable[[datetime], Any], sandbox: Any
) -> None:
    async with record(berlin(16, 9)) as history:
        await history.fire("PaymentsFailed", at=berlin(16, 10), severity="info", team="payments")
        await history.fire("SignupsLow", at=berlin(16, 10, 1), severity="info", team="ops")
        await history.fire("NobodysAlert", at=berlin(16, 10, 2), severity="info", team="search")
        await review(history, "ops", end=berlin(17, 9, 30))
        await review(history, "payments", end=berlin(17, 9, 30))
    [ops] = texts(sandbox, "ops-info")
    assert "SignupsLow" in ops and "NobodysAlert" in ops and "PaymentsFailed" not in ops
    [payments] = texts(sandbox, "payments-oncall")
    assert "Info review · payments · 17 Nov 2026 08:30" in payments  # its own zone
    assert "PaymentsFailed" in payments and "SignupsLow" not in payments and "NobodysAlert" not in payments


WEB_ROUTE = {"match": ["team=web"], "channel": "payments-oncall"}  # every severity of the team's alerts


@pytest.mark.parametrize("bot_config", [{**CONFIG, "alerts": {**CONFIG["alerts"], "routes": [WEB_ROUTE]}}])
async def test_an_info_group_raised_to_critical_gets_its_message(
    record: Callable[[datetime], Any], sandbox: Any
) -> None:
    async with record(berlin(16, 9)) as history:
        await history.fire("WebSlow", at=berlin(16, 10), severity="info", team="web", job="web")
        assert texts(sandbox, "payments-oncall") == []
        await history.fire("WebSlow", at=berlin(16, 10, 5), severity="critical", team="web", job="web")
        [message] = texts(sandbox, "payments-oncall")
        assert "WebSlow" in message and "critical" in message.lower()
