"""Start-up time to healthy, and memory: RSS idle and after a 10,000-alert storm.

Targets: start-up < 2 s; RSS idle < 120 MB; RSS after the storm < 250 MB.

    python bench/footprint.py [--alerts 10000]
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from common import opsbot_with_sandbox


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    args = parser.parse_args()
    async with opsbot_with_sandbox(rate_limit=1.0) as bench, aiohttp.ClientSession() as http:
        async with http.get(f"{bench.url}/healthz") as response:
            assert response.status == 200
        print(f"start-up to healthy        {bench.started_in:.2f} s  (target < 2 s)")
        await asyncio.sleep(3)
        print(f"RSS idle                   {bench.rss_mb():.0f} MB  (target < 120 MB)")
        peak = bench.rss_mb()
        for start in range(0, args.alerts, 100):
            alerts = [
                {
                    "status": "firing",
                    "labels": {"alertname": "Footprint", "severity": "warning", "instance": f"i-{i}"},
                    "startsAt": "2026-11-22T08:00:00Z",
                }
                for i in range(start, min(start + 100, args.alerts))
            ]
            body = {"version": "4", "status": "firing", "receiver": "opsbot", "alerts": alerts}
            async with http.post(f"{bench.url}/alerts/alertmanager", json=body) as response:
                assert response.status == 200
            peak = max(peak, bench.rss_mb())
        await asyncio.sleep(5)  # let the coalesced Slack updates go out
        peak = max(peak, bench.rss_mb())
        print(
            f"RSS after {args.alerts:,}-alert storm  {bench.rss_mb():.0f} MB now, {peak:.0f} MB peak"
            "  (target < 250 MB)"
        )


if __name__ == "__main__":
    asyncio.run(main())
