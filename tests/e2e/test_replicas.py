"""Two replicas on one PostgreSQL: alerts sent to both, one killed mid-burst; everything delivered once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import aiohttp
import pytest

from tests.support.alertmanager import alert, send
from tests.support.processes import OpsbotProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.02, "escalation": [{"after_minutes": 0.03}]}}


def delivered(sandbox: Any) -> Counter[str]:
    names = Counter[str]()
    for message in sandbox.workspace.messages("ops-alerts"):
        found = re.search(r"· (Replica\d+)", sandbox.workspace.message_text(message))
        if found:
            names[found.group(1)] += 1
    return names


async def send_with_failover(urls: list[str], index: int) -> None:
    """Send like Alertmanager behind a load balancer: on a dead replica, retry on the next one."""
    for attempt in range(len(urls)):
        try:
            status, _ = await send(
                urls[(index + attempt) % len(urls)], alert(f"Replica{index}", severity="warning")
            )
            if status == 200:
                return
        except aiohttp.ClientError:
            continue
    raise AssertionError(f"no replica accepted alert {index}")


async def test_two_replicas_deliver_every_alert_once_and_escalate_once(
    opsbot_processes: OpsbotProcesses, sandbox: Any
) -> None:
    first, second = await opsbot_processes.start(), await opsbot_processes.start()
    urls = [first.url, second.url]
    await asyncio.gather(*(send_with_failover(urls, i) for i in range(20)))
    first.kill()
    await asyncio.gather(*(send_with_failover(urls, i) for i in range(20, 40)))
    await sandbox.workspace.wait_until(
        lambda: True if len(delivered(sandbox)) == 40 else None,
        timeout=60,
        describe=lambda: f"delivered so far: {sorted(delivered(sandbox))}",
    )
    status, _ = await send(second.url, alert("ReplicaCritical", job="api"))
    assert status == 200
    await sandbox.workspace.wait_for_message("critical-alerts", contains=":rotating_light:", timeout=30)
    await asyncio.sleep(3)
    assert set(delivered(sandbox).values()) == {1}
    pages = [
        m
        for m in sandbox.workspace.messages("critical-alerts", include_replies=True)
        if ":rotating_light:" in m.text
    ]
    assert len(pages) == 1
