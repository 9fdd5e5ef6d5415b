"""An incident's whole life with opsbot on PostgreSQL (row locks, JSON columns, the unique request key)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sandbox import SlackPlayer

pytestmark = pytest.mark.postgres


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.01, "escalation": []}}


async def test_declare_twice_ack_update_resolve_on_postgres(slack: SlackPlayer, sandbox: Any) -> None:
    ws = sandbox.workspace
    await asyncio.gather(
        slack.slash("/incident", "declare sev2 Refunds failing", user="alice"),
        slack.slash("/incident", "declare sev2 Refunds failing", user="alice", retry_num=1),
    )
    channel = await ws.wait_until(
        lambda: next((c for c in ws.channels.values() if c.name == "inc-1-refunds-failing"), None),
        # the first command of a fresh worker loads the incident modules: slow under libfaketime on two
        # busy cores (a 5 s wait timed out once in a CI run at the monday-00:10 instant)
        timeout=15,
        describe=lambda: f"no incident channel; answers: {[ws.message_text(e) for e in ws.ephemerals]}",
    )
    header = await ws.wait_for_message(
        channel.name, contains="Declared by", predicate=lambda m: bool(m.pinned_to)
    )
    await slack.click(header, "incident_ack", user="bob")
    await slack.slash("/incident", "update Refund worker restarted", user="bob", channel=channel.name)
    await ws.wait_for_message("incidents", contains="Refund worker restarted")
    await slack.slash("/incident", "resolve Bad config rolled back", user="bob", channel=channel.name)
    resolved = await ws.wait_for_update(channel.name, header.ts, contains="Bad config rolled back")
    assert "Acknowledged by <@U0BOB>" in ws.message_text(resolved)
    await ws.wait_for_call("files.completeUploadExternal")
    assert sum(c.name.startswith("inc-") for c in ws.channels.values()) == 1
