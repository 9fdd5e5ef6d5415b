"""Embedded mode (`opsbot serve` without SLACK_BOT_TOKEN) is a local tool: loopback only, its own database,
and a control API that only its own page (or a script holding the printed key) can drive."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import yaml

from bot.config import Settings
from bot.deps import build_deps
from bot.domain.incoming import parse_alertmanager
from bot.services.alerts import ingest
from sandbox.page_guard import KEY_HEADER
from storage.db import create_database
from storage.migrate import upgrade
from tests.support.alertmanager import alert, payload
from tests.support.outbox import unfinished_jobs
from tests.support.processes import QUIET_BY_DEFAULT

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

SANDBOX_LINE = "Slack sandbox (no Slack workspace needed): "


@dataclass
class Embedded:
    """A running `opsbot serve` in embedded mode, as its printed lines describe it."""

    process: asyncio.subprocess.Process
    output: str

    @property
    def page_url(self) -> str:
        return next(line for line in self.output.splitlines() if SANDBOX_LINE in line).split(SANDBOX_LINE)[1]

    @property
    def sandbox_url(self) -> str:
        parts = urlsplit(self.page_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def key(self) -> str:
        return parse_qs(urlsplit(self.page_url).query).get("key", [""])[0]


def embedded_environ(workdir: Path, **env: str) -> dict[str, str]:
    """Our environment without any Slack or opsbot setting: embedded mode, quiet, configured by `env`."""
    workdir.mkdir(exist_ok=True)
    config = workdir / "opsbot.yml"
    config.write_text(yaml.safe_dump(QUIET_BY_DEFAULT))
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    return {**kept, "OPSBOT_CONFIG": str(config), "OPSBOT_LOG_LEVEL": "WARNING", **env}


async def spawn(workdir: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", "0", *args, cwd=workdir,
        env=embedded_environ(workdir, **env), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_until_listening(
    process: asyncio.subprocess.Process, *, until: tuple[str, ...] = ("opsbot listening on",)
) -> tuple[str, bool]:
    """Read stdout until opsbot listens (or, with `until`, until each of those lines came, in any order):
    True, or False when the process ends first."""
    assert process.stdout is not None
    output, waiting = "", set(until)
    async with asyncio.timeout(60):  # the sample history is told after the bot listens
        while line := (await process.stdout.readline()).decode():
            output += line
            waiting -= {marker for marker in waiting if marker in line}
            if not waiting:
                return output, True
    return output, False


@asynccontextmanager
async def embedded(workdir: Path, *, history: bool = False, **env: str) -> AsyncIterator[Embedded]:
    """`opsbot serve` in embedded mode; without `history` it starts empty (`--empty`)."""
    process = await spawn(workdir, *(() if history else ("--empty",)), **env)
    told = ("sample history",) if history else ()  # "sample history: …" or "no sample history added"
    try:
        output, listening = await read_until_listening(process, until=("opsbot listening on", *told))
        assert listening, f"embedded opsbot did not start: {output}"
        yield Embedded(process, output)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()


async def test_without_a_token_opsbot_refuses_to_serve_beyond_loopback(tmp_path: Path) -> None:
    process = await spawn(tmp_path, "--host", "0.0.0.0")
    output, listening = await read_until_listening(process)
    if listening:
        process.kill()
    _, stderr = await process.communicate()
    assert not listening, f"opsbot served on 0.0.0.0 without SLACK_BOT_TOKEN:\n{output}"
    assert process.returncode == 2
    assert SANDBOX_LINE not in output  # refused before the sandbox started
    [line] = stderr.decode().splitlines()
    assert line.startswith("opsbot: SLACK_BOT_TOKEN is not set") and "'0.0.0.0' is not a loopback" in line


async def test_embedded_mode_leaves_a_configured_database_alone(
    tmp_path: Path, make_settings: Callable[..., Settings], bot_database_url: str
) -> None:
    pending = await pending_alert_post(make_settings(), bot_database_url, "RealDatabaseDiskFull")
    workdir = tmp_path / "dev"
    async with embedded(workdir, OPSBOT_DATABASE_URL=bot_database_url) as bot:
        status, answer = await control(bot, "alerts", {"kind": "critical"})
        assert status == 200, answer
        state = await wait_for_state(bot, contains="CheckoutErrorRate")  # the sandbox's outbox has run
    assert "RealDatabaseDiskFull" not in state, "the real database's pending post reached the sandbox"
    still = await stored_jobs(bot_database_url)
    assert [(j.id, j.status) for j in still] == [(j.id, "pending") for j in pending]
    own = workdir / "opsbot-sandbox.db"
    assert f"sandbox database: {own} (OPSBOT_DATABASE_URL is not used" in bot.output
    assert own.exists()


async def test_the_control_api_answers_only_its_own_page(tmp_path: Path) -> None:
    async with embedded(tmp_path / "dev") as bot:
        url, body = f"{bot.sandbox_url}/_sandbox/faults", {"kind": "500"}
        key = {KEY_HEADER: bot.key, "Content-Type": "application/json"}
        port = urlsplit(bot.sandbox_url).port
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            refused = {
                "a cross-site form (text/plain)": (415, {**key, "Content-Type": "text/plain"}),
                "another origin": (403, {"Origin": "http://evil.example", **key}),
                "a DNS-rebound name": (403, {"Host": f"evil.example:{port}", **key}),
                "no key": (403, {"Content-Type": "application/json"}),
                "a wrong key": (403, {**key, KEY_HEADER: "guess"}),
            }
            for what, (expected, headers) in refused.items():
                async with http.post(url, data=json.dumps(body), headers=headers) as reply:
                    answer = await reply.json(content_type=None)
                    assert (reply.status, answer["ok"]) == (expected, False), f"{what}: {answer}"
            async with http.get(f"{bot.sandbox_url}/_sandbox/state") as reply:
                assert reply.status == 403, "the workspace state without the key"
            async with http.get(bot.page_url) as page:  # the page's own: the URL trades its key for a cookie
                assert page.status == 200 and "opsbot sandbox" in await page.text()
            own = {"Origin": bot.sandbox_url, "Content-Type": "application/json"}
            async with http.post(url, data=json.dumps(body), headers=own) as reply:
                assert reply.status == 200, await reply.text()


async def pending_alert_post(settings: Settings, database_url: str, name: str) -> list[Any]:
    """Leave a real database holding an alert whose Slack post is still pending in the outbox."""
    await asyncio.to_thread(upgrade, database_url)
    deps = build_deps(settings)
    try:
        received = datetime.now(UTC)
        alerts = parse_alertmanager(payload(alert(name, severity="warning")), received_at=received)
        await ingest(deps, alerts, source="alertmanager")
        pending = sorted(await unfinished_jobs(deps.db), key=lambda j: j.id)
    finally:
        await deps.close()
    assert pending and all(j.status == "pending" for j in pending)
    return pending


async def stored_jobs(database_url: str) -> list[Any]:
    db = create_database(database_url)
    try:
        return sorted(await unfinished_jobs(db), key=lambda j: j.id)
    finally:
        await db.dispose()


async def control(bot: Embedded, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot.sandbox_url}/_sandbox/{action}", json=body, headers={KEY_HEADER: bot.key}) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


async def wait_for_state(bot: Embedded, *, contains: str, within: float = 15.0) -> str:
    """Poll the page's state until it mentions `contains`; return it as JSON text."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(within):
        while True:
            async with http.get(f"{bot.sandbox_url}/_sandbox/state", headers={KEY_HEADER: bot.key}) as reply:
                text = await reply.text()
            if contains in text:
                return text
            await asyncio.sleep(0.1)  # a poll of the sandbox's state, not a guess at how long work takes
