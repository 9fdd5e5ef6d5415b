"""Every alert of the launch playbook's alert policy is a shipped Prometheus rule with the playbook's
threshold, duration and severity, and promtool tests see it fire and stay quiet; opsbot's own host checks
agree with it.

promtool itself runs the cases in tests/deploy/test_deploy_configs.py (test_rule_unit_tests_pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import HostChecksConfig

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))


@dataclass(frozen=True)
class PlaybookAlert:
    """One line of the playbook's "Alert Configuration" and the rule that raises it."""

    wording: str
    severity: str
    rule: str
    condition: str  # a part of the rule's expression (spaces collapsed)
    for_: str | None

    def __str__(self) -> str:
        return f"{self.rule}-{self.severity}"


PLAYBOOK = [
    # critical: immediate response
    PlaybookAlert("API downtime > 1 minute", "critical", "ApiDown", "opsbot:api_up == 0", "1m"),
    PlaybookAlert("Database connection failures", "critical", "DatabaseDown", "opsbot:db_up == 0", "1m"),
    PlaybookAlert(
        "Database connection failures",
        "critical",
        "DatabaseConnectionErrors",
        "opsbot:db_connection_errors:increase5m > 5",
        "1m",
    ),
    PlaybookAlert("Disk usage > 95%", "critical", "HostDiskFull", "opsbot:host_disk_used:percent > 95", "5m"),
    PlaybookAlert(
        "Memory usage > 95%", "critical", "HostHighMemory", "opsbot:host_memory_used:percent > 95", "2m"
    ),
    PlaybookAlert(
        "Payment success rate < 90%",
        "critical",
        "PaymentSuccessRateLow",
        "opsbot:payments_succeeded:ratio_rate5m < 0.9",
        "2m",
    ),
    PlaybookAlert(
        "AI service failures > 10 per hour",
        "critical",
        "AiServiceFailures",
        "opsbot:ai_failures:increase1h > 10",
        None,
    ),
    PlaybookAlert(
        "Authentication service errors",
        "critical",
        "AuthServiceErrors",
        "opsbot:auth_errors:increase5m > 5",
        "1m",
    ),
    # warning: review within 1 hour
    PlaybookAlert(
        "API response time > 3 seconds (p95)",
        "warning",
        "ApiHighLatency",
        "opsbot:api_latency_seconds:p95 > 3",
        "5m",
    ),
    PlaybookAlert(
        "CPU usage > 80% for 10 minutes", "warning", "HostHighCpu", "opsbot:host_cpu_busy:percent > 80", "10m"
    ),
    PlaybookAlert(
        "Memory usage > 85% for 10 minutes",
        "warning",
        "HostHighMemory",
        "opsbot:host_memory_used:percent > 85",
        "10m",
    ),
    PlaybookAlert(
        "User registration failures > 5%",
        "warning",
        "RegistrationFailureRateHigh",
        "opsbot:registrations_failed:ratio_rate5m > 0.05",
        "10m",
    ),
    PlaybookAlert(
        "Failed login attempts spike",
        "warning",
        "FailedLoginSpike",
        "opsbot:logins_failed:zscore1d > 3 and opsbot:logins_failed:rate5m * 300 >= 20",
        "5m",
    ),
    PlaybookAlert(
        "Unusual payment patterns",
        "warning",
        "UnusualPaymentPattern",
        "(opsbot:payments:rate1h_vs_last_week < 0.5 or opsbot:payments:rate1h_vs_last_week > 2)",
        "15m",
    ),
    # info: the daily review
    PlaybookAlert(
        "Daily active users trend",
        "info",
        "DailyActiveUsersTrend",
        "opsbot:daily_active_users:vs_last_week < 0.9 or opsbot:daily_active_users:vs_last_week > 1.1",
        "1h",
    ),
    PlaybookAlert(
        "New user signups",
        "info",
        "NewSignupsTrend",
        "(opsbot:signups:increase1d_vs_last_week < 0.8 or opsbot:signups:increase1d_vs_last_week > 1.2)",
        "1h",
    ),
    PlaybookAlert(
        "Failed payments", "info", "FailedPayments", "opsbot:payments_failed:ratio_rate1h > 0.05", "15m"
    ),
    PlaybookAlert(
        "Performance degradation", "info", "PerformanceDegraded", "opsbot:api_latency_seconds:p95 > 2", "15m"
    ),
]
PLAYBOOK_LINES = {"critical": 7, "warning": 6, "info": 4}
# opsbot's host checks that raise a playbook alert under another name than the Prometheus rule
HOST_CHECK_NAMES = {"HostMemoryExhausted": "HostHighMemory"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alerting_rules() -> list[dict[str, Any]]:
    return [rule for group in load(PROMETHEUS / "opsbot-rules.yml")["groups"] for rule in group["rules"]]


def rule_for(rule: str, severity: str) -> dict[str, Any]:
    (found,) = [r for r in alerting_rules() if r["alert"] == rule and r["labels"]["severity"] == severity]
    return found


def expected(case: dict[str, Any], severity: str) -> bool:
    """Whether a promtool alert case expects an alert of that severity."""
    return any(
        alert.get("exp_labels", {}).get("severity") == severity for alert in case.get("exp_alerts") or []
    )


def test_the_table_holds_every_line_of_the_playbook() -> None:
    for severity, lines in PLAYBOOK_LINES.items():
        assert len({a.wording for a in PLAYBOOK if a.severity == severity}) == lines, severity
    assert {a.rule for a in PLAYBOOK} <= {r["alert"] for r in alerting_rules()}


@pytest.mark.parametrize("alert", PLAYBOOK, ids=str)
def test_the_rule_has_the_playbooks_severity_threshold_and_duration(alert: PlaybookAlert) -> None:
    rule = rule_for(alert.rule, alert.severity)
    assert alert.condition in " ".join(rule["expr"].split()), alert.wording
    assert rule.get("for") == alert.for_, alert.wording


@pytest.mark.parametrize("alert", PLAYBOOK, ids=str)
def test_a_promtool_test_sees_it_fire_and_stay_quiet(alert: PlaybookAlert) -> None:
    """In one test group: a case where it fires, and one (an edge value, a shorter time) where it does not."""
    covering = []
    for path in RULE_TESTS:
        for group in load(path)["tests"]:
            cases = [c for c in group.get("alert_rule_test", []) if c["alertname"] == alert.rule]
            fires = [c["eval_time"] for c in cases if expected(c, alert.severity)]
            quiet = [c["eval_time"] for c in cases if not expected(c, alert.severity)]
            if fires and quiet:
                covering.append(f"{path.name}: {group['name']}")
    assert covering, f"no promtool test sees {alert.rule} ({alert.severity}) both fire and stay quiet"


def test_host_checks_use_the_playbooks_thresholds() -> None:
    """Without Prometheus opsbot raises the host alerts itself: at the same thresholds and severities."""
    config = HostChecksConfig()
    for check in config.rules:
        rule = rule_for(HOST_CHECK_NAMES.get(check.name, check.name), check.severity)
        assert re.search(rf"> {check.threshold:g}\b", rule["expr"]), check.name
        if check.severity == "warning":  # the playbook names their duration
            assert f"{check.for_minutes:g}m" == rule["for"], check.name
    assert {(c.metric, c.threshold, c.severity) for c in config.rules} >= {
        ("disk", 95, "critical"),
        ("memory", 95, "critical"),
        ("memory", 85, "warning"),
        ("cpu", 80, "warning"),
    }
    assert config.uptime_down_after_seconds == 60  # API downtime > 1 minute, like ApiDown's `for: 1m`
