from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, masked_dump
from bot.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    return path


def test_packaged_defaults_name_the_default_channels() -> None:
    settings = load_settings({})
    channels = settings.file.channels
    assert (channels.critical, channels.warning, channels.info) == (
        "critical-alerts",
        "ops-alerts",
        "ops-info",
    )
    assert (channels.review, channels.incidents) == ("ops-review", "incidents")
    assert settings.secrets.database_url.get_secret_value() == "sqlite:///opsbot.db"
    assert settings.source == "packaged defaults"


def test_file_from_environment_merges_over_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "team:\n  timezone: Europe/Berlin\nchannels:\n  critical: '#sev-pages'\n")
    settings = load_settings({"OPSBOT_CONFIG": str(path)})
    assert settings.file.team.timezone == "Europe/Berlin"
    assert settings.file.team.name == "Operations"
    assert settings.file.channels.critical == "sev-pages"
    assert settings.file.channels.warning == "ops-alerts"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("team:\n  timezone: Mars/Base\n", "team.timezone: unknown time zone 'Mars/Base'"),
        ("channels:\n  critcal: x\n", "channels.critcal: unknown key"),
        ("channels:\n  critical: 'Bad Name'\n", "channels.critical: 'Bad Name' is not a Slack channel name"),
        ("server:\n  port: huge\n", "server.port: Input should be a valid integer"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("team: [unclosed\n", "is not valid YAML"),
        ("retention:\n  claims_days: 0\n", "retention.claims_days: Input should be greater than 0"),
        ("retention:\n  at: '3:30'\n", "retention.at: String should match pattern"),
        (
            "host_checks:\n  interval_seconds: 60\n  stale_after_minutes: 1\n",
            "host_checks.stale_after_minutes: must be at least two check intervals (120 s)",
        ),
        ("host_checks:\n  host: ''\n", "host_checks.host: String should have at least 1 character"),
        (
            "alerts:\n  routes:\n    - {match: ['team=~\"(?!pay)\"'], channel: x}\n",
            "alerts.routes.0.match: 'team=~\"(?!pay)\"': bad regular expression (RE2 syntax): invalid perl",
        ),
        (
            "digests:\n  teams:\n    - {name: ops, match: ['team=~\"(x\"']}\n",
            "digests.teams.0.match: 'team=~\"(x\"': bad regular expression (RE2 syntax): missing )",
        ),
        ("prometheus:\n  max_points: 20000\n", "prometheus.max_points: Input should be less than or equal"),
        (
            "paging:\n  destinations:\n    critical: [pager]\n",
            "paging.destinations.critical.0: Input should be",
        ),
        ("paging:\n  destinations:\n    page: [sms]\n", "paging.destinations.page: unknown key"),
        ("paging:\n  pagerduty:\n    events_url: events.pagerduty.com\n", "paging.pagerduty.events_url:"),
    ],
)
def test_a_bad_file_gives_one_message_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPSBOT_CONFIG": str(write(tmp_path, text))})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_retention_defaults_and_its_daily_time(tmp_path: Path) -> None:
    retention = load_settings({}).file.retention
    assert (retention.outbox_days, retention.claims_days, retention.episodes_days) == (30, 30, 400)
    path = write(tmp_path, "retention:\n  episodes_days: 800\n  at: '23:05'\n")
    changed = load_settings({"OPSBOT_CONFIG": str(path)}).file.retention
    assert (changed.episodes_days, changed.outbox_days) == (800, 30)
    assert changed.schedule() == {"hour": 23, "minute": 5}


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read configuration file .*nope\.yml"):
        load_settings({"OPSBOT_CONFIG": str(tmp_path / "nope.yml")})


def test_secrets_come_from_the_environment_and_are_masked_when_printed() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-not-a-real-token",
            "SLACK_SIGNING_SECRET": "shh",
            "OPSBOT_DATABASE_URL": "postgresql+psycopg://opsbot:hunter2@db:5432/opsbot",
            "PROMETHEUS_URL": "http://127.0.0.1:9090",
        }
    )
    dumped = str(masked_dump(settings))
    assert "xoxb-not-a-real-token" not in dumped and "shh" not in dumped and "hunter2" not in dumped
    assert "postgresql+psycopg://opsbot:***@db:5432/opsbot" in dumped
    assert "http://127.0.0.1:9090" in dumped
    assert settings.secrets.slack_bot_token is not None
    assert settings.secrets.slack_bot_token.get_secret_value() == "xoxb-not-a-real-token"


def test_pagerduty_is_off_without_its_routing_key_and_refuses_a_malformed_one() -> None:
    settings = load_settings({})
    assert (
        settings.secrets.pagerduty_routing_key is None and settings.secrets.pagerduty_webhook_secret is None
    )
    assert settings.file.paging.destinations.critical == ("pagerduty", "sms")
    assert settings.file.paging.pagerduty.events_url == "https://events.pagerduty.com/v2/enqueue"
    key = "0123456789abcdef0123456789abcdef"
    on = load_settings({"OPSBOT_PAGERDUTY_ROUTING_KEY": key, "OPSBOT_PAGERDUTY_WEBHOOK_SECRET": "whsec"})
    assert on.secrets.pagerduty_routing_key is not None
    dumped = str(masked_dump(on))
    assert key not in dumped and "whsec" not in dumped
    with pytest.raises(ConfigError, match="OPSBOT_PAGERDUTY_ROUTING_KEY must be the 32-character") as caught:
        load_settings({"OPSBOT_PAGERDUTY_ROUTING_KEY": "too-short-a-key"})
    assert "too-short-a-key" not in str(caught.value)


def test_socket_mode_follows_the_app_token() -> None:
    assert not load_settings({}).socket_mode
    assert load_settings({"SLACK_APP_TOKEN": "xapp-1"}).socket_mode


def test_check_config_masks_every_url_that_carries_credentials() -> None:
    settings = load_settings(
        {
            "OPSBOT_DATABASE_URL": "postgresql+psycopg://opsbot@db/opsbot?password=hunter2&sslmode=require",
            "PROMETHEUS_URL": "https://:prom-pass@prom.internal:9090/prometheus?access_token=tok-1",
            "ALERTMANAGER_URL": "http://ops:am-pass@am.internal:9093",
        }
    )
    dumped = str(masked_dump(settings))
    assert not [secret for secret in ("hunter2", "prom-pass", "tok-1", "am-pass") if secret in dumped]
    assert "sslmode=require" in dumped and "am.internal:9093" in dumped
