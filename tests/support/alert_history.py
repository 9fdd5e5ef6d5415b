"""Seed alert history the way it really happens: opsbot's clock is set to an instant, then Alertmanager's
webhook says what fired or resolved at that instant; acknowledgements and "mark as noise" are clicks, and
host samples come from opsbot's host check reading given figures.

    async with recording(settings, sandbox, signing_secret=SECRET, start=MONDAY) as history:
        disk = await history.fire("DiskFull", at=MONDAY + 10 * HOUR, instance="db-1")
        await history.acknowledge(disk, at=MONDAY + 10 * HOUR + 4 * MINUTE)
        await history.resolve(disk, at=MONDAY + 11 * HOUR)

Instants may carry any UTC offset (`+02:00`): the payload writes them with it, as an Alertmanager in that
zone would. History is told in order: the clock never goes back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.deps import build_deps
from bot.domain.hostchecks import HostReading
from bot.server import RunningServer, start_server
from bot.services.hostchecks import HostChecker
from sandbox import Message, RunningSandbox, SlackPlayer, start_sandbox
from storage.models import OutboxJob
from storage.outbox import SENDING
from tests.support.alertmanager import alert, send
from tests.support.outbox import unfinished_jobs

CHANNELS = {"critical": "critical-alerts", "warning": "ops-alerts", "info": "ops-info"}


class HistoryClock:
    """opsbot's clock: an instant the test sets, running on from there in real time (so the outbox's
    pacing and retries still come due between two instants of the story)."""

    def __init__(self, at: datetime) -> None:
        self._at, self._set = at, time.monotonic()

    def __call__(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._set)

    def set(self, at: datetime) -> None:
        """Move to `at`; history goes forward only."""
        if at < self():
            raise ValueError(f"the clock cannot go back from {self()} to {at}")
        self._at, self._set = at, time.monotonic()


def rfc3339(moment: datetime) -> str:
    """An instant as Alertmanager writes it, in its own offset (`Z` for UTC)."""
    if moment.tzinfo is None:
        raise ValueError("an instant needs its UTC offset")
    text = moment.isoformat()
    return text.removesuffix("+00:00") + "Z" if moment.utcoffset() == timedelta(0) else text


@dataclass
class AlertHistory:
    """An opsbot on a test clock, its Slack sandbox, and what Alertmanager and people do to it."""

    server: RunningServer
    clock: HistoryClock
    slack: SlackPlayer

    async def fire(
        self, name: str, *, at: datetime, severity: str = "warning", **labels: str
    ) -> dict[str, Any]:
        """Alertmanager reports `name` firing since `at`, at `at`; returns the alert to resolve later."""
        firing = {**alert(name, severity=severity, **labels), "startsAt": rfc3339(at)}
        await self._send(firing, at=at)
        return firing

    async def resolve(self, firing: dict[str, Any], *, at: datetime) -> None:
        """Alertmanager reports the alert resolved at `at`, at `at`."""
        await self._send({**firing, "status": "resolved", "endsAt": rfc3339(at)}, at=at)

    async def acknowledge(self, firing: dict[str, Any], *, at: datetime, user: str = "alice") -> None:
        """`user` clicks Acknowledge on the alert's group message at `at`."""
        message = await self._message(firing)
        await self._click(message, "Acknowledged by", at=at, action="alert_ack", user=user)

    async def mark_noise(self, firing: dict[str, Any], *, at: datetime, user: str = "bob") -> None:
        """`user` chooses "Mark as noise" on the alert's group message at `at`."""
        message = await self._message(firing)
        group = next(
            e["value"] for e in message.blocks[-1]["elements"] if e.get("action_id") == "alert_resolve"
        )
        choice = f"noise:{group}"
        await self._click(message, "Marked as noise", at=at, action="alert_more", user=user, choice=choice)

    async def sample_host(
        self, *, at: datetime, disk: float, memory: float = 50.0, cpu: float = 20.0
    ) -> None:
        """opsbot's host check reads these figures at `at` and stores them under its host name (disk for
        the mount `/`)."""
        self.clock.set(at)
        reading = HostReading(cpu_percent=cpu, memory_percent=memory, disks={"/": disk})
        await HostChecker(self.server.deps, read_host=lambda: reading).sample_once(at)

    async def advance(self, to: datetime) -> None:
        """Let the clock reach `to` and finish what falls due by then (a flapping check, say), so that
        another opsbot on the same database later finds nothing of this story left to do."""
        self.clock.set(to)
        await self.settled()

    async def settled(self, *, within: float = 15.0) -> None:
        """Wait until every job due by now (posts, updates) is done; timers and retries set for later,
        such as a flapping check waiting out its window, wait for the clock."""

        async def due() -> list[OutboxJob]:
            now = self.clock()
            jobs = await unfinished_jobs(self.server.deps.db)
            return [j for j in jobs if j.status == SENDING or j.due_at <= now]

        try:
            async with asyncio.timeout(within):
                while True:
                    if not await due():
                        return
                    await asyncio.sleep(0.05)  # a poll of the stored state, not a guess at timing
        except TimeoutError:
            raise TimeoutError(f"after {within}s the outbox still has due work: {await due()}") from None

    async def _send(self, payload: dict[str, Any], *, at: datetime) -> None:
        self.clock.set(at)
        status, body = await send(self.server.url, payload)
        assert status == 200, body
        await self.settled()

    async def _message(self, firing: dict[str, Any]) -> Message:
        """The newest message in the alert's channel that names it (its group's current message)."""
        await self.settled()
        channel = CHANNELS[firing["labels"].get("severity", "warning")]
        name = firing["labels"]["alertname"]
        found = [m for m in self.slack.ws.messages(channel) if name in self.slack.ws.message_text(m)]
        assert found, f"no message about {name} in #{channel}"
        return found[-1]

    async def _click(
        self, message: Message, said: str, *, at: datetime, action: str, user: str, choice: str | None = None
    ) -> None:
        """Click at `at`, then wait until one more message or reply in the channel says `said`."""
        ws = self.slack.ws

        def saying() -> int:
            return sum(said in ws.message_text(m) for m in ws.messages(message.channel, include_replies=True))

        before = saying()
        self.clock.set(at)
        await self.slack.click(message, action, user=user, selected_option_value=choice)
        await ws.wait_until(
            lambda: True if saying() > before else None,
            timeout=10,
            describe=lambda: f"nothing more says {said!r} after {action} on {message.text[:80]!r}",
        )
        await self.settled()


@asynccontextmanager
async def slack_without_limits(bot_token: str) -> AsyncIterator[RunningSandbox]:
    """The Slack sandbox without its rate limits: a week of history is told in seconds, far faster than
    Slack would take the posts it makes (a fixture overrides `sandbox` with it)."""
    running = await start_sandbox(port=0, bot_token=bot_token, rate_limits=False)
    try:
        yield running
    finally:
        await running.close()


@asynccontextmanager
async def recording(
    settings: Settings, sandbox: Any, *, signing_secret: str, start: datetime
) -> AsyncIterator[AlertHistory]:
    """Serve opsbot in-process with `settings` on a test clock set to `start`, with a Slack player."""
    clock = HistoryClock(start.astimezone(UTC))
    server = await start_server(build_deps(settings, clock=clock), host="127.0.0.1", port=0)
    player = SlackPlayer(
        sandbox.workspace,
        bot_url=f"{server.url}/slack/events",
        signing_secret=signing_secret,
        sandbox_url=sandbox.url,
    )
    try:
        yield AlertHistory(server, clock, player)
    finally:
        await player.close()
        await server.close()
