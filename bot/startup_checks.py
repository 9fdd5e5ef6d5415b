"""Refuse to start insecurely: every check names the one setting that makes the start safe.

Each check is a pure function of the settings and the listen address; `refuse_insecure_start` raises the
first problem as a ConfigError (one line on stderr, exit code 2) before anything listens.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from bot.config import Settings
from bot.errors import ConfigError

Check = Callable[[Settings, str], str | None]


def is_loopback(host: str) -> bool:
    """True only for addresses that cannot be reached from another machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def unsigned_slack_requests(settings: Settings, host: str) -> str | None:
    """Without a signing secret anyone reaching /slack/events could act as any Slack user."""
    if settings.socket_mode or settings.secrets.slack_signing_secret is not None:
        return None
    return (
        "SLACK_SIGNING_SECRET is not set: opsbot will not accept Slack requests it cannot verify "
        "(set it, or set SLACK_APP_TOKEN to use Socket Mode)"
    )


def sandbox_off_loopback(settings: Settings, host: str) -> str | None:
    """Without a bot token opsbot runs its own Slack sandbox, a local tool: never where others reach it."""
    if settings.secrets.slack_bot_token is not None or is_loopback(host):
        return None
    return (
        f"SLACK_BOT_TOKEN is not set: without it opsbot runs its Slack sandbox, loopback only, and "
        f"{host!r} is not a loopback address (set SLACK_BOT_TOKEN to serve Slack, or listen on 127.0.0.1)"
    )


def open_alert_webhook(settings: Settings, host: str) -> str | None:
    """Off loopback, anyone reaching the port could resolve real alerts (cancelling their pages) or page
    with fake ones: /alerts/alertmanager then needs the bearer token Alertmanager sends."""
    if is_loopback(host) or settings.secrets.alert_webhook_token is not None:
        return None
    return (
        f"OPSBOT_ALERT_WEBHOOK_TOKEN is not set: opsbot will not take alerts from anyone who reaches {host} "
        "(set it, and send it from Alertmanager's http_config.authorization; or listen on 127.0.0.1)"
    )


CHECKS: tuple[Check, ...] = (unsigned_slack_requests, sandbox_off_loopback, open_alert_webhook)


def refuse_insecure_start(settings: Settings, host: str) -> None:
    """Raise ConfigError for the first check that fails."""
    for check in CHECKS:
        problem = check(settings, host)
        if problem is not None:
            raise ConfigError(problem)
