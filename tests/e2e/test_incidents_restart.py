"""A real `opsbot serve` process killed mid-incident and restarted on the same SQLite file: the incident's
timers are persisted, so they still fire, and fire once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import SlackPlayer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET

CONFIG = {
    "alerts": {"pace_per_channel_seconds": 0.02, "escalation": []},
    "host_checks": {"enabled": False},
    "incidents": {
        "levels": {"sev1": {"respond_minutes": 10 / 60, "resolve_minutes": 30, "reminder_minutes": 12 / 60}}
    },
}


@pytest.fixture
async def opsbot_process(sandbox: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Start `opsbot serve` as a real process (killable), on a SQLite file that outlives it."""
    (tmp_path / "incidents.yml").write_text(yaml.safe_dump(CONFIG))
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'incidents.db'}",
        "OPSBOT_CONFIG": str(tmp_path / "incidents.yml"),
    }
    processes: list[asyncio.subprocess.Process] = []

    async def start() -> tuple[str, asyncio.subprocess.Process]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", "0", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        assert process.stdout is not None
        async with asyncio.timeout(20):
            while line := (await process.stdout.readline()).decode():
                if "opsbot listening on" in line:
                    return line.split("opsbot listening on ")[1].strip(), process
        raise RuntimeError("opsbot did not start")

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
        await process.wait()


def count(ws: Any, channel: str, text: str) -> int:
    return sum(text in ws.message_text(m) for m in ws.messages(channel, include_replies=True))


async def test_timers_fire_once_after_a_kill_and_restart(opsbot_process: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    url, first = await opsbot_process()
    async with SlackPlayer(
        ws, bot_url=f"{url}/slack/events", signing_secret=SIGNING_SECRET, sandbox_url=sandbox.url
    ) as slack:
        await slack.slash("/incident", "declare sev1 Ledger out of balance", user="alice")
        await ws.wait_for_message("critical-alerts", contains="Ledger out of balance", timeout=10)
    channel = next(c for c in ws.channels.values() if c.name.startswith("inc-1-"))
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert count(ws, channel.name, "response target") == 0
    await opsbot_process()  # the same database: the timers were stored with the incident
    await ws.wait_for_message(channel.name, contains="the response target ends in", timeout=20)
    await ws.wait_for_message(channel.name, contains="missed its response target", timeout=20)
    await ws.wait_for_message(channel.name, contains="Time for a status update on INC-1", timeout=20)
    await asyncio.sleep(1.5)
    assert count(ws, channel.name, "the response target ends in") == 1
    assert count(ws, channel.name, "missed its response target") == 1
    assert count(ws, channel.name, "Time for a status update") == 1
    assert sum(c.name.startswith("inc-") for c in ws.channels.values()) == 1
