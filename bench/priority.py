"""The urgent message first: a critical alert behind an alert storm, with Slack's real pace (1 post/s per
channel, 429 beyond). Target: p99 < 2 s over 20 runs.

    python bench/priority.py [--runs 20] [--storm 300] [--warnings 100]

Other channel: each run sends a storm of `--storm` info groups into #ops-info (the first run waits for its
first post), then sends one critical alert and times it from the webhook POST to its chat.postMessage in
#critical-alerts. The storms pile up run after run (the info lane keeps thousands waiting).
Same channel: `--warnings` warning groups and then one critical routed to one channel; prints how many
warnings were posted before the critical. Storm roll-ups are off, so each group is a message of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
from common import Bench, describe_ms, opsbot_with_sandbox

from tests.support.alertmanager import alert

PACE = 1.0  # Slack's per-channel pace, and opsbot's
CONFIG = """alerts:
  pace_per_channel_seconds: 1.0
  escalation: []
  info_review: {mode: per_alert}  # the storm's info groups are the load: a message each, not the daily review
  rollup_after_new_groups_per_minute: 0
  max_new_groups_per_source_per_minute: 100000  # the storms here are the load measured, not held back
  routes:
    - {match: ["team=shared"], channel: shared-alerts}
"""


async def post(http: aiohttp.ClientSession, bench: Bench, alerts: list[dict[str, object]]) -> None:
    body = {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": alerts}
    async with http.post(f"{bench.url}/alerts/alertmanager", json=body) as response:
        assert response.status == 200, await response.text()


async def posted(bench: Bench, name: str) -> None:
    await bench.sandbox.workspace.wait_for_call(
        "chat.postMessage",
        predicate=lambda c: c.status == 200 and name in str(c.args.get("text")),
        timeout=120,
    )


async def behind_a_storm(bench: Bench, http: aiohttp.ClientSession, *, runs: int, storm: int) -> list[float]:
    latencies = []
    for run in range(runs):
        await post(http, bench, [alert(f"Info{run}x{i}", severity="info") for i in range(storm)])
        if run == 0:  # later storms queue behind the first one's backlog
            await posted(bench, "Info0x")
        started = time.perf_counter()
        await post(http, bench, [alert(f"Critical{run}", severity="critical")])
        await posted(bench, f"Critical{run}")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(PACE)  # the next critical meets its lane's pace, not the one before it
    return latencies


async def in_line(bench: Bench, http: aiohttp.ClientSession, *, warnings: int) -> int:
    """How many of `warnings` queued in the same channel were posted before the critical that followed."""
    ws = bench.sandbox.workspace
    ws.create_channel("shared-alerts", creator="U0ALICE")
    await post(http, bench, [alert(f"Warn{i}", severity="warning", team="shared") for i in range(warnings)])
    await posted(bench, "Warn")
    await post(http, bench, [alert("SharedCritical", severity="critical", team="shared")])
    await posted(bench, "SharedCritical")
    channel = ws.channel_by_name("shared-alerts").id
    calls = [c for c in ws.calls if c.method == "chat.postMessage" and c.status == 200]
    shared = [str(c.args.get("text")) for c in calls if c.args.get("channel") == channel]
    return next(i for i, text in enumerate(shared) if "SharedCritical" in text)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--storm", type=int, default=300)
    parser.add_argument("--warnings", type=int, default=100)
    args = parser.parse_args()
    async with opsbot_with_sandbox(config=CONFIG, rate_limit=1.0) as bench, aiohttp.ClientSession() as http:
        latencies = await behind_a_storm(bench, http, runs=args.runs, storm=args.storm)
        print(
            f"critical behind a {args.storm}-group info storm: {describe_ms(latencies)}  (target p99 < 2 s)"
        )
        ahead = await in_line(bench, http, warnings=args.warnings)
        print(f"critical behind {args.warnings} warnings in its own channel: {ahead} warning(s) posted first")
        rate_limited = [c for c in bench.sandbox.workspace.calls if c.status == 429]
        print(f"429 answers from Slack: {len(rate_limited)}")


if __name__ == "__main__":
    asyncio.run(main())
