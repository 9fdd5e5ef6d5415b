"""Measured impact from this host's stored samples (no Prometheus), driven by the outbox on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_settings
from bot.deps import Deps, build_deps
from bot.domain.hostchecks import HostReading
from bot.domain.tickets import NewTicket, Verdict
from bot.services import tickets
from bot.services.job_runners import RUNNERS
from bot.services.metric_sources import HostSource, kpis_from_config
from bot.services.outbox import OutboxWorker
from storage import outbox as jobs
from storage.host_samples import HostSample, add_samples
from storage.migrate import upgrade

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
READING = HostReading(cpu_percent=10, memory_percent=40, disks={"/": 50}, load=(1, 1, 1))


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def deps(database_url: str) -> AsyncIterator[tuple[Deps, Clock]]:
    await asyncio.to_thread(upgrade, database_url)
    clock = Clock()
    settings = load_settings({"OPSBOT_DATABASE_URL": database_url})
    built = build_deps(settings, clock=clock)
    kpis = kpis_from_config(settings.file.kpis)
    built.metrics = HostSource(built.db, kpis=kpis, hostname="web-1", read_host=lambda: READING, clock=clock)
    yield built, clock
    await built.close()


async def test_cpu_baseline_and_after_from_host_samples(deps: tuple[Deps, Clock]) -> None:
    bot, clock = deps
    hours = range(-8 * 24, 9 * 24)
    await add_samples(
        bot.db,
        [
            HostSample(host="web-1", metric="cpu", value=80 if h <= 0 else 40, at=T0 + timedelta(hours=h))
            for h in hours
        ],
    )
    view, _ = await tickets.create(bot, NewTicket("Cache renders", metric="cpu"), user_id="U0ALICE")
    await tickets.start(bot, view.number, user_id="U0ALICE")
    worker = OutboxWorker(bot, RUNNERS)
    assert await worker.run_once() == 1
    started = await tickets.get(bot, view.number)
    assert started.measured is not None and started.measured.before == pytest.approx(80)
    clock.now = T0 + timedelta(minutes=30)
    await tickets.finish(bot, view.number, user_id="U0ALICE", note="done")
    assert await worker.run_once() == 0  # the first after-measurement is due a day later
    for day in range(1, 9):
        clock.now = T0 + timedelta(minutes=30, days=day, seconds=1)
        assert await worker.run_once() == 1
        measured = (await tickets.get(bot, view.number)).measured
        assert measured is not None and measured.after == pytest.approx(40)
        assert measured.after_final is (day >= 7)
        if measured.after_final:
            break
    assert await jobs.counts_by_status(bot.db) == {"done": 8}  # the baseline and seven daily refreshes
    (entry,) = await tickets.registry(bot, T0, clock.now)
    assert entry.impact is not None and entry.impact.change is not None
    assert entry.impact.change.percent == pytest.approx(-50)
    assert entry.impact.change.verdict is Verdict.BETTER and entry.impact.metric_title == "CPU usage"


async def test_a_query_this_host_cannot_answer_is_recorded_not_retried(deps: tuple[Deps, Clock]) -> None:
    bot, _ = deps
    view, _ = await tickets.create(bot, NewTicket("Faster API", metric="latency"), user_id="U0ALICE")
    await tickets.start(bot, view.number, user_id="U0ALICE")
    assert await OutboxWorker(bot, RUNNERS).run_once() == 1
    shown = await tickets.get(bot, view.number)
    assert shown.measure_error is not None and "needs Prometheus" in shown.measure_error
    assert await jobs.counts_by_status(bot.db) == {"done": 1}
