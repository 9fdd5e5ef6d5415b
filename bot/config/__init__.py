"""Settings: the YAML file (packaged defaults + OPSBOT_CONFIG) and secrets from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator

from bot.config.alerting import (
    AlertsConfig,
    EscalationStepConfig,
    HostChecksConfig,
    HostRuleConfig,
    InfoReviewConfig,
    PermissionsConfig,
    RotationConfig,
    RotationLayerConfig,
    RouteConfig,
    UptimeCheckConfig,
)
from bot.config.base import CHANNEL_NAME, DEFAULT_DATABASE_URL, ChannelsConfig, Section, TeamConfig
from bot.config.digests import (
    DISK_USAGE_PROMQL,
    MEMORY_USAGE_PROMQL,
    MONTHLY_AT,
    WEEKLY_AT,
    CapacityConfig,
    DigestsConfig,
    DigestTeamConfig,
)
from bot.config.incidents import (
    IncidentInviteConfig,
    IncidentPermissionsConfig,
    IncidentsConfig,
    SevLevelConfig,
    SevLevelsConfig,
)
from bot.config.paging import (
    PagerDutyConfig,
    PagingConfig,
    PagingDestination,
    PagingDestinationsConfig,
    SmsConfig,
)
from bot.config.services import (
    DeliveryConfig,
    KpiConfig,
    MetricsConfig,
    MetricsPermissionsConfig,
    PrometheusConfig,
    RetentionConfig,
    ServerConfig,
    TicketPermissionsConfig,
    TicketsConfig,
)
from bot.config.teams import (
    Team,
    TeamChannelsConfig,
    TeamDigestsConfig,
    TeamPermissionsConfig,
    TeamSpec,
    TopLevel,
    resolve_teams,
)
from bot.errors import ConfigError
from bot.secret_urls import mask_url

__all__ = [
    "CHANNEL_NAME",
    "DEFAULT_DATABASE_URL",
    "DISK_USAGE_PROMQL",
    "ENV_KEYS",
    "MEMORY_USAGE_PROMQL",
    "MONTHLY_AT",
    "WEEKLY_AT",
    "AlertsConfig",
    "CapacityConfig",
    "ChannelsConfig",
    "DeliveryConfig",
    "DigestTeamConfig",
    "DigestsConfig",
    "EscalationStepConfig",
    "FileConfig",
    "HostChecksConfig",
    "HostRuleConfig",
    "IncidentInviteConfig",
    "IncidentPermissionsConfig",
    "IncidentsConfig",
    "InfoReviewConfig",
    "KpiConfig",
    "MetricsConfig",
    "MetricsPermissionsConfig",
    "PagerDutyConfig",
    "PagingConfig",
    "PagingDestination",
    "PagingDestinationsConfig",
    "PermissionsConfig",
    "PrometheusConfig",
    "RetentionConfig",
    "RotationConfig",
    "RotationLayerConfig",
    "RouteConfig",
    "Secrets",
    "Section",
    "ServerConfig",
    "Settings",
    "SevLevelConfig",
    "SevLevelsConfig",
    "SmsConfig",
    "Team",
    "TeamChannelsConfig",
    "TeamConfig",
    "TeamDigestsConfig",
    "TeamPermissionsConfig",
    "TeamSpec",
    "TicketPermissionsConfig",
    "TicketsConfig",
    "UptimeCheckConfig",
    "deep_merge",
    "load_settings",
    "masked_dump",
]


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
    teams: tuple[TeamSpec, ...] = ()

    _teams: tuple[Team, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _resolve_teams(self) -> FileConfig:
        self._teams = resolve_teams(
            TopLevel(
                team=self.team,
                channels=self.channels,
                oncall=self.oncall,
                escalation=self.alerts.escalation,
                alert_permissions=self.alerts.permissions,
                incident_permissions=self.incidents.permissions,
                ticket_permissions=self.tickets.permissions,
                metrics_permissions=self.metrics.permissions,
                kpis=self.kpis,
                digests=self.digests,
            ),
            self.teams,
        )
        return self

    @property
    def resolved_teams(self) -> tuple[Team, ...]:
        """Every team, the default one first, with what it inherits filled in."""
        return self._teams

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
    # teams' own PagerDuty routing keys by handle, from the variables their pagerduty_routing_key_env name
    team_pagerduty_routing_keys: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("pagerduty_routing_key")
    @classmethod
    def _integration_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 32:
            raise ValueError(f"OPSBOT_PAGERDUTY_ROUTING_KEY {INTEGRATION_KEY}")
        return value


INTEGRATION_KEY = "must be the 32-character Integration Key of an Events API v2 integration"


class Settings(Section):
    """The effective configuration of one opsbot process."""

    file: FileConfig
    secrets: Secrets
    source: str = "packaged defaults"

    @property
    def teams(self) -> tuple[Team, ...]:
        """Every team, the default one (which owns alerts no other team matches) first."""
        return self.file.resolved_teams

    @property
    def default_team(self) -> Team:
        return self.file.resolved_teams[0]

    def team(self, handle: str | None) -> Team | None:
        """The team with this handle (None: the default team); None when there is no such team."""
        if handle is None:
            return self.default_team
        return next((team for team in self.teams if team.handle == handle), None)

    def team_of(self, handle: str | None) -> Team:
        """The team a stored row names: that team, or the default one when it names none (a row from before
        teams) or one no longer configured (so its alerts are still seen to by someone)."""
        return self.team(handle) or self.default_team

    def pagerduty_routing_key(self, handle: str | None) -> SecretStr | None:
        """Where a team's pages go in PagerDuty: its own service's key, else the shared one (None: off)."""
        return self.secrets.team_pagerduty_routing_keys.get(self.team_of(handle).handle) or (
            self.secrets.pagerduty_routing_key
        )

    @property
    def pagerduty_enabled(self) -> bool:
        """Some team pages PagerDuty: the shared key or a team's own is set."""
        return self.secrets.pagerduty_routing_key is not None or bool(
            self.secrets.team_pagerduty_routing_keys
        )

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
    secrets: dict[str, Any] = {key: environ[var] for var, key in ENV_KEYS.items() if environ.get(var)}
    try:
        file = FileConfig.model_validate(raw)
        secrets["team_pagerduty_routing_keys"] = _team_routing_keys(file, environ, source=source)
        return Settings(file=file, secrets=Secrets.model_validate(secrets), source=source)
    except ValidationError as error:
        raise ConfigError(f"invalid configuration ({source}): {_describe(error)}") from None


def _team_routing_keys(file: FileConfig, environ: Mapping[str, str], *, source: str) -> dict[str, str]:
    """Each team's own PagerDuty key from the variable it names; a named variable that is unset or holds no
    Integration Key stops the start (its pages would otherwise go to another team's service)."""
    keys = {}
    for team in file.resolved_teams:
        variable = team.pagerduty_routing_key_env
        if variable is None:
            continue
        value = environ.get(variable, "")
        if len(value) != 32:
            problem = "is not set" if not value else INTEGRATION_KEY
            raise ConfigError(
                f"invalid configuration ({source}): teams.{team.handle}.pagerduty_routing_key_env: "
                f"{variable} {problem}"
            )
        keys[team.handle] = value
    return keys


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
        problems.append(f"{location}: {message}" if location not in ("", "file") else message)
    return "; ".join(problems)


def masked_dump(settings: Settings) -> dict[str, Any]:
    """Return the effective configuration as plain data, secrets shown as '********'."""
    dumped: dict[str, Any] = settings.file.model_dump(mode="json")
    secrets: dict[str, Any] = {}
    for key, value in settings.secrets:
        if isinstance(value, dict):
            secrets[key] = dict.fromkeys(value, "********")
        elif isinstance(value, SecretStr):
            secrets[key] = "********" if key != "database_url" else mask_url(value.get_secret_value())
        else:
            secrets[key] = mask_url(value) if isinstance(value, str) and "://" in value else value
    dumped["environment"] = secrets
    dumped["source"] = settings.source
    return dumped
