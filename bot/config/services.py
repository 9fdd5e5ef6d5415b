"""Config of the server, delivery, Prometheus, /metrics KPIs, tickets and retention."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config.base import Section


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    slack_timeout_seconds: float = Field(default=10, gt=0)


class DeliveryConfig(Section):
    """The outbox that delivers everything to Slack: how long a job is leased, how many run at once, and
    for how long a failing job is retried before it is given up (and reported)."""

    lease_seconds: float = Field(default=15, gt=0)
    concurrent_jobs: int = Field(default=32, ge=1)
    max_backoff_seconds: float = Field(default=300, gt=0)
    give_up_after_hours: float = Field(default=12, gt=0)


class PrometheusConfig(Section):
    """Queries to PROMETHEUS_URL: threads of their own (at most this many at once) and a deadline each."""

    max_concurrent_queries: int = Field(default=4, ge=1, le=32)
    query_timeout_seconds: float = Field(default=10, gt=0)  # also sent as Prometheus's `timeout`
    # What one query may cost (raw PromQL is typed by people and a ticket's is re-run daily): answers with
    # more series are refused; range queries are coarsened to at most max_points per series, and subqueries
    # asking for more are refused; no range selector reads further back than max_lookback_days.
    max_series: int = Field(default=500, ge=1, le=10_000)
    max_points: int = Field(default=1000, ge=10, le=11_000)  # Prometheus itself refuses more than 11,000
    max_lookback_days: float = Field(default=35, gt=0)
    max_query_length: int = Field(default=2000, ge=10, le=20_000)


class MetricsPermissionsConfig(Section):
    """Who may run raw PromQL (/metrics query, a ticket's metric=): the rotation's members always, and the
    Slack user IDs or user group IDs (S…) listed. Empty means the rotation's members only, not everyone:
    raw PromQL reads every series Prometheus holds. KPI names and built-in metrics are open to everyone.
    """

    query: tuple[str, ...] = ()


class MetricsConfig(Section):
    permissions: MetricsPermissionsConfig = MetricsPermissionsConfig()


class KpiConfig(Section):
    """A KPI: a PromQL query, its target (`value <comparison> target`) and an optional host fallback."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str = Field(min_length=1, max_length=80)
    promql: str = Field(min_length=1)
    target: float
    comparison: Literal["<", ">"] = "<"
    unit: Literal["ms", "s", "%", "ratio", "count", "bytes", "req/s", ""] = ""
    host_metric: Literal["cpu", "memory", "disk", "load1"] | None = None
    at_risk_margin: float | None = Field(default=None, ge=0)


class TicketPermissionsConfig(Section):
    """Who may change (assign, start, finish, drop) other people's tickets; the reporter and the owner
    always may; empty = nobody else."""

    change: tuple[str, ...] = ()


class TicketsConfig(Section):
    """/ticket: the measurement windows of measured impact and the optional outbound webhook."""

    baseline_window_seconds: float = Field(default=7 * 86400, gt=0)  # average before work starts
    after_window_seconds: float = Field(default=7 * 86400, gt=0)  # measured after done, until this passed
    refresh_seconds: float = Field(default=86400, gt=0)  # how often the after-measurement is refreshed
    raw_query_lower_is_better: bool = True  # direction of raw PromQL metrics (KPIs use their comparison)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    permissions: TicketPermissionsConfig = TicketPermissionsConfig()


class RetentionConfig(Section):
    """How long finished work and alert history are kept; pruned once a day (`at`, in team.timezone)."""

    outbox_days: int = Field(default=30, gt=0)  # done outbox jobs (failed ones wait for an operator)
    claims_days: int = Field(default=30, gt=0)  # once-only claims that a replay can no longer need
    episodes_days: int = Field(default=400, gt=0)  # ended alert and group episodes, announced alert events
    at: str = Field(default="03:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    def schedule(self) -> dict[str, int]:
        """APScheduler CronTrigger fields for the daily run."""
        hour, minute = self.at.split(":")
        return {"hour": int(hour), "minute": int(minute)}
