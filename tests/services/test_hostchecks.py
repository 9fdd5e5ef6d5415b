"""Host checks with real storage and the real alert ingest: readings over simulated time become alerts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from sqlmodel import col, select

from bot.config import UptimeCheckConfig, load_settings
from bot.deps import Deps, build_deps
from bot.domain.hostchecks import HostReading, Probe
from bot.domain.incoming import IncomingAlert
from bot.services import hostchecks
from bot.services.hostchecks import HostChecker, probe_url, read_host_metrics, top_processes
from storage.host_samples import HostSample, add_samples, latest, samples_between
from storage.migrate import upgrade
from storage.models import Alert
from tests.support.clock import SetClock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
QUIET = HostReading(cpu_percent=10, memory_percent=40, disks={"/": 50})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class FakeHost:
    """A host whose readings the test sets; network counters grow 1,500 bytes out and 3,000 in per call."""

    reading: HostReading = QUIET
    calls: int = 0

    def read(self) -> HostReading:
        self.calls += 1
        return replace(self.reading, net_bytes_sent=1_500 * self.calls, net_bytes_recv=3_000 * self.calls)

    def set(self, **changes: Any) -> None:
        self.reading = replace(self.reading, **changes)


@pytest.fixture
def clock() -> SetClock:
    return SetClock(T0)


@pytest.fixture
def host_config() -> dict[str, Any]:
    return {}


@pytest.fixture
async def deps(
    sqlite_url: str, tmp_path: Path, clock: SetClock, host_config: dict[str, Any]
) -> AsyncIterator[Deps]:
    await asyncio.to_thread(upgrade, sqlite_url)
    config_path = tmp_path / "opsbot.yml"
    config_path.write_text(yaml.safe_dump({"host_checks": host_config}))
    settings = load_settings({"OPSBOT_DATABASE_URL": sqlite_url, "OPSBOT_CONFIG": str(config_path)})
    built = build_deps(settings, clock=clock)
    yield built
    await built.close()


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[IncomingAlert]]:
    """Every batch handed to the real ingest."""
    batches: list[list[IncomingAlert]] = []
    real_ingest = hostchecks.ingest

    async def recording(deps: Deps, alerts: Sequence[IncomingAlert], *, source: str) -> Any:
        batches.append(list(alerts))
        return await real_ingest(deps, alerts, source=source)

    monkeypatch.setattr(hostchecks, "ingest", recording)
    return batches


async def run_samples(checker: HostChecker, clock: SetClock, seconds: range) -> None:
    for second in seconds:
        clock.now = at(second)
        await checker.sample_once(clock.now)


async def stored(deps: Deps, alertname: str) -> list[Alert]:
    async with deps.db.sessions() as session:
        found = await session.execute(select(Alert).where(col(Alert.alertname) == alertname))
        return list(found.scalars().all())


async def test_high_cpu_fires_after_ten_minutes_and_resolves(
    deps: Deps, host: FakeHost, clock: SetClock, sent: list[list[IncomingAlert]]
) -> None:
    checker = HostChecker(deps, read_host=host.read, hostname="host-a")
    host.set(cpu_percent=93.0)
    await run_samples(checker, clock, range(0, 600, 15))
    assert await stored(deps, "HostHighCpu") == []

    await run_samples(checker, clock, range(600, 615, 15))
    [alert] = await stored(deps, "HostHighCpu")
    assert (alert.status, alert.source, alert.severity, alert.starts_at) == ("firing", "host", "warning", T0)
    assert alert.labels == {
        "alertname": "HostHighCpu",
        "severity": "warning",
        "instance": "host-a",
        "job": "opsbot-host",
    }
    assert alert.annotations["summary"] == "CPU at 93 % on host-a for 10 min (threshold 80 %)"

    host.set(cpu_percent=20.0)
    await run_samples(checker, clock, range(615, 630, 15))
    [alert] = await stored(deps, "HostHighCpu")
    assert (alert.status, alert.ends_at) == ("resolved", at(615))
    assert [[a.status.value for a in batch] for batch in sent] == [["firing"], ["resolved"]]


async def test_firing_alerts_are_sent_on_change_and_again_every_five_minutes(
    deps: Deps, host: FakeHost, clock: SetClock, sent: list[list[IncomingAlert]]
) -> None:
    checker = HostChecker(deps, read_host=host.read, hostname="host-a")
    host.set(disks={"/": 95.0, "/data": 95.5})  # above 95 % is critical, at it not
    await run_samples(checker, clock, range(0, 900, 15))
    assert [batch[0].starts_at for batch in sent] == [T0, T0, T0]  # at 0 s, 300 s and 600 s
    assert len(sent) == 3
    [alert] = await stored(deps, "HostDiskFull")
    assert alert.labels["mountpoint"] == "/data" and alert.status == "firing"


async def test_memory_rules_fire_by_severity(deps: Deps, host: FakeHost, clock: SetClock) -> None:
    checker = HostChecker(deps, read_host=host.read, hostname="host-a")
    host.set(memory_percent=97.0)
    await run_samples(checker, clock, range(0, 15, 15))
    assert [a.severity for a in await stored(deps, "HostMemoryExhausted")] == ["critical"]
    assert await stored(deps, "HostHighMemory") == []
    await run_samples(checker, clock, range(15, 615, 15))
    assert [a.status for a in await stored(deps, "HostHighMemory")] == ["firing"]


async def test_a_failed_send_is_retried_next_round(
    deps: Deps, host: FakeHost, clock: SetClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_ingest = hostchecks.ingest
    failures = [RuntimeError("database is away")]

    async def flaky(deps: Deps, alerts: Sequence[IncomingAlert], *, source: str) -> Any:
        if failures:
            raise failures.pop()
        return await real_ingest(deps, alerts, source=source)

    monkeypatch.setattr(hostchecks, "ingest", flaky)
    checker = HostChecker(deps, read_host=host.read, hostname="host-a")
    host.set(disks={"/": 96.0})
    await run_samples(checker, clock, range(0, 15, 15))
    assert await stored(deps, "HostDiskFull") == []
    await run_samples(checker, clock, range(15, 30, 15))
    [alert] = await stored(deps, "HostDiskFull")
    assert (alert.status, alert.starts_at) == ("firing", T0)


async def test_a_restarted_checker_resolves_what_the_previous_one_raised(
    deps: Deps, host: FakeHost, clock: SetClock
) -> None:
    host.set(disks={"/": 96.0})
    await run_samples(HostChecker(deps, read_host=host.read, hostname="host-a"), clock, range(0, 15, 15))
    assert [a.status for a in await stored(deps, "HostDiskFull")] == ["firing"]
    host.set(disks={"/": 60.0})
    await run_samples(HostChecker(deps, read_host=host.read, hostname="host-a"), clock, range(60, 75, 15))
    assert [a.status for a in await stored(deps, "HostDiskFull")] == ["resolved"]


async def test_samples_are_stored_with_network_rates_and_old_ones_purged(
    deps: Deps, host: FakeHost, clock: SetClock
) -> None:
    old = [
        HostSample(host=h, metric="cpu", value=1.0, at=T0 - timedelta(days=40)) for h in ("host-a", "gone")
    ]
    await add_samples(deps.db, old)
    checker = HostChecker(deps, read_host=host.read, hostname="host-a")
    await run_samples(checker, clock, range(0, 45, 15))
    cpu = await samples_between(
        deps.db, host="host-a", metric="cpu", start=T0 - timedelta(days=60), end=at(60)
    )
    assert cpu == [(at(0), 10.0), (at(15), 10.0), (at(30), 10.0)]
    assert await latest(deps.db, host="gone", metric="cpu") is None  # purged though no checker names it
    assert await latest(deps.db, host="host-a", metric="disk", key="/") == (at(30), 50.0)
    assert await samples_between(deps.db, host="host-a", metric="net_sent_bps", start=T0, end=at(60)) == [
        (at(15), 100.0),
        (at(30), 100.0),
    ]
    assert await latest(deps.db, host="host-a", metric="net_recv_bps") == (at(30), 200.0)
    assert await latest(deps.db, host="host-a", metric="load1") == (at(30), 0.0)  # QUIET's load averages


@pytest.mark.parametrize("host_config", [{"interval_seconds": 0.02}])
async def test_the_loops_run_until_stopped_and_survive_a_bad_round(deps: Deps, host: FakeHost) -> None:
    failures = [OSError("psutil hiccup")]
    loop, two_readings = asyncio.get_running_loop(), asyncio.Event()

    def read() -> HostReading:  # runs in a worker thread
        if failures:
            raise failures.pop()
        reading = host.read()
        if host.calls == 2:
            loop.call_soon_threadsafe(two_readings.set)
        return reading

    checker = HostChecker(deps, read_host=read, hostname="host-a")
    await checker.start()
    try:
        async with asyncio.timeout(5):
            await two_readings.wait()
    finally:
        await checker.stop()
    stored_cpu = await latest(deps.db, host="host-a", metric="cpu")
    assert stored_cpu is not None and stored_cpu[1] == 10.0  # QUIET's CPU, read by the loop
    calls = host.calls
    # No positive signal can show that nothing happens: wait five check intervals; a loop still running
    # would have read the host again.
    await asyncio.sleep(0.1)
    assert host.calls == calls  # stopped means stopped


async def test_the_real_host_reads_sanely() -> None:
    reading = await asyncio.to_thread(read_host_metrics, cpu_seconds=0.2)
    assert 0 <= reading.cpu_percent <= 100
    assert 0 < reading.memory_percent <= 100
    assert reading.disks, "at least one physical disk"
    assert all(0 <= used <= 100 for used in reading.disks.values())
    assert all(load >= 0 for load in reading.load)
    assert reading.net_bytes_recv is None or reading.net_bytes_recv >= 0
    top = await asyncio.to_thread(top_processes, 3, interval=0.1)
    assert 0 < len(top.by_cpu) <= 3 and 0 < len(top.by_memory) <= 3
    memory = [p.memory_percent for p in top.by_memory]
    assert memory == sorted(memory, reverse=True)


@dataclass
class LocalSite:
    """A real HTTP server on an ephemeral loopback port that can be stopped and started again."""

    status: int = 200
    port: int = 0
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def health(_: web.Request) -> web.Response:
            return web.Response(status=self.status, text="ok")

        async def slow(_: web.Request) -> web.Response:
            await asyncio.sleep(2)  # a site slower than the check's timeout: the delay is the test input
            return web.Response(text="late")

        app = web.Application()
        app.router.add_get("/health", health)
        app.router.add_get("/slow", slow)
        self.runner = web.AppRunner(app, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    running = LocalSite()
    await running.start()
    yield running
    await running.stop()


def check_urls(deps: Deps, **urls: str) -> Deps:
    """Configure URL checks once the URLs are known (the test server's port is picked by the OS)."""
    checks = tuple(UptimeCheckConfig(name=name, url=url) for name, url in urls.items())
    host_checks = deps.settings.file.host_checks.model_copy(update={"uptime": checks})
    file = deps.settings.file.model_copy(update={"host_checks": host_checks})
    deps.settings = deps.settings.model_copy(update={"file": file})
    return deps


@pytest.fixture
def uptime_deps(deps: Deps, site: LocalSite) -> Deps:
    return check_urls(deps, shop=site.url)


async def run_probes(checker: HostChecker, clock: SetClock, second: float) -> None:
    clock.now = at(second)
    await checker.check_uptime_once(clock.now)


async def test_a_stopped_site_raises_uptime_check_failed_and_recovers(
    uptime_deps: Deps, site: LocalSite, clock: SetClock
) -> None:
    deps = uptime_deps
    checker = HostChecker(deps, hostname="host-a")
    await run_probes(checker, clock, 0)
    await site.stop()
    await run_probes(checker, clock, 60)
    assert await stored(deps, "UptimeCheckFailed") == []
    await run_probes(checker, clock, 120)
    [alert] = await stored(deps, "UptimeCheckFailed")
    assert (alert.status, alert.severity, alert.starts_at) == ("firing", "critical", at(60))
    assert alert.labels == {
        "alertname": "UptimeCheckFailed",
        "severity": "critical",
        "check": "shop",
        "url": site.url,
        "instance": f"127.0.0.1:{site.port}",
    }
    assert alert.annotations["summary"].startswith("shop is down for 1 min: ClientConnectorError")

    await site.start()  # same port again
    await run_probes(checker, clock, 180)
    [alert] = await stored(deps, "UptimeCheckFailed")
    assert (alert.status, alert.ends_at) == ("resolved", at(180))
    ups = await samples_between(deps.db, host="host-a", metric="uptime_up", key="shop", start=T0, end=at(180))
    assert [value for _, value in ups] == [1.0, 0.0, 0.0, 1.0]


async def test_server_errors_count_as_down(uptime_deps: Deps, site: LocalSite, clock: SetClock) -> None:
    site.status = 503
    checker = HostChecker(uptime_deps, hostname="host-a")
    for second in (0, 60):
        await run_probes(checker, clock, second)
    [alert] = await stored(uptime_deps, "UptimeCheckFailed")
    assert alert.annotations["summary"] == "shop is down for 1 min: HTTP 503"
    site.status = 302
    await run_probes(checker, clock, 120)
    assert [a.status for a in await stored(uptime_deps, "UptimeCheckFailed")] == ["resolved"]


async def test_a_slow_answer_is_a_time_out(site: LocalSite) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as session:
        probe = await probe_url(session, site.url.replace("/health", "/slow"))
    assert not probe.up
    assert probe.reason.startswith("timed out")


async def test_uptime_checks_can_be_fed_by_a_fake(deps: Deps, clock: SetClock) -> None:
    calls: list[str] = []

    async def fetch(url: str) -> Probe:
        calls.append(url)
        return Probe(up=False, error="connection refused")

    checker = HostChecker(
        check_urls(deps, api="https://u:pw@api.example/h?k=1"), fetch=fetch, hostname="host-a"
    )
    for second in (0, 60):
        await run_probes(checker, clock, second)
    [alert] = await stored(deps, "UptimeCheckFailed")
    assert alert.labels["url"] == "https://api.example/h" and "pw" not in str(alert.annotations)
    assert calls == ["https://u:pw@api.example/h?k=1"] * 2
