"""Config of incidents: the SEV levels' playbooks and who may declare, resolve and assign."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from bot.config.base import ChannelsConfig, Section


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
