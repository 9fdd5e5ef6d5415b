"""What every benchmark needs: an in-process Slack sandbox and a real `opsbot serve` process beside it."""

from __future__ import annotations

import asyncio
import compileall
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import RunningSandbox, start_sandbox  # noqa: E402  (after the path set-up)

SIGNING_SECRET = "bench-signing-secret"


@dataclass
class Bench:
    sandbox: RunningSandbox
    url: str
    process: psutil.Process
    started_in: float

    def rss_mb(self) -> float:
        return float(self.process.memory_info().rss) / 2**20


@asynccontextmanager
async def opsbot_with_sandbox(
    *,
    config: str = "",
    database_url: str | None = None,
    rate_limit: float | None = None,
    env: dict[str, str] | None = None,
    slack_by_name: bool = False,
) -> AsyncIterator[Bench]:
    """Start the sandbox and `opsbot serve`; yield once /healthz answers (start-up time measured).

    `env` adds to opsbot's environment. `slack_by_name` has opsbot reach the sandbox as `localhost`, as it
    reaches slack.com: by a name, so new connections need a DNS look-up (a thread of the loop's default pool).
    """
    precompile()
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-bench-"))
    (workdir / "bench.yml").write_text("host_checks:\n  enabled: false\n" + config)
    sandbox = await start_sandbox(rate_limit=rate_limit)
    environ = {
        **os.environ,
        "SLACK_BOT_TOKEN": sandbox.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "OPSBOT_DATABASE_URL": database_url or f"sqlite:///{workdir / 'b.db'}",
        "OPSBOT_LOG_LEVEL": "WARNING",
        "OPSBOT_CONFIG": str(workdir / "bench.yml"),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    if slack_by_name:
        environ["SLACK_API_URL"] = sandbox.api_url.replace("127.0.0.1", "localhost")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--port",
        "0",
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    try:
        url = await _listening_url(process)
        yield Bench(sandbox, url, psutil.Process(process.pid), time.perf_counter() - started)
    finally:
        process.terminate()
        await process.wait()
        await sandbox.close()


def precompile() -> None:
    """Write opsbot's bytecode first, as pip does when it installs a wheel: a checkout run with
    PYTHONDONTWRITEBYTECODE (set on these machines) would otherwise compile every module at each start."""
    for package in ("bot", "handlers", "storage", "sandbox"):
        compileall.compile_dir(ROOT / package, quiet=1)


async def _listening_url(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        if "opsbot listening on" in line:
            return line.split("opsbot listening on ")[1].strip()
    raise RuntimeError("opsbot did not start")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def describe_ms(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"mean {statistics.fmean(ms):.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"
    )
