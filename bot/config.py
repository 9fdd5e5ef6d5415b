"""Settings: the YAML file (packaged defaults + OPSBOT_CONFIG) and secrets from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.errors import ConfigError

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
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
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


class FileConfig(Section):
    """Everything the YAML file may contain."""

    team: TeamConfig = TeamConfig()
    channels: ChannelsConfig = ChannelsConfig()
    server: ServerConfig = ServerConfig()


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


class Settings(Section):
    """The effective configuration of one opsbot process."""

    file: FileConfig
    secrets: Secrets
    source: str = "packaged defaults"

    @property
    def socket_mode(self) -> bool:
        """Slack traffic goes over Socket Mode when an app-level token is set."""
        return self.secrets.slack_app_token is not None


ENV_KEYS = {
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "OPSBOT_DATABASE_URL": "database_url",
    "PROMETHEUS_URL": "prometheus_url",
    "ALERTMANAGER_URL": "alertmanager_url",
    "OPSBOT_ALERT_WEBHOOK_TOKEN": "alert_webhook_token",
}


def load_settings(environ: Mapping[str, str], path: Path | None = None) -> Settings:
    """Build settings from the packaged defaults, the YAML file (path or OPSBOT_CONFIG) and the environment."""
    file_path = path or (Path(environ["OPSBOT_CONFIG"]) if environ.get("OPSBOT_CONFIG") else None)
    raw = _packaged_defaults()
    source = "packaged defaults"
    if file_path is not None:
        raw = deep_merge(raw, _read_yaml(file_path))
        source = str(file_path)
    secrets = {key: environ[var] for var, key in ENV_KEYS.items() if environ.get(var)}
    try:
        return Settings(file=FileConfig.model_validate(raw), secrets=Secrets.model_validate(secrets), source=source)
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
        raise ConfigError(f"configuration file {path} must hold a mapping at the top, not {type(loaded).__name__}")
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
            secrets[key] = value
    dumped["environment"] = secrets
    dumped["source"] = settings.source
    return dumped


def mask_url(url: str) -> str:
    """Hide the password in a database URL, keep the rest readable."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1********@", url)
