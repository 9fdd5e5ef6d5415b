"""A loopback HTTP server that takes every request and never answers: a hung Prometheus, observable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


class HungServer:
    """Counts the requests it holds open now, at most, and those that ended (the client gave up)."""

    def __init__(self) -> None:
        self.url = ""
        self.open = 0
        self.most_open = 0
        self.ended = 0
        self._changed = asyncio.Condition()
        self._release = asyncio.Event()

    async def wait_until_open(self, count: int) -> None:
        """Return once at least `count` requests are held open at the same time."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.open >= count)

    async def _hang(self, request: web.Request) -> web.Response:
        await self._count(+1)
        try:
            await self._release.wait()  # cancelled when the client closes the connection
            return web.Response(status=503)
        finally:
            self.ended += 1
            await asyncio.shield(self._count(-1))

    async def _count(self, step: int) -> None:
        async with self._changed:
            self.open += step
            self.most_open = max(self.most_open, self.open)
            self._changed.notify_all()


@asynccontextmanager
async def hung_server() -> AsyncIterator[HungServer]:
    """Serve a HungServer on an ephemeral loopback port; on leaving, answer what it still holds and stop."""
    hung = HungServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hung._hang)
    # handler_cancellation: a client that gives up closes its connection, which ends the held request here.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hung.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield hung
    finally:
        hung._release.set()
        await runner.cleanup()
