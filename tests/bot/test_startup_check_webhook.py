"""Start-up refuses an open Alertmanager webhook: off loopback it needs OPSBOT_ALERT_WEBHOOK_TOKEN."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from bot.startup_checks import CHECKS, open_alert_webhook

SIGNED = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret"}


def settings(**env: str) -> Settings:
    return load_settings({**SIGNED, **env})


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "opsbot.internal", "[::]"])
def test_off_loopback_without_a_token_is_refused_naming_the_variable(host: str) -> None:
    problem = open_alert_webhook(settings(), host)
    assert problem is not None and problem.startswith("OPSBOT_ALERT_WEBHOOK_TOKEN is not set")
    assert "\n" not in problem


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_token(host: str) -> None:
    assert open_alert_webhook(settings(), host) is None


def test_a_token_makes_any_address_fine() -> None:
    assert open_alert_webhook(settings(OPSBOT_ALERT_WEBHOOK_TOKEN="t0ken"), "0.0.0.0") is None


def test_an_empty_token_counts_as_unset() -> None:
    assert open_alert_webhook(settings(OPSBOT_ALERT_WEBHOOK_TOKEN=""), "0.0.0.0") is not None


def test_the_check_runs_at_start() -> None:
    assert open_alert_webhook in CHECKS
