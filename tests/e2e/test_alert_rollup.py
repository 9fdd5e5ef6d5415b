"""A storm of many alert groups lands as one roll-up message, at Slack's real pace, and resolves in place."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, resolved, send
from tests.support.outbox import wait_until_drained

NAMES = [f"Storm{i:02d}" for i in range(20)]
CRITICAL = "Storm07"  # critical groups never join a roll-up: this one keeps its own message


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {
            "pace_per_channel_seconds": 1.0,
            "escalation": [],
            "rollup_after_new_groups_per_minute": 4,
            # The whole storm, its critical alerts included, goes to one channel.
            "routes": [{"match": ["storm=yes"], "channel": "ops-alerts"}],
        }
    }


def storm(count: int) -> list[dict[str, Any]]:
    """`count` alerts spread over 20 alertnames (one group each), interleaved as Alertmanager sends them."""
    return [
        alert(
            NAMES[i % 20],
            job="api",
            instance=f"i-{i}",
            storm="yes",
            severity="critical" if NAMES[i % 20] == CRITICAL else "warning",
        )
        for i in range(count)
    ]


async def send_all(url: str, alerts: list[dict[str, Any]], *, batch: int = 100, concurrency: int = 4) -> None:
    batches = iter([alerts[start : start + batch] for start in range(0, len(alerts), batch)])

    async def sender() -> None:
        for chunk in batches:
            status, _ = await send(url, *chunk)
            assert status == 200

    await asyncio.gather(*(sender() for _ in range(concurrency)))


@pytest.mark.load
async def test_a_storm_of_20_alertnames_lands_as_one_rollup_updated_in_place(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    alerts = storm(10_000)
    await send_all(opsbot.url, alerts)
    rollup = await ws.wait_for_message("ops-alerts", contains="Alert storm", timeout=20)
    await ws.wait_until(  # in its first post, or an update: the critical group's own post goes first
        lambda: True if "19 alert groups, 19 firing" in ws.message_text(_message(ws, rollup.ts)) else None,
        timeout=20,
        describe=lambda: ws.message_text(_message(ws, rollup.ts)),
    )
    await wait_until_drained(opsbot.deps.db, within=30)

    listed = ws.message_text(_message(ws, rollup.ts))
    assert "*Storm00* `job=api` · warning · 500 of 500 firing" in listed
    assert set(re.findall(r"Storm\d\d", listed)) == set(NAMES) - {CRITICAL}
    own = [ws.message_text(m) for m in ws.messages("ops-alerts") if m.ts != rollup.ts]
    assert len(own) == 1 and "CRITICAL · Storm07" in own[0]  # on-call still sees it, with its buttons

    await send_all(opsbot.url, [resolved(a) for a in alerts])
    await ws.wait_for_update("ops-alerts", rollup.ts, contains="all resolved", timeout=20)
    await wait_until_drained(opsbot.deps.db, within=30)

    assert len(ws.messages("ops-alerts")) == 2  # the roll-up and the critical group's own message
    posts = [c for c in ws.calls if c.method == "chat.postMessage" and c.status == 200]
    assert len(posts) <= 20
    assert not [c for c in ws.calls if c.status == 429]


def _message(ws: Any, ts: str) -> Any:
    return next(m for m in ws.messages("ops-alerts") if m.ts == ts)
