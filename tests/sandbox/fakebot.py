"""A tiny stand-in bot for the player's tests: verifies like Bolt, records, answers as told."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SECRET = "player-test-signing-secret"


@dataclass
class Received:
    """One request as the bot saw it."""

    headers: dict[str, str]
    body: bytes
    valid: bool

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    @property
    def payload(self) -> dict[str, Any]:
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return dict(json.loads(self.body))
        return dict(json.loads(self.form["payload"]))


class FakeBot:
    """Verify with slack_sdk's SignatureVerifier, remember every request, answer with `reply`."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.received: list[Received] = []
        self.reply: Callable[[Received], web.Response] = lambda _: web.Response()
        self.delay = 0.0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        got = Received(
            dict(request.headers), body, self.verifier.is_valid_request(body, dict(request.headers))
        )
        self.received.append(got)
        if not got.valid:
            return web.json_response({"error": "invalid signature"}, status=401)
        await asyncio.sleep(self.delay)
        return self.reply(got)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/slack/events"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
