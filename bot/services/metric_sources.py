"""Where metric values come from: Prometheus when PROMETHEUS_URL is set, else this host (psutil + samples).

Every method takes a KPI (or built-in metric) name, a shortcut such as `latency`, a `Kpi`, or raw PromQL.
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import math
import re
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.config import KpiConfig, PrometheusConfig, Settings, Team
from bot.domain.hostchecks import HostReading
from bot.domain.kpis import Comparison, Kpi, raw_query, resolve_metric, step_for
from bot.domain.metric_reports import Sample, Series, average_of, downsample
from bot.domain.promql_limits import QueryLimits, TooCostly, capped_step, check_query
from bot.errors import UpstreamError, UsageError
from bot.secret_urls import public_url
from bot.services.bounded_calls import BoundedCalls, NoSlot
from storage import host_samples
from storage.db import Database

log = logging.getLogger(__name__)
THREAD_GRACE_SECONDS = 1.0
READING_TTL = timedelta(seconds=5)
NETWORK_FRESH = timedelta(minutes=2)
T = TypeVar("T")
Metric = str | Kpi


class MetricSource(Protocol):
    """A place to read metrics from; `description` names it for people ("this host (web-1)")."""

    @property
    def description(self) -> str: ...

    @property
    def is_prometheus(self) -> bool: ...

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        """The configured KPIs, in the order of the configuration."""
        ...

    def resolve(self, what: Metric) -> Kpi:
        """Turn a name, shortcut or raw PromQL into the metric to read."""
        ...

    async def instant(self, what: Metric) -> list[Sample]:
        """The current value of every series of `what`."""
        ...

    async def series(self, what: Metric, *, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        """The values of every series of `what` from `start` to `end`, about one per `step`."""
        ...

    async def average(self, what: Metric, *, start: datetime, end: datetime) -> float | None:
        """The average of `what` from `start` to `end` (the worst series when there are several)."""
        ...

    def close(self) -> None:
        """Release what the source holds (Prometheus's threads); called once, at shutdown."""
        ...


def kpis_from_config(configs: Sequence[KpiConfig]) -> tuple[Kpi, ...]:
    """Turn configured KPIs into the domain's plain values."""
    return tuple(
        Kpi(
            name=c.name,
            title=c.title,
            promql=c.promql,
            unit=c.unit,
            target=c.target,
            comparison=Comparison(c.comparison),
            host_metric=c.host_metric,
            at_risk_margin=c.at_risk_margin,
        )
        for c in configs
    )


def team_kpis(team: Team) -> tuple[Kpi, ...]:
    """A team's KPIs (its own, the ones it names, or the top-level ones) as the domain's values."""
    return kpis_from_config(team.kpis)


def every_kpi(settings: Settings) -> tuple[Kpi, ...]:
    """Every team's KPIs, the default team's first; a name two teams define is the earlier team's."""
    found: dict[str, Kpi] = {}
    for team in settings.teams:
        for kpi in team_kpis(team):
            found.setdefault(kpi.name, kpi)
    return tuple(found.values())


def create_metric_source(settings: Settings, db: Database) -> MetricSource:
    """Prometheus when PROMETHEUS_URL is set, else this host."""
    kpis = kpis_from_config(settings.file.kpis)
    if settings.secrets.prometheus_url:
        return PrometheusSource(settings.secrets.prometheus_url, kpis=kpis, config=settings.file.prometheus)
    return HostSource(db, kpis=kpis, hostname=settings.file.host_checks.host)


class _Resolving:
    def __init__(self, kpis: Sequence[Kpi]) -> None:
        self._kpis = tuple(kpis)

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        return self._kpis

    def resolve(self, what: Metric) -> Kpi:
        if isinstance(what, Kpi):
            return what
        return resolve_metric(what, self._kpis) or raw_query(what)


class PrometheusSource(_Resolving):
    """Prometheus's HTTP API through prometheus-api-client, on threads of its own, each query in time."""

    is_prometheus = True

    def __init__(self, url: str, *, kpis: Sequence[Kpi] = (), config: PrometheusConfig | None = None) -> None:
        super().__init__(kpis)
        self.url = url.rstrip("/")
        self.public_url = public_url(self.url)  # what answers show: credentials in the URL stay here
        config = config or PrometheusConfig()
        self.limits = query_limits(config)
        # Prometheus gives up on its side too (and frees what the query held), not only opsbot's thread;
        # plain seconds, which its API reads as a float (a Go duration such as "0.5s" it would refuse).
        self._server_params = {"timeout": f"{config.query_timeout_seconds:g}"}
        self._calls = BoundedCalls(
            name="prometheus", limit=config.max_concurrent_queries, timeout=config.query_timeout_seconds
        )
        # Loaded only with PROMETHEUS_URL set: the client and requests cost start-up time otherwise.
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        # Connection refused is retried once, a slow answer never. requests' own time-out (per connect and
        # per read) frees the thread of a query the caller has given up on; a little later than the caller's
        # deadline, so that the deadline, not a race with it, decides what the user is told.
        self._client = PrometheusConnect(
            url=self.url,
            retry=Retry(total=1, connect=1, read=0, status=0, other=0, backoff_factor=0.1),
            timeout=config.query_timeout_seconds + THREAD_GRACE_SECONDS,
        )

    def close(self) -> None:
        self._calls.close()

    @property
    def description(self) -> str:
        return f"Prometheus at {self.public_url}"

    async def instant(self, what: Metric) -> list[Sample]:
        promql = self._checked(what)
        result = await self._call(self._client.custom_query, promql, self._params(), query=promql)
        return _samples(self._within_series_cap(result, promql))

    async def series(self, what: Metric, *, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        promql = self._checked(what)
        step = capped_step(end - start, step, max_points=self.limits.max_points)
        seconds = f"{int(step.total_seconds())}s"
        params = self._params()
        result = await self._call(
            self._client.custom_query_range, promql, start, end, seconds, params, query=promql
        )
        result = self._within_series_cap(result, promql)
        try:
            return _matrix(result)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
            raise UpstreamError(self._unreadable()) from None

    async def average(self, what: Metric, *, start: datetime, end: datetime) -> float | None:
        kpi = self.resolve(what)
        found = await self.series(kpi, start=start, end=end, step=step_for(end - start))
        return average_of(found, kpi.comparison)

    def _checked(self, what: Metric) -> str:
        """The query to send; raw PromQL must stay within the cost caps (configured KPIs are trusted)."""
        kpi = self.resolve(what)
        if kpi.is_raw_query:
            check_raw_query(kpi.promql, self.limits)
        return kpi.promql

    def _params(self) -> dict[str, str]:
        # `limit` (Prometheus 3.x) stops a huge answer on the server; older versions ignore it.
        return {**self._server_params, "limit": str(self.limits.max_series + 1)}

    def _within_series_cap(self, result: Any, promql: str) -> Any:
        """Refuse an answer with more series than `prometheus.max_series`: aggregate it instead."""
        vector_or_matrix = isinstance(result, list) and bool(result) and isinstance(result[0], dict)
        if vector_or_matrix and len(result) > self.limits.max_series:
            raise UsageError(
                f"The query returned more than {self.limits.max_series} series "
                "(`prometheus.max_series`); aggregate it, e.g. `sum by (job) (…)` or `topk(10, …)`."
                f"\n```{promql[:500]}```"
            )
        return result

    async def _call(self, function: Callable[..., T], *args: Any, query: str) -> T:
        """Run a blocking client call on the source's threads; turn every failure into a message to act on."""
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        try:
            return await self._calls.run(function, *args)
        except (requests.JSONDecodeError, KeyError, TypeError):  # a 200 whose body is no query answer
            raise UpstreamError(self._unreadable()) from None
        except (TimeoutError, requests.RequestException) as error:
            failure = {"url": self.public_url, "error": type(error).__name__}
            log.warning("Prometheus did not answer", extra=failure)
            raise UpstreamError(self._no_answer(error)) from None
        except PrometheusApiClientException as error:
            status, message = _api_error(str(error))
            if status is not None and status >= 500 and status != 503:
                raise UpstreamError(f"Prometheus at {self.public_url} failed ({status}): {message}") from None
            raise UsageError(f"Prometheus rejected the query: {message}\n```{query}```") from None

    def _unreadable(self) -> str:
        log.warning("Prometheus sent an unreadable answer", extra={"url": self.public_url})
        return f"Prometheus at {self.public_url} sent an answer that is not a query result."

    def _no_answer(self, error: Exception) -> str:
        """Say whether Prometheus was slow, out of reach, or still busy with earlier queries."""
        import requests

        said = f"Prometheus at {self.public_url} did not answer"
        if isinstance(error, NoSlot):
            return f"{said} within {self._calls.timeout:g} s: all {self._calls.limit} query threads are busy."
        if isinstance(error, TimeoutError | requests.Timeout):
            return f"{said} within {self._calls.timeout:g} s."
        return f"{said}: the connection failed ({type(error).__name__})."


def query_limits(config: PrometheusConfig) -> QueryLimits:
    """The cost caps of the configuration's `prometheus` section."""
    return QueryLimits(
        max_length=config.max_query_length,
        max_points=config.max_points,
        max_lookback=timedelta(days=config.max_lookback_days),
        max_series=config.max_series,
    )


def check_raw_query(promql: str, limits: QueryLimits) -> None:
    """UsageError (shown to the asker) when raw PromQL would cost more than the caps allow."""
    try:
        check_query(promql, limits)
    except TooCostly as error:
        raise UsageError(f"{error}\n```{promql[:500]}```") from None


def _api_error(text: str) -> tuple[int | None, str]:
    """Status and Prometheus's own `error` from the client's "HTTP Status Code N (b'{json}')" message."""
    found = re.match(r"HTTP Status Code (\d+) \((b['\"].*['\"])\)$", text, re.DOTALL)
    if not found:
        return None, text[:500]
    status = int(found.group(1))
    try:
        body = json.loads(ast.literal_eval(found.group(2)))
        return status, str(body.get("error") or body)[:1500]
    except (ValueError, SyntaxError, AttributeError):
        return status, found.group(2)[:500]


def _matrix(result: Any) -> list[Series]:
    """A range query's result as series (KeyError, TypeError … when the answer has another shape)."""
    return [
        Series(
            labels=item.get("metric", {}),
            points=tuple((datetime.fromtimestamp(float(t), UTC), _number(v)) for t, v in item["values"]),
        )
        for item in result
    ]


def _samples(result: Any) -> list[Sample]:
    """Vector results as samples; a scalar (e.g. `1+1`) as one sample without labels."""
    if isinstance(result, list) and len(result) == 2 and not isinstance(result[0], dict):
        return [Sample(labels={}, value=_number(result[1]))]
    return [Sample(labels=item.get("metric", {}), value=_number(item["value"][1])) for item in result or []]


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


ReadHost = Callable[[], HostReading]


def _read_host_briefly() -> HostReading:
    from bot.services.hostchecks import read_host_metrics  # hostchecks imports Deps, which imports us

    return read_host_metrics(cpu_seconds=0.5)


class HostSource(_Resolving):
    """This host: live values from psutil, ranges from the samples its host checks store under its name.

    The name is `host_checks.host` (else the machine's), the one this process's HostChecker writes under.
    """

    is_prometheus = False

    def __init__(
        self,
        db: Database,
        *,
        kpis: Sequence[Kpi] = (),
        hostname: str | None = None,
        read_host: ReadHost = _read_host_briefly,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(kpis)
        self.db = db
        self.hostname = hostname or socket.gethostname()
        self._read_host = read_host
        self._clock = clock
        self._cached: tuple[datetime, HostReading] | None = None
        self._lock = asyncio.Lock()

    @property
    def description(self) -> str:
        return f"this host ({self.hostname})"

    def close(self) -> None:
        """Nothing to release: psutil readings are brief and run through `asyncio.to_thread`."""

    async def reading(self) -> HostReading:
        """A fresh reading (CPU over half a second), shared by calls within a few seconds."""
        async with self._lock:
            now = self._clock()
            if self._cached is None or now - self._cached[0] > READING_TTL:
                self._cached = (now, await asyncio.to_thread(self._read_host))
            return self._cached[1]

    def _host_metric(self, what: Metric) -> tuple[Kpi, str]:
        kpi = self.resolve(what)
        if kpi.host_metric is None:
            shown = "this query" if kpi.is_raw_query else f"*{kpi.title}*"
            raise UsageError(
                f"{shown} needs Prometheus (PROMETHEUS_URL is not set); without it opsbot measures "
                "this host: cpu, memory, disk, load."
            )
        return kpi, kpi.host_metric

    async def instant(self, what: Metric) -> list[Sample]:
        _, metric = self._host_metric(what)
        reading = await self.reading()
        if metric == "disk":
            return [Sample({"mountpoint": mount}, value) for mount, value in sorted(reading.disks.items())]
        value = {"cpu": reading.cpu_percent, "memory": reading.memory_percent, "load1": reading.load[0]}
        return [Sample({}, value[metric])]

    async def _keys(self, metric: str) -> list[str]:
        return sorted((await self.reading()).disks) if metric == "disk" else [""]

    async def series(self, what: Metric, *, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        _, metric = self._host_metric(what)
        found = []
        for key in await self._keys(metric):
            points = await host_samples.samples_between(
                self.db, host=self.hostname, metric=metric, key=key, start=start, end=end
            )
            if points:
                labels = {"mountpoint": key} if key else {}
                found.append(Series(labels=labels, points=downsample(points, start=start, step=step)))
        return found

    async def average(self, what: Metric, *, start: datetime, end: datetime) -> float | None:
        kpi, metric = self._host_metric(what)
        averages = []
        for key in await self._keys(metric):
            stats = await host_samples.stats_between(
                self.db, host=self.hostname, metric=metric, key=key, start=start, end=end
            )
            if stats.avg is not None:
                averages.append(stats.avg)
        if not averages:
            return None
        return max(averages) if kpi.comparison is Comparison.BELOW else min(averages)
