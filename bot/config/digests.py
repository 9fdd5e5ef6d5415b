"""Config of the digests: teams, schedules and the monthly capacity forecast."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config.alerting import RouteConfig
from bot.config.base import ChannelsConfig, Section, TeamConfig
from bot.domain.degradations import DEGRADATION_WORDS
from bot.domain.review_checklist import OWN_KEY_CHARS, own_item_key
from bot.domain.review_sources import SOURCE_NAMES


class TeamEntry(Section):
    """What an entry of `teams:` and of the older `digests.teams` both have: a handle (/oncall payments), a
    time zone (default team.timezone) and the Alertmanager matchers picking its alerts."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    timezone: str | None = None
    match: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else TeamConfig._known_zone(value)

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return RouteConfig._matchers(value)


class DigestTeamConfig(TeamEntry):
    """An entry of the older `digests.teams` (bot/config/teams.py makes each a team): its review channel, time
    zone (default team.timezone) and alert label filter, and where and when its daily info review goes
    (default channels.info, at alerts.info_review.at)."""

    channel: str = "ops-review"
    info_channel: str | None = None
    info_review_at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @field_validator("channel", "info_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return None if value is None else ChannelsConfig._slack_channel_name(value)


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


class DependenciesConfig(Section):
    """Where the review's dependency items read opsbot's own dependencies' newest versions: a package index's
    JSON simple API (PEP 691; unset: the PIP_INDEX_URL environment variable, else no source)."""

    index_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    concurrency: int = Field(default=8, ge=1, le=32)


class SourceConfig(Section):
    """One `digests.sources` entry: a PromQL query the review checklist asks at the period's end and at the
    previous period's end (`$__range` is the period's length), its title and unit; a bare string is the
    query. Trusted like the capacity queries: it comes from this file, not from a chat."""

    promql: str = Field(min_length=1, max_length=20_000)
    title: str = Field(default="", max_length=80)
    unit: str = Field(default="", max_length=12)

    @model_validator(mode="before")
    @classmethod
    def _bare_query(cls, value: object) -> object:
        return {"promql": value} if isinstance(value, str) else value

    @field_validator("promql")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is blank")
        return value.strip()


# Own items fit beside the playbook's within Slack's 50 blocks (two blocks each).
MAX_OWN_ITEMS = 5
OWN_ITEM_TITLE = 150


WEEKLY_AT: dict[str, str | int] = {"day_of_week": "mon", "hour": 9, "minute": 0}


MONTHLY_AT: dict[str, str | int] = {"day": "1st mon", "hour": 9, "minute": 0}


class ReviewListsConfig(Section):
    """What a team's reviews read beyond opsbot's own records: the Slack channels of the weekly review's
    "user feedback" (people's posts) and "support metrics" (requests) items (opsbot must be a member; unset,
    the item says how to add one), and the team's own checklist items after the playbook's. In `teams:`,
    what a team leaves out is the top-level `digests` setting."""

    feedback_channel: str | None = None
    support_channel: str | None = None
    weekly_items: tuple[str, ...] | None = Field(default=None, max_length=MAX_OWN_ITEMS)
    monthly_items: tuple[str, ...] | None = Field(default=None, max_length=MAX_OWN_ITEMS)

    @field_validator("feedback_channel", "support_channel")
    @classmethod
    def _review_channel(cls, value: str | None) -> str | None:
        return None if value is None else ChannelsConfig._slack_channel_name(value)

    @field_validator("weekly_items", "monthly_items")
    @classmethod
    def _own_items(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        titles = tuple(" ".join(title.split()) for title in value)
        if any(not 0 < len(title) <= OWN_ITEM_TITLE for title in titles):
            raise ValueError(f"each item is a title of 1 to {OWN_ITEM_TITLE} characters")
        keys = [own_item_key(title) for title in titles]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two items have the same title (or the same first {OWN_KEY_CHARS} characters)")
        return titles


class DigestsConfig(ReviewListsConfig):
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
    # Before `teams:` existed, digests had teams of their own; still read (the first is the default team).
    teams: tuple[DigestTeamConfig, ...] | None = None
    capacity: CapacityConfig = CapacityConfig()
    # Words that make an incident (its title, or the alert it was declared from) a performance degradation.
    degradation_match: tuple[str, ...] = Field(default=DEGRADATION_WORDS, max_length=50)
    dependencies: DependenciesConfig = DependenciesConfig()

    # The checklist's Prometheus queries by source name (error_logs, ai_api_cost …); see SOURCE_NAMES.
    sources: dict[str, SourceConfig] = Field(default_factory=dict)

    @field_validator("sources", mode="before")
    @classmethod
    def _known_sources(cls, value: object) -> object:
        names = [str(name) for name in value] if isinstance(value, dict) else []
        unknown = [repr(name) for name in names if name not in SOURCE_NAMES]
        if unknown:
            raise ValueError(f"unknown source {', '.join(unknown)}; known: {', '.join(SOURCE_NAMES)}")
        return value

    def schedule(self, kind: Literal["weekly", "monthly"]) -> dict[str, str | int]:
        """APScheduler CronTrigger fields for `weekly` or `monthly` (a raw `cron` mapping replaces them)."""
        if kind in self.cron:
            return dict(self.cron[kind])
        return dict(self.weekly if kind == "weekly" else self.monthly)

    def info_review_schedule(self, at: str | None, *, default_at: str) -> dict[str, str | int]:
        """CronTrigger fields of a team's info review: daily at `at`, its own time (else `default_at`); a raw
        `cron: {info_review: ...}` replaces it for every team."""
        if "info_review" in self.cron:
            return dict(self.cron["info_review"])
        hour, minute = (at or default_at).split(":")
        return {"hour": int(hour), "minute": int(minute)}
