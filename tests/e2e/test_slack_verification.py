"""Slack requests are verified or not taken at all (issue #16, item 1): no signing secret in HTTP mode means
no start; over Socket Mode /slack/events does not exist; a response_url that is not Slack's is never
called."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientSession, web

from bot.app import create_bolt_app
from bot.config import Settings
from bot.deps import build_deps
from bot.server import create_web_app
from sandbox import payloads
from tests.support.processes import OpsbotProcesses

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

FORM = "application/x-www-form-urlencoded"


async def serve_exit(env: dict[str, str], *args: str) -> tuple[int | None, str]:
    """Run `opsbot serve` until it exits or says it listens; (exit code or None if it started, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", "0", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    async with asyncio.timeout(60):
        while line := (await process.stdout.readline()).decode():
            if "opsbot listening on" in line:
                process.kill()
                await process.wait()
                return None, (await process.stderr.read()).decode()
        return await process.wait(), (await process.stderr.read()).decode()


async def test_http_mode_without_a_signing_secret_does_not_start(
    opsbot_processes: OpsbotProcesses,
) -> None:
    code, stderr = await serve_exit({**opsbot_processes.env, "SLACK_SIGNING_SECRET": ""})
    assert code == 2, f"opsbot started without a signing secret: {stderr[-500:]}"
    assert stderr.strip().splitlines()[-1].startswith("opsbot: SLACK_SIGNING_SECRET is not set")


@pytest.fixture
async def socket_mode_server(make_settings: Callable[..., Settings]) -> AsyncIterator[str]:
    """opsbot's HTTP routes as a Socket Mode deployment serves them (no signing secret: Slack comes over the
    socket). Served without connecting the socket: the sandbox has no Socket Mode endpoint."""
    deps = build_deps(make_settings(SLACK_APP_TOKEN="xapp-1-A0-1-socket", SLACK_SIGNING_SECRET=""))
    runner = web.AppRunner(create_web_app(deps, create_bolt_app(deps)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()
    await deps.close()


async def test_over_socket_mode_slack_events_is_not_served(socket_mode_server: str, sandbox: Any) -> None:
    ws = sandbox.workspace
    alice, general = ws.user("alice"), ws.channel("general")
    form = payloads.slash_form(
        ws, command="/oncall", text="override <@U0DAVE|dave> 720h", user=alice, channel=general,
        response_url=f"{sandbox.url}/response/forged", trigger_id="1.2.forged",
    )  # fmt: skip
    async with ClientSession() as session:
        events = f"{socket_mode_server}/slack/events"
        async with session.post(events, data=urlencode(form), headers={"Content-Type": FORM}) as reply:
            assert reply.status == 404
        async with session.get(f"{socket_mode_server}/healthz") as health:
            assert health.status == 200
    assert not ws.messages("general")


@pytest.fixture
async def listener() -> AsyncIterator[tuple[str, list[bytes]]]:
    """Somewhere inside the network a forged response_url could point at: records what it receives."""
    received: list[bytes] = []

    async def record(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/internal", received
    await runner.cleanup()


async def test_a_response_url_that_is_not_slacks_is_never_called(
    opsbot: Any, slack: Any, sandbox: Any, listener: tuple[str, list[bytes]]
) -> None:
    internal_url, received = listener
    ws = sandbox.workspace
    form = payloads.slash_form(
        ws, command="/oncall", text="help", user=ws.user("alice"), channel=ws.channel("general"),
        response_url=internal_url, trigger_id="1.2.forged",
    )  # fmt: skip
    reply = await slack.raw(urlencode(form).encode(), content_type=FORM)
    assert reply.status == 400
    await slack.slash("/oncall", "help", user="alice")  # a real one is answered, and waited for
    await ws.wait_for_ephemeral(user="alice", contains="/oncall")
    assert received == []
