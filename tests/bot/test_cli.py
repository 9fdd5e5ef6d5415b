from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def opsbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_check_config_prints_the_effective_config_with_secrets_masked() -> None:
    result = opsbot(
        "check-config",
        env={"PATH": "/usr/bin:/bin", "OPSBOT_DATABASE_URL": "postgresql://opsbot:very-secret@db/opsbot"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Slack check skipped: SLACK_BOT_TOKEN is not set.",
        "No problems found.",
    ]
    printed = json.loads(result.stdout)
    assert printed["channels"]["critical"] == "critical-alerts"
    assert "very-secret" not in result.stdout + result.stderr


def test_check_config_exits_non_zero_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("team:\n  timezone: Nowhere/Land\n")
    result = opsbot("--config", str(bad), "check-config")
    assert result.returncode == 2
    assert "team.timezone: unknown time zone 'Nowhere/Land'" in result.stderr


def test_db_upgrade_migrates_and_reports_the_revision(tmp_path: Path) -> None:
    env = {"OPSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}
    result = opsbot("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert "schema at revision" in result.stdout
    revision = result.stdout.split("revision ")[1].split(" ")[0]
    assert revision != "None" and f"newest shipped: {revision})" in result.stdout


def test_the_sandbox_alone_listens_on_loopback_only() -> None:
    result = opsbot("sandbox", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert result.stderr == "opsbot: the Slack sandbox listens on loopback only; '0.0.0.0' is not\n"


TWO_TEAMS = """
teams:
  - name: payments
    match: ['service=~"pay.*"']
  - name: billing
    match: ["team=billing"]
  - name: search
    match: ["team=search"]
"""


def test_check_config_reports_overlapping_teams_and_a_name_that_is_a_metric(tmp_path: Path) -> None:
    config = tmp_path / "teams.yml"
    config.write_text(TWO_TEAMS)
    result = opsbot("--config", str(config), "check-config", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr  # warnings only
    assert json.loads(result.stdout)["teams"][0]["name"] == "payments"  # stdout stays the configuration
    assert result.stderr.splitlines() == [
        "Slack check skipped: SLACK_BOT_TOKEN is not set.",
        "Problems:",
        '  warning: teams.billing.match: overlaps teams.payments (e.g. an alert with service="pay", '
        'team="billing") — payments wins',
        '  warning: teams.search.match: overlaps teams.payments (e.g. an alert with service="pay", '
        'team="search") — payments wins',
        "  warning: teams.payments.name: the team name 'payments' is also a metric name: `/metrics payments` "
        "shows the team's overview, its KPI is reached as `/metrics <team> payments`",
    ]


def test_check_config_says_when_a_team_shadows_the_others_or_finds_nothing(tmp_path: Path) -> None:
    config = tmp_path / "teams.yml"
    config.write_text("teams:\n  - name: everything\n  - name: search\n    match: [team=search]\n")
    result = opsbot("--config", str(config), "check-config", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert (
        "  warning: teams.search.match: never owns an alert: teams.everything comes first and matches every "
        "alert it matches"
    ) in result.stderr.splitlines()
    config.write_text(
        "teams:\n  - name: cards\n    match: [team=cards]\n  - name: search\n    match: [team=search]\n"
    )
    result = opsbot("--config", str(config), "check-config", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    assert result.stderr.splitlines()[-1] == "No problems found."


def test_check_config_exits_1_when_slack_cannot_be_asked(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-unused",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    result = opsbot("check-config", env=env)
    assert result.returncode == 1, result.stderr
    assert "error: SLACK_API_URL: Slack did not answer" in result.stderr
    assert "Slack check skipped" not in result.stderr
