"""Credentials in configured URLs are secrets everywhere (issue #16, item 5): Slack answers name Prometheus by
its public URL, `check-config` masks passwords and credential parameters, /healthz gives no driver detail."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

PROMETHEUS_PASSWORD = "prom-pass-4e1d"
# Nothing listens on port 1: every query fails, and the failure is what the answer describes.
PROMETHEUS_URL = f"http://opsbot:{PROMETHEUS_PASSWORD}@127.0.0.1:1/prometheus?access_token=tok-9c2f"


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningServer]:
    settings = make_settings(PROMETHEUS_URL=PROMETHEUS_URL)
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


@pytest.mark.parametrize("command", ["", "error_rate 1h"])
async def test_metrics_answers_show_prometheus_without_its_credentials(
    slack: Any, sandbox: Any, command: str
) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", command, user="alice", channel="general")
    answer = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="Prometheus at"))
    assert "http://127.0.0.1:1/prometheus" in answer
    assert PROMETHEUS_PASSWORD not in answer and "tok-9c2f" not in answer and "opsbot:" not in answer


def test_check_config_masks_credentials_in_every_url() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "OPSBOT_DATABASE_URL": "postgresql+psycopg://opsbot@db/opsbot?password=db-pass-77",
        "PROMETHEUS_URL": PROMETHEUS_URL,
        "ALERTMANAGER_URL": "http://:am-pass-31@127.0.0.1:9093",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["environment"]
    printed = result.stdout + result.stderr
    assert not [s for s in (PROMETHEUS_PASSWORD, "tok-9c2f", "db-pass-77", "am-pass-31") if s in printed]
    assert shown["alertmanager_url"] == "http://:***@127.0.0.1:9093"
