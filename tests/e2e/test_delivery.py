"""The delivery engine end to end: the urgent message first (real `opsbot serve` processes), a Slack outage
that loses nothing (opsbot in-process, on a clock the test moves 30 minutes on), and a channel that cannot
take an alert still pages the on-call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from bot.services.jobs import SyncGroup
from storage.models import OutboxJob
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained
from tests.support.processes import OpsbotProcesses


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 1.0,  # Slack's pace: the sandbox answers 429 to anything faster
            "routes": [{"match": ["team=shared"], "channel": "shared-alerts"}],
            "escalation": [{"after_minutes": 5}],
        },
        "delivery": {"max_backoff_seconds": 60},
    }


def posted(ws: Any, channel: str, text: str) -> list[Any]:
    return [m for m in ws.messages(channel) if text in ws.message_text(m)]


def direct_messages(ws: Any, text: str) -> list[str]:
    """Every DM opsbot sent that contains `text` (to whoever is on call)."""
    found = (ws.message_text(m) for c in ws.channels.values() if c.is_im for m in ws.messages(c.id))
    return [message for message in found if text in message]


@pytest.mark.load
async def test_a_critical_alert_is_not_held_up_by_an_info_storm_in_another_channel(
    opsbot_processes: OpsbotProcesses, sandbox: Any
) -> None:
    ws = sandbox.workspace
    opsbot = await opsbot_processes.start()  # a real `opsbot serve`
    storm = [alert(f"Info{i}", severity="info", job=f"batch-{i}") for i in range(300)]
    status, _ = await send(opsbot.url, *storm)
    assert status == 200
    await ws.wait_for_message("ops-info", contains="Info", timeout=10)  # the storm is being worked off
    status, _ = await send(opsbot.url, alert("PaymentsDown", severity="critical"))
    assert status == 200
    await ws.wait_for_message("critical-alerts", contains="PaymentsDown", timeout=10)
    assert len(ws.messages("ops-info")) < 30, "the critical waited for the info storm"
    assert not [c for c in ws.calls if c.status == 429]


@pytest.mark.load
async def test_a_critical_alert_goes_first_in_its_own_channel_behind_a_hundred_warnings(
    opsbot_processes: OpsbotProcesses, sandbox: Any
) -> None:
    ws = sandbox.workspace
    opsbot = await opsbot_processes.start()  # a real `opsbot serve`
    ws.create_channel("shared-alerts", creator="U0ALICE")
    warnings = [alert(f"Slow{i}", severity="warning", team="shared", job=f"w{i}") for i in range(100)]
    status, _ = await send(opsbot.url, *warnings)
    assert status == 200
    await ws.wait_for_message("shared-alerts", contains="Slow", timeout=10)
    status, _ = await send(opsbot.url, alert("DatabaseDown", severity="critical", team="shared"))
    assert status == 200
    out_when_stored = len(ws.messages("shared-alerts"))  # the 200 comes back once the critical is stored
    critical = await ws.wait_for_message("shared-alerts", contains="DatabaseDown", timeout=10)
    ahead = [m for m in ws.messages("shared-alerts") if float(m.ts) < float(critical.ts)]
    # Only the warning already under way when the critical was stored may go before it.
    assert len(ahead) <= out_when_stored + 1, f"{len(ahead)} warnings went out before the critical"
    assert not [c for c in ws.calls if c.status == 429]


class SteppedClock:
    """opsbot's clock: real time plus an offset the test moves on, so a 30-minute outage passes in seconds."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


@pytest.fixture
async def opsbot_on_a_test_clock(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[tuple[RunningServer, SteppedClock]]:
    clock = SteppedClock()
    server = await start_server(build_deps(make_settings(), clock=clock), host="127.0.0.1", port=0)
    yield server, clock
    await server.close()


async def test_a_thirty_minute_slack_outage_delivers_every_alert_and_page_once_after_it(
    opsbot_on_a_test_clock: tuple[RunningServer, SteppedClock], sandbox: Any
) -> None:
    opsbot, clock = opsbot_on_a_test_clock
    ws = sandbox.workspace
    ws.inject_faults(1_000_000, kind="500")  # Slack is down: every Web API call answers HTTP 500
    names = ("CheckoutDown", "QueueBacklog", "NightlyExport")
    for name, severity in zip(names, ("critical", "warning", "info"), strict=True):
        status, _ = await send(opsbot.url, alert(name, severity=severity))
        assert status == 200
    for _ in range(250):  # 30 minutes of opsbot's time in 20 s of the test's
        clock.ahead += timedelta(seconds=7.2)
        await asyncio.sleep(0.08)
    syncs = await jobs_of(opsbot, SyncGroup.kind)
    assert len(syncs) == 3 and all(job.attempts >= 2 and job.status != "failed" for job in syncs), syncs
    ws.faults.clear()  # Slack is back
    for name, channel in zip(names, ("critical-alerts", "ops-alerts", "ops-info"), strict=True):
        await ws.wait_for_message(channel, contains=name, timeout=20)
    page = await ws.wait_for_message("critical-alerts", contains="unacknowledged", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=clock(), within=20)
    for name, channel in zip(names, ("critical-alerts", "ops-alerts", "ops-info"), strict=True):
        assert len(posted(ws, channel, name)) == 1, (channel, name)
    pages = [m for m in ws.messages("critical-alerts", include_replies=True) if "unacknowledged" in m.text]
    assert pages == [page]
    assert len(direct_messages(ws, "CheckoutDown")) == 1


async def jobs_of(opsbot: RunningServer, kind: str) -> list[OutboxJob]:
    async with opsbot.deps.db.sessions() as session:
        found = await session.execute(select(OutboxJob).where(col(OutboxJob.kind) == kind))
        return list(found.scalars())


async def test_an_archived_alert_channel_pages_the_oncall_by_dm_and_is_reported(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.create_channel("shared-alerts", creator="U0ALICE").is_archived = True
    status, _ = await send(opsbot.url, alert("LedgerDrift", severity="critical", team="shared"))
    assert status == 200
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock())
    [page] = direct_messages(ws, "LedgerDrift")
    assert "#shared-alerts" in page and "channel_not_found" in page  # Slack lists no archived channel
    async with aiohttp.ClientSession() as http, http.get(f"{opsbot.url}/metrics") as response:
        metrics = await response.text()
    assert (
        'opsbot_alert_post_failures_total{channel="shared-alerts",error="channel_not_found"} 1.0' in metrics
    )
