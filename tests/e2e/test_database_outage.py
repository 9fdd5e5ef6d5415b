"""/healthz tells the truth about the database: 503 while PostgreSQL is unreachable, 200 once it is back;
/metrics is served all along, its outbox gauges unknown meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from tests.conftest import SIGNING_SECRET
from tests.support import databases
from tests.support.alertmanager import alert, send
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.calendar_free]


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    target = make_url(postgres_url)
    running = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await running.start()
    yield running
    await running.cut()


@pytest.fixture
async def opsbot_via_proxy(
    make_settings: Callable[..., Settings], postgres_url: str, proxy: TcpProxy
) -> AsyncIterator[RunningServer]:
    url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    server = await start_server(build_deps(make_settings(OPSBOT_DATABASE_URL=url)), host="127.0.0.1", port=0)
    yield server
    await server.close()


async def test_healthz_follows_the_database(opsbot_via_proxy: RunningServer, proxy: TcpProxy) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{opsbot_via_proxy.url}/healthz") as response:
            assert response.status == 200
        await proxy.cut()
        async with http.get(f"{opsbot_via_proxy.url}/healthz") as response:
            assert response.status == 503
            # the driver's message (host, port, role) is for the log, not for whoever asks
            assert await response.json() == {"status": "unavailable", "database": "unreachable"}
        await proxy.restore()
        async with http.get(f"{opsbot_via_proxy.url}/healthz") as response:
            assert response.status == 200


async def test_metrics_are_served_while_the_database_is_cut(
    opsbot_via_proxy: RunningServer, proxy: TcpProxy
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{opsbot_via_proxy.url}/metrics") as response:
            assert "opsbot_outbox_overdue_jobs 0.0" in await response.text()
        await proxy.cut()
        async with http.get(f"{opsbot_via_proxy.url}/metrics") as response:
            assert response.status == 200
            exposition = await response.text()
        assert 'opsbot_http_requests_total{route="/metrics",status="200"} 1.0' in exposition
        assert "opsbot_outbox_overdue_jobs NaN" in exposition  # unknown, not a stale 0
        assert "opsbot_outbox_jobs{" not in exposition
        await proxy.restore()
        async with http.get(f"{opsbot_via_proxy.url}/metrics") as response:
            assert 'opsbot_outbox_jobs{status="failed"} 0.0' in await response.text()


async def test_a_database_outage_fails_cleanly_and_recovers_by_itself(
    opsbot_via_proxy: RunningServer, proxy: TcpProxy, sandbox: Any
) -> None:
    slack = sandbox.player(bot_url=f"{opsbot_via_proxy.url}/slack/events", signing_secret=SIGNING_SECRET)
    ws = sandbox.workspace
    try:
        await proxy.cut()
        status, body = await send(opsbot_via_proxy.url, alert("DuringOutage"))
        assert status == 503 and "database is unavailable" in body["error"]
        await slack.slash("/oncall", "", user="alice")
        await ws.wait_for_ephemeral(user="alice", contains="cannot reach its database right now", timeout=15)
        await proxy.restore()
        status, _ = await send(opsbot_via_proxy.url, alert("AfterOutage"))
        assert status == 200
        await ws.wait_for_message("critical-alerts", contains="AfterOutage", timeout=15)
    finally:
        await slack.close()


@pytest.fixture
async def opsbot_on_postgres(
    make_settings: Callable[..., Settings], postgres_url: str
) -> AsyncIterator[RunningServer]:
    server = await start_server(
        build_deps(make_settings(OPSBOT_DATABASE_URL=postgres_url)), host="127.0.0.1", port=0
    )
    yield server
    await server.close()


async def test_connections_postgresql_drops_are_replaced_without_an_error(
    opsbot_on_postgres: RunningServer, postgres_url: str, sandbox: Any
) -> None:
    """What a PostgreSQL restart does to the open connections: the server ends them. opsbot's pool
    notices on the next checkout and reconnects, so nobody sees an error."""
    opsbot, ws = opsbot_on_postgres, sandbox.workspace
    status, _ = await send(opsbot.url, alert("BeforeRestart"))
    assert status == 200
    await ws.wait_for_message("critical-alerts", contains="BeforeRestart", timeout=15)
    name = make_url(postgres_url).database
    ended = databases.admin_query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    assert ended >= 1  # opsbot held pooled connections to its database
    status, _ = await send(opsbot.url, alert("AfterRestart"))
    assert status == 200
    await ws.wait_for_message("critical-alerts", contains="AfterRestart", timeout=15)
    async with aiohttp.ClientSession() as http, http.get(f"{opsbot.url}/healthz") as response:
        assert response.status == 200
