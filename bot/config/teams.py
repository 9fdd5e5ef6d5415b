"""Config of teams: each team's channels, the alerts it owns, its rotation, escalation, permissions, KPIs and
digest schedule. Anything a team leaves out it takes from the top-level sections, which are also the
default team's (the one an alert no team matches belongs to): a single-team file needs no `teams:` at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from bot.config.alerting import (
    EscalationStepConfig,
    PermissionsConfig,
    RotationConfig,
)
from bot.config.base import ChannelsConfig, Section, TeamConfig
from bot.config.digests import DigestsConfig, DigestTeamConfig, ReviewListsConfig, TeamEntry
from bot.config.incidents import IncidentPermissionsConfig
from bot.config.services import KpiConfig, MetricsPermissionsConfig, TicketPermissionsConfig

if TYPE_CHECKING:
    from bot.domain.alerts import Matcher

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"


class TeamChannelsConfig(Section):
    """A team's channels; one left out is the top-level `channels` one."""

    critical: str | None = None
    warning: str | None = None
    info: str | None = None
    review: str | None = None
    incidents: str | None = None

    @field_validator("*")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        return None if value is None else ChannelsConfig._slack_channel_name(value)


class TeamPermissionsConfig(Section):
    """A team's permission lists; a section left out is the top-level one."""

    alerts: PermissionsConfig | None = None
    incidents: IncidentPermissionsConfig | None = None
    tickets: TicketPermissionsConfig | None = None


class TeamDigestsConfig(ReviewListsConfig):
    """When a team's weekly review, monthly deep dive and daily info review go out (in its time zone), and
    what its reviews read (feedback and support channels, own items); left out, the top-level `digests`
    settings and `alerts.info_review.at`."""

    weekly: dict[str, str | int] | None = None
    monthly: dict[str, str | int] | None = None
    info_review_at: str | None = Field(default=None, pattern=HH_MM)


class TeamSpec(TeamEntry):
    """One entry of `teams:`; the first team (in order) whose `match` matches an alert owns it."""

    title: str | None = Field(default=None, min_length=1, max_length=80)
    channels: TeamChannelsConfig = TeamChannelsConfig()
    oncall: RotationConfig | None = None
    escalation: tuple[EscalationStepConfig, ...] | None = None
    permissions: TeamPermissionsConfig = TeamPermissionsConfig()
    kpis: tuple[str | KpiConfig, ...] | None = None  # names of top-level KPIs, or KPIs of its own
    digests: TeamDigestsConfig = TeamDigestsConfig()
    # the environment variable holding the Integration Key of this team's own PagerDuty service (Events API
    # v2); unset: OPSBOT_PAGERDUTY_ROUTING_KEY, shared with the default team
    pagerduty_routing_key_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")


@dataclass(frozen=True)
class Team:
    """A team with everything filled in: what every use case reads (never the raw sections)."""

    handle: str
    title: str
    timezone: str
    channels: ChannelsConfig
    match: tuple[str, ...]
    oncall: RotationConfig
    escalation: tuple[EscalationStepConfig, ...]
    alert_permissions: PermissionsConfig
    incident_permissions: IncidentPermissionsConfig
    ticket_permissions: TicketPermissionsConfig
    kpis: tuple[KpiConfig, ...]
    weekly: dict[str, str | int]
    monthly: dict[str, str | int]
    info_review_at: str | None
    is_default: bool
    pagerduty_routing_key_env: str | None = None
    matchers: tuple[Matcher, ...] = field(default=(), compare=False, repr=False)  # `match`, parsed
    review: ReviewSetup = field(default_factory=lambda: ReviewSetup())

    def permission_key(self, section: str, right: str) -> str:
        """Where the team's permission list `right` of `section` (alerts, incidents, tickets) lives in the
        config, to tell a refused user which list to be in."""
        if self.is_default:
            return f"{section}.permissions.{right}"
        return f"teams.{self.handle}.permissions.{section}.{right}"

    def digest_schedule(self, kind: str) -> dict[str, str | int]:
        """APScheduler CronTrigger fields of the team's `weekly` or `monthly` digest."""
        return dict(self.weekly if kind == "weekly" else self.monthly)


@dataclass(frozen=True)
class ReviewSetup:
    """What a team's reviews read beyond opsbot's records, resolved (its own settings, else the top level's):
    its feedback and support channels (None: the item says how to add one) and its own checklist items."""

    feedback_channel: str | None = None
    support_channel: str | None = None
    weekly_items: tuple[str, ...] = ()
    monthly_items: tuple[str, ...] = ()

    def own_items(self, kind: str) -> tuple[str, ...]:
        """The team's own items of its `weekly` or `monthly` review."""
        return self.weekly_items if kind == "weekly" else self.monthly_items


def _review(top: ReviewListsConfig, own: ReviewListsConfig | None = None) -> ReviewSetup:
    def chosen(name: str) -> Any:
        value = None if own is None else getattr(own, name)
        return getattr(top, name) if value is None else value

    return ReviewSetup(
        chosen("feedback_channel"), chosen("support_channel"),
        chosen("weekly_items") or (), chosen("monthly_items") or (),
    )  # fmt: skip


@dataclass(frozen=True)
class TopLevel:
    """The top-level sections a team inherits from (the default team's own settings)."""

    team: TeamConfig
    channels: ChannelsConfig
    oncall: RotationConfig
    escalation: tuple[EscalationStepConfig, ...]
    alert_permissions: PermissionsConfig
    incident_permissions: IncidentPermissionsConfig
    ticket_permissions: TicketPermissionsConfig
    metrics_permissions: MetricsPermissionsConfig
    kpis: tuple[KpiConfig, ...]
    digests: DigestsConfig


def resolve_teams(top: TopLevel, specs: tuple[TeamSpec, ...]) -> tuple[Team, ...]:
    """The default team first, then `teams:` in order; raise ValueError naming what is inconsistent.

    Without `teams:`, the older `digests.teams` still works: its first entry is the default team (its name,
    review channel, zone and info review), the others teams of their own that inherit everything else.
    """
    legacy = top.digests.teams
    if specs and legacy is not None:
        raise ValueError("digests.teams and teams cannot both be set; move each digest team under teams")
    if legacy is not None:
        if not legacy:
            raise ValueError("digests.teams: at least one team is needed")
        first, *rest = legacy
        default = _default_team(top, first)
        specs = tuple(_spec_from_digest_team(entry) for entry in rest)
    else:
        default = _default_team(top, None)
    teams = (default, *(_team(top, spec) for spec in specs))
    handles = [team.handle for team in teams]
    repeated = sorted({handle for handle in handles if handles.count(handle) > 1})
    if repeated:
        raise ValueError(
            f"team names must be unique (the default team is {default.handle!r}, team.handle); "
            f"repeated: {', '.join(repeated)}"
        )
    for team in teams:
        _check_escalation_layers(team)
    return teams


def _check_escalation_layers(team: Team) -> None:
    """A step paging a layer (`layer: secondary`) needs that layer in the team's own rotation."""
    layers = team.oncall.layer_names()
    for number, step in enumerate(team.escalation, start=1):
        if step.layer is not None and step.layer not in layers:
            where = "alerts.escalation" if team.is_default else f"teams.{team.handle}.escalation"
            raise ValueError(
                f"{where} step {number} pages layer {step.layer!r}, but team {team.handle}'s rotation "
                f"has the layers {', '.join(layers)}"
            )


def _default_team(top: TopLevel, legacy: DigestTeamConfig | None) -> Team:
    channels = top.channels
    if legacy is not None:
        channels = channels.model_copy(
            update={"review": legacy.channel, "info": legacy.info_channel or channels.info}
        )
    return Team(
        handle=legacy.name if legacy else top.team.handle,
        title=top.team.name,
        timezone=(legacy.timezone if legacy else None) or top.team.timezone,
        channels=channels,
        match=(),  # the default team owns what no other team matches
        oncall=top.oncall,
        escalation=top.escalation,
        alert_permissions=top.alert_permissions,
        incident_permissions=top.incident_permissions,
        ticket_permissions=top.ticket_permissions,
        kpis=top.kpis,
        weekly=top.digests.schedule("weekly"),
        monthly=top.digests.schedule("monthly"),
        info_review_at=legacy.info_review_at if legacy else None,
        is_default=True,
        review=_review(top.digests),
    )


def _spec_from_digest_team(entry: DigestTeamConfig) -> TeamSpec:
    return TeamSpec(
        name=entry.name,
        timezone=entry.timezone,
        match=entry.match,
        channels=TeamChannelsConfig(review=entry.channel, info=entry.info_channel),
        digests=TeamDigestsConfig(info_review_at=entry.info_review_at),
    )


def _team(top: TopLevel, spec: TeamSpec) -> Team:
    where = f"teams.{spec.name}"
    own = spec.channels.model_dump(exclude_none=True)
    permissions = spec.permissions
    return Team(
        handle=spec.name,
        title=spec.title or spec.name.capitalize(),
        timezone=spec.timezone or top.team.timezone,
        channels=top.channels.model_copy(update=own),
        match=spec.match,
        oncall=spec.oncall or top.oncall,
        escalation=top.escalation if spec.escalation is None else spec.escalation,
        alert_permissions=permissions.alerts or top.alert_permissions,
        incident_permissions=permissions.incidents or top.incident_permissions,
        ticket_permissions=permissions.tickets or top.ticket_permissions,
        kpis=_kpis(top.kpis, spec.kpis, where=where),
        weekly=_schedule(top.digests, "weekly", spec.digests.weekly),
        monthly=_schedule(top.digests, "monthly", spec.digests.monthly),
        info_review_at=spec.digests.info_review_at,
        is_default=False,
        pagerduty_routing_key_env=spec.pagerduty_routing_key_env,
        matchers=_parsed(spec.match),
        review=_review(top.digests, spec.digests),
    )


def _schedule(
    digests: DigestsConfig, kind: Literal["weekly", "monthly"], own: dict[str, str | int] | None
) -> dict[str, str | int]:
    """A team's digest schedule: its own, else the top-level one; a raw `digests.cron` entry replaces
    every team's, as it always has."""
    return dict(own) if own and kind not in digests.cron else digests.schedule(kind)


def _parsed(texts: tuple[str, ...]) -> tuple[Matcher, ...]:
    from bot.domain.alerts import parse_matcher

    return tuple(parse_matcher(text) for text in texts)


def _kpis(
    shared: tuple[KpiConfig, ...], chosen: tuple[str | KpiConfig, ...] | None, *, where: str
) -> tuple[KpiConfig, ...]:
    """A team's KPIs: all the top-level ones when it names none, else the ones it names or defines."""
    if chosen is None:
        return shared
    by_name = {kpi.name: kpi for kpi in shared}
    picked: list[KpiConfig] = []
    for entry in chosen:
        if isinstance(entry, KpiConfig):
            picked.append(entry)
        elif entry in by_name:
            picked.append(by_name[entry])
        else:
            known = ", ".join(by_name) or "none"
            raise ValueError(f"{where}.kpis: no KPI named {entry!r} (top-level kpis: {known})")
    names = [kpi.name for kpi in picked]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{where}.kpis: KPI names must be unique; repeated: {', '.join(repeated)}")
    return tuple(picked)
