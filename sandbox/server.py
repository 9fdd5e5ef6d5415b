"""Build and run the sandbox's aiohttp app on an ephemeral loopback port."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from sandbox.api_files import download, upload
from sandbox.common import CLOSING_KEY, WORKSPACE_KEY
from sandbox.model import ts_key
from sandbox.page import attach_bot, mount_page
from sandbox.page_actions import RunDigest
from sandbox.page_guard import KEY_PARAM, PAGE_GUARD_KEY
from sandbox.pagerduty import PagerDutyStandIn
from sandbox.pagerduty_api import ENQUEUE_PATH, PAGERDUTY_KEY, mount_pagerduty
from sandbox.player import SlackPlayer
from sandbox.response_urls import handle_response_url
from sandbox.state import DEFAULT_BOT_TOKEN
from sandbox.twilio import PREFIX as TWILIO_PREFIX
from sandbox.twilio import TWILIO_KEY, TwilioStandIn, mount_twilio
from sandbox.waits import message_text
from sandbox.webapi import handle_api
from sandbox.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Iterable

    import aiohttp

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


async def permalink_page(request: web.Request) -> web.Response:
    """Show the message a permalink points at, as plain text."""
    ws = request.app[WORKSPACE_KEY]
    raw = request.match_info["p"].removeprefix("p")
    ts = f"{raw[:-6]}.{raw[-6:]}"
    for message in ws.history.get(request.match_info["channel"], []):
        if ts_key(message.ts) == ts_key(ts):
            return web.Response(text=message_text(message))
    return web.Response(status=404, text="message not found")


def create_sandbox_app(workspace: Workspace, *, bot_token: str | None = None) -> web.Application:
    """Mount the Web API, upload, file, response_url and permalink routes, the web page and the paging
    stand-ins (Twilio under `/twilio/...`, PagerDuty under `/pagerduty/...`) for `workspace`."""
    if bot_token is not None:
        workspace.bot_token = bot_token
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app[WORKSPACE_KEY] = workspace
    app[CLOSING_KEY] = asyncio.Event()
    app.router.add_get("/api/{method}", handle_api)
    app.router.add_post("/api/{method}", handle_api)
    app.router.add_post("/upload/{file_id}", upload)
    app.router.add_get("/files/{file_id}/{name}", download)
    app.router.add_get("/files/{user}/{file_id}/{name}", download)
    app.router.add_post("/response/{token:.+}", handle_response_url)
    app.router.add_get("/archives/{channel}/{p}", permalink_page)
    mount_twilio(app, TwilioStandIn(workspace))
    mount_page(app)
    mount_pagerduty(app)

    async def wake_sleepers(app: web.Application) -> None:
        app[CLOSING_KEY].set()

    app.on_shutdown.append(wake_sleepers)
    return app


@dataclass
class RunningSandbox:
    """A sandbox served on a real port: where it lives and how to stop it."""

    url: str
    workspace: Workspace
    runner: web.AppRunner

    @property
    def api_url(self) -> str:
        """The `base_url` to give slack_sdk's AsyncWebClient."""
        return f"{self.url}/api/"

    @property
    def twilio(self) -> TwilioStandIn:
        """The Twilio stand-in: its credentials and number, the SMS it took, faults to inject."""
        return self.runner.app[TWILIO_KEY]

    @property
    def twilio_url(self) -> str:
        """The `paging.sms.api_url` that reaches the Twilio stand-in."""
        return self.url + TWILIO_PREFIX

    @property
    def page_key(self) -> str:
        """This start's key to the page and its `/_sandbox/` API (an X-Sandbox-Key header, or the cookie)."""
        return self.runner.app[PAGE_GUARD_KEY].key

    @property
    def page_url(self) -> str:
        """The page's address to open in a browser: it carries the key, which the page trades for a cookie."""
        return f"{self.url}/?{KEY_PARAM}={self.page_key}"

    @property
    def pagerduty(self) -> PagerDutyStandIn:
        """The PagerDuty stand-in: its incidents, the events it received, and webhooks toward the bot."""
        return self.runner.app[PAGERDUTY_KEY]

    @property
    def pagerduty_events_url(self) -> str:
        """The Events API v2 URL to give opsbot as `paging.pagerduty.events_url`."""
        return f"{self.url}{ENQUEUE_PATH}"

    @property
    def bot_token(self) -> str:
        """The only bot token the sandbox accepts."""
        return self.workspace.bot_token

    def player(
        self, *, bot_url: str, signing_secret: str, session: aiohttp.ClientSession | None = None
    ) -> SlackPlayer:
        """Create a SlackPlayer that plays this workspace toward the bot at `bot_url`."""
        return SlackPlayer(
            self.workspace,
            bot_url=bot_url,
            signing_secret=signing_secret,
            sandbox_url=self.url,
            session=session,
        )

    def attach_bot(
        self,
        *,
        player: SlackPlayer | None = None,
        alert_webhook_url: str | None = None,
        alert_webhook_token: str | None = None,
        run_digest: RunDigest | None = None,
    ) -> None:
        """Let the web page reach a bot: `player` plays Slack toward it (closed with the sandbox).

        `run_digest(period)` is an in-process callback (embedded mode) the page's digest buttons call.
        """
        attach_bot(
            self.runner.app,
            player=player,
            alert_webhook_url=alert_webhook_url,
            alert_webhook_token=alert_webhook_token,
            run_digest=run_digest,
        )

    async def close(self) -> None:
        """Stop serving and release the port."""
        await self.runner.cleanup()


async def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    bot_token: str | None = None,
    rate_limit: float | None = None,
    rate_limits: bool = False,
    scopes: Iterable[str] | None = None,
    workspace: Workspace | None = None,
) -> RunningSandbox:
    """Serve a (new or given) workspace on `host:port` (0 = ephemeral) and return where it runs.

    `rate_limits` turns on Slack's tiers and per-channel posting limit; `scopes` replaces the scopes
    granted to the bot token (by default, exactly those manifest.yml asks for).
    """
    workspace = workspace or Workspace(
        bot_token=bot_token or DEFAULT_BOT_TOKEN, scopes=None if scopes is None else frozenset(scopes)
    )
    app = create_sandbox_app(workspace, bot_token=bot_token)
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    app[PAGE_GUARD_KEY].port = bound_port
    url = f"http://{host}:{bound_port}"
    workspace.base_url = url
    if rate_limits:
        workspace.set_rate_limits()
    if rate_limit is not None:
        workspace.set_rate_limit(rate_limit)
    return RunningSandbox(url=url, workspace=workspace, runner=runner)
