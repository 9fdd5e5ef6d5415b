"""The one aiohttp server: Slack events, the Alertmanager and PagerDuty webhooks, health and the bot's own
metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.app import create_bolt_app
from bot.deps import Deps
from bot.services import outbox_health, sms
from bot.services.hostchecks import HostChecker
from bot.services.job_runners import RUNNERS
from bot.services.outbox import OutboxWorker
from bot.startup_checks import refuse_insecure_start
from handlers import alertmanager_webhook, pagerduty_webhook
from storage.db import is_unavailable

log = logging.getLogger(__name__)
DEPS_KEY = web.AppKey("deps", Deps)
BOLT_KEY = web.AppKey("bolt", AsyncApp)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_web_app(deps: Deps, bolt: AsyncApp) -> web.Application:
    """Build the aiohttp application with every route opsbot serves."""
    app = web.Application(
        client_max_size=deps.settings.file.server.max_body_bytes, middlewares=[_measure, _json_errors]
    )
    app[DEPS_KEY] = deps
    app[BOLT_KEY] = bolt
    if not deps.settings.socket_mode:  # over Socket Mode nothing may reach Bolt by HTTP
        app.router.add_post("/slack/events", _slack_events)
    app.router.add_post("/alerts/alertmanager", alertmanager_webhook.receive)
    pagerduty_webhook.register(app, deps)  # only with OPSBOT_PAGERDUTY_WEBHOOK_SECRET
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    return app


async def _slack_events(request: web.Request) -> web.Response:
    bolt_response = await request.app[BOLT_KEY].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


async def _healthz(request: web.Request) -> web.Response:
    """503 only when the database is unreachable; failed or stuck outbox jobs make it "degraded" but 200,
    because killing the replica would not deliver them."""
    deps = request.app[DEPS_KEY]
    try:
        await deps.db.ping()
    except (Exception, TimeoutError) as error:
        # The driver's message names host, port and role: it goes to the log, never to whoever asks.
        log.warning("health check: database unreachable", extra={"error": str(error).splitlines()[:1]})
        reason = "timed out" if isinstance(error, TimeoutError) else "unreachable"
        return web.json_response({"status": "unavailable", "database": reason}, status=503)
    outbox = await outbox_health.health_section(deps)
    status = "degraded" if outbox.degraded else "ok"
    return web.json_response({"status": status, "database": "ok", "outbox": outbox.body})


async def _metrics(request: web.Request) -> web.Response:
    deps = request.app[DEPS_KEY]
    await outbox_health.refresh_gauges(deps)
    body = generate_latest(deps.telemetry.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def _measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests by route and status and time them (the route pattern, never the raw path)."""
    telemetry = request.app[DEPS_KEY].telemetry
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        telemetry.http_requests.labels(route, str(status)).inc()
        telemetry.http_latency.labels(route).observe(time.perf_counter() - started)


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer HTTP errors on opsbot's own routes with a JSON reason instead of an HTML page."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return web.json_response(
            {"error": error.reason if error.text is None else error.text}, status=error.status
        )
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("database unavailable", extra={"route": request.path, "error": type(error).__name__})
        # 503 makes Alertmanager (and load balancers) retry; nothing was stored.
        reason = "the database is unavailable; nothing was stored, retry later"
        return web.json_response({"error": reason}, status=503, headers={"Retry-After": "5"})


@dataclass
class RunningServer:
    """A started opsbot server; `url` is its base URL (the port may have been chosen by the OS)."""

    deps: Deps
    runner: web.AppRunner
    url: str
    background: list[Any] = field(default_factory=list)
    # done once the outbox, host checks and scheduler run (after the `prepare` start_server was given)
    ready: asyncio.Future[None] | None = None

    async def close(self) -> None:
        if self.ready is not None and not self.ready.done():
            self.ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ready
        for closer in reversed(self.background):
            await closer()
        await self.runner.cleanup()
        await self.deps.close()


async def start_server(
    deps: Deps, *, host: str, port: int, prepare: Callable[[], Awaitable[None]] | None = None
) -> RunningServer:
    """Migrate the database, then serve opsbot on host:port (0 picks a free port).

    With `prepare` (the sandbox's sample history) the server answers at once, and its background work —
    the outbox, host checks, the scheduler's catch-up — starts once `prepare` is done (`ready`): nothing
    `prepare` queues is sent, and no digest is built from half of it."""
    from storage.migrate import upgrade  # imported here: Alembic is only needed at start-up

    refuse_insecure_start(deps.settings, host)
    await asyncio.to_thread(upgrade, deps.settings.secrets.database_url.get_secret_value())
    deps.open_http()
    bolt = create_bolt_app(deps)
    runner = web.AppRunner(create_web_app(deps, bolt), access_log=None, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    server = RunningServer(deps=deps, runner=runner, url=f"http://{_host_for_url(host)}:{bound[1]}")
    if prepare is None:
        await _start_background(server, bolt)
    else:
        server.ready = asyncio.ensure_future(_prepare_then_start(server, bolt, prepare))
    log.info("opsbot serving", extra={"url": server.url})
    if notice := sms.off_notice(deps.settings):
        log.info(notice)
    return server


async def _prepare_then_start(
    server: RunningServer, bolt: AsyncApp, prepare: Callable[[], Awaitable[None]]
) -> None:
    try:
        await prepare()
    except Exception:  # the sample history is a nicety: opsbot runs without it
        log.exception("preparing failed; opsbot goes on without it")
    await _start_background(server, bolt)


async def _start_background(server: RunningServer, bolt: AsyncApp) -> None:
    """The outbox worker, host checks, the scheduler and Socket Mode."""
    deps = server.deps
    worker = OutboxWorker(deps, RUNNERS)
    deps.wake_outbox = worker.wake
    await worker.start()
    server.background.append(worker.stop)
    if deps.settings.host_checks_enabled:
        checker = HostChecker(deps)
        await checker.start()
        server.background.append(checker.stop)
    from bot.scheduler import start_scheduler  # always: the daily retention run is on every replica

    server.background.append(await start_scheduler(deps))
    if deps.settings.socket_mode:
        server.background.append(await _start_socket_mode(deps, bolt))


async def _start_socket_mode(deps: Deps, bolt: AsyncApp) -> Callable[[], Awaitable[None]]:
    """Take Slack traffic over Socket Mode; the HTTP server keeps serving alerts, health and metrics."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    token = deps.settings.secrets.slack_app_token
    assert token is not None
    handler = AsyncSocketModeHandler(bolt, token.get_secret_value())
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler.close_async


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host
