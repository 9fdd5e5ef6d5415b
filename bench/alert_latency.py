"""End-to-end alert latency, webhook to Slack message, unthrottled. Target p99 < 500 ms.

Sends alerts one at a time (each a new group, so each is a new Slack message) and measures from the start
of the webhook POST to the moment the sandbox records the chat.postMessage for it.

    python bench/alert_latency.py [--alerts 200]
    python bench/alert_latency.py --hung-prometheus [--alerts 20]

`--hung-prometheus` points opsbot at a loopback Prometheus that never answers, has it reach the sandbox by
name (as it reaches slack.com), and measures twice: with Prometheus idle, then while a `/metrics` overview
(eight queries) is sent every half second, so hung queries are always waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
from common import SIGNING_SECRET, Bench, describe_ms, opsbot_with_sandbox

from tests.support.hung_server import HungServer, hung_server

METRICS_EVERY_SECONDS = 0.5


def payload(name: str) -> dict[str, object]:
    alert = {
        "status": "firing",
        "labels": {"alertname": name, "severity": "warning"},
        "annotations": {"summary": "latency probe"},
        "startsAt": "2026-11-22T08:00:00Z",
    }
    return {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": [alert]}


async def measure(bench: Bench, http: aiohttp.ClientSession, *, alerts: int, prefix: str) -> list[float]:
    """Post `alerts` new alerts one after another; the seconds each took to reach Slack."""
    ws = bench.sandbox.workspace
    latencies = []
    for i in range(alerts):
        name = f"{prefix}{i:05d}"
        started = time.perf_counter()
        async with http.post(f"{bench.url}/alerts/alertmanager", json=payload(name)) as response:
            assert response.status == 200
        await ws.wait_for_call(
            "chat.postMessage",
            predicate=lambda c, n=name: c.status == 200 and n in str(c.args.get("text")),
            timeout=60,
        )
        latencies.append(time.perf_counter() - started)
    return latencies


@contextlib.asynccontextmanager
async def metrics_load(bench: Bench, prometheus: HungServer) -> AsyncIterator[None]:
    """Keep `/metrics` overviews coming while the block runs; enter once Prometheus holds queries."""
    player = bench.sandbox.player(bot_url=f"{bench.url}/slack/events", signing_secret=SIGNING_SECRET)

    async def keep_asking() -> None:
        while True:
            await player.slash("/metrics", "", user="bob")
            await asyncio.sleep(METRICS_EVERY_SECONDS)

    task = asyncio.create_task(keep_asking())
    try:
        async with asyncio.timeout(30):
            await prometheus.wait_until_open(1)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await player.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--hung-prometheus", action="store_true")
    args = parser.parse_args()
    config = "alerts:\n  pace_per_channel_seconds: 0\n  escalation: []\n"
    if not args.hung_prometheus:
        async with opsbot_with_sandbox(config=config) as bench, aiohttp.ClientSession() as http:
            latencies = await measure(bench, http, alerts=args.alerts, prefix="Latency")
            print(f"alert latency, webhook to Slack message: {describe_ms(latencies)}  (target p99 < 500 ms)")
        return
    async with (
        hung_server() as prometheus,
        opsbot_with_sandbox(
            config=config, env={"PROMETHEUS_URL": prometheus.url}, slack_by_name=True
        ) as bench,
        aiohttp.ClientSession() as http,
    ):
        idle = await measure(bench, http, alerts=args.alerts, prefix="Idle")
        print(f"alert latency, Prometheus idle:   {describe_ms(idle)}")
        async with metrics_load(bench, prometheus):
            hung = await measure(bench, http, alerts=args.alerts, prefix="Hung")
        held = f"{prometheus.most_open} queries held at most"
        print(f"alert latency, Prometheus hung:   {describe_ms(hung)}  ({held})")


if __name__ == "__main__":
    asyncio.run(main())
