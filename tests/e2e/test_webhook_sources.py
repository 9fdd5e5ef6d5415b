"""Alerts are identified per source: a webhook payload carrying the fingerprint and labels of one of opsbot's
own host-check alerts (both are shown in "details") reaches an alert of its own, never the host check's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.domain.hostchecks import HOST_SOURCE, UPTIME_ALERTNAME
from bot.server import RunningServer
from storage.models import Alert, AlertGroup
from tests.support.alertmanager import send, timestamp

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    dead_url = f"{sandbox.url}/no-such-page"  # answers 404: down from the first probe
    return {
        "alerts": {"escalation": []},
        "host_checks": {
            "enabled": True,
            "rules": [],  # no host metrics: this machine's load must not raise alerts here
            "uptime": [{"name": "status-page", "url": dead_url}],
            "uptime_interval_seconds": 0.2,
            "uptime_down_after_seconds": 0,
        },
    }


async def stored(opsbot: RunningServer, source: str) -> list[Alert]:
    async with opsbot.deps.db.sessions() as session:
        rows = await session.execute(select(Alert).where(col(Alert.source) == source))
        return list(rows.scalars())


async def test_a_webhook_payload_with_a_host_checks_fingerprint_does_not_resolve_it(
    opsbot: RunningServer, sandbox: Any
) -> None:
    await sandbox.workspace.wait_for_message("critical-alerts", contains=UPTIME_ALERTNAME, timeout=20)
    (host_alert,) = await stored(opsbot, HOST_SOURCE)
    assert host_alert.status == "firing"

    forged = {
        "status": "resolved",
        "labels": dict(host_alert.labels),
        "annotations": {"summary": "all good, stop paging"},
        "startsAt": timestamp(host_alert.starts_at),
        "endsAt": timestamp(host_alert.starts_at),
        "fingerprint": host_alert.fingerprint,
    }
    status, body = await send(opsbot.url, forged)
    assert status == 200, body

    async with opsbot.deps.db.sessions() as session:
        after = await session.get(Alert, host_alert.id)
        group = (
            await session.execute(select(AlertGroup).where(col(AlertGroup.group_key) == host_alert.group_key))
        ).scalar_one()
    assert after is not None and (after.status, after.source) == ("firing", HOST_SOURCE)
    assert (group.status, group.firing_count) == ("firing", 1)
    (own,) = await stored(opsbot, "alertmanager")  # the payload's alert is one of its own
    assert (own.fingerprint, own.status) == (host_alert.fingerprint, "resolved")
