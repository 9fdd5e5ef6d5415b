"""The Alertmanager webhook is closed by default: off loopback it needs a token, and one request cannot open
thousands of groups (the alerts past the cap are stored and told in one overflow message)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.server import RunningServer
from sandbox.waits import message_text
from storage.models import Alert, AlertGroup, AlertRollup
from tests.support.alertmanager import payload, timestamp
from tests.support.processes import OpsbotProcesses

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

FLOOD = 10_000
CAP = 100  # the default of alerts.max_new_groups_per_source_per_minute
NAMES = ("FloodA", "FloodB", "FloodC")


@pytest.fixture
def bot_config() -> dict[str, Any]:
    # 10,000 alerts take more than the default 1 MiB only because these carry a name, job and instance each.
    return {"alerts": {"escalation": []}, "server": {"max_body_bytes": 4 * 1024 * 1024}}


async def serve(processes: OpsbotProcesses, *argv: str, **env: str) -> asyncio.subprocess.Process:
    """Run `opsbot serve` with `argv`; its stdout and stderr are kept for the test to read."""
    environ = {k: v for k, v in processes.env.items() if k != "OPSBOT_ALERT_WEBHOOK_TOKEN"} | env
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", *argv, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_serving_off_loopback_without_a_webhook_token_is_refused(
    opsbot_processes: OpsbotProcesses,
) -> None:
    process = await serve(opsbot_processes, "--host", "0.0.0.0", "--port", "0")
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            while line := await process.stdout.readline():  # EOF when it refuses
                assert b"listening" not in line, f"served off loopback without a token: {line.decode()}"
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 2, stderr.decode()
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "OPSBOT_ALERT_WEBHOOK_TOKEN is not set" in lines[0], lines


async def test_off_loopback_with_a_token_it_serves_and_checks_the_token(
    opsbot_processes: OpsbotProcesses,
) -> None:
    process = await serve(
        opsbot_processes, "--host", "0.0.0.0", "--port", "0", OPSBOT_ALERT_WEBHOOK_TOKEN="am-t0ken"
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while b"listening on" not in (line := await process.stdout.readline()):
                assert line, (await process.communicate())[1].decode()
        port = line.decode().strip().rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}/alerts/alertmanager"
        body = payload({"status": "firing", "labels": {"alertname": "TokenCheck", "severity": "warning"}})
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=body) as response:
                assert response.status == 401
            headers = {"Authorization": "Bearer am-t0ken"}
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 200
    finally:
        process.kill()
        await process.communicate()


def flood() -> list[dict[str, Any]]:
    """10,000 alerts of distinct jobs: a group each, as a rogue or forged sender could send in one request."""
    starts = timestamp(datetime.now(UTC))
    return [
        {
            "status": "firing",
            "labels": {"alertname": NAMES[i % 3], "job": f"j{i}", "severity": "critical"},
            "startsAt": starts,
        }
        for i in range(FLOOD)
    ]


@pytest.mark.load  # 10,000 alerts in one request: a storm, not a calendar question
async def test_one_request_of_10000_alerts_opens_at_most_the_cap_and_tells_the_rest_in_one_message(
    opsbot: RunningServer, sandbox: Any
) -> None:
    timeout = aiohttp.ClientTimeout(total=120)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(f"{opsbot.url}/alerts/alertmanager", json=payload(*flood())) as response,
    ):
        assert response.status == 200, await response.text()
        assert (await response.json())["alerts"] == FLOOD

    async with opsbot.deps.db.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Alert))
        groups = await session.scalar(select(func.count()).select_from(AlertGroup))
    assert stored == FLOOD  # nothing is lost
    assert groups == CAP
    async with opsbot.deps.db.sessions() as session:
        overflows = (
            await session.execute(select(AlertRollup).where(col(AlertRollup.source) == "alertmanager"))
        ).scalars().all()  # fmt: skip
    (overflow,) = overflows
    assert sum(overflow.held.values()) == FLOOD - CAP

    message = await sandbox.workspace.wait_for_message(
        "critical-alerts", contains=f"{FLOOD - CAP:,} alerts from alertmanager held back", timeout=30
    )
    text = message_text(message)
    assert all(f"*{name}* ×" in text for name in NAMES)
