"""The config sections everything else builds on: the base class, the team and its channels."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_DATABASE_URL = "sqlite:///opsbot.db"


CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class Section(BaseModel):
    """A config section: immutable, and unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TeamConfig(Section):
    """The default team: the one whose channels, rotation and permissions are the top-level sections, and
    which owns every alert no team under `teams:` matches."""

    name: str = "Operations"
    handle: str = Field(default="ops", pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")  # /oncall ops, digests' key
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
