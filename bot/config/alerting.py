"""Config of alerts: routes, escalation, permissions, the info review, the rotation and host checks."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

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
    layer: str | None = None  # with target oncall/next_oncall: the rotation layer paged (unset: the first)

    @model_validator(mode="after")
    def _layer_of_the_rotation(self) -> EscalationStepConfig:
        if self.layer is not None and self.target not in ("oncall", "next_oncall"):
            raise ValueError(f"layer goes with target oncall or next_oncall, not {self.target}")
        return self


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


HANDOFF_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
LAYER_FIELDS = ("members", "handoff", "handoff_time", "handoff_day", "start")


class RotationLayerConfig(Section):
    """One layer of a rotation (primary, secondary …): its own members taking turns on their own hand-offs."""

    name: str = Field(default="primary", pattern=r"^[a-z0-9][a-z0-9_-]{0,19}$")
    members: tuple[str, ...] = ("U0ALICE", "U0BOB", "U0CAROL")
    handoff: Literal["daily", "weekly"] = "weekly"
    handoff_time: str = Field(default="09:00", pattern=HANDOFF_TIME)
    handoff_day: Weekday = "monday"
    start: date = date(2026, 1, 5)


class RotationConfig(Section):
    """A rotation: either `layers`, or one layer's fields given flat (the layer then is named "primary")."""

    members: tuple[str, ...] = ("U0ALICE", "U0BOB", "U0CAROL")
    handoff: Literal["daily", "weekly"] = "weekly"
    handoff_time: str = Field(default="09:00", pattern=HANDOFF_TIME)
    handoff_day: Weekday = "monday"
    start: date = date(2026, 1, 5)
    layers: tuple[RotationLayerConfig, ...] = ()
    timezone: str | None = None
    max_override_hours: float = Field(default=168, gt=0)  # `/oncall override` lasts at most this long

    @model_validator(mode="after")
    def _layers_or_flat(self) -> RotationConfig:
        if not self.layers:
            return self
        flat = [name for name in LAYER_FIELDS if name in self.model_fields_set]
        if flat:
            raise ValueError(
                f"give either layers or the flat {', '.join(flat)}, not both "
                "(move them into a layer of their own)"
            )
        names = [layer.name for layer in self.layers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"layer names must be unique; repeated: {', '.join(repeated)}")
        return self

    def all_layers(self) -> tuple[RotationLayerConfig, ...]:
        """The layers, first one first; the flat form is one layer named "primary"."""
        if self.layers:
            return self.layers
        flat = {name: getattr(self, name) for name in LAYER_FIELDS}
        return (RotationLayerConfig(name="primary", **flat),)

    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.all_layers())

    def all_members(self) -> tuple[str, ...]:
        """Everyone on any layer, each once, in order."""
        return tuple(dict.fromkeys(m for layer in self.all_layers() for m in layer.members))


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
