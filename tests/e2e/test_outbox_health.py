"""Issue #14 end to end: a job the worker gives up on, or one stuck behind a paused lane, shows in /healthz
(degraded, named, still 200) and in /metrics (opsbot_outbox_jobs, opsbot_outbox_overdue_jobs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.server import RunningServer
from storage import outbox
from storage.models import OutboxLane

pytestmark = pytest.mark.calendar_free

Health = dict[str, Any]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def healthz(http: aiohttp.ClientSession, opsbot: RunningServer) -> tuple[int, Health]:
    async with http.get(f"{opsbot.url}/healthz") as response:
        return response.status, await response.json()


async def metrics(http: aiohttp.ClientSession, opsbot: RunningServer) -> str:
    async with http.get(f"{opsbot.url}/metrics") as response:
        assert response.status == 200
        return await response.text()


async def wait_for_health(
    http: aiohttp.ClientSession, opsbot: RunningServer, until: Callable[[Health], bool], within: float = 10
) -> Health:
    """Poll /healthz (what a probe sees) until `until` holds."""
    async with asyncio.timeout(within):
        while True:
            status, body = await healthz(http, opsbot)
            assert status == 200, body
            if until(body):
                return body
            await asyncio.sleep(0.1)


async def enqueue(opsbot: RunningServer, kind: str, *, lane: str, due_ago: timedelta = timedelta(0)) -> None:
    now = opsbot.deps.clock()
    async with opsbot.deps.db.transaction() as session:
        await outbox.enqueue(session, kind=kind, payload={}, now=now, channel=lane, due_at=now - due_ago)
    opsbot.deps.wake_outbox()


async def test_a_healthy_outbox_reports_ok_and_zero_gauges(
    opsbot: RunningServer, http: aiohttp.ClientSession
) -> None:
    status, body = await healthz(http, opsbot)
    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "outbox": {"pending": 0, "sending": 0, "failed": 0, "overdue": 0},
    }
    exposition = await metrics(http, opsbot)
    assert 'opsbot_outbox_jobs{status="failed"} 0.0' in exposition
    assert "opsbot_outbox_overdue_jobs 0.0" in exposition


async def test_a_job_given_up_makes_healthz_degraded_names_it_and_counts_in_metrics(
    opsbot: RunningServer, http: aiohttp.ClientSession
) -> None:
    await enqueue(opsbot, "no-such-kind", lane="ops-info")  # the worker has no runner: it fails for good
    body = await wait_for_health(http, opsbot, lambda body: body["outbox"]["failed"] == 1)
    assert body["status"] == "degraded"
    [job] = body["outbox"]["failed_jobs"]
    assert (job["kind"], job["lane"], job["attempts"]) == ("no-such-kind", "ops-info", 1)
    assert job["last_error"] == "no runner for 'no-such-kind'"
    assert isinstance(job["id"], int) and "overdue_jobs" not in body["outbox"]
    assert 'opsbot_outbox_jobs{status="failed"} 1.0' in await metrics(http, opsbot)


async def test_a_job_stuck_behind_a_paused_lane_is_overdue(
    opsbot: RunningServer, http: aiohttp.ClientSession
) -> None:
    paused_until = opsbot.deps.clock() + timedelta(minutes=10)  # as a 429 with Retry-After: 600 leaves it
    async with opsbot.deps.db.transaction() as session:
        session.add(OutboxLane(name="ops-paused", next_post_at=paused_until))
    await enqueue(opsbot, "post", lane="ops-paused", due_ago=timedelta(minutes=2))
    status, body = await healthz(http, opsbot)
    assert (status, body["status"]) == (200, "degraded")
    assert (body["outbox"]["pending"], body["outbox"]["overdue"], body["outbox"]["failed"]) == (1, 1, 0)
    [job] = body["outbox"]["overdue_jobs"]
    assert (job["kind"], job["lane"], job["attempts"], job["last_error"]) == ("post", "ops-paused", 0, None)
    assert body["outbox"]["oldest_overdue_due_at"] == job["due_at"]
    exposition = await metrics(http, opsbot)
    assert "opsbot_outbox_overdue_jobs 1.0" in exposition
    assert 'opsbot_outbox_jobs{status="pending"} 1.0' in exposition
