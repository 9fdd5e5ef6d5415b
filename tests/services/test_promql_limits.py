"""Raw PromQL at the service level: who may run it, and the daily ticket measurement keeping to the caps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import load_settings
from bot.deps import Deps, build_deps
from bot.domain.tickets import NewTicket
from bot.errors import Forbidden
from bot.services import metrics, tickets
from bot.services.job_runners import RUNNERS
from bot.services.outbox import OutboxWorker
from storage import outbox as jobs
from storage.migrate import upgrade
from tests.support.fake_prometheus import FakePrometheus, fake_prometheus

pytestmark = pytest.mark.calendar_free

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def prometheus() -> AsyncIterator[FakePrometheus]:
    async with fake_prometheus() as fake:
        yield fake


async def build(
    database_url: str, tmp_path: Path, config: dict[str, Any], prometheus_url: str, clock: Clock | None = None
) -> Deps:
    await asyncio.to_thread(upgrade, database_url)
    path = tmp_path / "opsbot.yml"
    path.write_text(yaml.safe_dump(config))
    environ = {
        "OPSBOT_DATABASE_URL": database_url,
        "OPSBOT_CONFIG": str(path),
        "PROMETHEUS_URL": prometheus_url,
    }
    return build_deps(load_settings(environ), clock=clock or Clock())


@pytest.mark.parametrize(
    ("allowed", "members", "user", "may"),
    [
        ([], ["U0ALICE"], "U0ALICE", True),  # the rotation's members always may
        ([], ["U0ALICE"], "U0DAVE", False),  # an empty list is not everyone here
        (["U0DAVE"], ["U0ALICE"], "U0DAVE", True),
        (["U0DAVE"], ["U0ALICE"], "U0ALICE", True),
        (["U0DAVE"], ["U0ALICE"], "U0CAROL", False),
    ],
)
async def test_who_may_run_raw_promql(
    database_url: str, tmp_path: Path, allowed: list[str], members: list[str], user: str, may: bool
) -> None:
    config = {"metrics": {"permissions": {"query": allowed}}, "oncall": {"members": members}}
    deps = await build(database_url, tmp_path, config, "http://127.0.0.1:9")
    try:
        if may:
            await metrics.ensure_may_run_promql(deps, user_id=user)
        else:
            with pytest.raises(Forbidden) as refused:
                await metrics.ensure_may_run_promql(deps, user_id=user)
            assert "`metrics.permissions.query`" in str(refused.value)
    finally:
        await deps.close()


async def test_the_daily_measurement_keeps_to_the_caps(
    database_url: str, tmp_path: Path, prometheus: FakePrometheus
) -> None:
    config = {"prometheus": {"max_series": 3, "max_points": 100}}
    clock = Clock()
    deps = await build(database_url, tmp_path, config, prometheus.url, clock)
    try:
        with pytest.raises(Forbidden):
            await tickets.create(deps, NewTicket("Faster API", metric="sum(up)"), user_id="U0DAVE")
        view, _ = await tickets.create(deps, NewTicket("Faster API", metric="sum(up)"), user_id="U0ALICE")
        await tickets.start(deps, view.number, user_id="U0ALICE")
        assert await OutboxWorker(deps, RUNNERS).run_once() == 1
        (asked,) = prometheus.requests
        window = float(asked["end"]) - float(asked["start"])  # the 7-day baseline window
        assert window / float(asked["step"].removesuffix("s")) <= 100 and asked["timeout"] == "10"
        assert (await tickets.get(deps, view.number)).measure_error is None

        prometheus.series = [{"instance": f"web-{i}"} for i in range(4)]
        await tickets.finish(deps, view.number, user_id="U0ALICE")
        clock.now += timedelta(days=1)  # the first daily after-measurement is due
        assert await OutboxWorker(deps, RUNNERS).run_once() == 1
        shown = await tickets.get(deps, view.number)
        assert shown.measure_error is not None and "more than 3 series" in shown.measure_error
        assert (await jobs.counts_by_status(deps.db)).get("failed") is None  # recorded, not retried
    finally:
        await deps.close()
