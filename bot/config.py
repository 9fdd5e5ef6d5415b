"""Settings: the YAML file (packaged defaults + OPSBOT_CONFIG) and secrets from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.errors import ConfigError
from bot.secret_urls import mask_url

DEFAULT_DATABASE_URL = "sqlite:///opsbot.db"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class Section(BaseModel):
    """A config section: immutable, and unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TeamConfig(Section):
    name: str = "Operations"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value


class ChannelsConfig(Section):
    critical: str = "critical-alerts"
    warning: str = "ops-alerts"
    info: str = "ops-info"
    review: str = "ops-review"
    incidents: str = "incidents"

    @field_validator("*")
    @classmethod
    def _slack_channel_name(cls, value: str) -> str:
        name = value.removeprefix("#")
        if not CHANNEL_NAME.match(name):
            raise ValueError(f"{value!r} is not a Slack channel name (lowercase letters, digits, - and _)")
        return name


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


class RouteConfig(Section):
    """An alert route: label matchers (Alertmanager syntax) -> channel; first match wins unless continue."""

    match: tuple[str, ...] = Field(min_length=1)
    channel: str
    continue_: bool = Field(default=False, alias="continue")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from bot.domain.alerts import parse_matcher

        for text in value:
            parse_matcher(text)
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return ChannelsConfig._slack_channel_name(value)


class EscalationStepConfig(Section):
    after_minutes: float = Field(gt=0)
    target: Literal["oncall", "next_oncall", "users", "usergroup"] = "oncall"
    ids: tuple[str, ...] = ()
    sms: bool = False  # text the step's people as well as the Slack DM (paging.sms)


class PermissionsConfig(Section):
    """Who may act on alerts and the rotation; entries are Slack user IDs or user group IDs (S…).

    An empty list means everyone, except `oncall_override`: there it means the rotation's members.
    With `channel_members_only`, acting on an alert (acknowledge, resolve, snooze, noise, declare an
    incident) also needs membership of the alert's channel.
    """

    acknowledge: tuple[str, ...] = ()  # also snooze
    resolve: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()  # mark as noise (feeds the digests' threshold review)
    oncall_override: tuple[str, ...] = ()
    channel_members_only: bool = True


class InfoReviewConfig(Section):
    """Info alerts: one review a day per digest team (`daily`) instead of a message each (`per_alert`)."""

    mode: Literal["daily", "per_alert"] = "daily"
    at: str = Field(default="09:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # in each team's zone


class AlertsConfig(Section):
    group_by: tuple[str, ...] = ("alertname", "service", "job")
    routes: tuple[RouteConfig, ...] = ()
    flapping_changes: int = Field(default=3, ge=2)
    flapping_window_minutes: float = Field(default=60, gt=0)
    # A group firing again within this many minutes of its last resolve updates its message; later it gets
    # a new one that links the last.
    refire_update_minutes: float = Field(default=60, ge=0)
    snooze_choices: tuple[str, ...] = ("1h", "4h", "24h")
    escalation: tuple[EscalationStepConfig, ...] = (
        EscalationStepConfig(after_minutes=5, target="oncall"),
        EscalationStepConfig(after_minutes=10, target="next_oncall"),
    )
    # A warning group nobody reviewed (acknowledged, resolved, snoozed or marked as noise) this long after
    # opsbot saw it fire gets one reminder per firing, in its thread and by DM to the on-call (0 = off).
    warning_review_minutes: float = Field(default=60, ge=0)
    pace_per_channel_seconds: float = Field(default=1.0, ge=0)
    # More new groups than this within a minute in one channel go into one roll-up message (0 = off).
    rollup_after_new_groups_per_minute: int = Field(default=10, ge=0)
    # At most this many new groups per source within a minute (warning and info: half of it); alerts past
    # it are stored without a group and counted in one overflow message per source (no "off": one request
    # could open thousands).
    max_new_groups_per_source_per_minute: int = Field(default=100, ge=1)
    permissions: PermissionsConfig = PermissionsConfig()
    info_review: InfoReviewConfig = InfoReviewConfig()


class RotationConfig(Section):
    members: tuple[str, ...] = ("U0ALICE", "U0BOB", "U0CAROL")
    handoff: Literal["daily", "weekly"] = "weekly"
    handoff_time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    handoff_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )
    start: date = date(2026, 1, 5)
    timezone: str | None = None
    max_override_hours: float = Field(default=168, gt=0)  # `/oncall override` lasts at most this long


class HostRuleConfig(Section):
    """A host check: metric above threshold for `for_minutes` raises an alert of `severity`."""

    name: str
    metric: Literal["cpu", "memory", "disk"]
    threshold: float = Field(gt=0, le=100)
    for_minutes: float = Field(default=0, ge=0)
    severity: Literal["critical", "warning", "info"] = "warning"


class UptimeCheckConfig(Section):
    name: str
    url: str = Field(pattern=r"^https?://")


class HostChecksConfig(Section):
    """opsbot's own checks, on when no Prometheus is configured (or when `enabled: true`)."""

    enabled: bool | None = None
    # The name samples and alerts carry (unset: the machine's name); replicas sharing a database need
    # distinct names, or their series mix.
    host: str | None = Field(default=None, min_length=1, max_length=255)
    interval_seconds: float = Field(default=15, gt=0)
    # A host with no sample for this long has its firing host alerts resolved as stale by another replica.
    # Long enough that a restart or a short database outage does not resolve (and then re-fire) them.
    stale_after_minutes: float = Field(default=10, gt=0)
    uptime_interval_seconds: float = Field(default=60, gt=0)
    uptime_down_after_seconds: float = Field(default=60, ge=0)
    retention_days: float = Field(default=35, gt=0)
    # The playbook's host alerts with the thresholds of deploy/prometheus/opsbot-rules.yml (where the critical
    # memory alert is HostHighMemory too); tests/deploy/test_playbook_alerts.py keeps the two in step.
    rules: tuple[HostRuleConfig, ...] = (
        HostRuleConfig(name="HostHighCpu", metric="cpu", threshold=80, for_minutes=10, severity="warning"),
        HostRuleConfig(
            name="HostHighMemory", metric="memory", threshold=85, for_minutes=10, severity="warning"
        ),
        HostRuleConfig(name="HostMemoryExhausted", metric="memory", threshold=95, severity="critical"),
        HostRuleConfig(name="HostDiskFull", metric="disk", threshold=95, severity="critical"),
    )
    uptime: tuple[UptimeCheckConfig, ...] = ()

    @field_validator("stale_after_minutes")
    @classmethod
    def _longer_than_two_rounds(cls, value: float, info: Any) -> float:
        interval = info.data.get("interval_seconds")
        if interval is not None and value * 60 < 2 * interval:
            raise ValueError(
                f"must be at least two check intervals ({2 * interval:g} s), or live hosts count as stale"
            )
        return value


class IncidentInviteConfig(Section):
    """Who is invited to an incident's channel (or mentioned in its thread)."""

    oncall: bool = True
    usergroups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


class SevLevelConfig(Section):
    """One SEV level's playbook: targets, where it lives, who joins, reminders and the checklist."""

    name: str
    description: str
    respond_minutes: float = Field(gt=0)
    respond_business_days: float | None = Field(default=None, gt=0)
    resolve_minutes: float | None = Field(default=None, gt=0)
    resolve_next_sprint: bool = False
    space: Literal["channel", "thread", "none"] = "channel"
    invite: IncidentInviteConfig = IncidentInviteConfig()
    announce: tuple[str, ...] = ()
    reminder_minutes: float | None = Field(default=None, gt=0)
    checklist: tuple[str, ...] = ()

    @field_validator("announce")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(ChannelsConfig._slack_channel_name(v) for v in value)


class SevLevelsConfig(Section):
    sev1: SevLevelConfig
    sev2: SevLevelConfig
    sev3: SevLevelConfig
    sev4: SevLevelConfig


class IncidentPermissionsConfig(Section):
    """Who may declare, raise to or lower from SEV1/SEV2, who may resolve (and reopen), and who may give
    roles; empty = everyone, except `assign`: there it means the declarer and the commander only."""

    declare_sev1: tuple[str, ...] = ()
    declare_sev2: tuple[str, ...] = ()
    resolve: tuple[str, ...] = ()
    assign: tuple[str, ...] = ()


class IncidentsConfig(Section):
    """The incident policy; the packaged defaults in defaults.yml hold the SEV1–SEV4 levels."""

    levels: SevLevelsConfig | None = None
    warn_at_fraction: float = Field(default=0.8, gt=0, lt=1)
    channel_prefix: str = Field(default="inc", pattern=r"^[a-z0-9][a-z0-9-]{0,19}$")
    sprint_days: int = Field(default=14, ge=1)
    sprint_start: date = date(2026, 1, 5)
    permissions: IncidentPermissionsConfig = IncidentPermissionsConfig()


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


class DigestTeamConfig(Section):
    """A team that gets digests: its channel, time zone (default team.timezone) and alert label filter, and
    where and when its daily info review goes (default channels.info, at alerts.info_review.at)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    channel: str = "ops-review"
    timezone: str | None = None
    match: tuple[str, ...] = ()
    info_channel: str | None = None
    info_review_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @field_validator("channel", "info_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return None if value is None else ChannelsConfig._slack_channel_name(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else TeamConfig._known_zone(value)

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return RouteConfig._matchers(value)


DISK_USAGE_PROMQL = (
    'max by (instance) (100 * (1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}'
    ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}))'
)
MEMORY_USAGE_PROMQL = (
    "max by (instance) (100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes))"
)


class CapacityConfig(Section):
    """The monthly deep dive's capacity forecast: how far ahead it looks and, with PROMETHEUS_URL set, the
    queries it fits (usage in % per instance; the thresholds are host_checks' critical disk/memory rules)."""

    horizon_days: float = Field(default=365, gt=0, le=3650)
    instance_label: str = Field(default="instance", min_length=1, max_length=100)
    disk_promql: str = Field(default=DISK_USAGE_PROMQL, min_length=1, max_length=20_000)
    memory_promql: str = Field(default=MEMORY_USAGE_PROMQL, min_length=1, max_length=20_000)


WEEKLY_AT: dict[str, str | int] = {"day_of_week": "mon", "hour": 9, "minute": 0}
MONTHLY_AT: dict[str, str | int] = {"day": "1st mon", "hour": 9, "minute": 0}


class DigestsConfig(Section):
    """Weekly review, monthly deep dive and the daily info review (alerts.info_review): when (in each team's
    zone), for whom, catch-up after downtime."""

    enabled: bool = True
    weekly: dict[str, str | int] = Field(default_factory=lambda: dict(WEEKLY_AT))
    monthly: dict[str, str | int] = Field(default_factory=lambda: dict(MONTHLY_AT))
    cron: dict[Literal["weekly", "monthly", "info_review"], dict[str, str | int]] = Field(
        default_factory=dict
    )
    catch_up_hours: float = Field(default=12, ge=0)
    misfire_grace_minutes: float = Field(default=60, gt=0)
    teams: tuple[DigestTeamConfig, ...] = (DigestTeamConfig(name="ops"),)
    capacity: CapacityConfig = CapacityConfig()

    def schedule(self, kind: Literal["weekly", "monthly"]) -> dict[str, str | int]:
        """APScheduler CronTrigger fields for `weekly` or `monthly` (a raw `cron` mapping replaces them)."""
        if kind in self.cron:
            return dict(self.cron[kind])
        return dict(self.weekly if kind == "weekly" else self.monthly)

    def info_review_schedule(self, team: DigestTeamConfig, *, default_at: str) -> dict[str, str | int]:
        """CronTrigger fields of a team's info review: daily at its info_review_at (else `default_at`); a raw
        `cron: {info_review: ...}` replaces it for every team."""
        if "info_review" in self.cron:
            return dict(self.cron["info_review"])
        hour, minute = (team.info_review_at or default_at).split(":")
        return {"hour": int(hour), "minute": int(minute)}


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


PagingDestination = Literal["pagerduty", "sms"]


class SmsConfig(Section):
    """SMS through Twilio's Messages API; on when OPSBOT_TWILIO_ACCOUNT_SID and OPSBOT_TWILIO_AUTH_TOKEN are
    set and a sender (`from_number` or `messaging_service_sid`) is configured."""

    api_url: str = Field(default="https://api.twilio.com", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    from_number: str | None = None  # E.164, e.g. +15005550006
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    max_per_person_per_hour: int = Field(default=6, ge=1, le=100)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    phones: dict[str, str] = Field(default_factory=dict)  # Slack user ID -> E.164; else the Slack profile

    @field_validator("from_number")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return None if value is None else _e164(value)

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: dict[str, str]) -> dict[str, str]:
        from bot.domain.sms import is_slack_user_id

        for user in value:
            if not is_slack_user_id(user):
                raise ValueError(f"{user!r} is not a Slack user ID (U… or W…)")
        return {user: _e164(number, owner=user) for user, number in value.items()}


def _e164(number: str, *, owner: str | None = None) -> str:
    from bot.domain.sms import e164

    normalized = e164(number)
    if normalized is None:
        whose = f" (for {owner})" if owner else ""
        raise ValueError(
            f"{number!r}{whose} is not an international phone number (E.164, e.g. +4915112345678)"
        )
    return normalized


class PagingDestinationsConfig(Section):
    """Where a group of each severity pages besides Slack when it opens (a firing episode begins); a
    destination whose credentials are not set is skipped."""

    critical: tuple[PagingDestination, ...] = ("pagerduty", "sms")
    warning: tuple[PagingDestination, ...] = ()
    info: tuple[PagingDestination, ...] = ()

    def of(self, severity: str) -> tuple[PagingDestination, ...]:
        """The destinations of a severity (none for one this config does not name)."""
        return {"critical": self.critical, "warning": self.warning, "info": self.info}.get(severity, ())


class PagerDutyConfig(Section):
    """PagerDuty Events API v2 (routing key: OPSBOT_PAGERDUTY_ROUTING_KEY, off when unset); its v3 webhooks
    reach POST /pagerduty/webhook, which exists only when OPSBOT_PAGERDUTY_WEBHOOK_SECRET is set."""

    events_url: str = Field(default="https://events.pagerduty.com/v2/enqueue", pattern=r"^https?://")
    timeout_seconds: float = Field(default=10, gt=0)


class PagingConfig(Section):
    """Paging beyond Slack: per-severity destinations and each destination's settings."""

    destinations: PagingDestinationsConfig = PagingDestinationsConfig()
    pagerduty: PagerDutyConfig = PagerDutyConfig()
    sms: SmsConfig = SmsConfig()


class FileConfig(Section):
    """Everything the YAML file may contain."""

    team: TeamConfig = TeamConfig()
    channels: ChannelsConfig = ChannelsConfig()
    server: ServerConfig = ServerConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    alerts: AlertsConfig = AlertsConfig()
    oncall: RotationConfig = RotationConfig()
    host_checks: HostChecksConfig = HostChecksConfig()
    prometheus: PrometheusConfig = PrometheusConfig()
    metrics: MetricsConfig = MetricsConfig()
    kpis: tuple[KpiConfig, ...] = ()
    incidents: IncidentsConfig = IncidentsConfig()
    digests: DigestsConfig = DigestsConfig()
    tickets: TicketsConfig = TicketsConfig()
    retention: RetentionConfig = RetentionConfig()
    paging: PagingConfig = PagingConfig()

    @field_validator("kpis")
    @classmethod
    def _unique_kpi_names(cls, value: tuple[KpiConfig, ...]) -> tuple[KpiConfig, ...]:
        names = [kpi.name for kpi in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"KPI names must be unique; repeated: {', '.join(repeated)}")
        return value


class Secrets(Section):
    """Values that come only from the environment; secrets stay masked when printed."""

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    alert_webhook_token: SecretStr | None = None
    ticket_webhook_secret: SecretStr | None = None
    twilio_account_sid: SecretStr | None = None
    twilio_auth_token: SecretStr | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_webhook_secret: SecretStr | None = None

    @field_validator("pagerduty_routing_key")
    @classmethod
    def _integration_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 32:
            raise ValueError(
                "OPSBOT_PAGERDUTY_ROUTING_KEY must be the 32-character Integration Key of an Events API v2 "
                "integration"
            )
        return value


class Settings(Section):
    """The effective configuration of one opsbot process."""

    file: FileConfig
    secrets: Secrets
    source: str = "packaged defaults"

    @property
    def host_checks_enabled(self) -> bool:
        """Host checks run when asked to, or by default when there is no Prometheus."""
        enabled = self.file.host_checks.enabled
        return self.secrets.prometheus_url is None if enabled is None else enabled

    @property
    def socket_mode(self) -> bool:
        """Slack traffic goes over Socket Mode when an app-level token is set."""
        return self.secrets.slack_app_token is not None

    @property
    def sms_enabled(self) -> bool:
        """SMS pages go out when Twilio's credentials are set and a sender is configured."""
        sms = self.file.paging.sms
        credentials = self.secrets.twilio_account_sid and self.secrets.twilio_auth_token
        return bool(credentials) and bool(sms.from_number or sms.messaging_service_sid)


ENV_KEYS = {
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "OPSBOT_DATABASE_URL": "database_url",
    "PROMETHEUS_URL": "prometheus_url",
    "ALERTMANAGER_URL": "alertmanager_url",
    "OPSBOT_ALERT_WEBHOOK_TOKEN": "alert_webhook_token",
    "OPSBOT_TICKET_WEBHOOK_SECRET": "ticket_webhook_secret",
    "OPSBOT_TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "OPSBOT_TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "OPSBOT_PAGERDUTY_ROUTING_KEY": "pagerduty_routing_key",
    "OPSBOT_PAGERDUTY_WEBHOOK_SECRET": "pagerduty_webhook_secret",
}


def load_settings(environ: Mapping[str, str], path: Path | None = None) -> Settings:
    """Build settings from the packaged defaults, the YAML file (path or OPSBOT_CONFIG) and the env."""
    file_path = path or (Path(environ["OPSBOT_CONFIG"]) if environ.get("OPSBOT_CONFIG") else None)
    raw = _packaged_defaults()
    source = "packaged defaults"
    if file_path is not None:
        raw = deep_merge(raw, _read_yaml(file_path))
        source = str(file_path)
    secrets = {key: environ[var] for var, key in ENV_KEYS.items() if environ.get(var)}
    try:
        return Settings(
            file=FileConfig.model_validate(raw), secrets=Secrets.model_validate(secrets), source=source
        )
    except ValidationError as error:
        raise ConfigError(f"invalid configuration ({source}): {_describe(error)}") from None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge mappings key by key; anything else in `override` replaces what `base` had."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _packaged_defaults() -> dict[str, Any]:
    text = resources.files("bot").joinpath("defaults.yml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read configuration file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"configuration file {path} is not valid YAML: {_yaml_problem(error)}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"configuration file {path} must hold a mapping at the top, not {type(loaded).__name__}"
        )
    return loaded


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line: what the parser tripped over and where."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _describe(error: ValidationError) -> str:
    """Name each bad key with a dotted path and say what is wrong with it."""
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]).removeprefix("file.").removeprefix("secrets.")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        problems.append(f"{location}: {message}")
    return "; ".join(problems)


def masked_dump(settings: Settings) -> dict[str, Any]:
    """Return the effective configuration as plain data, secrets shown as '********'."""
    dumped: dict[str, Any] = settings.file.model_dump(mode="json")
    secrets = {}
    for key, value in settings.secrets:
        if isinstance(value, SecretStr):
            secrets[key] = "********" if key != "database_url" else mask_url(value.get_secret_value())
        else:
            secrets[key] = mask_url(value) if isinstance(value, str) and "://" in value else value
    dumped["environment"] = secrets
    dumped["source"] = settings.source
    return dumped
