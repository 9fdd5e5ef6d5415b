"""Alert ingest benchmark: 10,000 alerts in webhook payloads of 100 against opsbot + the Slack sandbox.

Runs `opsbot serve` as a real process (SQLite by default, or --database-url for PostgreSQL) talking to an
in-process sandbox that rate-limits like Slack (1 message/s per channel). Prints accepted alerts/s, the
server's CPU per alert, the Slack messages posted, 429s received and the server's peak RSS. Targets:
>= 5,000 alerts/s accepted on SQLite, <= 20 Slack messages for a 10,000-alert storm of one alertname,
zero 429s. With --names 20 the storm spreads over 20 alertnames (20 groups): past
alerts.rollup_after_new_groups_per_minute they share one roll-up message instead of a message each.

    python bench/alert_ingest.py [--alerts 10000] [--names 1] [--batch 100] [--concurrency 4]
                                 [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
from common import opsbot_with_sandbox


def alert(i: int, names: int) -> dict[str, object]:
    name = "StormBench" if names == 1 else f"StormBench{i % names:02d}"
    return {
        "status": "firing",
        "labels": {"alertname": name, "severity": "warning", "job": "api", "instance": f"i-{i}"},
        "annotations": {"summary": "bench storm"},
        "startsAt": "2026-11-22T08:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"bench{i:08d}",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--names", type=int, default=1, help="alertnames (groups) the storm spreads over")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    batches = [
        [alert(i, args.names) for i in range(start, min(start + args.batch, args.alerts))]
        for start in range(0, args.alerts, args.batch)
    ]
    config = "alerts:\n  escalation: []\n"
    async with opsbot_with_sandbox(config=config, database_url=args.database_url, rate_limit=1.0) as bench:
        server, ws = bench.process, bench.sandbox.workspace
        peak_rss = bench.rss_mb()
        pending = iter(batches)
        accepted = 0

        async def sender(http: aiohttp.ClientSession) -> None:
            nonlocal accepted, peak_rss
            for batch in pending:
                payload = {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": batch}
                async with http.post(f"{bench.url}/alerts/alertmanager", json=payload) as response:
                    if response.status == 200:
                        accepted += len(batch)
                peak_rss = max(peak_rss, bench.rss_mb())

        cpu_before = sum(server.cpu_times()[:2])
        started = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(sender(http) for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        cpu_used = sum(server.cpu_times()[:2]) - cpu_before
        per_name = args.alerts // args.names
        everything = f"{per_name} of {per_name}"  # a group's own message, or its line in a roll-up
        await ws.wait_until(
            lambda: (
                True
                if sum(ws.message_text(m).count(everything) for m in ws.messages("ops-alerts")) >= args.names
                else None
            ),
            timeout=60,
            describe=lambda: "the storm's messages never showed every alert",
        )
        await asyncio.sleep(3)  # let the last coalesced updates land
        peak_rss = max(peak_rss, bench.rss_mb())
        posts = sum(1 for c in ws.calls if c.method == "chat.postMessage" and c.status == 200)
        updates = sum(1 for c in ws.calls if c.method == "chat.update" and c.status == 200)
        throttled = sum(1 for c in ws.calls if c.status == 429)
        top_level = len(ws.messages("ops-alerts"))
    print(f"database            {'postgresql' if args.database_url else 'sqlite'}")
    rate = accepted / elapsed
    print(f"alerts accepted     {accepted} in {elapsed:.2f} s = {rate:,.0f} alerts/s (target >= 5,000)")
    print(
        f"server CPU          {cpu_used:.2f} s for {accepted} alerts"
        f" = {accepted / cpu_used:,.0f} alerts per CPU-second (the ceiling on one free core)"
    )
    print(f"alertnames          {args.names}")
    print(
        f"slack messages      {posts} posted ({top_level} in the channel), {updates} updates (target <= 20)"
    )
    print(f"429s received       {throttled} (target 0)")
    print(f"peak RSS (server)   {peak_rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
