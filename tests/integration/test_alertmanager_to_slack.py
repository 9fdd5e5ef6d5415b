"""The alert path with real parts: Prometheus rules -> Alertmanager -> opsbot's webhook -> Slack sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from tests.support.prom import running_alertmanager, running_prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

PROMETHEUS_DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
SHIPPED_RULES = [
    PROMETHEUS_DEPLOY / name for name in ("opsbot-inputs.yml", "opsbot-recording.yml", "opsbot-rules.yml")
]
WEBHOOK_TOKEN = "integration-webhook-token"
PROBE_RULES = """
groups:
  - name: opsbot-integration
    rules:
      - alert: OpsbotIntegrationProbe
        expr: vector(1)
        labels:
          severity: critical
          service: opsbot-integration
        annotations:
          summary: Integration probe is firing
          description: Always fires, to prove the path from Prometheus to Slack.
          runbook_url: https://runbooks.example.com/opsbot/integration-probe
"""


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "alerts": {"pace_per_channel_seconds": 0.02, "escalation": [{"after_minutes": 60}]},
        "host_checks": {"enabled": False},
    }


@pytest.fixture
async def opsbot(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningServer]:
    """opsbot as in conftest, but its webhook demands the bearer token Alertmanager is given."""
    settings = make_settings(OPSBOT_ALERT_WEBHOOK_TOKEN=WEBHOOK_TOKEN)
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


async def test_a_firing_rule_reaches_the_critical_channel(
    opsbot: RunningServer, sandbox: Any, tmp_path: Path
) -> None:
    probe = tmp_path / "probe-rules.yml"
    probe.write_text(PROBE_RULES, encoding="utf-8")
    async with (
        running_alertmanager(
            tmp_path, webhook_url=f"{opsbot.url}/alerts/alertmanager", bearer_token=WEBHOOK_TOKEN
        ) as am,
        running_prometheus(tmp_path, rule_files=[*SHIPPED_RULES, probe], alertmanager_url=am.url) as prom,
    ):
        ws = sandbox.workspace
        message = await ws.wait_for_message("critical-alerts", contains="OpsbotIntegrationProbe", timeout=60)

        assert "Integration probe is firing" in ws.message_text(message)
        async with aiohttp.ClientSession() as http, http.get(f"{prom.url}/api/v1/rules") as response:
            groups = (await response.json())["data"]["groups"]
        loaded = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}
        assert {
            "HostHighCpu",
            "ApiDown",
            "PaymentSuccessRateLow",
            "opsbot:kpi_uptime:percent",
        } <= loaded.keys()
        assert set(loaded.values()) == {"ok"}
