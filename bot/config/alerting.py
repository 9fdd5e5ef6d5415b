"""Config of alerts: routes, escalation, permissions, the info review, the rotation and host checks."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from bot.config.base import ChannelsConfig, Section


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
