"""Slash-command acknowledgement latency: 2,000 signed commands at 20 concurrent. Target p99 < 50 ms.

Each command is a real signed `/oncall help` from the sandbox player; the figure is the time until opsbot's
HTTP 200 (the acknowledgement Slack waits for), not the reply that follows through response_url.

    python bench/slash_ack.py [--commands 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio

from common import SIGNING_SECRET, describe_ms, opsbot_with_sandbox


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    async with opsbot_with_sandbox() as bench:
        player = bench.sandbox.player(bot_url=f"{bench.url}/slack/events", signing_secret=SIGNING_SECRET)
        await player.slash("/oncall", "help")  # warm-up: the first request pays for auth.test
        remaining = iter(range(args.commands))
        latencies: list[float] = []

        async def worker() -> None:
            for _ in remaining:
                response = await player.slash("/oncall", "help", user="bob", channel="general")
                assert response.status == 200, response.status
                latencies.append(response.elapsed)

        cpu_before = sum(bench.process.cpu_times()[:2])
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        cpu_used = sum(bench.process.cpu_times()[:2]) - cpu_before
        await player.close()
        print(
            f"slash-command ack latency ({args.commands} commands, {args.concurrency} concurrent): "
            f"{describe_ms(latencies)}  (target p99 < 50 ms)"
        )
        print(
            f"server CPU          {1000 * cpu_used / args.commands:.2f} ms per command "
            "(verification, dispatch, ack and the reply through response_url)"
        )


if __name__ == "__main__":
    asyncio.run(main())
