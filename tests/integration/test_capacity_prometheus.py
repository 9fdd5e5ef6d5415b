"""The monthly deep dive's capacity forecast against a real Prometheus holding a backfilled September of
node_exporter series: `opsbot digest monthly --for` posts each instance's date to the Slack sandbox."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.blockkit import validate_blocks
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.prom import running_prometheus
from tests.support.prom_history import Gauge

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

MONTH_START = datetime(2026, 9, 1, tzinfo=UTC)  # the month the history covers; its deep dive is asked for
DAYS = 30
DISK_BYTES = 100 * 2**30
MEMORY_BYTES = 16 * 2**30
DISK_THRESHOLD = 95.0  # host_checks' critical disk rule (HostDiskFull, the playbook's > 95 %)
MEMORY_THRESHOLD = 95.0  # host_checks' critical memory rule (HostMemoryExhausted)
# % used on the first day and points a day: web-1's disk fills, its memory creeps, db-1 stays put
WEB_DISK = (60.25, 0.5)
WEB_MEMORY = (30.0, 0.1)
DB_DISK = (40.0, 0.0)
HOSTILE = "db-1 <!channel>"  # instance labels are outside text


def days() -> list[datetime]:
    """One sample a day at midnight: each 2-hour TSDB block holds one, so promtool writes 31, not 360."""
    return [MONTH_START + timedelta(days=n) for n in range(DAYS + 1)]


def used(line: tuple[float, float], at: datetime) -> float:
    first, per_day = line
    return first + per_day * (at - MONTH_START).total_seconds() / 86400


def filesystem(
    instance: str, line: tuple[float, float], *, fstype: str = "ext4", mount: str = "/"
) -> list[Gauge]:
    labels = {"instance": instance, "job": "node", "fstype": fstype, "mountpoint": mount}
    avail = [(at, DISK_BYTES * (1 - used(line, at) / 100)) for at in days()]
    return [
        Gauge("node_filesystem_avail_bytes", labels, avail),
        Gauge("node_filesystem_size_bytes", labels, [(at, float(DISK_BYTES)) for at in days()]),
    ]


def memory(instance: str, line: tuple[float, float]) -> list[Gauge]:
    labels = {"instance": instance, "job": "node"}
    available = [(at, MEMORY_BYTES * (1 - used(line, at) / 100)) for at in days()]
    return [
        Gauge("node_memory_MemAvailable_bytes", labels, available),
        Gauge("node_memory_MemTotal_bytes", labels, [(at, float(MEMORY_BYTES)) for at in days()]),
    ]


def september() -> list[Gauge]:
    """web-1: a root disk filling and a full tmpfs the default query leaves out; db-1: flat."""
    return [
        *filesystem("web-1", WEB_DISK),
        *filesystem("web-1", (99.0, 0.0), fstype="tmpfs", mount="/run"),
        *filesystem(HOSTILE, DB_DISK),
        *memory("web-1", WEB_MEMORY),
        *memory(HOSTILE, (50.0, 0.0)),
    ]


def crossing(line: tuple[float, float], threshold: float) -> date:
    """The day the seeded line reaches `threshold`."""
    first, per_day = line
    return (MONTH_START + timedelta(days=(threshold - first) / per_day)).date()


async def opsbot_command(args: Sequence[str], environ: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env={**os.environ, **environ},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(120):
        out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_monthly_deep_dive_shows_each_instances_capacity_date(
    sandbox: Any, sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "opsbot.yml"
    config.write_text(yaml.safe_dump({"host_checks": {"enabled": False}, "alerts": {"escalation": []}}))
    async with running_prometheus(tmp_path, history=september()) as prom:
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox.api_url,
            "OPSBOT_DATABASE_URL": sqlite_url,
            "OPSBOT_CONFIG": str(config),
            "PROMETHEUS_URL": prom.url,
        }
        code, out = await opsbot_command(["digest", "monthly", "--for", "2026-09-15"], environ)
    assert code == 0 and "posted monthly digest for ops 2026-09 to #ops-review" in out, out
    ws = sandbox.workspace
    message = await ws.wait_for_message("ops-review", contains="Monthly deep dive · ops · September 2026")
    assert validate_blocks(message.blocks) == []
    capacity = ws.message_text(message).split("Plan infrastructure scaling")[1]
    disk_day = crossing(WEB_DISK, DISK_THRESHOLD)  # 39.5 days after the month's end, at 75.25 % and +0.5/day
    assert f"disk on web-1: 75.2 % now, +0.50 %/day — reaches 95 % around {disk_day:%Y-%m-%d}" in capacity
    assert crossing(WEB_MEMORY, MEMORY_THRESHOLD) > (MONTH_START + timedelta(days=DAYS + 365)).date()
    assert "memory on web-1: 33 % now, +0.10 %/day — 95 % not within the 365-day horizon" in capacity
    assert "disk on db-1 &lt;!channel&gt;: 40 % now, +0.00 %/day — 95 % not within the 365-day" in capacity
    assert f"Usage per instance from Prometheus at {prom.url}" in capacity
    assert "unavailable" not in capacity and "tmpfs" not in capacity
