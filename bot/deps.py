"""Deps: everything a handler or service needs, built once by the composition root."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channel_audience import ChannelAudience
from bot.config import Settings
from bot.group_commit import GroupCommit
from bot.slack import ChannelDirectory, create_web_client
from bot.slack_gateway import SlackGateway
from bot.telemetry import Telemetry
from storage.alerts import PlannedAlert
from storage.db import Database, create_database, is_unavailable

if TYPE_CHECKING:
    from bot.services.metric_sources import MetricSource

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Shared services of one process; handlers get it from Bolt's request context as `deps`."""

    settings: Settings
    db: Database
    slack: AsyncWebClient
    channels: ChannelDirectory
    gateway: SlackGateway  # how jobs post: joins, finds an earlier try's message, never posts twice
    telemetry: Telemetry
    audience: ChannelAudience  # who may see a channel's items (App Home): its members if it is private
    clock: Clock = field(default=system_clock)
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    metrics: MetricSource | None = None  # built by build_deps; see bot.services.metric_sources
    http: aiohttp.ClientSession | None = None  # opened by the server on its event loop
    # concurrent ingests (source, planned alerts) share one transaction: see bot.services.alerts.ingest
    ingest_commits: GroupCommit[tuple[str, list[PlannedAlert]]] = field(
        default_factory=lambda: GroupCommit(shared_failure=is_unavailable)
    )

    def open_http(self) -> aiohttp.ClientSession:
        """Open the process's HTTP session on the running loop and send every Slack call through it.

        Without it slack_sdk opens a session (and a connection, and a DNS look-up on the loop's default
        thread pool) per call. The session carries the Slack time-out: slack_sdk applies its own only to the
        sessions it opens itself.
        """
        if self.http is None or self.http.closed:
            timeout = aiohttp.ClientTimeout(total=self.settings.file.server.slack_timeout_seconds)
            self.http = aiohttp.ClientSession(timeout=timeout)
        self.slack.session = self.http
        return self.http

    def outbound_http(self) -> contextlib.AbstractAsyncContextManager[aiohttp.ClientSession]:
        """The process's HTTP session for calls to outside services (PagerDuty, Twilio), left open; a
        session of its own, closed after use, where none is open (the CLI, tests without a server)."""
        if self.http is not None and not self.http.closed:
            return contextlib.nullcontext(self.http)
        return aiohttp.ClientSession()

    async def close(self) -> None:
        """Close what the process opened, the HTTP session after the last Slack call that used it."""
        if self.metrics is not None:
            self.metrics.close()
        if self.http is not None:
            await self.http.close()
        await self.db.dispose()


def build_deps(
    settings: Settings, *, telemetry: Telemetry | None = None, clock: Clock = system_clock
) -> Deps:
    """Create the database handle, Slack client and channel directory for `settings`."""
    telemetry = telemetry or Telemetry()
    token = settings.secrets.slack_bot_token
    slack = create_web_client(
        token=token.get_secret_value() if token else None,
        base_url=settings.secrets.slack_api_url,
        telemetry=telemetry,
        timeout=settings.file.server.slack_timeout_seconds,
    )
    channels = ChannelDirectory(slack)
    deps = Deps(
        settings=settings,
        db=create_database(settings.secrets.database_url.get_secret_value()),
        slack=slack,
        channels=channels,
        gateway=SlackGateway(slack, channels),
        telemetry=telemetry,
        audience=ChannelAudience(slack),
        clock=clock,
    )
    from bot.services.metric_sources import create_metric_source  # services import Deps themselves

    deps.metrics = create_metric_source(settings, deps.db)
    return deps
