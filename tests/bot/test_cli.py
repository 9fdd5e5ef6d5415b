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
    result = opsbot("check-config", env={"SLACK_BOT_TOKEN": "xoxb-very-secret", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["channels"]["critical"] == "critical-alerts"
    assert printed["environment"]["slack_bot_token"] == "********"
    assert "xoxb-very-secret" not in result.stdout + result.stderr


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
