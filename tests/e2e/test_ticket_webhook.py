"""The outbound ticket webhook: signed JSON events through the durable outbox, retried after a 500."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer

SECRET = "ticket-webhook-secret-42"


@dataclass
class Receiver:
    """A local webhook endpoint: answers 500 to the first delivery, then 200; records every request."""

    url: str = ""
    requests: asyncio.Queue[tuple[dict[str, str], bytes, int]] = field(default_factory=asyncio.Queue)
    calls: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        status = 500 if self.calls == 1 else 200
        await self.requests.put((dict(request.headers), await request.read(), status))
        return web.Response(status=status)

    async def next(self) -> tuple[dict[str, str], bytes, int]:
        async with asyncio.timeout(20):
            return await self.requests.get()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/tickets", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/tickets"
    yield found
    await runner.cleanup()


@pytest.fixture
def bot_config(receiver: Receiver) -> dict[str, Any]:
    return {"tickets": {"webhook_url": receiver.url}}


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningServer]:
    settings = make_settings(OPSBOT_TICKET_WEBHOOK_SECRET=SECRET)
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


def signed(headers: dict[str, str], body: bytes) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-Opsbot-Signature", ""), expected)


async def test_events_are_signed_and_a_failed_delivery_is_retried(
    slack: SlackPlayer, sandbox: Any, receiver: Receiver
) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Shard the sessions table impact=high effort=high area=database")
    await ws.wait_for_message("general", contains="opened TKT-1")
    headers, body, status = await receiver.next()
    assert status == 500 and signed(headers, body)
    assert headers["Content-Type"] == "application/json" and headers["X-Opsbot-Timestamp"].isdigit()
    first = json.loads(body)
    assert first["event"] == "created" and first["actor"] == "U0ALICE"
    assert first["ticket"]["number"] == 1 and first["ticket"]["quadrant"] == "Major Project"
    headers, retried, status = await receiver.next()  # the outbox retries after its backoff
    assert status == 200 and signed(headers, retried) and json.loads(retried)["id"] == first["id"]
    await slack.slash("/ticket", "assign 1 <@U0BOB|bob>")
    headers, body, _ = await receiver.next()
    event = json.loads(body)
    assert signed(headers, body) and event["event"] == "assigned" and event["ticket"]["owner"] == "U0BOB"
    await slack.slash("/ticket", "drop 1 too big for now", user="bob")
    _, body, _ = await receiver.next()
    dropped = json.loads(body)
    assert dropped["event"] == "dropped" and dropped["ticket"]["status"] == "dropped"
    assert receiver.requests.empty()


async def test_a_tampered_body_fails_the_signature(slack: SlackPlayer, receiver: Receiver) -> None:
    await slack.slash("/ticket", "new Compress the images impact=high effort=low area=frontend")
    headers, body, _ = await receiver.next()
    assert signed(headers, body)
    assert not signed(headers, body.replace(b"Compress", b"Delete"))
