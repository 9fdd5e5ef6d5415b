"""The bot's own Prometheus metrics, served on GET /metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Telemetry:
    """Metric families on a registry of their own, so several apps (tests, replicas) never collide."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.http_requests = Counter(
            "opsbot_http_requests", "HTTP requests served", ["route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "opsbot_http_request_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.slack_calls = Counter("opsbot_slack_api_calls", "Slack Web API calls", ["method"], registry=r)
        self.slack_errors = Counter(
            "opsbot_slack_api_errors", "Slack Web API calls that failed", ["method", "error"], registry=r
        )
        self.alerts_received = Counter(
            "opsbot_alerts_received", "Alerts accepted from a source", ["source"], registry=r
        )
        self.alerts_posted = Counter(
            "opsbot_alerts_posted", "Alert messages posted or updated in Slack", registry=r
        )
        self.outbox_jobs_done = Counter("opsbot_outbox_jobs_done", "Outbox jobs done", ["kind"], registry=r)
        self.outbox_retries = Counter(
            "opsbot_outbox_retries",
            "Outbox job attempts that failed and will be retried",
            ["kind"],
            registry=r,
        )
        self.outbox_jobs_failed = Counter(
            "opsbot_outbox_jobs_failed",
            "Outbox jobs given up: refused by the receiver, or failing for hours",
            ["kind"],
            registry=r,
        )
        self.outbox_jobs = Gauge(
            "opsbot_outbox_jobs",
            "Outbox jobs by state, read from the database at scrape",
            ["status"],
            registry=r,
        )
        self.outbox_overdue = Gauge(
            "opsbot_outbox_overdue_jobs", "Pending outbox jobs due more than a minute ago", registry=r
        )
        self.pruned_rows = Counter(
            "opsbot_pruned_rows", "Rows deleted by the daily retention run, by table", ["table"], registry=r
        )
        self.alert_post_failures = Counter(
            "opsbot_alert_post_failures",
            "Alert groups whose message could not be posted to their channel (a broken route)",
            ["channel", "error"],
            registry=r,
        )
