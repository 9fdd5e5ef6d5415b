"""`opsbot check-config` against the Slack sandbox: every user, user group and channel the configuration
names is looked up, and each one the workspace lacks is an error naming where it is configured."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml

CONFIG = {
    "teams": [
        {
            "name": "payments",
            "match": ["team=payments"],
            "channels": {"critical": "payments-oncall", "warning": "payments-nowhere"},
            "oncall": {"members": ["U0ALICE", "U0NOBODY"]},
            "escalation": [{"after_minutes": 5, "target": "usergroup", "ids": ["S0ONCALL", "S0NOBODY"]}],
        },
        {"name": "search", "match": ["team=search"], "permissions": {"tickets": {"change": ["U0BOB"]}}},
    ],
}


async def check_config(sandbox: Any, config: Path) -> tuple[int, str]:
    """Run the command as a process (the sandbox answers it from this test's event loop)."""
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_API_URL": sandbox.api_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "check-config",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stderr.decode()


async def test_unknown_users_groups_and_channels_are_errors_naming_their_place(
    sandbox: Any, tmp_path: Path
) -> None:
    config = tmp_path / "teams.yml"
    config.write_text(yaml.safe_dump(CONFIG))
    code, report = await check_config(sandbox, config)
    assert code == 1, report
    errors = [line.strip() for line in report.splitlines() if line.strip().startswith("error:")]
    assert errors == [
        "error: teams.payments.oncall.members: U0NOBODY is not a user of this workspace",
        "error: teams.payments.escalation[0].ids: S0NOBODY is not a user group of this workspace",
        "error: teams.payments.channels.warning: #payments-nowhere is not a channel of this workspace "
        "opsbot can see",
    ]
    assert "Slack check skipped" not in report
    asked = {call.method for call in sandbox.workspace.calls}
    assert {"users.info", "usergroups.list", "conversations.list"} <= asked


async def test_a_configuration_slack_knows_has_no_errors(sandbox: Any, tmp_path: Path) -> None:
    config = tmp_path / "ok.yml"
    config.write_text(yaml.safe_dump({"teams": [{"name": "search", "match": ["team=search"]}]}))
    code, report = await check_config(sandbox, config)
    assert code == 0, report
    assert report.splitlines() == ["No problems found."]
