"""Run the real Prometheus and Alertmanager binaries for tests: free loopback ports, files under tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import yaml

from tests.support.prom_history import KEEP_HISTORY, Gauge, create_blocks
from tests.support.services import binary, require

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 30
S = TypeVar("S", bound="RunningService")


class ServiceStartError(RuntimeError):
    """A binary exited or did not become ready; the message carries the tail of its log."""


def binary_or_fail(name: str, *alternatives: str) -> str:
    """Return the path of the first binary found; skip the test locally, fail it under CI=true."""
    for candidate in (name, *alternatives):
        path = binary(candidate)
        if path is not None:
            return path
    require(False, f"the {' / '.join((name, *alternatives))} binary")
    raise AssertionError("unreachable: require() skips or fails")


def free_port() -> int:
    """Ask the OS for a free loopback port (closed again at once; the binary binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningService:
    """A started binary listening on `url`; `stop()` ends it (also called on leaving the context)."""

    name: str
    url: str
    process: asyncio.subprocess.Process
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def address(self) -> str:
        """host:port, the form Prometheus wants for scrape and Alertmanager targets."""
        return self.url.removeprefix("http://")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """Return the last lines the binary wrote to stderr/stdout."""
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> None:
        """Terminate the process (kill it if it lingers); safe to call twice."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        if not self._log.closed:
            await asyncio.to_thread(self._log.close)


@dataclass
class RunningPrometheus(RunningService):
    """Prometheus with a small query helper over its HTTP API."""

    async def query(self, promql: str) -> list[dict[str, Any]]:
        """Run an instant query and return the result vector."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{self.url}/api/v1/query", params={"query": promql}) as response,
        ):
            body = await response.json()
        if body.get("status") != "success":
            raise AssertionError(f"query {promql!r} failed: {body}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    async def wait_for_query(self, promql: str) -> list[dict[str, Any]]:
        """Re-run a query until it returns data; wrap it in `asyncio.timeout(...)`."""
        while True:  # polling: Prometheus has no push API to wait on
            if result := await self.query(promql):
                return result
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def running_prometheus(
    tmp_path: Path,
    *,
    scrape_targets: Sequence[str] = (),
    rule_files: Sequence[Path] = (),
    alertmanager_url: str | None = None,
    evaluation_interval: str = "1s",
    scrape_interval: str = "1s",
    history: Sequence[Gauge] = (),
) -> AsyncIterator[RunningPrometheus]:
    """Serve Prometheus on a free port, scraping itself (job "prometheus") and each target (job "scrape-N").

    A target is "host:port" or a URL such as "http://127.0.0.1:8080/metrics". `history` is backfilled
    into its storage before it starts (and kept whatever its age).
    """
    executable = binary_or_fail("prometheus")
    home = tmp_path / "prometheus"
    if history:
        await create_blocks(history, home / "data")
    intervals = {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval}

    def command(port: int) -> list[str]:
        config = _prometheus_config(
            port=port,
            intervals=intervals,
            scrape_targets=scrape_targets,
            rule_files=rule_files,
            alertmanager_url=alertmanager_url,
        )
        _write_yaml(home / "prometheus.yml", config)
        return [
            executable,
            f"--config.file={home / 'prometheus.yml'}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            # alerts sent before Alertmanager is discovered are dropped: resend soon, not after 1m
            f"--rules.alert.resend-delay={evaluation_interval}",
            "--log.level=info",
            *([KEEP_HISTORY] if history else []),
        ]

    prometheus = await _start("prometheus", home=home, command=command, kind=RunningPrometheus)
    try:
        yield prometheus
    finally:
        await prometheus.stop()


@contextlib.asynccontextmanager
async def running_alertmanager(
    tmp_path: Path,
    *,
    webhook_url: str,
    bearer_token: str | None = None,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> AsyncIterator[RunningService]:
    """Serve Alertmanager (clustering off) on a free port, sending every alert to `webhook_url`."""
    executable = binary_or_fail("prometheus-alertmanager", "alertmanager")
    home = tmp_path / "alertmanager"
    webhook: dict[str, Any] = {"url": webhook_url, "send_resolved": True}
    if bearer_token is not None:
        token_file = home / "webhook-token"
        await asyncio.to_thread(_write_text, token_file, bearer_token)
        webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": str(token_file)}}
    config = {
        "route": {
            "receiver": "webhook",
            "group_by": ["alertname", "service", "job"],
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [{"name": "webhook", "webhook_configs": [webhook]}],
    }

    def command(port: int) -> list[str]:
        _write_yaml(home / "alertmanager.yml", config)
        return [
            executable,
            f"--config.file={home / 'alertmanager.yml'}",
            f"--storage.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=info",
        ]

    service = await _start("alertmanager", home=home, command=command, kind=RunningService)
    try:
        yield service
    finally:
        await service.stop()


def _prometheus_config(
    *,
    port: int,
    intervals: dict[str, str],
    scrape_targets: Sequence[str],
    rule_files: Sequence[Path],
    alertmanager_url: str | None,
) -> dict[str, Any]:
    """Build prometheus.yml: itself as job "prometheus", then one job per target."""
    own = {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
    targets = [_scrape_config(f"scrape-{n}", target) for n, target in enumerate(scrape_targets, 1)]
    config: dict[str, Any] = {
        "global": intervals,
        "rule_files": [str(Path(path).resolve()) for path in rule_files],
        "scrape_configs": [own, *targets],
    }
    if alertmanager_url is not None:
        am = urlsplit(alertmanager_url)
        target = {"targets": [am.netloc]}
        manager = {"scheme": am.scheme or "http", "path_prefix": am.path or "/", "static_configs": [target]}
        config["alerting"] = {"alertmanagers": [manager]}
    return config


def _scrape_config(job: str, target: str) -> dict[str, Any]:
    if "://" not in target:
        return {"job_name": job, "static_configs": [{"targets": [target]}]}
    url = urlsplit(target)
    return {
        "job_name": job,
        "scheme": url.scheme,
        "metrics_path": url.path or "/metrics",
        "static_configs": [{"targets": [url.netloc]}],
    }


async def _start(name: str, *, home: Path, command: Callable[[int], list[str]], kind: type[S]) -> S:
    """Start the binary on a free port and wait for /-/ready; retry when another process took the port."""
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        argv = await asyncio.to_thread(command, port)
        log_path = home / f"{name}.log"
        log = await asyncio.to_thread(log_path.open, "wb")
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
        )
        service = kind(name, f"http://127.0.0.1:{port}", process, log_path, log)
        try:
            await _wait_ready(service)
        except ServiceStartError as error:
            await service.stop()
            if "address already in use" in str(error) and attempt < PORT_ATTEMPTS:
                continue
            raise
        except BaseException:  # cancelled while starting: never leave the process behind
            await service.stop()
            raise
        return service
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _wait_ready(service: RunningService) -> None:
    """Poll GET /-/ready until 200; fail fast with the log tail if the process exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while loop.time() < deadline:
            if service.process.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{service.url}/-/ready") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    state = (
        f"exited with code {service.process.returncode}"
        if service.process.returncode is not None
        else f"was not ready in {START_TIMEOUT:.0f} s"
    )
    tail = await asyncio.to_thread(service.log_tail)
    raise ServiceStartError(
        f"{service.name} at {service.url} {state}; last lines of {service.log_path}:\n{tail}"
    )


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    _write_text(path, yaml.safe_dump(data, sort_keys=False))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
