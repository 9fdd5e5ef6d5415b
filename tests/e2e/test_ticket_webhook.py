"""The outbound ticket webhook: signed JSON events through the durable outbox, retried after a 500."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox import SlackPlayer
from storage import outbox
from tests.support.outbox import wait_until_drained

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


def signature_for(body: bytes, secret: str = SECRET) -> str:
    """The documented scheme (README, ticket webhook): `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_events_are_signed_and_a_failed_delivery_is_retried(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any, receiver: Receiver
) -> None:
    ws = sandbox.workspace
    sent_from = int(time.time())
    await slack.slash("/ticket", "new Shard the sessions table impact=high effort=high area=database")
    await ws.wait_for_message("general", contains="opened TKT-1")
    headers, body, status = await receiver.next()
    assert status == 500 and headers["X-Opsbot-Signature"] == signature_for(body)
    assert headers["Content-Type"] == "application/json"
    assert sent_from <= int(headers["X-Opsbot-Timestamp"]) <= int(time.time())
    first = json.loads(body)
    assert first["event"] == "created" and first["actor"] == "U0ALICE"
    assert first["ticket"]["number"] == 1 and first["ticket"]["quadrant"] == "Major Project"
    headers, retried, status = await receiver.next()  # the outbox retries after its backoff
    assert status == 200 and retried == body and headers["X-Opsbot-Signature"] == signature_for(body)
    await slack.slash("/ticket", "assign 1 <@U0BOB|bob>")
    headers, body, _ = await receiver.next()
    event = json.loads(body)
    assert headers["X-Opsbot-Signature"] == signature_for(body)
    assert event["event"] == "assigned" and event["ticket"]["owner"] == "U0BOB"
    await slack.slash("/ticket", "drop 1 too big for now", user="bob")
    headers, body, _ = await receiver.next()
    dropped = json.loads(body)
    assert headers["X-Opsbot-Signature"] == signature_for(body)
    assert dropped["event"] == "dropped" and dropped["ticket"]["status"] == "dropped"
    await wait_until_drained(opsbot.deps.db)
    assert await outbox.counts_by_status(opsbot.deps.db) == {"done": 3}  # created, assigned, dropped
    assert receiver.calls == 4 and receiver.requests.empty()  # the three events and the one retry


async def test_the_signature_is_keyed_with_the_configured_secret(
    slack: SlackPlayer, receiver: Receiver
) -> None:
    await slack.slash("/ticket", "new Compress the images impact=high effort=low area=frontend")
    headers, body, _ = await receiver.next()
    given = headers["X-Opsbot-Signature"]
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", given)
    assert given == signature_for(body)
    assert json.loads(body)["ticket"]["title"] == "Compress the images"
