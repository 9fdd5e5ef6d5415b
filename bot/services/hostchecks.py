"""opsbot's own host checks: sample the host with psutil, probe URLs, raise alerts through alert ingest."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import aiohttp
import psutil

from bot.config import HostRuleConfig, UptimeCheckConfig
from bot.deps import Deps
from bot.domain import hostchecks as domain
from bot.domain.alerts import AlertStatus
from bot.domain.hostchecks import HostReading, HostRule, Probe, RuleState, Transition, UptimeState
from bot.domain.incoming import IncomingAlert
from bot.services import stale_hosts
from bot.services.alerts import ingest
from storage.host_alerts import firing_alerts
from storage.host_samples import HostSample, add_samples, purge_older_than

log = logging.getLogger(__name__)

SOURCE = domain.HOST_SOURCE
PURGE_EVERY = timedelta(hours=1)
STALE_CHECK_EVERY = timedelta(minutes=1)
UPTIME_TIMEOUT_SECONDS = 10.0
# Read-only file systems (snaps, images, overlays) and memory-backed ones cannot fill a disk.
SKIPPED_FILESYSTEMS = frozenset({"squashfs", "overlay", "tmpfs", "devtmpfs", "iso9660"})
ReadHost = Callable[[], HostReading]
Fetch = Callable[[str], Awaitable[Probe]]
Round = Callable[[datetime], Awaitable[None]]
K = TypeVar("K", bound=Hashable)
S = TypeVar("S", RuleState, UptimeState)
# Old state, new state, transition: a transition becomes final only once ingest took its alert.
Update = tuple[S, S, Transition | None]


def read_host_metrics(*, cpu_seconds: float = 1.0) -> HostReading:
    """Read CPU (over `cpu_seconds`), memory, disks, load and network counters (blocking: use a thread)."""
    net = psutil.net_io_counters()
    return HostReading(
        # Measured here, not "since the last call": psutil keeps that per thread, and to_thread varies.
        cpu_percent=psutil.cpu_percent(interval=cpu_seconds),
        memory_percent=psutil.virtual_memory().percent,
        disks=_disk_usage(),
        load=psutil.getloadavg(),
        net_bytes_sent=net.bytes_sent if net else None,
        net_bytes_recv=net.bytes_recv if net else None,
    )


def _disk_usage() -> dict[str, float]:
    """Percent used per physical mount point; a device mounted twice (bind mounts) counts once."""
    usage: dict[str, float] = {}
    devices: set[str] = set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in SKIPPED_FILESYSTEMS or "ro" in part.opts.split(",") or part.device in devices:
            continue
        try:
            usage[part.mountpoint] = psutil.disk_usage(part.mountpoint).percent
        except OSError:  # unmounted meanwhile, or not ours to read
            continue
        devices.add(part.device)
    return usage


def top_processes(limit: int = 5, *, interval: float = 0.5) -> domain.TopProcesses:
    """The busiest processes by CPU (measured over `interval` seconds) and by memory (blocking)."""
    processes = list(psutil.process_iter(["name", "memory_percent"]))
    for process in processes:
        with suppress(psutil.Error):
            process.cpu_percent(interval=None)  # the first call only starts the measurement
    time.sleep(interval)
    usage = []
    for process in processes:
        with suppress(psutil.Error):  # the process ended meanwhile
            cpu, info = process.cpu_percent(interval=None), process.info
            usage.append(
                domain.ProcessUsage(process.pid, info["name"] or "", cpu, info["memory_percent"] or 0.0)
            )
    return domain.top_of(usage, limit=limit)


def rule_from_config(config: HostRuleConfig) -> HostRule:
    """Turn a configured rule into the domain's plain value."""
    return HostRule(
        name=config.name,
        metric=config.metric,
        threshold=config.threshold,
        for_duration=timedelta(minutes=config.for_minutes),
        severity=config.severity,
    )


class HostChecker:
    """Samples the host every `interval_seconds` and probes URLs every `uptime_interval_seconds`.

    Rule state lives in memory: each replica checks its own host, which is what host checks mean.
    """

    def __init__(
        self,
        deps: Deps,
        *,
        read_host: ReadHost = read_host_metrics,
        fetch: Fetch | None = None,
        hostname: str | None = None,
    ) -> None:
        self._deps = deps
        self._config = deps.settings.file.host_checks
        self._rules = tuple(rule_from_config(rule) for rule in self._config.rules)
        self._read_host = read_host
        self._fetch = fetch
        # the name its samples and alerts carry: replicas sharing a database must not share it
        self.hostname = hostname or self._config.host or socket.gethostname()
        self.last_reading: HostReading | None = None
        self._rule_states: dict[tuple[HostRule, str], RuleState] = {}
        self._uptime_states: dict[str, UptimeState] = {}
        self._sent: dict[str, datetime] = {}
        self._last_net: tuple[datetime, HostReading] | None = None
        self._last_purge: datetime | None = None
        self._last_stale_check: datetime | None = None
        self._restored: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Run the sampling loop and, when URLs are configured, the uptime loop."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._every(self._config.interval_seconds, self.sample_once)))
        if self._config.uptime:
            interval = self._config.uptime_interval_seconds
            self._tasks.append(asyncio.create_task(self._every(interval, self.check_uptime_once)))
        log.info(
            "host checks started",
            extra={"hostname": self.hostname, "uptime_checks": len(self._config.uptime)},
        )

    async def stop(self) -> None:
        """Cancel both loops and wait for them to end."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _every(self, seconds: float, one_round: Round) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await one_round(self._deps.clock())
            except Exception:
                # One bad round (database away, psutil error) must not end the checks.
                log.exception("host check round failed", extra={"round": one_round.__name__})
            await asyncio.sleep(max(0.0, seconds - (loop.time() - started)))

    async def sample_once(self, now: datetime) -> None:
        """Read the host, store the samples, raise or resolve rule alerts, resolve stale hosts' alerts."""
        if "rules" not in self._restored:
            firing = await _firing_alerts(self._deps)
            self._rule_states |= domain.restored_rule_states(self._rules, firing, hostname=self.hostname)
            self._restored.add("rules")
        reading = await asyncio.to_thread(self._read_host)
        self.last_reading = reading
        # Stored before any alert it raises: a replica never sees this host's alert without its sample,
        # which would make the host look stale.
        await add_samples(self._deps.db, self._samples(reading, now))
        alerts: list[IncomingAlert] = []
        updates: dict[tuple[HostRule, str], Update[RuleState]] = {}
        for rule in self._rules:
            values = domain.metric_values(rule.metric, reading)
            known = {key for (known_rule, key) in self._rule_states if known_rule == rule}
            for key in sorted(values.keys() | known):
                old = self._rule_states.get((rule, key), RuleState())
                new, transition = domain.evaluate(rule, old, values.get(key), now)
                updates[(rule, key)] = (old, new, transition)
                since = old.pending_since if transition is Transition.RESOLVED else new.pending_since
                if since is not None and (transition or new.firing):
                    alert = domain.rule_alert(
                        rule,
                        hostname=self.hostname,
                        key=key,
                        value=values.get(key),
                        since=since,
                        now=now,
                        firing=new.firing,
                    )
                    self._collect(alerts, alert, transition, now)
        delivered = await self._deliver(alerts, now)
        _commit(self._rule_states, updates, delivered=delivered, idle=RuleState())
        await self._resolve_stale_if_due(now)
        await self._purge_if_due(now)

    async def check_uptime_once(self, now: datetime) -> None:
        """Probe every configured URL once, raise or resolve UptimeCheckFailed, store up/down samples."""
        checks = self._config.uptime
        if not checks:
            return
        if "uptime" not in self._restored:
            firing = await _firing_alerts(self._deps)
            self._uptime_states |= domain.restored_uptime_states((check.name for check in checks), firing)
            self._restored.add("uptime")
        probes = await self._probe_all(checks)
        down_after = timedelta(seconds=self._config.uptime_down_after_seconds)
        alerts: list[IncomingAlert] = []
        updates: dict[str, Update[UptimeState]] = {}
        for check, probe in zip(checks, probes, strict=True):
            old = self._uptime_states.get(check.name, UptimeState())
            new, transition = domain.evaluate_uptime(old, up=probe.up, now=now, down_after=down_after)
            updates[check.name] = (old, new, transition)
            since = old.down_since if transition is Transition.RESOLVED else new.down_since
            if since is not None and (transition or new.firing):
                alert = domain.uptime_alert(
                    check=check.name, url=check.url, probe=probe, since=since, now=now, firing=new.firing
                )
                self._collect(alerts, alert, transition, now)
        delivered = await self._deliver(alerts, now)
        _commit(self._uptime_states, updates, delivered=delivered, idle=UptimeState())
        samples = [
            HostSample(host=self.hostname, metric="uptime_up", key=c.name, value=float(p.up), at=now)
            for c, p in zip(checks, probes, strict=True)
        ]
        await add_samples(self._deps.db, samples)

    def _collect(
        self, alerts: list[IncomingAlert], alert: IncomingAlert, transition: Transition | None, now: datetime
    ) -> None:
        """Send on transitions, and firing alerts again every few minutes in case a send was lost."""
        if transition is not None or domain.resend_due(last_sent=self._sent.get(alert.fingerprint), now=now):
            alerts.append(alert)

    async def _deliver(self, alerts: Sequence[IncomingAlert], now: datetime) -> bool:
        """Hand alerts to ingest; on failure the transitions stay pending and are sent again next round."""
        if not alerts:
            return True
        try:
            await ingest(self._deps, alerts, source=SOURCE)
        except Exception:
            log.exception("host alerts not delivered; retrying next round", extra={"alerts": len(alerts)})
            return False
        for alert in alerts:
            if alert.status is AlertStatus.FIRING:
                self._sent[alert.fingerprint] = now
            else:
                self._sent.pop(alert.fingerprint, None)
        return True

    def _samples(self, reading: HostReading, now: datetime) -> list[HostSample]:
        """The reading as rows, network byte counters turned into rates against the previous reading."""
        series = domain.reading_series(reading)
        previous, self._last_net = self._last_net, (now, reading)
        if previous is not None:
            series |= domain.network_rates(previous[1], reading, seconds=(now - previous[0]).total_seconds())
        return [
            HostSample(host=self.hostname, metric=metric, key=key, value=value, at=now)
            for (metric, key), value in series.items()
        ]

    async def _resolve_stale_if_due(self, now: datetime) -> None:
        """Once a minute (and on the first round, so a restart resolves what gone hosts left firing)."""
        if self._last_stale_check is not None and now - self._last_stale_check < STALE_CHECK_EVERY:
            return
        await stale_hosts.resolve_stale_hosts(self._deps, own_host=self.hostname, now=now)
        self._last_stale_check = now

    async def _purge_if_due(self, now: datetime) -> None:
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        cutoff = now - timedelta(days=self._config.retention_days)
        removed = await purge_older_than(self._deps.db, cutoff)
        await stale_hosts.forget_old_claims(self._deps, older_than=cutoff)
        self._last_purge = now
        if removed:
            log.info("old host samples purged", extra={"removed": removed})

    async def _probe_all(self, checks: Sequence[UptimeCheckConfig]) -> list[Probe]:
        if self._fetch is not None:
            return list(await asyncio.gather(*(self._fetch(check.url) for check in checks)))
        timeout = aiohttp.ClientTimeout(total=UPTIME_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return list(await asyncio.gather(*(probe_url(session, check.url) for check in checks)))


async def probe_url(session: aiohttp.ClientSession, url: str) -> Probe:
    """GET `url` once (redirects not followed): 2xx/3xx is up; errors and time-outs are down."""
    try:
        async with session.get(url, allow_redirects=False) as response:
            return Probe(up=domain.is_up_status(response.status), status=response.status)
    except TimeoutError:
        return Probe(up=False, error=f"timed out after {UPTIME_TIMEOUT_SECONDS:g} s")
    except aiohttp.ClientError as error:
        return Probe(up=False, error=domain.redact_url(f"{type(error).__name__}: {error}", url)[:300])


async def _firing_alerts(deps: Deps) -> list[tuple[Mapping[str, str], datetime]]:
    """Labels and start of host alerts stored as firing: what an earlier process left to resolve."""
    return [(alert.labels, alert.starts_at) for alert in await firing_alerts(deps.db, source=SOURCE)]


def _commit(states: dict[K, S], updates: Mapping[K, Update[S]], *, delivered: bool, idle: S) -> None:
    """Keep the new states; an undelivered transition is kept due, so the next round sends it again."""
    for key, (old, new, transition) in updates.items():
        if not delivered and transition is Transition.FIRED:
            new = replace(new, firing=False)  # still pending since the same time: it fires next round
        elif not delivered and transition is Transition.RESOLVED:
            new = old
        if new == idle:
            states.pop(key, None)
        else:
            states[key] = new
