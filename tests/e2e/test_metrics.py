"""/metrics end to end without Prometheus: this host (psutil) and the samples the host checks store."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from bot.charts import LINE_COLOUR
from bot.server import RunningServer
from storage.host_samples import HostSample, add_samples

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOST = "e2e-web-1"
LINE_RGB = [int(LINE_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5)]


@pytest.fixture
def bot_config() -> dict[str, Any]:
    """Name this opsbot's host: /metrics reads the samples stored under that name, and shows it."""
    return {"host_checks": {"host": HOST}}


async def store_cpu_history(opsbot: RunningServer) -> None:
    """Two hours of CPU samples: 20 % the hour before, 30–40 % this hour (average 35 %)."""
    now = datetime.now(UTC)
    earlier = [
        HostSample(host=HOST, metric="cpu", value=20.0, at=now - timedelta(minutes=61 + i)) for i in range(55)
    ]
    recent = [
        HostSample(
            host=HOST,
            metric="cpu",
            value=30.0 + (i % 11),
            at=now - timedelta(minutes=55) + timedelta(seconds=30 * i),
        )
        for i in range(110)
    ]
    # another host on the same database, busier: its samples must not reach this host's chart
    other = [
        HostSample(host="e2e-web-2", metric="cpu", value=90.0, at=now - timedelta(minutes=m))
        for m in range(110)
    ]
    await add_samples(opsbot.deps.db, [*earlier, *recent, *other])


async def test_overview_shows_this_host_and_what_needs_prometheus(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    response = await slack.slash("/metrics", "")
    assert response.status == 200
    answer = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="KPI overview", timeout=10))
    assert "CPU usage" in answer and "Memory usage" in answer and "Disk usage" in answer
    assert "API latency p95" in answer and "needs Prometheus" in answer
    assert f"this host ({HOST})" in answer and "Top processes" in answer and "Load (1 / 5 / 15 min)" in answer
    assert "target < 80 %" in answer


async def test_one_kpi_with_chart_in_the_channel(opsbot: RunningServer, slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    await store_cpu_history(opsbot)
    await slack.slash("/metrics", "cpu 1h", channel="general")
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files), timeout=10)
    (file,) = [f for f in ws.files.values() if f.id == shared.files[0]["id"]]
    assert file.content.startswith(PNG_SIGNATURE) and len(file.content) > 10_000
    assert file.name.endswith(".png") and "CPU usage" in file.title
    numbers = ws.message_text(await ws.wait_for_message("general", contains="Min / avg / max", timeout=10))
    assert "30 % / 35 % / 40 %" in numbers
    assert "Trend vs previous 1h" in numbers and "▲ 75 % (worse)" in numbers
    assert "*Target*\n< 80 %" in numbers  # the CPU KPI's packaged target


async def test_a_fresh_opsbot_says_how_few_samples_it_has_then_charts_the_hour(
    opsbot: RunningServer, slack: Any, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "cpu 1h", channel="general")
    await ws.wait_for_ephemeral(contains="not enough data yet (0 samples) over the last 1h", timeout=10)
    now = datetime.now(UTC)
    await add_samples(
        opsbot.deps.db, [HostSample(host=HOST, metric="cpu", value=30.0, at=now - timedelta(minutes=40))]
    )
    await slack.slash("/metrics", "cpu 1h", channel="general")
    await ws.wait_for_ephemeral(contains="not enough data yet (1 sample) over the last 1h", timeout=10)
    assert not ws.files  # no empty chart was uploaded
    await add_samples(
        opsbot.deps.db, [HostSample(host=HOST, metric="cpu", value=35.0, at=now - timedelta(minutes=20))]
    )
    await slack.slash("/metrics", "cpu 1h", channel="general")
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files), timeout=10)
    (file,) = [f for f in ws.files.values() if f.id == shared.files[0]["id"]]
    image = imread(io.BytesIO(file.content), format="png")[:, :, :3]
    height, width, _ = image.shape
    assert (width, height) == (1500, 750)
    # The line between the two samples spans the third of the hour between them, not the whole axis (the
    # lower half of the chart: the legend's sample of the line sits at the top).
    line = np.abs(image[height // 2 :] - np.array(LINE_RGB)).max(axis=2) < 0.02
    columns = np.flatnonzero(line.any(axis=0))
    assert 0.2 < (columns.max() - columns.min()) / width < 0.45


async def test_in_a_channel_opsbot_is_not_in_the_numbers_come_ephemerally(
    opsbot: RunningServer, slack: Any, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await store_cpu_history(opsbot)
    await slack.slash("/metrics", "cpu", channel="random", user="bob")
    answer = ws.message_text(await ws.wait_for_ephemeral(user="bob", contains="No chart", timeout=10))
    assert "not a member of this channel" in answer and "30 % / 35 % / 40 %" in answer
    assert not ws.messages("random")
    assert not any(file.channels for file in ws.files.values())  # nothing was shared anywhere


async def test_without_stored_samples_the_current_value_still_answers(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "memory 15m")
    answer = ws.message_text(await ws.wait_for_ephemeral(contains="Memory usage", timeout=10))
    assert "No chart: not enough data yet (0 samples) over the last 15m" in answer and " %" in answer


async def test_what_needs_prometheus_says_so(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "latency 24h")
    assert "needs Prometheus" in ws.message_text(await ws.wait_for_ephemeral(contains="API latency p95"))
    await slack.slash("/metrics", "query up")
    await ws.wait_for_ephemeral(contains="`/metrics query` needs Prometheus")


async def test_mistakes_get_a_helpful_answer(slack: Any, sandbox: Any) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "throughput")
    unknown = ws.message_text(await ws.wait_for_ephemeral(contains="no metric called `throughput`"))
    assert "`cpu`" in unknown and "`latency`" in unknown
    await slack.slash("/metrics", "cpu 3 days")
    await ws.wait_for_ephemeral(contains="Use `/metrics [team] <name> [range]`")
    await slack.slash("/metrics", "disk 3x")
    await ws.wait_for_ephemeral(contains="`3x` is not a time range")
    await slack.slash("/metrics", "help")
    help_text = ws.message_text(await ws.wait_for_ephemeral(contains="/metrics — help"))
    assert "/metrics latency 24h" in help_text
