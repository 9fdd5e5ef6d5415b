"""Delivery that loses nothing: Slack faults during a burst, a storm, and kill -9 right after the 200."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.server import RunningServer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alertmanager import alert, send


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.05, "escalation": []}}


def alertnames(sandbox: Any, channel: str) -> Counter[str]:
    found = Counter[str]()
    for message in sandbox.workspace.messages(channel):
        match = re.search(r"· (Burst\d+)", sandbox.workspace.message_text(message))
        if match:
            found[match.group(1)] += 1
    return found


async def wait_for_count(sandbox: Any, channel: str, expected: int, *, within: float = 30) -> None:
    await sandbox.workspace.wait_until(
        lambda: True if sum(alertnames(sandbox, channel).values()) >= expected else None,
        timeout=within,
        describe=lambda: f"{dict(alertnames(sandbox, channel))}",
    )


async def test_429s_and_500s_during_a_burst_still_deliver_every_alert_once(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    ws.set_rate_limit(5.0, burst=2)
    ws.inject_faults(3, kind="500", methods={"chat.postMessage"})
    ws.inject_faults(3, kind="429", methods={"chat.postMessage"}, retry_after=1)
    for i in range(8):
        status, _ = await send(opsbot.url, alert(f"Burst{i}", severity="warning"))
        assert status == 200
    await wait_for_count(sandbox, "ops-alerts", 8)
    await asyncio.sleep(0.5)
    assert alertnames(sandbox, "ops-alerts") == Counter({f"Burst{i}": 1 for i in range(8)})
    statuses = Counter(c.status for c in ws.calls if c.method == "chat.postMessage")
    assert statuses[500] == 3 and statuses[429] >= 3


@pytest.fixture
async def opsbot_process(sandbox: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Run `opsbot serve` as a real process (so it can be killed), on a SQLite file that outlives it."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'kill.db'}",
        "OPSBOT_CONFIG": str(tmp_path / "kill.yml"),
    }
    (tmp_path / "kill.yml").write_text("alerts:\n  pace_per_channel_seconds: 0.02\n  escalation: []\n")
    processes: list[asyncio.subprocess.Process] = []

    async def start() -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--port",
            "0",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        processes.append(process)
        assert process.stdout is not None
        async with asyncio.timeout(20):
            while line := (await process.stdout.readline()).decode():
                if "opsbot listening on" in line:
                    return line.split("opsbot listening on ")[1].strip()
        raise RuntimeError("opsbot did not start")

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_kill_9_right_after_the_200_loses_nothing(opsbot_process: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    ws.inject_faults(10_000, kind="500", methods={"chat.postMessage"})  # Slack is down: nothing gets out
    url = await opsbot_process()
    for i in range(5):
        status, _ = await send(url, alert(f"Burst{i}", severity="warning"))
        assert status == 200
    pid = int(await _pid_listening(url))
    os.kill(pid, signal.SIGKILL)
    ws.faults.clear()  # Slack is back
    assert alertnames(sandbox, "ops-alerts") == Counter()
    await opsbot_process()
    await wait_for_count(sandbox, "ops-alerts", 5, within=45)  # an in-flight job waits out its lease
    await asyncio.sleep(0.5)
    assert alertnames(sandbox, "ops-alerts") == Counter({f"Burst{i}": 1 for i in range(5)})


async def _pid_listening(url: str) -> int:
    """The pid of the server process behind `url` (found by its listening port)."""
    import psutil

    port = int(url.rsplit(":", 1)[1])
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
            assert connection.pid is not None
            return connection.pid
    raise AssertionError(f"nothing listens on {port}")
