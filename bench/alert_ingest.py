"""Alert ingest benchmark: 10,000 alerts in webhook payloads of 100 against opsbot + the Slack sandbox.

Runs `opsbot serve` as a real process (SQLite by default, or --database-url for PostgreSQL) talking to an
in-process sandbox that rate-limits like Slack (1 message/s per channel). Prints accepted alerts/s, the
Slack messages posted, 429s received and the server's peak RSS. Targets: >= 5,000 alerts/s accepted on
SQLite, <= 20 Slack messages for a 10,000-alert storm of one alertname, zero 429s.

    python bench/alert_ingest.py [--alerts 10000] [--batch 100] [--concurrency 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import start_sandbox  # noqa: E402  (after the path set-up, so it runs from a checkout)

SECRET = "bench-signing-secret"


def alert(i: int) -> dict[str, object]:
    return {
        "status": "firing",
        "labels": {"alertname": "StormBench", "severity": "warning", "job": "api", "instance": f"i-{i}"},
        "annotations": {"summary": "bench storm"},
        "startsAt": "2026-11-22T08:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"bench{i:08d}",
    }


async def start_opsbot(
    api_url: str, token: str, database_url: str, workdir: Path
) -> tuple[asyncio.subprocess.Process, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "OPSBOT_DATABASE_URL": database_url,
        "OPSBOT_LOG_LEVEL": "WARNING",
        "OPSBOT_CONFIG": str(workdir / "bench.yml"),
        "PYTHONPATH": str(ROOT),
    }
    config = "host_checks:\n  enabled: false\nalerts:\n  escalation: []\n"
    (workdir / "bench.yml").write_text(config)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        if "opsbot listening on" in line:
            return process, line.split("opsbot listening on ")[1].strip()
    raise RuntimeError("opsbot did not start")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-bench-"))
    sandbox = await start_sandbox(rate_limit=1.0)
    process, url = await start_opsbot(
        sandbox.api_url, sandbox.bot_token, args.database_url or f"sqlite:///{workdir / 'bench.db'}", workdir
    )
    server = psutil.Process(process.pid)
    peak_rss = server.memory_info().rss
    batches = [
        [alert(i) for i in range(s, min(s + args.batch, args.alerts))]
        for s in range(0, args.alerts, args.batch)
    ]
    queue: asyncio.Queue[list[dict[str, object]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    accepted = 0

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal accepted, peak_rss
        while not queue.empty():
            batch = queue.get_nowait()
            payload = {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": batch}
            async with http.post(f"{url}/alerts/alertmanager", json=payload) as response:
                if response.status == 200:
                    accepted += len(batch)
            peak_rss = max(peak_rss, server.memory_info().rss)

    cpu_before = sum(server.cpu_times()[:2])
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(sender(http) for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    cpu_used = sum(server.cpu_times()[:2]) - cpu_before
    ws = sandbox.workspace
    await ws.wait_until(
        lambda: (
            True
            if any(f"{args.alerts} of {args.alerts}" in ws.message_text(m) for m in ws.messages("ops-alerts"))
            else None
        ),
        timeout=60,
        describe=lambda: "the storm message never showed every alert",
    )
    await asyncio.sleep(3)  # let the last coalesced updates land
    peak_rss = max(peak_rss, server.memory_info().rss)
    posts = sum(1 for c in ws.calls if c.method == "chat.postMessage" and c.status == 200)
    updates = sum(1 for c in ws.calls if c.method == "chat.update" and c.status == 200)
    throttled = sum(1 for c in ws.calls if c.status == 429)
    print(f"database            {'postgresql' if args.database_url else 'sqlite'}")
    print(
        f"alerts accepted     {accepted} in {elapsed:.2f} s = {accepted / elapsed:,.0f} alerts/s"
        " (target >= 5,000)"
    )
    print(
        f"server CPU          {cpu_used:.2f} s for {accepted} alerts"
        f" = {accepted / cpu_used:,.0f} alerts per CPU-second (the ceiling on one free core)"
    )
    print(f"slack messages      {posts} posted, {updates} updates (target <= 20 messages)")
    print(f"429s received       {throttled} (target 0)")
    print(f"peak RSS (server)   {peak_rss / 2**20:.0f} MB")
    process.terminate()
    await process.wait()
    await sandbox.close()


if __name__ == "__main__":
    asyncio.run(main())
