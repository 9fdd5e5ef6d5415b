"""Metric sources: this host from stored samples (SQLite and PostgreSQL), Prometheus's failure modes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import PrometheusConfig, load_settings
from bot.domain.hostchecks import HostReading
from bot.errors import UpstreamError, UsageError
from bot.services.metric_sources import (
    HostSource,
    PrometheusSource,
    _api_error,
    create_metric_source,
    kpis_from_config,
)
from storage.db import Database
from storage.host_samples import HostSample, add_samples
from tests.support.prom import free_port

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KPIS = kpis_from_config(load_settings({}).file.kpis)
READING = HostReading(cpu_percent=12.5, memory_percent=40, disks={"/": 50, "/data": 91}, load=(2, 1, 0.5))


@pytest.fixture
def host(db: Database) -> HostSource:
    return HostSource(db, kpis=KPIS, hostname="web-1", read_host=lambda: READING, clock=lambda: T0)


async def test_host_source_reads_now_and_ranges(db: Database, host: HostSource) -> None:
    assert host.description == "this host (web-1)" and not host.is_prometheus
    assert [s.value for s in await host.instant("cpu")] == [12.5]
    assert {s.labels["mountpoint"]: s.value for s in await host.instant("disk")} == {"/": 50, "/data": 91}
    assert [s.value for s in await host.instant("load")] == [2]
    rows = [
        HostSample(host="web-1", metric="cpu", value=float(v), at=T0 - timedelta(minutes=m))
        for m, v in [(50, 10), (40, 30)]
    ]
    rows += [HostSample(host="web-1", metric="disk", key="/data", value=80.0, at=T0 - timedelta(minutes=30))]
    rows += [HostSample(host="web-1", metric="disk", key="/", value=40.0, at=T0 - timedelta(minutes=30))]
    # another replica's host on the same database: none of its samples may show as web-1's
    rows += [HostSample(host="web-2", metric="cpu", value=99.0, at=T0 - timedelta(minutes=45))]
    rows += [HostSample(host="web-2", metric="disk", key="/data", value=99.0, at=T0 - timedelta(minutes=30))]
    await add_samples(db, rows)
    (cpu,) = await host.series("cpu", start=T0 - timedelta(hours=1), end=T0, step=timedelta(minutes=1))
    assert [v for _, v in cpu.points] == [10, 30]
    assert await host.average("cpu", start=T0 - timedelta(hours=1), end=T0) == 20
    assert await host.average("disk", start=T0 - timedelta(hours=1), end=T0) == 80  # the fullest disk
    assert await host.average("cpu", start=T0 - timedelta(hours=3), end=T0 - timedelta(hours=2)) is None


async def test_host_source_says_what_needs_prometheus(host: HostSource) -> None:
    with pytest.raises(UsageError, match=r"\*API latency p95\* needs Prometheus"):
        await host.instant("latency")
    with pytest.raises(UsageError, match="this query needs Prometheus"):
        await host.average("rate(x[5m])", start=T0 - timedelta(hours=1), end=T0)


def test_the_source_follows_prometheus_url(db: Database, tmp_path: Path) -> None:
    assert isinstance(create_metric_source(load_settings({}), db), HostSource)
    config = tmp_path / "opsbot.yml"
    config.write_text("host_checks:\n  host: replica-2\n")
    named = create_metric_source(load_settings({"OPSBOT_CONFIG": str(config)}), db)
    assert named.description == "this host (replica-2)"  # the name its host checks write samples under
    source = create_metric_source(load_settings({"PROMETHEUS_URL": "http://127.0.0.1:9/"}), db)
    assert isinstance(source, PrometheusSource) and source.description == "Prometheus at http://127.0.0.1:9"
    assert [kpi.name for kpi in source.kpis][:2] == ["latency_p50", "latency_p95"]


async def test_a_dead_prometheus_answers_at_once() -> None:
    source = PrometheusSource(f"http://127.0.0.1:{free_port()}", kpis=KPIS)
    started = time.monotonic()
    with pytest.raises(
        UpstreamError,
        match=r"Prometheus at http://127\.0\.0\.1:\d+ did not answer: "
        r"the connection failed \(ConnectionError\)",
    ):
        await source.instant("uptime")
    assert time.monotonic() - started < 3
    source.close()


async def test_a_silent_prometheus_is_given_up_at_the_configured_time_out() -> None:
    connections: list[asyncio.StreamWriter] = []

    accepted = asyncio.Event()

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        accepted.set()

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = PrometheusConfig(max_concurrent_queries=1, query_timeout_seconds=0.5)
        source = PrometheusSource(f"http://127.0.0.1:{port}", config=config)
        first = asyncio.create_task(
            source.series("up", start=T0 - timedelta(hours=1), end=T0, step=timedelta(minutes=1))
        )
        async with asyncio.timeout(10):
            await accepted.wait()  # the first query holds the only thread: the second has to wait for it
        second = source.instant("up")
        slow, waiting = await asyncio.gather(first, second, return_exceptions=True)
        assert str(slow) == f"Prometheus at http://127.0.0.1:{port} did not answer within 0.5 s."
        assert str(waiting) == (
            f"Prometheus at http://127.0.0.1:{port} did not answer within 0.5 s: "
            "all 1 query threads are busy."
        )
        source.close()
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_prometheus_errors_are_shown_as_prometheus_said_them() -> None:
    async def reject(request: web.Request) -> web.Response:
        body = {"status": "error", "errorType": "bad_data", "error": '1:4: parse error: unexpected "}"'}
        return web.json_response(body, status=400)

    app = web.Application()
    app.router.add_get("/api/v1/query", reject)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(
            UsageError, match=r'Prometheus rejected the query: 1:4: parse error: unexpected "}"'
        ):
            await PrometheusSource(f"http://127.0.0.1:{port}").instant("up}")
    finally:
        await runner.cleanup()


def test_api_error_reads_the_client_message() -> None:
    message = (
        "HTTP Status Code 422 (" + repr(b'{"status":"error","error":"many-to-many \\"x\\" \xc3\xa9"}') + ")"
    )
    assert _api_error(message) == (422, 'many-to-many "x" é')
    assert _api_error("something else") == (None, "something else")
