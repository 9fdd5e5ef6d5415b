"""Two and three replicas on one PostgreSQL share the lanes: with Slack answering each post after 0.6 s,
100 new alert groups over ten channels are each posted once, at Slack's pace (no 429), even when one
replica is SIGKILLed mid-way."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from storage.db import create_database
from tests.support.alertmanager import alert, send_with_failover
from tests.support.outbox import wait_until_drained
from tests.support.processes import OpsbotProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.load]

LANES = 10
GROUPS = 100


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 1.0,  # Slack's: about one message per second per channel
            "escalation": [],
            "rollup_after_new_groups_per_minute": 0,  # each group's own message is what is counted here
            "max_new_groups_per_source_per_minute": 1000,  # 100 warning groups in a minute: over half of 100
            "routes": [{"match": [f"shard={n}"], "channel": f"load-{n}"} for n in range(LANES)],
        },
        "delivery": {"lease_seconds": 5},  # a killed replica's lanes are free again 5 s later
    }


def posted(ws: Any) -> Counter[str]:
    names = Counter[str]()
    for n in range(LANES):
        for message in ws.messages(f"load-{n}"):
            found = re.search(r"· (Load\d+)", ws.message_text(message))
            if found:
                names[found.group(1)] += 1
    return names


@pytest.mark.parametrize(("replicas", "kill"), [(2, False), (3, True)], ids=["two", "three-one-killed"])
async def test_replicas_post_every_group_once_at_slacks_pace(
    opsbot_processes: OpsbotProcesses, sandbox: Any, bot_database_url: str, replicas: int, kill: bool
) -> None:
    ws = sandbox.workspace
    for n in range(LANES):
        ws.create_channel(f"load-{n}", creator="U0ALICE")  # opsbot joins each on its first post
    ws.inject_faults(100_000, kind="slow", delay=0.6, methods={"chat.postMessage", "chat.update"})
    started = [await opsbot_processes.start() for _ in range(replicas)]
    urls = [replica.url for replica in started]
    sends = asyncio.gather(
        *(
            send_with_failover(urls, i, alert(f"Load{i}", severity="warning", shard=str(i % LANES)))
            for i in range(GROUPS)
        )
    )
    if kill:
        await ws.wait_until(
            lambda: True if sum(posted(ws).values()) >= GROUPS // 4 else None,
            timeout=60,
            describe=lambda: f"posted so far: {sum(posted(ws).values())}",
        )
        started[0].kill()  # mid-way: its leased lanes and jobs are taken over, not lost or repeated
    await sends
    await ws.wait_until(
        lambda: True if len(posted(ws)) == GROUPS else None,
        timeout=120,
        describe=lambda: f"{len(posted(ws))} of {GROUPS} groups posted",
    )
    db = create_database(bot_database_url)
    try:
        await wait_until_drained(db, due_by=datetime.now(UTC), within=30)
    finally:
        await db.dispose()
    twice = {name: times for name, times in posted(ws).items() if times > 1}
    assert not twice, twice
    assert not [c for c in ws.calls if c.status == 429]
