"""Without SLACK_BOT_TOKEN opsbot runs its Slack sandbox, which never listens where others reach it."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.startup_checks import CHECKS, sandbox_off_loopback

LOOPBACK = ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]
NETWORK = ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "opsbot.example", "localhost.example", ""]


@pytest.mark.parametrize("host", LOOPBACK)
def test_the_sandbox_may_listen_on_loopback(host: str) -> None:
    assert sandbox_off_loopback(load_settings({}), host) is None


@pytest.mark.parametrize("host", NETWORK)
def test_without_a_token_any_other_address_is_refused_naming_the_token(host: str) -> None:
    problem = sandbox_off_loopback(load_settings({}), host)
    assert problem is not None and problem.startswith("SLACK_BOT_TOKEN is not set")
    assert f"{host!r} is not a loopback address" in problem and "\n" not in problem


def test_with_a_token_opsbot_serves_slack_itself_and_may_listen_anywhere() -> None:
    assert sandbox_off_loopback(load_settings({"SLACK_BOT_TOKEN": "xoxb-real"}), "0.0.0.0") is None


def test_the_check_runs_at_start_up_with_the_others() -> None:
    assert sandbox_off_loopback in CHECKS
