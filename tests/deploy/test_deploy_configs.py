"""The shipped Prometheus / Alertmanager files pass the real tools; the test helpers run the real binaries."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.support.prom import ServiceStartError, binary_or_fail, running_alertmanager, running_prometheus

pytestmark = pytest.mark.prometheus

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "opsbot-rules.yml"
# the order Prometheus loads them in: names mapped, then what is recorded from them, then the alerts
RULE_FILES = [DEPLOY / "prometheus" / name for name in ("opsbot-inputs.yml", "opsbot-recording.yml")] + [
    RULES
]
RULE_TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.test.yml"))
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
BROKEN_RULES = """
groups:
  - name: broken
    rules:
      - alert: Unclosed
        expr: rate(http_requests_total[5m]
"""
BROKEN_ALERTMANAGER = """
route:
  receiver: nowhere
receivers:
  - name: opsbot
"""


def run_tool(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool / amtool and keep its output for the assertion message."""
    executable = binary_or_fail(argv[0])
    return subprocess.run(
        [executable, *argv[1:]], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def shipped_rules(*paths: Path) -> list[dict[str, Any]]:
    """The rules of the files (the alerting rules by default), in file order."""
    loaded = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in paths or (RULES,)]
    return [rule for rules in loaded for group in rules["groups"] for rule in group["rules"]]


def test_rules_pass_promtool_check() -> None:
    result = run_tool("promtool", "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, output(result)
    assert result.stdout.count("SUCCESS") == len(RULE_FILES)


def test_rule_unit_tests_pass() -> None:
    assert len(RULE_TESTS) >= 8, RULE_TESTS
    result = run_tool("promtool", "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, output(result)
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), output(result)


def test_prometheus_config_is_valid_from_any_directory(tmp_path: Path) -> None:
    result = run_tool("promtool", "check", "config", str(PROMETHEUS_CONFIG), cwd=tmp_path)
    assert result.returncode == 0, output(result)
    assert f"{len(RULE_FILES)} rule files found" in result.stdout
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    assert config["rule_files"] == [path.name for path in RULE_FILES]


def test_alertmanager_config_is_valid() -> None:
    result = run_tool("amtool", "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, output(result)


@pytest.mark.parametrize(
    ("argv", "broken"),
    [(("promtool", "check", "rules"), BROKEN_RULES), (("amtool", "check-config"), BROKEN_ALERTMANAGER)],
    ids=["promtool", "amtool"],
)
def test_a_broken_file_is_rejected(tmp_path: Path, argv: tuple[str, ...], broken: str) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(broken, encoding="utf-8")
    result = run_tool(*argv, str(path))
    assert result.returncode != 0, output(result)


def test_every_rule_has_a_severity_and_the_annotations_opsbot_shows() -> None:
    for rule in shipped_rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert {"summary", "description", "runbook_url"} <= rule["annotations"].keys(), rule["alert"]


def test_every_alert_has_a_unit_test() -> None:
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert {rule["alert"] for rule in shipped_rules()} <= tested


def test_alertmanager_sends_everything_to_opsbot_with_resolved_and_a_token() -> None:
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    (webhook,) = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])[
        "webhook_configs"
    ]
    assert webhook["url"].endswith("/alerts/alertmanager") and webhook["send_resolved"] is True
    authorization = webhook["http_config"]["authorization"]
    assert authorization["type"] == "Bearer"
    # the token comes from a file only Alertmanager reads, never inline in the shipped config
    assert authorization["credentials_file"].startswith("/") and "credentials" not in authorization
    assert "OPSBOT_ALERT_WEBHOOK_TOKEN" in ALERTMANAGER_CONFIG.read_text(encoding="utf-8")
    assert config["route"]["group_by"] == ["alertname", "service", "job"]


async def test_real_prometheus_and_alertmanager_start_scrape_and_answer(tmp_path: Path) -> None:
    async with (
        running_alertmanager(tmp_path, webhook_url="http://127.0.0.1:9/unused") as am,
        running_prometheus(tmp_path, rule_files=RULE_FILES, alertmanager_url=am.url) as prom,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
    ):
        async with asyncio.timeout(20):
            (up,) = await prom.wait_for_query('up{job="prometheus"} == 1')
        assert up["metric"]["instance"] == prom.address

        async with http.get(f"{am.url}/api/v2/status") as response:
            status = await response.json()
        assert response.status == 200
        assert status["cluster"]["status"] == "disabled"

        async with asyncio.timeout(20):
            await prom.wait_for_query("prometheus_notifications_alertmanagers_discovered == 1")
        async with http.get(f"{prom.url}/api/v1/rules") as response:
            groups = (await response.json())["data"]["groups"]
        loaded = {(rule["type"], rule["name"]) for g in groups for rule in g["rules"]}
        shipped = {
            ("alerting", rule["alert"]) if "alert" in rule else ("recording", rule["record"])
            for rule in shipped_rules(*RULE_FILES)
        }
        assert loaded == shipped  # every shipped rule, no other
        failing = {
            rule["name"]: rule.get("lastError")
            for g in groups
            for rule in g["rules"]
            if rule["health"] == "err"
        }
        assert failing == {}

        await prom.stop()
        assert prom.process.returncode is not None
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{prom.url}/-/ready")


async def test_a_binary_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken-rules.yml"
    broken.write_text(BROKEN_RULES, encoding="utf-8")
    with pytest.raises(ServiceStartError) as caught:
        async with running_prometheus(tmp_path, rule_files=[broken]):
            pytest.fail("Prometheus started with a broken rule file")
    message = str(caught.value)
    assert "exited with code" in message and "broken-rules.yml" in message
