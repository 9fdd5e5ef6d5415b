"""End-to-end alert latency, webhook to Slack message, unthrottled. Target p99 < 500 ms.

Sends alerts one at a time (each a new group, so each is a new Slack message) and measures from the start
of the webhook POST to the moment the sandbox records the chat.postMessage for it.

    python bench/alert_latency.py [--alerts 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
from common import describe_ms, opsbot_with_sandbox


def payload(name: str) -> dict[str, object]:
    alert = {
        "status": "firing",
        "labels": {"alertname": name, "severity": "warning"},
        "annotations": {"summary": "latency probe"},
        "startsAt": "2026-11-22T08:00:00Z",
    }
    return {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": [alert]}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200)
    args = parser.parse_args()
    config = "alerts:\n  pace_per_channel_seconds: 0\n  escalation: []\n"
    async with opsbot_with_sandbox(config=config) as bench, aiohttp.ClientSession() as http:
        ws = bench.sandbox.workspace
        latencies = []
        for i in range(args.alerts):
            name = f"Latency{i:05d}"
            started = time.perf_counter()
            async with http.post(f"{bench.url}/alerts/alertmanager", json=payload(name)) as response:
                assert response.status == 200
            await ws.wait_for_call(
                "chat.postMessage",
                predicate=lambda c, n=name: c.status == 200 and n in str(c.args.get("text")),
                timeout=10,
            )
            latencies.append(time.perf_counter() - started)
        print(f"alert latency, webhook to Slack message: {describe_ms(latencies)}  (target p99 < 500 ms)")


if __name__ == "__main__":
    asyncio.run(main())
