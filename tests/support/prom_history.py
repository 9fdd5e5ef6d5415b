"""History for a test's Prometheus: gauges over past weeks, written as OpenMetrics and turned into TSDB blocks
with `promtool tsdb create-blocks-from openmetrics` before Prometheus starts (its documented backfill)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.support.services import binary, require

BACKFILL_TIMEOUT = 120.0
# Backfilled blocks are old: a retention shorter than their age (15 d by default, counted between blocks)
# would delete them at the first reload.
KEEP_HISTORY = "--storage.tsdb.retention.time=100y"


@dataclass(frozen=True)
class Gauge:
    """One series of a gauge and its samples, oldest first."""

    name: str
    labels: Mapping[str, str]
    samples: Sequence[tuple[datetime, float]]


def openmetrics(gauges: Sequence[Gauge]) -> str:
    """The gauges as OpenMetrics text: each family's series together, timestamps in seconds, `# EOF` last."""
    lines: list[str] = []
    for name in dict.fromkeys(g.name for g in gauges):
        lines.append(f"# TYPE {name} gauge")
        for gauge in (g for g in gauges if g.name == name):
            labels = ",".join(f'{key}="{_escaped(value)}"' for key, value in gauge.labels.items())
            lines += [f"{name}{{{labels}}} {value!r} {at.timestamp():.3f}" for at, value in gauge.samples]
    return "\n".join([*lines, "# EOF"]) + "\n"


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def create_blocks(gauges: Sequence[Gauge], data_dir: Path) -> None:
    """Write the gauges into TSDB blocks under `data_dir` (Prometheus's --storage.tsdb.path, not running)."""
    promtool = binary("promtool")
    require(promtool is not None, "the promtool binary")
    assert promtool is not None
    source = data_dir.parent / "history.om"
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(source.write_text, openmetrics(gauges), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source), str(data_dir),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(BACKFILL_TIMEOUT):
        output, _ = await process.communicate()
    if process.returncode != 0:
        raise AssertionError(f"promtool could not backfill {source}: {output.decode(errors='replace')}")
